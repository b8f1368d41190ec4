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
        AzureOptions(subscription_id="s", resource_ids=["checkout-api"])
    with pytest.raises(ValidationError):
        AzureOptions(subscription_id="s", cloud="mars")  # type: ignore[arg-type]
    with pytest.raises(ValidationError):
        AzureOptions(subscription_id="s", credential="client_secret")  # type: ignore[arg-type]
    with pytest.raises(ValidationError, match="not a duration"):
        AzureOptions(subscription_id="s", discovery_ttl="soon")


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
    cred = make_credential(AzureOptions(subscription_id="s", credential=kind))  # type: ignore[arg-type]
    assert type(cred).__name__ == cls_name


def test_china_cloud_scopes_and_links(make_provider: Any, arm_sites: Any, azd: Any, credential: Any) -> None:
    arm_sites.route("POST", r"/subscriptions/[^/]+/metrics:getBatch", {"values": []})
    arm_sites.route("POST", "/v1/workspaces/ws1/query", azd.logs_table([("ts", "datetime")], []))
    p = make_provider(cloud="china", workspace_id="ws1")
    p.query([MetricQuery("r", "az", "Requests")], W)
    p.logs(LogQuery("az", W))
    assert ("https://management.chinacloudapi.cn/.default",) in credential.scopes
    assert ("https://metrics.monitor.azure.cn/.default",) in credential.scopes
    assert ("https://api.loganalytics.azure.cn/.default",) in credential.scopes
    assert not any("azure.com" in s for scopes in credential.scopes for s in scopes)
    o = AzureOptions(subscription_id="s", cloud="usgov")
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
