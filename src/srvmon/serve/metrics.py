"""`srvmon serve --metrics HOST:PORT`: the same facts as `srvmon status`, as Prometheus metrics read from
the store at each scrape (prometheus_client), so the ops screen can itself be monitored."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily
from prometheus_client.registry import Collector, CollectorRegistry

from srvmon.serve.status import gather
from srvmon.store import Store


class StatusCollector(Collector):
    def __init__(self, store: Store) -> None:
        self.store = store

    def collect(self) -> Iterator[Any]:
        doc = gather(self.store, time.time())
        up = GaugeMetricFamily(
            "srvmon_poller_up", "A srvmon serve instance reporting to the store", labels=["holder"]
        )
        seen = GaugeMetricFamily("srvmon_poller_last_seen_timestamp_seconds", "When the poller last wrote its status",
                                 labels=["holder"])  # fmt: skip
        lease = GaugeMetricFamily("srvmon_lease_held", "1 when this holder has the provider's lease",
                                  labels=["lease", "holder"])  # fmt: skip
        vlabels = ["holder", "board", "range", "live", "demanded"]
        last = GaugeMetricFamily(
            "srvmon_view_last_poll_timestamp_seconds", "When the view was last polled", labels=vlabels
        )
        dur = GaugeMetricFamily("srvmon_view_poll_duration_seconds", "How long the last poll of the view took",
                                labels=vlabels)  # fmt: skip
        polls = CounterMetricFamily(
            "srvmon_view_polls", "Polls of the view since the poller started", labels=vlabels
        )
        err = GaugeMetricFamily(
            "srvmon_view_error", "1 when the view's last poll had a failing provider", labels=vlabels
        )
        held = GaugeMetricFamily("srvmon_view_budget_wait_seconds", "How long the API budget holds the view",
                                 labels=vlabels)  # fmt: skip
        b_calls = GaugeMetricFamily(
            "srvmon_budget_calls_last_minute", "API calls in the last 60 s", labels=["provider"]
        )
        b_limit = GaugeMetricFamily(
            "srvmon_budget_calls_per_minute", "api_budget.calls_per_min", labels=["provider"]
        )
        b_usd = GaugeMetricFamily(
            "srvmon_budget_usd_last_day", "Estimated USD in the last 24 h", labels=["provider"]
        )
        b_usd_limit = GaugeMetricFamily(
            "srvmon_budget_usd_per_day", "api_budget.usd_per_day", labels=["provider"]
        )
        calls = CounterMetricFamily("srvmon_provider_api_calls", "API calls since the poller started",
                                    labels=["holder", "provider", "type"])  # fmt: skip
        metrics = CounterMetricFamily("srvmon_provider_metrics_requested", "Metrics requested since the poller started",
                                      labels=["holder", "provider", "type"])  # fmt: skip
        usd = CounterMetricFamily("srvmon_provider_estimated_cost_usd", "Estimated USD since the poller started",
                                  labels=["holder", "provider", "type"])  # fmt: skip
        sessions = GaugeMetricFamily("srvmon_ssh_sessions", "Open ssh sessions", labels=["holder"])
        viewers = GaugeMetricFamily("srvmon_viewers", "Viewers connected to the store")
        for p in doc["pollers"]:
            h = str(p["holder"])
            up.add_metric([h], 1)
            seen.add_metric([h], float(p.get("at") or 0))
            for v in p.get("views", ()):
                lv = [
                    h,
                    v["board"],
                    v["range"],
                    str(bool(v["live"])).lower(),
                    str(not v.get("default")).lower(),
                ]
                if v.get("last_poll") is not None:
                    last.add_metric(lv, v["last_poll"])
                if v.get("duration_s") is not None:
                    dur.add_metric(lv, v["duration_s"])
                polls.add_metric(lv, v.get("polls", 0))
                err.add_metric(lv, 1 if v.get("error") else 0)
                held.add_metric(lv, v.get("held_s") or 0)
            for name, b in (p.get("budgets") or {}).items():
                b_calls.add_metric([name], b["calls_last_min"])
                b_usd.add_metric([name], b["usd_last_day"])
                if b.get("calls_per_min"):
                    b_limit.add_metric([name], b["calls_per_min"])
                if b.get("usd_per_day"):
                    b_usd_limit.add_metric([name], b["usd_per_day"])
            for name, u in (p.get("providers") or {}).items():
                calls.add_metric([h, name, u["type"]], u["api_calls"])
                metrics.add_metric([h, name, u["type"]], u["metrics_requested"])
                usd.add_metric([h, name, u["type"]], u["estimated_cost_usd"])
            if p.get("ssh"):
                sessions.add_metric([h], len(p["ssh"]["sessions"]))
        for name, lz in doc["leases"].items():
            if lz is not None:
                lease.add_metric([name, lz["holder"]], 1)
        viewers.add_metric([], len(doc["viewers"]))
        yield from (up, seen, lease, last, dur, polls, err, held, b_calls, b_limit, b_usd, b_usd_limit, calls,
                    metrics, usd, sessions, viewers)  # fmt: skip


def serve_metrics(store: Store, host: str, port: int) -> Any:
    """Start the exporter on a daemon thread; returns the HTTP server (shutdown() stops it)."""
    from prometheus_client import start_http_server

    registry = CollectorRegistry(auto_describe=False)
    registry.register(StatusCollector(store))
    got = start_http_server(port, addr=host, registry=registry)
    return got[0] if isinstance(got, tuple) else got
