"""The openfaas, knative and fn presets polled end to end against the backfilled Prometheus."""

from __future__ import annotations

from typing import Any

import pytest
from contract import assert_round_trip

from srvmon.clock import FrozenClock
from srvmon.config import parse_config
from srvmon.model import PanelSnapshot, Snapshot
from srvmon.poll import Poller


def poll(prom: Any, preset: str, **options: str) -> Snapshot:
    extra = "".join(f'{k} = "{v}"\n' for k, v in options.items())
    cfg = parse_config(
        f'[providers.prom]\ntype = "prometheus"\nurl = "{prom.url}"\n{extra}'
        f'[[boards]]\nname = "b"\npreset = "{preset}"\n'
    )
    clock = FrozenClock(prom.now)
    providers = cfg.build_providers(clock)
    poller = Poller(cfg.board(None), providers, clock)
    try:
        return poller.poll()
    finally:
        poller.close()
        for p in providers.values():
            p.close()


def check(panel: PanelSnapshot, now: float, before: float) -> None:
    """Value is the current-week figure, compare value last week's, delta the % change between them."""
    assert panel.error is None, panel.error
    assert panel.value == pytest.approx(now, rel=1e-3), panel.id
    assert panel.compare_value == pytest.approx(before, rel=1e-3), panel.id
    assert panel.delta_pct == pytest.approx((now - before) / before * 100, rel=1e-3), panel.id


def test_openfaas_board(prom: Any) -> None:
    snap = poll(prom, "openfaas")
    assert_round_trip(snap)  # live SVG == SVG from the JSON: the Snapshot is complete
    assert snap.window.end == prom.now and snap.window.step_s == 60 and snap.window.duration_s == 4 * 3600
    fam = "gateway_function_invocation_total"
    total = prom.rate(fam), prom.rate(fam, "before")
    check(snap.panel("requests"), *total)
    check(snap.panel("invocations"), *total)
    check(snap.panel("errors_4xx"), prom.rate(fam, code="404"), prom.rate(fam, "before", code="404"))
    five = prom.rate(fam, code="500"), prom.rate(fam, "before", code="500")
    check(snap.panel("errors_5xx"), *five)
    assert snap.panel("errors_5xx").status == "warn"  # 0.2/s against warn 0.1, crit 1
    check(snap.panel("error_ratio"), 100 * five[0] / total[0], 100 * five[1] / total[1])
    throttles = snap.panel("throttles")
    assert (
        throttles.value == 0.0 and throttles.status == "ok"
    )  # `or vector(0)`: no 429s is a zero, not nodata

    # histogram_quantile over the bucket shares the fixture wrote (80%/20% last week, 50%/50% now)
    check(snap.panel("latency_p50"), 100.0, 62.5)
    check(snap.panel("latency_p99"), 492.0, 480.0)

    gauge = snap.panel("replicas_capacity")
    assert gauge.limit is not None
    assert (gauge.limit.used, gauge.limit.limit) == (6.0, 20.0)
    assert gauge.value == 6.0 and gauge.compare_value == 4.0 and gauge.status == "ok"

    top = snap.panel("top_functions").rows
    assert top is not None
    assert [(r.name, r.value, r.compare_value) for r in top] == [
        ("checkout", pytest.approx(3.2), pytest.approx(2.1)),
        ("images", pytest.approx(1.25), pytest.approx(1.5)),
    ]
    errors = snap.panel("top_errors").rows
    assert errors is not None and [r.name for r in errors] == ["checkout"]

    classes = {s.labels["code_class"]: s for s in snap.panel("status_classes").series}
    assert set(classes) == {"2xx", "4xx", "5xx"}
    assert all(v == pytest.approx(4.0) for _, v in classes["2xx"].points)
    last_week = classes["2xx"].compare_points
    assert last_week is not None and len(last_week) == 240
    assert all(v == pytest.approx(3.0) for _, v in last_week)
    assert last_week[0][0] == snap.window.start_s  # drawn on today's axis

    by_fn = {s.labels["function_name"]: s for s in snap.panel("replicas").series}
    assert [v for _, v in by_fn["checkout"].points][-1] == 6.0
    assert [v for _, v in by_fn["images"].points][-1] == 2.0

    alerts = snap.panel("alerts")
    assert alerts.status == "crit" and alerts.value == 1.0
    assert {r.name: r.state for r in alerts.rows or ()} == {
        "CheckoutErrors": "ALARM", "SlowBurn": "INSUFFICIENT_DATA", "NeverFires": "OK",
    }  # fmt: skip
    assert all(p.error is None for p in snap.panels), [(p.id, p.error) for p in snap.panels if p.error]
    status = snap.providers[0]
    assert status.ok and status.api_calls >= 28 and status.type == "prometheus"


