"""Azure change events over HTTPS against the local server: Activity Log entries shaped like the
azure-rest-api-specs example GetActivityLogsFiltered.json (2015-04-01; our own data), alert instances
shaped like Alerts_List, nextLink followed only on the Resource Manager host, settled hours cached."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from srvmon.model import TimeWindow
from srvmon.providers.base import ProviderError

SUB = "12345678-abcd-1234-abcd-123456789abc"
ACTIVITY = rf"/subscriptions/{SUB}/providers/Microsoft.Insights/eventtypes/management/values"
ALERTS = rf"/subscriptions/{SUB}/providers/Microsoft.AlertsManagement/alerts"
NOW = datetime(2026, 11, 22, 4, 0, tzinfo=UTC)
WINDOW = TimeWindow.ending_at(NOW, 4 * 3600, 60)  # [00:00, 04:00)


def entry(
    operation: str,
    resource_id: str,
    at: str,
    *,
    status: str = "Succeeded",
    caller: str = "deployer@contoso.com",
    correlation: str = "",
    n: int = 0,
) -> dict[str, Any]:
    """One Activity Log record in the example's shape (the fields a $select keeps)."""
    provider = operation.split("/", 1)[0]
    return {
        "caller": caller,
        "correlationId": correlation or f"1e121103-0ba6-4300-ac9d-{n:012d}",
        "eventDataId": f"44ade6b4-3813-45e6-ae27-{n:012d}",
        "eventTimestamp": at,
        "level": "Informational",
        "operationName": {"value": operation, "localizedValue": operation},
        "resourceGroupName": "rg-prod",
        "resourceProviderName": {"value": provider, "localizedValue": provider},
        "resourceId": resource_id,
        "status": {"value": status, "localizedValue": status},
    }


def site(name: str, rg: str = "rg-prod") -> str:
    return f"/subscriptions/{SUB}/resourceGroups/{rg}/providers/Microsoft.Web/sites/{name}"


PAGE1 = [
    entry("Microsoft.Web/sites/deployments/write", site("checkout-api") + "/deployments/a1b2", "2026-11-22T03:25:12.9792776Z",
          status="Started", correlation="dep-1", n=1),
    entry("Microsoft.Web/sites/deployments/write", site("checkout-api") + "/deployments/a1b2", "2026-11-22T03:25:40.1234567Z",
          correlation="dep-1", n=2),
    entry("Microsoft.Web/sites/config/write", site("checkout-api") + "/config/appsettings", "2026-11-22T02:10:00Z",
          caller="alice@contoso.com", n=3),
    entry("Microsoft.Web/sites/restart/action", site("orders-worker"), "2026-11-22T01:00:05Z", n=4),
    entry("Microsoft.Web/sites/config/write", site("web-frontend") + "/config/web", "2026-11-22T01:30:00Z", n=5),
]  # fmt: skip
PAGE2 = [
    entry("Microsoft.Web/serverfarms/write",
          f"/subscriptions/{SUB}/resourceGroups/rg-prod/providers/Microsoft.Web/serverfarms/plan-ep1",
          "2026-11-22T00:30:00Z", caller="8f2c0c3e-0000-4000-8000-00000000abcd", n=6),
    entry("Microsoft.Web/sites/slots/slotsswap/action", site("checkout-api") + "/slots/staging",
          "2026-11-22T03:40:00Z", n=7),
    entry("Microsoft.Authorization/roleAssignments/write",
          site("orders-worker") + "/providers/Microsoft.Authorization/roleAssignments/0f1e2d3c",
          "2026-11-22T02:45:00Z", caller="admin@contoso.com", n=8),
    entry("Microsoft.Web/sites/deployments/write", site("orders-worker") + "/deployments/x", "2026-11-22T02:50:00Z",
          status="Failed", n=9),
    entry("Microsoft.Web/sites/config/list/action", site("checkout-api") + "/config/appsettings",
          "2026-11-22T02:55:00Z", n=10),
]  # fmt: skip


