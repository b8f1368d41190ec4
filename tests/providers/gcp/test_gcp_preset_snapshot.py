"""The gcp-serverless preset end to end: config -> Poller -> Snapshot, PromQL answered by the real Prometheus
(backfilled under Cloud Monitoring names, behind the HTTPS token check), discovery, alert policies and
logs by the HTTPS server in Google's shapes. Known values now and one week earlier (the rates step at NOW-3d)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import gcpdata
import pytest
from gcpdata import PROJECT

from srvmon.clock import FrozenClock
from srvmon.config import parse_config
from srvmon.export import to_json
from srvmon.model import PanelSnapshot
from srvmon.poll import Poller
from srvmon.presets import load_preset
from srvmon.providers.gcp import GcpProvider

REGION = "europe-west1"
SERVICES = f"/v2/projects/{PROJECT}/locations/{REGION}/services"
FUNCTIONS = f"/v2/projects/{PROJECT}/locations/{REGION}/functions"


def seed(google: Any) -> None:
    """services.list in two pages, functions.list (gen1 + gen2), alert policies, entries:list."""

    def services(req: Any) -> Any:
        if req.query.get("pageToken") == ["page-2"]:
            return 200, {}, {"services": [gcpdata.service(PROJECT, REGION, "images", max_instances=10)]}
        return 200, {}, {"services": [gcpdata.service(PROJECT, REGION, "checkout", max_instances=20),
                                      gcpdata.service(PROJECT, REGION, "checkout-canary")],
                         "nextPageToken": "page-2"}  # fmt: skip

    google.route("GET", SERVICES, services)
    google.route("GET", FUNCTIONS, {"functions": [
        gcpdata.function(PROJECT, REGION, "resize", gen="GEN_1", memory="256M", max_instances=5),
        gcpdata.function(PROJECT, REGION, "Thumbnail", max_instances=10)]})  # fmt: skip
    run_5xx = ('metric.type="run.googleapis.com/request_count" AND resource.type="cloud_run_revision" AND '
               'resource.label.service_name="checkout" AND metric.label.response_code_class="5xx"')  # fmt: skip
    google.route("GET", f"/v3/projects/{PROJECT}/alertPolicies", {"alertPolicies": [
        gcpdata.alert_policy("11", "checkout 5xx", [gcpdata.threshold_condition(
            "5xx rate", run_5xx, "ALIGN_RATE", "REDUCE_SUM", 0.05)]),
        gcpdata.alert_policy("12", "images instances", [gcpdata.promql_condition(
            "too many", 'sum(run_googleapis_com:container_instance_count{service_name="images"}) > 50')],
            severity="WARNING"),
        gcpdata.alert_policy("13", "old policy", [gcpdata.promql_condition("x", "vector(1)")], enabled=False),
        gcpdata.alert_policy("14", "panics in logs", [{"displayName": "panic", "conditionMatchedLog": {
            "filter": 'textPayload:"panic"'}}]),
    ], "totalSize": 4})  # fmt: skip
    google.route("POST", "/v2/entries:list", {"entries": [
        gcpdata.log_entry("2026-11-22T03:59:30.123456789Z", "ERROR", "checkout", status=503, latency="1.5s",
                          insert_id="e2", trace="4bf92f3577b34da6a3ce929d0e0e4736"),
        gcpdata.log_entry("2026-11-22T03:58:00Z", "CRITICAL", "", function_name="resize",
                          json_payload={"message": "MemoryError: out of memory"}, insert_id="e1"),
    ]})  # fmt: skip


def poll(google: Any, prom: Any, preset: str = "gcp-serverless", range_: str | None = None) -> Any:
    extra = f'range = "{range_}"\n' if range_ else ""
    cfg = parse_config(f"""