def test_knative_board_picks_the_generation_the_server_has(prom: Any) -> None:
    """Only OpenTelemetry names (kn_serving_*) were written, so every panel runs its `fallback`."""
    snap = poll(prom, "knative")
    assert_round_trip(snap)  # live SVG == SVG from the JSON: the Snapshot is complete
    fam = "kn_serving_invocation_duration_seconds"
    total = prom.rate(fam), prom.rate(fam, "before")
    check(snap.panel("requests"), *total)
    check(snap.panel("requests_history"), *total)
    check(snap.panel("errors_5xx"), prom.rate(fam, http_response_status_code="503"),
          prom.rate(fam, "before", http_response_status_code="503"))  # fmt: skip
    e4 = snap.panel("errors_4xx")
    assert (
        e4.value == pytest.approx(prom.rate(fam, http_response_status_code="404")) and e4.compare_value == 0.0
    )
    check(snap.panel("latency_p50"), 100.0, 62.5)
    check(snap.panel("latency_p99"), 492.0, 480.0)
    check(snap.panel("pods"), 6.0, 4.0)
    gauge = snap.panel("pods_capacity")
    assert gauge.limit is not None and (gauge.limit.used, gauge.limit.limit) == (5.0, 20.0)
    top = snap.panel("top_services").rows or ()
    assert [(r.name, r.value) for r in top] == [
        ("hello", pytest.approx(8.25)), ("greeter", pytest.approx(1.5)),
    ]  # fmt: skip
    slow = snap.panel("latency_by_service")
    assert {s.labels["service_name"] for s in slow.series} == {"hello", "greeter"}
    classes = {s.labels["code_class"] for s in snap.panel("status_classes").series}
    assert classes == {"2xx", "4xx", "5xx"}
    assert all(p.error is None for p in snap.panels), [(p.id, p.error) for p in snap.panels if p.error]


def test_fn_board(prom: Any) -> None:
    snap = poll(prom, "fn")
    assert_round_trip(snap)  # live SVG == SVG from the JSON: the Snapshot is complete
    check(snap.panel("calls"), prom.rate("fn_api_calls"), prom.rate("fn_api_calls", "before"))
    check(snap.panel("failed"), prom.rate("fn_api_failed"), prom.rate("fn_api_failed", "before"))
    check(snap.panel("timeouts"), 0.1, 0.05)
    check(snap.panel("errors"), 0.3, 0.05)
    check(snap.panel("failure_ratio"), 100 * 0.4 / 5.0, 100 * 0.1 / 3.0)
    queued = snap.panel("queued")
    assert queued.value == 3.0 and queued.status == "ok"
    top = snap.panel("top_functions").rows or ()
    assert [(r.labels["path"], r.value) for r in top] == [
        ("/order", pytest.approx(4.0)),
        ("/list", 1.0),
    ]
    failing = snap.panel("top_failing").rows or ()
    assert [r.labels["path"] for r in failing] == ["/order"]
    outcomes = {s.labels["outcome"]: s.points[-1][1] for s in snap.panel("outcomes").series}
    assert outcomes == {
        "completed": pytest.approx(4.6),
        "failed": pytest.approx(0.4),
        "timed out": pytest.approx(0.1),
    }
    running = {s.labels["state"]: s.points[-1][1] for s in snap.panel("running").series}
    assert running == {"running": 8.0, "queued": 3.0}
    assert all(p.error is None for p in snap.panels), [(p.id, p.error) for p in snap.panels if p.error]