@pytest.fixture
def activity(arm_sites: Any) -> Any:
    """Activity Log answers in two pages (the nextLink on the same host), and no alerts."""
    server = arm_sites

    def handler(req: Any) -> tuple[int, dict[str, str], Any]:
        if req.query.get("$skiptoken") == ["p2"]:
            return 200, {}, {"value": PAGE2}
        link = f"{server.url}{req.path}?api-version=2015-04-01&$skiptoken=p2"
        return 200, {}, {"value": PAGE1, "nextLink": link}

    server.route("GET", ACTIVITY, handler)
    server.route("GET", ALERTS, {"value": []})
    return server


def _filters(server: Any) -> list[str]:
    return [
        r.query["$filter"][0] for r in server.calls("eventtypes/management/values") if "$filter" in r.query
    ]


def test_activity_log_writes_become_events(make_provider: Any, activity: Any) -> None:
    p = make_provider()
    events = p.events(WINDOW)
    got = [(e.time.strftime("%H:%M"), e.kind, e.resources, e.summary, e.actor) for e in events]
    assert got == [
        ("00:30", "scale", ("plan-ep1",), "plan plan-ep1 updated", "8f2c0c3e-0000-4000-8000-00000000abcd"),
        ("01:00", "config", ("orders-worker",), "restarted", "deployer@contoso.com"),
        ("02:10", "config", ("checkout-api",), "app settings changed", "alice@contoso.com"),
        ("02:45", "permission", ("orders-worker",), "role assignment added", "admin@contoso.com"),
        ("03:25", "deploy", ("checkout-api",), "deployment", "deployer@contoso.com"),
        ("03:40", "deploy", ("checkout-api", "checkout-api/staging"), "slot swap (slot staging)", "deployer@contoso.com"),
    ]  # fmt: skip
    deploy = events[4]
    assert deploy.time == datetime(2026, 11, 22, 3, 25, 40, 123456, tzinfo=UTC)  # 7 fraction digits read
    assert (deploy.source, deploy.provider) == ("Activity Log", "az")
    assert deploy.link == f"https://portal.azure.com/#@/resource{site('checkout-api')}/activityLog"
    assert events[3].link == f"https://portal.azure.com/#@/resource{site('orders-worker')}/activityLog"
    # web-frontend is not a function app in scope; the failed deployment and the secrets listing are not changes
    assert not [e for e in events if "web-frontend" in e.resources]
    calls = activity.calls("eventtypes/management/values")
    assert len(calls) == 2
    first = calls[0].query
    assert first["$filter"] == [
        "eventTimestamp ge '2026-11-22T00:00:00Z' and eventTimestamp le '2026-11-22T04:00:00Z' "
        "and resourceGroupName eq 'rg-prod'"
    ]
    assert first["api-version"] == ["2015-04-01"] and "properties" not in first["$select"][0]
    assert calls[0].headers["authorization"] == "Bearer fake-token"
    assert p.usage().by_operation["ActivityLog"] == 2
    assert [e.resources[0] for e in p.events(WINDOW, ["orders-worker"])] == ["orders-worker", "orders-worker"]


def test_settled_hours_are_not_asked_again(make_provider: Any, activity: Any, clock: Any) -> None:
    p = make_provider()
    p.events(WINDOW)
    assert len(_filters(activity)) == 1
    clock.advance(30)
    p.events(WINDOW)
    assert len(_filters(activity)) == 1  # the tail is fresh: no call
    clock.advance(120)
    p.events_reader.cache._monotonic = lambda: 1e12  # the tail's freshness has passed too
    later = TimeWindow.ending_at(clock.now(), 4 * 3600, 60)
    p.events(later)
    # only from the first unsettled hour (03:00; entries settle after 30 min) to the window's end
    assert _filters(activity)[-1] == (
        "eventTimestamp ge '2026-11-22T03:00:00Z' and eventTimestamp le '2026-11-22T04:02:00Z' "
        "and resourceGroupName eq 'rg-prod'"
    )


def test_next_link_to_another_host_is_not_followed(
    make_provider: Any, arm_sites: Any, credential: Any
) -> None:
    server = arm_sites
    server.route("GET", ACTIVITY, {"value": PAGE1, "nextLink": "https://collector.example.net/steal?x=1"})
    server.route("GET", ALERTS, {"value": []})
    p = make_provider()
    events = p.events(WINDOW)
    assert [e.summary for e in events] == ["restarted", "app settings changed", "deployment"]
    assert any("collector.example.net" in w and "not followed" in w for w in p.events_reader.warnings)
    assert len(server.calls("eventtypes/management/values")) == 1


