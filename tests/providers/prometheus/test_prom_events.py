"""Change events from a real Prometheus (Debian's 2.42), backfilled with series that encode deployments,
rollouts, scaling, replica limits, Knative revisions, OpenFaaS functions and alert transitions
(events_history.py); Alertmanager's API from the stub server (no Alertmanager binary is installed)."""

from __future__ import annotations

import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).parent))

import events_history as h  # noqa: E402

from srvmon.clock import FrozenClock  # noqa: E402
from srvmon.model import TimeWindow  # noqa: E402
from srvmon.providers.prometheus import PrometheusProvider  # noqa: E402
from srvmon.providers.prometheus.events import step_for  # noqa: E402
from srvmon.providers.prometheus.options import PrometheusOptions  # noqa: E402

#: A series that stops without a staleness marker (backfilled) is seen as ended when Prometheus's
#: 5-minute lookback no longer reaches its last sample. In 2.x the lookback [t-5m, t] includes its
#: start, so the first evaluation without the sample is 5 min + 1 step after it; dated one step
#: earlier, the ending shows 5 minutes after the last sample.
LOOKBACK_MIN = 5


def provider(url: str, now_s: int, **opts: Any) -> PrometheusProvider:
    return PrometheusProvider(
        "faas", PrometheusOptions(url=url, **opts), FrozenClock(datetime.fromtimestamp(now_s, UTC))
    )


