"""Alarms: alerting rules from the real Prometheus; /api/v1/alerts and Alertmanager v2 from a stub server
(no Alertmanager binary is installed, so its API is served with documented gettableAlert JSON)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from srvmon.clock import FrozenClock
from srvmon.providers.base import ProviderError
from srvmon.providers.prometheus import PrometheusProvider
from srvmon.providers.prometheus.options import PrometheusOptions


def provider(url: str, **opts: Any) -> PrometheusProvider:
    return PrometheusProvider(
        "prom", PrometheusOptions(url=url, **opts), FrozenClock(datetime(2026, 11, 20, tzinfo=UTC))
    )


def test_every_alerting_rule_is_listed_with_its_state(prom: Any) -> None:
    alarms = {a.name: a for a in provider(prom.url).alarms()}
    assert set(alarms) == {"CheckoutErrors", "NeverFires", "SlowBurn"}
    firing = alarms["CheckoutErrors"]
    assert (firing.state, firing.resource, firing.severity) == ("ALARM", "checkout", "critical")
    assert firing.reason == "checkout 5xx above 1% (value 1)"
    assert firing.since is not None and firing.since.tzinfo is not None
    assert firing.link == f"{prom.url}/alerts"
    pending = alarms["SlowBurn"]
    assert (pending.state, pending.resource) == ("INSUFFICIENT_DATA", "images")
    quiet = alarms["NeverFires"]
    assert (quiet.state, quiet.reason, quiet.since) == ("OK", "never", None)


def test_falls_back_to_api_v1_alerts(stub_server: Any) -> None:
    """Servers without /api/v1/rules (404) still give their active alerts."""
    stub_server.routes["/api/v1/alerts"] = (200, {"status": "success", "data": {"alerts": [
        {"labels": {"alertname": "HighLatency", "kn_service_name": "hello", "severity": "page"},
         "annotations": {"description": "p99 above 1s"}, "state": "firing",
         "activeAt": "2026-11-20T10:00:00.5Z", "value": "1.25e+00"},
        {"labels": {"alertname": "Warming"}, "annotations": {}, "state": "pending", "activeAt": "bogus"},
        "junk",
    ]}})  # fmt: skip
    alarms = provider(stub_server.url).alarms()
    assert [(a.name, a.state, a.resource, a.reason, a.severity) for a in alarms] == [
        ("HighLatency", "ALARM", "hello", "p99 above 1s (value 1.25)", "page"),
        ("Warming", "INSUFFICIENT_DATA", "", "", None),
    ]
    assert alarms[0].since == datetime(2026, 11, 20, 10, 0, 0, 500000, tzinfo=UTC) and alarms[1].since is None
    assert [r[0] for r in stub_server.requests] == ["/api/v1/rules", "/api/v1/alerts"]


def test_rule_evaluation_failure_is_not_ok(stub_server: Any) -> None:
    stub_server.routes["/api/v1/rules"] = (200, {"status": "success", "data": {"groups": [{"rules": [
        {"type": "alerting", "name": "Broken", "state": "inactive", "alerts": [], "health": "err",
         "lastError": "many-to-many matching not allowed"},
        {"type": "recording", "name": "job:up:sum"},
    ]}]}})  # fmt: skip
    (alarm,) = provider(stub_server.url).alarms()
    assert (alarm.name, alarm.state) == ("Broken", "INSUFFICIENT_DATA")
    assert alarm.reason == "rule evaluation failed: many-to-many matching not allowed"


def test_alertmanager_v2_when_configured(stub_server: Any) -> None:
    stub_server.routes["/api/v2/alerts"] = (200, [
        {"labels": {"alertname": "FunctionDown", "function_name": "checkout", "severity": "critical"},
         "annotations": {"summary": "checkout has no ready replicas"},
         "startsAt": "2026-11-20T09:15:00Z", "endsAt": "2026-11-20T13:15:00Z",
         "generatorURL": "http://prometheus:9090/graph?g0.expr=up", "fingerprint": "abc",
         "status": {"state": "active", "silencedBy": [], "inhibitedBy": []}, "receivers": [{"name": "chat"}]},
        {"labels": {"alertname": "NoisyThing"}, "annotations": {"summary": "flapping"},
         "startsAt": "2026-11-20T08:00:00Z", "status": {"state": "suppressed", "silencedBy": ["s1"]}},
    ])  # fmt: skip
    p = provider("http://127.0.0.1:1", alertmanager_url=stub_server.url)
    alarms = p.alarms()
    assert [(a.name, a.state, a.resource, a.reason) for a in alarms] == [
        ("FunctionDown", "ALARM", "checkout", "checkout has no ready replicas"),
        ("NoisyThing", "OK", "", "suppressed: flapping"),
    ]
    assert alarms[0].link == "http://prometheus:9090/graph?g0.expr=up"
    assert alarms[0].since == datetime(2026, 11, 20, 9, 15, tzinfo=UTC)
    path, params, _ = stub_server.requests[-1]
    assert path == "/api/v2/alerts" and params == {"active": ["true"]}
    assert p.usage().by_operation == {"alertmanager_alerts": 1}


def test_alertmanager_errors_are_provider_errors(stub_server: Any) -> None:
    stub_server.routes["/api/v2/alerts"] = (500, "alertmanager is sad\n")
    with pytest.raises(ProviderError, match="answered 500: alertmanager is sad"):
        provider("http://127.0.0.1:1", alertmanager_url=stub_server.url).alarms()
