"""Discovery of Function Apps over ARM (HTTPS, real azure-core pipeline): plans, scale limits, runtime, TTL."""

from __future__ import annotations

from typing import Any

from srvmon.providers.azure.discovery import normalise_region, parse_resource_id


def test_discovers_function_apps_with_plans(make_provider: Any, arm_sites: Any, credential: Any) -> None:
    p = make_provider()
    apps = {a.name: a for a in p._part("discovery").apps()}
    assert sorted(apps) == ["checkout-api", "orders-worker", "reports-flex"]  # web-frontend is kind=app
    c = apps["checkout-api"]
    assert (c.plan, c.sku, c.runtime, c.min_instances, c.max_instances, c.os) == (
        "Consumption",
        "Y1",
        "python 3.11",
        0,
        100,  # Linux Consumption scales to 100 instances (Windows: 200)
        "linux",
    )
    assert (
        c.region == "westeurope"
        and c.resource_group == "rg-prod"
        and c.host == "checkout-api.azurewebsites.net"
    )
    o = apps["orders-worker"]
    assert (o.plan, o.sku, o.runtime, o.min_instances, o.max_instances) == (
        "Premium",
        "EP1",
        "node 20",
        2,
        15,
    )
    f = apps["reports-flex"]
    assert (f.plan, f.runtime, f.min_instances, f.max_instances) == ("Flex", "dotnet-isolated 8.0", 1, 40)
    # bearer token for the ARM scope went out on every call
    assert all(
        r.headers["authorization"] == "Bearer fake-token" for r in arm_sites.requests if "Web" in r.path
    )
    assert ("https://management.azure.com/.default",) in credential.scopes
    assert arm_sites.calls(r"/sites$")[0].query["api-version"] == ["2023-12-01"]
    assert p.usage().by_operation == {"ListSites": 2, "ListPlans": 1}


def test_discovery_is_cached_for_its_ttl(make_provider: Any, arm_sites: Any, clock: Any) -> None:
    p = make_provider(discovery_ttl="10m")
    d = p._part("discovery")
    d.apps()
    d.apps()
    assert len(arm_sites.calls(r"/sites$")) == 1
    clock.advance(601)
    d.apps()
    assert len(arm_sites.calls(r"/sites$")) == 2


def test_name_patterns_and_resources(make_provider: Any, arm_sites: Any) -> None:
    p = make_provider(name_patterns=["*-api", "reports-*"])
    assert p.resources() == ["checkout-api", "reports-flex"]


def test_consumption_ceiling_follows_the_os(make_provider: Any, arm_sites: Any, azd: Any) -> None:
    base = f"/subscriptions/{azd.SUB}/resourceGroups/rg-prod/providers/Microsoft.Web"
    windows = azd.site("legacy-win", "plan-y1", kind="functionapp", site_config={"functionAppScaleLimit": 0})
    capped = azd.site("capped-win", "plan-y1", kind="functionapp", site_config={"functionAppScaleLimit": 30})
    linux = azd.site("new-linux", "plan-y1", kind="functionapp,linux")
    arm_sites.route("GET", base + "/sites", {"value": [windows, capped, linux]})
    apps = {a.name: a for a in make_provider()._part("discovery").apps()}
    assert (apps["legacy-win"].os, apps["legacy-win"].max_instances) == ("windows", 200)
    assert apps["capped-win"].max_instances == 30
    assert (apps["new-linux"].os, apps["new-linux"].max_instances) == ("linux", 100)


