"""Options, clouds (endpoints, token scopes, portal links), credential choice, cheap import, durable drill-down."""

from __future__ import annotations

import subprocess
import sys
from datetime import UTC, datetime
from typing import Any

import pytest
from pydantic import ValidationError

from srvmon.model import LogQuery, MetricQuery, TimeWindow
from srvmon.providers.azure import links
from srvmon.providers.azure.arm import make_credential
from srvmon.providers.azure.options import AzureOptions
from srvmon.providers.base import load_provider_class

W = TimeWindow.ending_at(datetime(2026, 11, 22, 4, 0, tzinfo=UTC), 3600)
SUB = "12345678-abcd-1234-abcd-123456789abc"
WS = "63613592-b6f7-4c3d-a390-22ba13102111"


def test_registry_and_capabilities() -> None:
    cls = load_provider_class("azure")
    assert cls.type_name == "azure" and cls.Options is AzureOptions
    assert cls.implemented() == {"metrics", "logs", "alarms", "cost", "limits", "health", "events"}


def test_import_is_cheap() -> None:
    code = (
        "import sys, srvmon.providers.azure; "
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('azure', 'httpx', 'textual', 'requests')))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


def test_options_reject_bad_values() -> None:
    with pytest.raises(ValidationError, match="resource id"):
        AzureOptions(subscription_id=SUB, resource_ids=["checkout-api"])
    with pytest.raises(ValidationError):
        AzureOptions(subscription_id=SUB, cloud="mars")  # type: ignore[arg-type]
    with pytest.raises(ValidationError):
        AzureOptions(subscription_id=SUB, credential="client_secret")  # type: ignore[arg-type]
    with pytest.raises(ValidationError, match="not a duration"):
        AzureOptions(subscription_id=SUB, discovery_ttl="soon")


SITE = f"/subscriptions/{SUB}/resourceGroups/rg-prod/providers/Microsoft.Web/sites/checkout-api"
COMPONENT = f"/subscriptions/{SUB}/resourceGroups/rg-prod/providers/microsoft.insights/components/shop-ai"


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"subscription_id": "not-a-guid"}, "'not-a-guid' is not a subscription id (a GUID such as"),
        ({"subscription_id": SUB + "0"}, "is not a subscription id"),
        ({"workspace_id": "ws1"}, "'ws1' is not a Log Analytics workspace id"),
        ({"managed_identity_client_id": "me"}, "'me' is not a client id"),
        (
            {"resource_ids": ["/subscriptions/s/resourceGroups/rg/providers/Microsoft.Web/sites/a"]},
            "is not a resource id; write /subscriptions/<subscription GUID>",
        ),
        ({"resource_ids": [COMPONENT]}, "is a microsoft.insights/components, not a Microsoft.Web/sites"),
        ({"resource_ids": [SITE + "/extra"]}, "is not a resource id"),
        ({"app_insights": [SITE]}, "is a Microsoft.Web/sites, not a microsoft.insights/components"),
        ({"resource_groups": ["rg prod"]}, "'rg prod' is not a resource group name"),
        ({"resource_groups": ["ends."]}, "is not a resource group name"),
        ({"region": "west-europe!"}, "is not an Azure region name"),
        (
            {"arm_endpoint": "http://127.0.0.1:1"},
            "must be an https:// URL: srvmon sends an Azure token to it",
        ),
        ({"logs_endpoint": "https:// x"}, "is not a URL"),
        ({"metrics_endpoint": "https://[::1"}, "is not a URL"),
        (
            {"durable_endpoint": "http://{host}"},
            "must be an https:// URL: the Durable Functions key is sent to it",
        ),
        ({"durable_endpoint": "https://{hots}"}, "only {app} and {host} may be substituted"),
        ({"durable_key_env": "MY KEY"}, "is not an environment variable name"),
        ({"retries": True}, "retries"),
        ({"retries": 9}, "less than or equal to 5"),
        ({"price_per_gb_s": float("nan")}, "must be a finite number, zero or more"),
        ({"flex_price_per_gb_s": -1.0}, "must be a finite number, zero or more"),
        ({"flex_baseline_price_per_gb_s": float("inf")}, "must be a finite number"),
        ({"timeout": "infs"}, "timeout"),
        ({"timeout": "11m"}, "longer than 10m"),
        ({"max_response_mb": 0}, "greater than or equal to 1"),
        ({"name_patterns": [""]}, "must not be empty"),
    ],
)
def test_options_name_the_problem(options: dict[str, Any], message: str) -> None:
    with pytest.raises(ValidationError) as err:
        AzureOptions(**{"subscription_id": SUB, **options})
    assert message in str(err.value)


