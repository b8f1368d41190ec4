"""Fired Azure Monitor alerts and Cost Management daily costs (disk cache) over HTTPS."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import pytest

from srvmon.model import TimeWindow
from srvmon.providers.base import ProviderError

ALERTS = r"/subscriptions/[^/]+/providers/Microsoft.AlertsManagement/alerts"
COST = r"/subscriptions/[^/]+/resourceGroups/rg-prod/providers/Microsoft.CostManagement/query"
# from the 1st of last month to today, daily (what the core passes)
CW = TimeWindow(datetime(2026, 10, 1, tzinfo=UTC), datetime(2026, 11, 22, tzinfo=UTC), 86400)


def test_alerts_map_to_alarms(make_provider: Any, azure_server: Any, azd: Any) -> None:
    page2 = {
        "value": [
            azd.alert(
                "5xx-high",
                "Resolved",
                "Closed",
                "Sev1",
                "checkout-api",
                "2026-11-22T02:00:00Z",
                "2026-11-22T02:20:00Z",
                alert_id="a0",
            )
        ]
    }
    page1 = {
        "nextLink": azure_server.url
        + "/subscriptions/x/providers/Microsoft.AlertsManagement/alerts?ctoken=2",
        "value": [
            azd.alert(
                "5xx-high",
                "Fired",
                "New",
                "Sev1",
                "checkout-api",
                "2026-11-22T03:50:00Z",
                "2026-11-22T03:50:00Z",
                description="Http5xx > 10 for 5 min",
                alert_id="a1",
            ),
            azd.alert(
                "latency",
                "Resolved",
                "Closed",
                "Sev3",
                "orders-worker",
                "2026-11-22T01:00:00Z",
                "2026-11-22T01:30:00Z",
                alert_id="a2",
            ),
            azd.alert(
                "other-rg",
                "Fired",
                "New",
                "Sev0",
                "x",
                "2026-11-22T03:00:00Z",
                "2026-11-22T03:00:00Z",
                rg="rg-dev",
                alert_id="a3",
            ),
        ],
    }

    def handler(req: Any) -> Any:
        return 200, {}, page2 if req.query.get("ctoken") else page1

    azure_server.route("GET", ALERTS, handler)
    p = make_provider()
    alarms = p.alarms()
    assert [(a.name, a.state) for a in alarms] == [("5xx-high", "ALARM"), ("latency", "OK")]  # rg-dev dropped
    fired, ok = alarms
    assert (
        fired.reason == "Http5xx > 10 for 5 min"
        and fired.severity == "Sev1"
        and fired.resource == "checkout-api"
    )
    assert fired.since == datetime(2026, 11, 22, 3, 50, tzinfo=UTC)
    assert fired.link and fired.link.startswith(
        "https://portal.azure.com/#view/Microsoft_Azure_Monitoring_Alerts/"
    )
    assert fired.link.endswith("%2Falerts%2Fa1")
    assert ok.since == datetime(2026, 11, 22, 1, 30, tzinfo=UTC) and ok.reason == "Metric alert from Platform"
    first = azure_server.calls("AlertsManagement")[0]
    assert first.query["api-version"] == ["2019-05-05-preview"] and first.query["timeRange"] == ["1d"]
    assert len(azure_server.calls("AlertsManagement")) == 2


def cost_answer(rows: list[list[Any]], next_link: str | None = None) -> dict:
    return {
        "id": "subscriptions/x/providers/Microsoft.CostManagement/Query/q1",
        "name": "q1",
        "type": "microsoft.costmanagement/Query",
        "properties": {
            "nextLink": next_link,
            "columns": [
                {"name": "Cost", "type": "Number"},
                {"name": "UsageDate", "type": "Number"},
                {"name": "ServiceName", "type": "String"},
                {"name": "Currency", "type": "String"},
            ],
            "rows": rows,
        },
    }


def test_cost_daily_by_service_with_disk_cache(
    make_provider: Any, azure_server: Any, clock: Any, tmp_path: Any
) -> None:
    url2 = (
        azure_server.url
        + "/subscriptions/x/resourceGroups/rg-prod/providers/Microsoft.CostManagement/query/p2"
    )

    def handler(req: Any) -> Any:
        if req.path.endswith("/p2"):
            return 200, {}, cost_answer([[0.5, 20261121, "Storage", "USD"]])
        return (
            200,
            {},
            cost_answer(
                [
                    [1.25, 20261001, "Functions", "USD"],
                    [2.5, 20261121, "Functions", "USD"],
                    [0.75, 20261121, "Functions", "USD"],
                    ["bad", 20261121, "X", "USD"],
                ],
                url2,
            ),
        )

    azure_server.route("POST", COST + "(/p2)?", handler)
    p = make_provider()
    items = p.cost(CW)
    assert [(i.service, i.day, i.amount_usd) for i in items] == [
        ("Functions", date(2026, 10, 1), 1.25),
        ("Functions", date(2026, 11, 21), 3.25),
        ("Storage", date(2026, 11, 21), 0.5),
    ]
    (first, second) = azure_server.calls("CostManagement")
    assert first.body["timeframe"] == "Custom" and first.body["dataset"]["granularity"] == "Daily"
    assert first.body["timePeriod"] == {"from": "2026-10-01T00:00:00Z", "to": "2026-11-21T23:59:59Z"}
    assert first.body["dataset"]["grouping"] == [{"type": "Dimension", "name": "ServiceName"}]
    assert first.query["api-version"] == ["2023-03-01"] and second.body == first.body
    assert list((tmp_path / "cost").glob("cost-*.json"))
    # a second provider (a new process) reuses the disk cache within the TTL
    assert make_provider().cost(CW) == items and len(azure_server.calls("CostManagement")) == 2
    clock.advance(6 * 3600 + 1)
    make_provider().cost(CW)
    assert len(azure_server.calls("CostManagement")) == 4


def test_cost_throttled(make_provider: Any, azure_server: Any) -> None:
    azure_server.route(
        "POST",
        COST,
        {"error": {"code": "429", "message": "Too many requests"}},
        status=429,
        headers={"x-ms-ratelimit-microsoft.costmanagement-qpu-retry-after": "60"},
    )
    with pytest.raises(ProviderError) as err:
        make_provider().cost(CW)
    assert err.value.throttled and "retry after 60s" in str(err.value)


def test_cost_cache_ttl_minimum() -> None:
    from pydantic import ValidationError

    from srvmon.providers.azure.options import AzureOptions

    with pytest.raises(ValidationError, match="at least 1h"):
        AzureOptions(subscription_id="s", cost_cache_ttl="10m")
    with pytest.raises(ValidationError, match="password"):
        AzureOptions(subscription_id="s", password="x")  # type: ignore[call-arg]