def test_alert_transitions(make_provider: Any, arm_sites: Any, azd: Any) -> None:
    server = arm_sites
    server.route("GET", ACTIVITY, {"value": []})
    server.route("GET", ALERTS, {"value": [
        azd.alert("5xx-high", "Resolved", "Closed", "Sev1", "checkout-api", "2026-11-22T02:00:00Z",
                  "2026-11-22T02:20:00Z", description="Http5xx > 10 for 5 min", alert_id="a0"),
        azd.alert("latency", "Fired", "New", "Sev3", "orders-worker", "2026-11-22T03:50:00Z",
                  "2026-11-22T03:50:00Z", alert_id="a1"),
        azd.alert("other-rg", "Fired", "New", "Sev2", "checkout-api", "2026-11-22T03:00:00Z",
                  "2026-11-22T03:00:00Z", rg="rg-other", alert_id="a2"),
    ]})  # fmt: skip
    p = make_provider()
    events = p.events(WINDOW)
    assert [(e.time.strftime("%H:%M"), e.kind, e.resources, e.summary) for e in events] == [
        (
            "02:00",
            "alarm-state",
            ("checkout-api", "5xx-high"),
            "5xx-high fired (Sev1): Http5xx > 10 for 5 min",
        ),
        ("02:20", "alarm-state", ("checkout-api", "5xx-high"), "5xx-high resolved"),
        ("03:50", "alarm-state", ("orders-worker", "latency"), "latency fired (Sev3)"),
    ]
    assert events[0].link is not None and events[0].link.endswith("%2Falerts%2Fa0")
    alerts = server.calls("AlertsManagement")
    assert alerts[0].query["timeRange"] == ["1d"]  # the smallest range covering a 4 h window


def test_one_source_failing_is_a_warning_both_failing_an_error(
    make_provider: Any, arm_sites: Any, azd: Any
) -> None:
    server = arm_sites
    denied = {
        "error": {"code": "AuthorizationFailed", "message": "no Microsoft.Insights/eventtypes/values/read"}
    }
    server.route("GET", ACTIVITY, denied, status=403)
    server.route("GET", ALERTS, {"value": [
        azd.alert("latency", "Fired", "New", "Sev3", "orders-worker", "2026-11-22T03:50:00Z", "2026-11-22T03:50:00Z"),
    ]})  # fmt: skip
    p = make_provider()
    assert [e.summary for e in p.events(WINDOW)] == ["latency fired (Sev3)"]
    assert any("AuthorizationFailed" in w for w in p.events_reader.warnings)
    server.route("GET", ALERTS, denied, status=403)
    q = make_provider()
    with pytest.raises(ProviderError, match="AuthorizationFailed"):
        q.events(WINDOW)


def test_scopes_without_resource_groups_and_explicit_ids(
    make_provider: Any, azure_server: Any, azd: Any
) -> None:
    base = f"/subscriptions/{SUB}/providers/Microsoft.Web"
    azure_server.route("GET", base + "/sites", azd.SITES)
    azure_server.route("GET", base + "/serverfarms", azd.FARMS)
    azure_server.route("GET", ACTIVITY, {"value": []})
    azure_server.route("GET", ALERTS, {"value": []})
    extra = site("legacy-fn", "rg-legacy")
    azure_server.route("GET", extra, azd.site("legacy-fn", "plan-y1"))
    p = make_provider(resource_groups=[], resource_ids=[extra])
    p.events(WINDOW)
    clauses = [f.split(" and ", 2)[2] for f in _filters(azure_server)]
    assert clauses == ["resourceProvider eq 'Microsoft.Web'", f"resourceUri eq '{extra}'"]


def test_the_page_budget_stops_a_long_listing(make_provider: Any, activity: Any) -> None:
    p = make_provider(events_max_calls=1)
    events = p.events(WINDOW)
    assert {e.summary for e in events} == {"restarted", "app settings changed", "deployment"}  # page 1 only
    assert any("events_max_calls" in w for w in p.events_reader.warnings)
    assert len(activity.calls("eventtypes/management/values")) == 1