def test_week_range_board_uses_half_hour_steps(prom: Any) -> None:
    """A 1w board (step 1800): the rate step at NOW-3d shows in the points and the average."""
    cfg = parse_config(
        f'[providers.prom]\ntype = "prometheus"\nurl = "{prom.url}"\n[[boards]]\nname = "b"\npreset = "openfaas"\nrange = "1w"\n'
    )
    clock = FrozenClock(prom.now)
    providers = cfg.build_providers(clock)
    poller = Poller(cfg.board(None), providers, clock)
    week = poller.poll()
    poller.close()
    assert week.window.step_s == 1800
    req = week.panel("requests")
    # 3 days at 4.45/s and 4 days at 3.6/s -> weighted average
    assert req.value == pytest.approx((3 * 4.45 + 4 * 3.6) / 7, rel=2e-3)
    points = week.panel("invocations").series[0].points
    assert len(points) == 7 * 48
    assert points[-1][1] == pytest.approx(4.45) and points[0][1] == pytest.approx(3.6)


def test_knative_board_on_opencensus_names(prom_legacy: Any) -> None:
    """A Knative <= 1.18 server (revision_request_*, latencies in ms, autoscaler_actual_pods): `promql` runs."""
    prom = prom_legacy
    snap = poll(prom, "knative")
    fam = "revision_request_count"
    check(snap.panel("requests"), prom.rate(fam), prom.rate(fam, "before"))
    check(snap.panel("errors_5xx"), 0.25, 0.5)
    assert snap.panel("errors_4xx").value == 0.0
    check(snap.panel("latency_p50"), 100.0, 62.5)  # bucket bounds in ms: no x1000 in this generation
    check(snap.panel("latency_p99"), 492.0, 480.0)
    check(snap.panel("pods"), 8.0, 4.0)
    gauge = snap.panel("pods_capacity")
    assert gauge.limit is not None and gauge.limit.used == 7.0  # autoscaler_actual_pods found by detection
    top = snap.panel("top_services").rows or ()
    assert [(r.name, r.value) for r in top] == [("hello", pytest.approx(8.25)), ("greeter", 1.0)]
    assert {s.labels["code_class"] for s in snap.panel("status_classes").series} == {"2xx", "5xx"}
    assert all(p.error is None for p in snap.panels), [(p.id, p.error) for p in snap.panels if p.error]


def test_fn_board_on_opencensus_names(prom_legacy: Any) -> None:
    """An Fn server exporting fn_calls/fn_timeouts... tagged fn_appname/fn_path: fallbacks run, relabelled."""
    prom = prom_legacy
    snap = poll(prom, "fn")
    check(snap.panel("calls"), 8.0, 5.0)
    check(snap.panel("failed"), 1.0, 0.5)
    check(snap.panel("timeouts"), 0.5, 0.2)
    check(snap.panel("failure_ratio"), 100 * 1.0 / 8.0, 100 * 0.5 / 5.0)
    assert snap.panel("queued").value == 2.0
    top = snap.panel("top_functions").rows or ()
    assert [(r.labels, r.value) for r in top] == [
        ({"app": "shop", "path": "/order"}, pytest.approx(6.0)), ({"app": "blog", "path": "/render"}, 2.0),
    ]  # fmt: skip
    assert [r.labels["path"] for r in snap.panel("top_failing").rows or ()] == ["/order"]
    outcomes = {s.labels["outcome"]: s.points[-1][1] for s in snap.panel("outcomes").series}
    assert outcomes == {
        "completed": pytest.approx(7.0),
        "failed": pytest.approx(1.0),
        "timed out": pytest.approx(0.5),
    }
    assert all(p.error is None for p in snap.panels), [(p.id, p.error) for p in snap.panels if p.error]


def test_config_with_broken_promql_is_rejected_with_its_line() -> None:
    from srvmon.config import ConfigError

    text = (
        '[providers.prom]\ntype = "prometheus"\nurl = "http://127.0.0.1:9"\n'
        '[[boards]]\nname = "b"\nprovider = "prom"\n'
        '[[boards.panels]]\nid = "x"\ntitle = "X"\nkind = "stat"\nquery = "sum(rate(up[5m])"\n'
    )
    with pytest.raises(ConfigError) as caught:
        parse_config(text, "srvmon.toml")
    message = str(caught.value)
    assert "srvmon.toml:11" in message and "'(' at character 4 is never closed" in message