[providers.gcp]
type = "gcp"
projects = ["{PROJECT}"]
regions = ["{REGION}"]
exclude = ["*-canary"]
monitoring_endpoint = "{google.url}"
run_endpoint = "{google.url}"
functions_endpoint = "{google.url}"
logging_endpoint = "{google.url}"
ca_bundle = "{google.ca_path}"
[[boards]]
name = "b"
preset = "{preset}"
{extra}""")
    clock = FrozenClock(prom.now)
    providers = cfg.build_providers(clock)
    poller = Poller(cfg.board(None), providers, clock, timeout_s=60)
    try:
        return poller.poll()
    finally:
        poller.close()
        for p in providers.values():
            p.close()


def check(panel: PanelSnapshot, now: float, before: float) -> None:
    assert panel.error is None, (panel.id, panel.error)
    assert panel.value == pytest.approx(now, rel=2e-3), panel.id
    assert panel.compare_value == pytest.approx(before, rel=2e-3), panel.id
    assert panel.delta_pct == pytest.approx((now - before) / before * 100, rel=1e-2), panel.id


def test_preset_is_valid_and_the_default() -> None:
    preset = load_preset("gcp-serverless")
    assert preset.provider_type == "gcp" and GcpProvider.default_preset == "gcp-serverless"
    assert {p.kind for p in preset.panels} == {
        "stat",
        "gauge",
        "timeseries",
        "alarms",
        "toplist",
        "cost",
        "logs",
    }
    for p in preset.panels:
        if p.query is not None:
            assert GcpProvider.validate_query(p.query, p.stat) is None, p.id


def test_full_board_snapshot(proxied: Any, gcp_prom: Any, sa_file: Any) -> None:
    seed(proxied)
    snap = poll(proxied, gcp_prom)
    P = snap.panel
    from contract import assert_round_trip

    assert_round_trip(snap)  # live SVG == SVG from the JSON: the Snapshot is complete
    errors = {p.id: p.error for p in snap.panels if p.error}
    assert errors == {}
    assert snap.window.end == gcp_prom.now and snap.window.step_s == 60
    # requests/s over the selection: checkout 2xx+4xx+5xx and images; canary and us-central1 left out
    check(P("requests"), 3.0 + 0.1 + 0.1 + 1.0, 2.0 + 0.2 + 0.05 + 1.0)
    check(P("errors_4xx"), 0.1, 0.2)
    check(P("errors_5xx"), 0.1, 0.05)
    assert P("errors_5xx").status == "warn" and P("errors_4xx").status == "ok"
    check(P("fn_errors"), 0.05 * 4 * 3600, 0.1 * 4 * 3600)
    assert P("fn_errors").status == "crit"
    check(P("cold_starts"), 0.02 * 4 * 3600, 0.01 * 4 * 3600)
    check(P("instances"), 6 + 1 + 2, 4 + 1 + 1)
    # distributions (histogram_quantile over the fixture's bucket shares), ns -> ms for gen1
    check(P("latency_p50"), 100.0, 62.5)
    check(P("latency_p95"), 460.0, 400.0)
    check(P("latency_p99"), 492.0, 480.0)
    check(P("fn_duration_p99"), 492.0, 480.0)
    check(P("startup_p99"), 492.0, 480.0)
    check(P("max_concurrency"), 49.2, 48.0)
    check(P("fn_memory"), 49.2e6, 48e6)
    check(P("fn_instances"), 3.0, 2.0)
    # capacity: checkout has 7 instances of 20 (images 2 of 10); a week ago 5 of 20
    gauge = P("instances_capacity")
    check(gauge, 35.0, 25.0)
    assert gauge.limit is not None and gauge.limit.limit == 100.0 and gauge.status == "ok"
    quota = P("quota")  # the App Engine per-minute rate quota: 900 of 1000 a minute (a week ago 300)
    check(quota, 90.0, 40.0)  # last week the CPU allocation quota (40 of 100) was the top one
    assert quota.limit is not None and quota.limit.limit == 100.0 and quota.status == "warn"
    quotas = P("quotas").rows or ()
    assert [(r.name, r.value) for r in quotas] == [
        ("appengine.googleapis.com/default_requests", pytest.approx(90.0)),
        ("run.googleapis.com/cpu_allocation", pytest.approx(60.0)),
    ]
    # the 4 h chart with last week dotted on today's axis
    (series,) = P("requests_4h").series
    assert len(series.points) == 240 and all(v == pytest.approx(4.2) for _, v in series.points)
    assert series.compare_points is not None and series.compare_points[0][0] == snap.window.start_s
    assert all(v == pytest.approx(3.25) for _, v in series.compare_points)
    classes = {s.labels["response_code_class"]: s.points[-1][1] for s in P("status_classes").series}
    assert classes == {"2xx": pytest.approx(4.0), "4xx": pytest.approx(0.1), "5xx": pytest.approx(0.1)}
    top = P("top_services").rows or ()
    assert [(r.name, r.value, r.compare_value) for r in top] == [
        ("checkout", pytest.approx(3.2 * 14400, rel=2e-3), pytest.approx(2.25 * 14400, rel=2e-3)),
        ("images", pytest.approx(14400, rel=2e-3), pytest.approx(14400, rel=2e-3)),
    ]
    slow = P("slowest_services").rows or ()
    assert {r.name: r.value for r in slow} == {
        "checkout": pytest.approx(492.0),
        "images": pytest.approx(492.0),
    }
    billable = P("billable_time").rows or ()
    assert [(r.name, r.value) for r in billable] == [
        ("checkout", pytest.approx(3.0 * 14400, rel=2e-3)), ("images", pytest.approx(0.5 * 14400, rel=2e-3))]  # fmt: skip
    week = P("top_functions_week").rows or ()
    assert [r.name for r in week] == ["resize"]
    assert week[0].value == pytest.approx(3 * 86400 * 2.05 + 4 * 86400 * 1.1, rel=5e-3)
    # alert policies: a translated threshold condition fires, a PromQL one is quiet, the rest are unknown
    alarms = {r.name: (r.state, r.reason) for r in P("alarms").rows or ()}
    assert alarms["checkout 5xx"][0] == "ALARM" and "5xx rate (value 0.1" in alarms["checkout 5xx"][1]
    assert alarms["images instances"] == ("OK", "")
    assert alarms["old policy"] == ("INSUFFICIENT_DATA", "disabled")
    assert alarms["panics in logs"][0] == "INSUFFICIENT_DATA"
    assert "cannot evaluate conditionMatchedLog" in alarms["panics in logs"][1]
    assert P("alarms").status == "crit" and P("alarms").value == 1.0
    cost = P("cost")
    assert cost.rows and all(r.service.endswith("(estimate)") for r in cost.rows)
    logs = P("errors_log").rows or ()
    assert [(r.resource, r.status, r.level) for r in logs] == [
        ("checkout", 503, "ERROR"),
        ("resize", None, "CRITICAL"),
    ]
    assert logs[1].message == "MemoryError: out of memory"
    (prov,) = snap.providers
    assert prov.ok and prov.type == "gcp" and prov.api_calls > 30
    assert proxied.tokens_issued == 1  # one token for the whole board
    assert '"board": "' in to_json(snap)
    month = P("requests_month")
    assert month.error is None and month.series and len(month.series[0].points) == 360


def test_cost_estimate_is_billable_time_times_list_price(proxied: Any, gcp_prom: Any, sa_file: Any) -> None:
    seed(proxied)
    p = GcpProvider(
        "gcp", gcpdata.options(proxied, regions=[REGION], exclude=["*-canary"]), FrozenClock(gcp_prom.now)
    )
    try:
        today = gcp_prom.now.date()
        from srvmon.analysis import CostCalendar
        from srvmon.kinds.cost import cost_window  # the window the poller passes

        items = p.cost(cost_window(CostCalendar.at(gcp_prom.now)))
    finally:
        p.close()
    yesterday = today - timedelta(days=1)
    day = {i.service: i.amount_usd for i in items if i.day == yesterday}
    per_s = 1 * 0.000024 + 0.5 * 0.0000025  # 1 vCPU, 512 MiB at the default list prices
    assert day["checkout (estimate)"] == pytest.approx(3.0 * 86400 * per_s, rel=1e-2)
    assert day["images (estimate)"] == pytest.approx(0.5 * 86400 * per_s, rel=1e-2)
    # gen1: 2.05 executions/s x 0.2 s, 256 MB at 0.4 GHz
    gen1_per_s = 0.256 * 0.0000025 + 0.4 * 0.00001
    assert day["resize (estimate)"] == pytest.approx(2.05 * 86400 * 0.2 * gen1_per_s, rel=1e-2)
    assert "Thumbnail (estimate)" not in day  # no billable time reported for it
    assert all(i.day <= today for i in items)


def test_limits_quota_and_instances(proxied: Any, gcp_prom: Any, sa_file: Any) -> None:
    seed(proxied)
    p = GcpProvider(
        "gcp", gcpdata.options(proxied, regions=[REGION], exclude=["*-canary"]), FrozenClock(gcp_prom.now)
    )
    try:
        limits = {lim.name: lim for lim in p.limits()}
    finally:
        p.close()
    assert (limits["quota"].used, limits["quota"].limit, limits["quota"].unit) == (90.0, 100.0, "%")
    rate = limits[
        "quota:appengine.googleapis.com/appengine.googleapis.com/default_requests/DefaultRequestsPerMinutePerProject"
    ]
    assert (rate.used, rate.limit) == (pytest.approx(900.0), 1000.0) and rate.unit == "per minute"
    alloc = limits["quota:run.googleapis.com/run.googleapis.com/cpu_allocation/CpuAllocPerProjectRegion"]
    assert (alloc.used, alloc.limit) == (60.0, 100.0)
    assert (limits["instances:checkout"].used, limits["instances:checkout"].limit) == (7.0, 20.0)
    assert (limits["instances:resize"].used, limits["instances:resize"].limit) == (3.0, 5.0)
    assert limits["instances:Thumbnail"].used == 0.0  # gen2: counted under its service, which reports nothing
    top = limits["instances"]
    assert (top.resource, top.used, top.limit) == ("resize", 3.0, 5.0)  # 60 %: the nearest its ceiling
    assert "instances:checkout-canary" not in limits