def minutes(events: Any, now_s: int) -> list[tuple[int, str, str, str]]:
    return [((now_s - int(e.time.timestamp())) // 60, e.kind, e.resources[0], e.summary) for e in events]


def test_every_kind_of_change_the_server_has(prom_events: Any) -> None:
    now_s = prom_events.now_s
    p = provider(prom_events.url, now_s)
    window = TimeWindow(datetime.fromtimestamp(now_s - 4 * 3600, UTC), datetime.fromtimestamp(now_s, UTC), 60)
    events = p.events(window)
    # a value change or an appearance is dated at the start of the 60 s step in which it was seen
    # (one minute before the sample that shows it); a Deployment's creation time is exact
    assert minutes(events, now_s) == [
        (h.HPA_MAX + 1, "config", "checkout", "max replicas 10 → 20"),
        (h.CHECKOUT_ROLLOUT + 1, "deploy", "checkout", "rolled out generation 5"),
        (h.CHECKOUT_REPLICAS + 1, "scale", "checkout", "replicas 2 → 3"),
        (h.ALERT_FIRING[0] + 1, "alarm-state", "checkout", "CheckoutLatency firing (warning)"),
        (h.IMAGES_SCALE + 1, "scale", "images", "replicas 2 → 4"),  # the generation bump is this scaling
        (h.ALERT_FIRING[1] + 1 - LOOKBACK_MIN, "alarm-state", "checkout", "CheckoutLatency resolved"),
        (h.HELLO_00003, "deploy", "hello", "revision hello-00003 created"),
        (h.REPORTS_DEPLOYED + 1, "deploy", "reports", "function reports deployed"),
    ]
    # the scrape gap (every gateway series missing for 10 minutes) made nothing "appear"
    by = {e.summary: e for e in events}
    revision = by["revision hello-00003 created"]
    # kube-state-metrics (exact creation time) and the Knative pods series saw the same revision
    assert (revision.source, revision.version) == ("kube-state-metrics", "hello-00003")
    assert revision.resources == (
        "hello",
        "hello-00003",
        "hello-00003-deployment",
        "default/hello-00003-deployment",
    )
    assert [e.source for e in events].count("Knative metrics") == 0
    rollout = by["rolled out generation 5"]
    assert rollout.resources == ("checkout", "openfaas-fn/checkout") and rollout.provider == "faas"
    assert rollout.link is not None and rollout.link.startswith(f"{prom_events.url}/graph?g0.expr=")
    assert "kube_deployment_metadata_generation" in rollout.link
    assert by["CheckoutLatency firing (warning)"].resources == ("checkout", "CheckoutLatency")
    assert by["CheckoutLatency firing (warning)"].link == f"{prom_events.url}/alerts"
    assert p.events_reader.warnings == ()
    ops = p.usage().by_operation
    assert ops["label_values"] == 1  # one probe for every family
    assert {"events_generation", "events_replicas", "events_created", "events_knative"} <= set(ops)


def test_only_the_panels_resources(prom_events: Any) -> None:
    now_s = prom_events.now_s
    p = provider(prom_events.url, now_s)
    window = TimeWindow(datetime.fromtimestamp(now_s - 4 * 3600, UTC), datetime.fromtimestamp(now_s, UTC), 60)
    assert {e.resources[0] for e in p.events(window, ["checkout"])} == {"checkout"}
    assert [e.summary for e in p.events(window, ["hello-00003"])] == ["revision hello-00003 created"]


def test_a_narrow_window_sees_only_its_changes(prom_events: Any) -> None:
    now_s = prom_events.now_s
    p = provider(prom_events.url, now_s)
    window = TimeWindow(
        datetime.fromtimestamp(now_s - 62 * 60, UTC), datetime.fromtimestamp(now_s - 45 * 60, UTC), 60
    )  # 62 to 45 minutes before NOW: the alert's first sample (60) is dated 61
    assert [e.summary for e in p.events(window)] == ["CheckoutLatency firing (warning)", "replicas 2 → 4"]


def test_the_suites_main_server_shows_its_step_change(prom: Any) -> None:
    """The shared fixture's gauges step once (OpenFaaS checkout 4 -> 6 replicas, Knative pods 3 -> 5)."""
    p = provider(prom.url, int(prom.now.timestamp()))
    start = prom.change_s - 3600
    window = TimeWindow(datetime.fromtimestamp(start, UTC), datetime.fromtimestamp(start + 7200, UTC), 60)
    events = p.events(window)
    assert [(e.kind, e.resources, e.summary) for e in events] == [("scale", ("checkout",), "replicas 4 → 6")]
    assert int(events[0].time.timestamp()) == prom.change_s - 60


def test_alertmanager_when_the_server_has_no_alerts_series(prom_events: Any, stub_server: Any) -> None:
    stub_server.routes["/api/v2/alerts"] = (200, [
        {"labels": {"alertname": "QueueBacklog", "function_name": "orders", "severity": "page"},
         "annotations": {"summary": "backlog"}, "startsAt": "2026-11-20T10:00:00.5Z",
         "endsAt": "2026-11-20T11:00:00Z", "status": {"state": "active"}, "generatorURL": "http://prom/graph?g0=1"},
        {"labels": {"alertname": "Old"}, "startsAt": "2026-11-19T10:00:00Z", "status": {"state": "active"}},
    ])  # fmt: skip
    # the stub stands in for both: no metric names (so no ALERTS series), and Alertmanager's API
    stub_server.routes["/api/v1/label/__name__/values"] = (200, {"status": "success", "data": []})
    p = provider(stub_server.url, 0, alertmanager_url=stub_server.url)
    window = TimeWindow(datetime(2026, 11, 20, 8, tzinfo=UTC), datetime(2026, 11, 20, 12, tzinfo=UTC), 60)
    events = p.events(window)
    assert [(e.kind, e.resources, e.summary, e.source, e.link) for e in events] == [
        (
            "alarm-state",
            ("orders", "QueueBacklog"),
            "QueueBacklog firing (page)",
            "Alertmanager",
            "http://prom/graph?g0=1",
        )
    ]


def test_a_refused_query_is_a_warning_not_a_failure(stub_server: Any) -> None:
    stub_server.routes["/api/v1/label/__name__/values"] = (
        200, {"status": "success", "data": ["gateway_service_count", "ALERTS"]},
    )  # fmt: skip
    stub_server.routes["/api/v1/query_range"] = (
        422,
        {"status": "error", "errorType": "execution", "error": "too many samples"},
    )
    p = provider(stub_server.url, 0)
    window = TimeWindow(datetime(2026, 11, 20, 8, tzinfo=UTC), datetime(2026, 11, 20, 12, tzinfo=UTC), 60)
    import pytest

    from srvmon.providers.base import ProviderError

    with pytest.raises(ProviderError, match="too many samples"):
        p.events(window)  # every family that exists was refused: the panel says why
    assert len(p.events_reader.warnings) == 2


def test_the_step_keeps_long_windows_under_the_point_limit() -> None:
    day = TimeWindow(datetime(2026, 11, 1, tzinfo=UTC), datetime(2026, 11, 2, tzinfo=UTC), 300)
    month = TimeWindow(datetime(2026, 10, 1, tzinfo=UTC), datetime(2026, 11, 1, tzinfo=UTC), 7200)
    assert step_for(day) == 60
    assert step_for(month) == 300 and month.duration_s / step_for(month) <= 10_000