def test_check_reports_apps_and_403(make_provider: Any, arm_sites: Any, azure_server: Any) -> None:
    azure_server.route("POST", r"/subscriptions/[^/]+/metrics:getBatch", {"values": []})
    azure_server.route(
        "GET", r"/subscriptions/[^/]+/providers/Microsoft.AlertsManagement/alerts", {"value": []}
    )
    p = make_provider()
    h = p.check()
    assert h.ok and h.message == "3 Function App(s) found; all probes answered", h
    assert "  orders-worker: Premium EP1 node 20 (westeurope)" in h.details
    assert "metrics: ok (checkout-api, westeurope)" in h.details
    assert any(d.startswith("logs: not configured") for d in h.details)
    azure_server.route(
        "POST",
        r"/subscriptions/[^/]+/metrics:getBatch",
        {"error": {"code": "AuthorizationFailed", "message": "no metrics"}},
        status=403,
    )
    h = p.check()
    assert not h.ok and h.message.startswith("metrics: metrics:getBatch: HTTP 403"), h
    assert "grant the identity Monitoring Reader" in h.message
    assert h.missing_permissions == ("Microsoft.Insights/metrics/read (Monitoring Reader)",)
    azure_server.route(
        "GET", r".*/sites", {"error": {"code": "AuthorizationFailed", "message": "no read"}}, status=403
    )
    h = p.check()
    assert not h.ok and "HTTP 403" in h.message and "AuthorizationFailed" in h.message
    assert "grant the identity Reader on the subscription" in h.message
    assert h.missing_permissions == ("Microsoft.Web/sites/read (Reader)",)


def test_helpers() -> None:
    assert normalise_region("West Europe") == "westeurope"
    ids = parse_resource_id("/subscriptions/s1/resourceGroups/RG/providers/Microsoft.Web/sites/app1")
    assert ids == {"subscription": "s1", "resource_group": "RG", "name": "app1"}


def test_arm_throttling_fails_the_whole_call(make_provider: Any, arm_sites: Any) -> None:
    import pytest

    from srvmon.model import MetricQuery, TimeWindow
    from srvmon.providers.base import ProviderError

    arm_sites.route(
        "GET",
        r".*/Microsoft.Web/sites",
        {"error": {"code": "TooManyRequests", "message": "x"}},
        status=429,
        headers={"Retry-After": "42"},
    )
    p = make_provider(retries=3)
    w = TimeWindow.ending_at(p.clock.now(), 3600)
    with pytest.raises(ProviderError) as err:
        p.query([MetricQuery("r", "az", "Requests")], w)
    assert (
        err.value.throttled and str(err.value) == "ListSites: throttled by Azure (HTTP 429); retry after 42s"
    )
    assert len(arm_sites.calls(r"/sites$")) == 1


def test_check_fails_for_an_expired_token_and_an_unreachable_arm(make_provider: Any, arm_sites: Any) -> None:
    from faults import closed_port

    arm_sites.route(
        "GET",
        r".*/sites",
        {
            "error": {
                "code": "ExpiredAuthenticationToken",
                "message": "The access token expiry UTC time is earlier",
            }
        },
        status=401,
    )
    h = make_provider().check()
    assert not h.ok and "HTTP 401: ExpiredAuthenticationToken" in h.message
    assert "the token was refused: sign in again (az login)" in h.message
    dead = f"https://127.0.0.1:{closed_port()}"
    h = make_provider(arm_endpoint=dead, timeout="1s").check()
    assert not h.ok and f"cannot reach {dead}" in h.message


def test_check_reports_empty_scope_and_listkeys_permission(
    make_provider: Any, arm_sites: Any, azd: Any
) -> None:
    arm_sites.route("POST", r"/subscriptions/[^/]+/metrics:getBatch", {"values": []})
    arm_sites.route("GET", r"/subscriptions/[^/]+/providers/Microsoft.AlertsManagement/alerts", {"value": []})
    arm_sites.route(
        "POST",
        azd.site_id("orders-worker") + "/host/default/listkeys",
        {
            "error": {
                "code": "AuthorizationFailed",
                "message": "does not have authorization to perform action",
            }
        },
        status=403,
    )
    h = make_provider(durable_apps=["orders-worker"]).check()
    assert not h.ok and h.message.startswith("durable: ListHostKeys: HTTP 403: AuthorizationFailed")
    assert "Microsoft.Web/sites/host/listkeys/action" in h.message and "durable_key_env" in h.message
    assert h.missing_permissions == (
        "Microsoft.Web/sites/host/listkeys/action (Website Contributor), or durable_key_env",
    )
    h = make_provider(name_patterns=["nothing-*"]).check()
    assert not h.ok and h.message.startswith("no Function Apps found in rg-prod")