def test_good_options_are_normalised() -> None:
    o = AzureOptions(
        subscription_id=SUB.upper(),
        resource_ids=[SITE],
        app_insights=[COMPONENT],
        durable_endpoint="https://{host}/",
        arm_endpoint="https://management.azure.com/",
        timeout="2500ms",
    )
    assert o.subscription_id == SUB and o.durable_endpoint == "https://{host}"
    assert o.arm_endpoint == "https://management.azure.com" and o.timeout_s == 2.5
    assert o.max_response_bytes == 64 * 1024 * 1024


@pytest.mark.parametrize(
    ("kind", "cls_name"),
    [
        ("default", "DefaultAzureCredential"),
        ("cli", "AzureCliCredential"),
        ("managed_identity", "ManagedIdentityCredential"),
        ("environment", "EnvironmentCredential"),
    ],
)
def test_credential_choice(kind: str, cls_name: str, monkeypatch: Any) -> None:
    for var in ("AZURE_CLIENT_ID", "AZURE_CLIENT_SECRET", "AZURE_TENANT_ID"):
        monkeypatch.delenv(var, raising=False)
    cred = make_credential(AzureOptions(subscription_id=SUB, credential=kind))  # type: ignore[arg-type]
    assert type(cred).__name__ == cls_name


def test_china_cloud_scopes_and_links(make_provider: Any, arm_sites: Any, azd: Any, credential: Any) -> None:
    arm_sites.route("POST", r"/subscriptions/[^/]+/metrics:getBatch", {"values": []})
    arm_sites.route("POST", f"/v1/workspaces/{WS}/query", azd.logs_table([("ts", "datetime")], []))
    p = make_provider(cloud="china", workspace_id=WS)
    p.query([MetricQuery("r", "az", "Requests")], W)
    p.logs(LogQuery("az", W))
    assert ("https://management.chinacloudapi.cn/.default",) in credential.scopes
    assert ("https://metrics.monitor.azure.cn/.default",) in credential.scopes
    assert ("https://api.loganalytics.azure.cn/.default",) in credential.scopes
    assert not any("azure.com" in s for scopes in credential.scopes for s in scopes)
    o = AzureOptions(subscription_id=SUB, cloud="usgov")
    assert links.function_app(o, "/subscriptions/s/resourceGroups/g/providers/Microsoft.Web/sites/a") == (
        "https://portal.azure.us/#@/resource/subscriptions/s/resourceGroups/g/providers/Microsoft.Web/sites/a/overview"
    )
    assert o.endpoints().metrics_host == "metrics.monitor.azure.us"


def test_durable_drilldown_via_resources(make_provider: Any, arm_sites: Any, azd: Any) -> None:
    path = "/orders-worker/runtime/webhooks/durabletask/instances"
    arm_sites.route(
        "POST",
        azd.site_id("orders-worker") + "/host/default/listkeys",
        {"systemKeys": {"durabletask_extension": "k"}},
    )
    failed = {
        "name": "Fulfil",
        "instanceId": "f1",
        "runtimeStatus": "Failed",
        "input": None,
        "customStatus": None,
        "output": "boom",
        "createdTime": "2026-11-22T03:10:00Z",
        "lastUpdatedTime": "2026-11-22T03:11:00Z",
    }
    arm_sites.route("GET", path, [failed])
    arm_sites.route("GET", path + "/f1", {**failed, "historyEvents": []})
    p = make_provider(durable_apps=["orders-worker"])
    res = p.logs(LogQuery("az", W, resources=("durable:*",)))
    assert [(r.request_id, r.resource, r.message) for r in res.records] == [
        ("f1", "orders-worker", "Fulfil f1 Failed: boom")
    ]
    assert res.records[0].timestamp == datetime(2026, 11, 22, 3, 11, tzinfo=UTC).timestamp()
    assert p.logs(LogQuery("az", W, resources=("durable:checkout-*",))).records == ()
