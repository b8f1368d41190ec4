"""Alert rules with their states, daily bills per product, and the SLS logs drill-down, against the fake."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from ali_fleet import NOW, NOW_S

from srvmon.model import LogQuery, TimeWindow
from srvmon.providers.base import NotSupported, ProviderError


def test_alarms_states_since_and_reason(make_provider: Any, ali: Any) -> None:
    alarms = {a.name: a for a in make_provider().alarms()}
    assert set(alarms) == {
        "orders-5xx",
        "resize-latency",
        "mailer-throttles",
    }  # the disabled rule is left out
    fired = alarms["orders-5xx"]
    assert fired.state == "ALARM" and fired.resource == "orders-api"
    assert fired.since == datetime.fromtimestamp(NOW_S - 1800, UTC)  # the latest of the two firings
    assert fired.reason == "$Value>=3 (value 4)"
    assert alarms["resize-latency"].state == "OK" and alarms["resize-latency"].resource == "image-resize"
    assert alarms["mailer-throttles"].state == "INSUFFICIENT_DATA"
    history = [p for a, p in ali.calls if a == "DescribeAlertHistoryList"]
    assert history and history[0]["State"] == "ALARM" and history[0]["Namespace"] == "acs_fc"
    assert int(history[0]["EndTime"]) - int(history[0]["StartTime"]) == 86_400_000


def test_alarm_rules_are_paged(make_provider: Any, ali: Any) -> None:
    ali.rules[:] = [
        {
            "RuleId": f"r{i}",
            "RuleName": f"rule-{i:03d}",
            "Namespace": "acs_fc",
            "AlertState": "OK",
            "EnableState": True,
        }
        for i in range(230)
    ]
    assert len(make_provider().alarms()) == 230
    pages = [p["Page"] for a, p in ali.calls if a == "DescribeMetricRuleList"]
    assert pages == ["1", "2", "3"]


def _cost_window(today: date) -> TimeWindow:
    first = (today.replace(day=1) - timedelta(days=1)).replace(day=1)
    start = datetime(first.year, first.month, 1, tzinfo=UTC)
    return TimeWindow(
        start, datetime(today.year, today.month, today.day, tzinfo=UTC) + timedelta(days=1), 86400
    )


def test_daily_cost_per_product_and_cache(make_provider: Any, ali: Any, clock: Any) -> None:
    p = make_provider()
    window = _cost_window(NOW.date())
    items = p.cost(window)
    days = (window.end.date() - window.start.date()).days
    assert len(items) == 2 * days
    fc = [i for i in items if i.service == "Function Compute"]
    assert {i.amount_usd for i in fc} == {1.25} and min(i.day for i in fc) == date(2026, 10, 1)
    bills = [prm for a, prm in ali.calls if a == "QueryAccountBill"]
    assert len(bills) == days
    assert {(b["Granularity"], b["IsGroupByProduct"]) for b in bills} == {("DAILY", "true")}
    assert all(b["BillingDate"].startswith(b["BillingCycle"]) for b in bills)
    ali.calls.clear()
    p.cost(window)
    assert ali.calls == []  # reused within cost_cache_ttl
    clock.advance(7 * 3600)
    p.cost(window)
    assert sorted(prm["BillingDate"] for _, prm in ali.calls) == ["2026-11-20", "2026-11-21", "2026-11-22"]


def test_cny_bills_need_a_rate(make_provider: Any, ali: Any) -> None:
    for items in ali.bills.values():
        for it in items:
            it["Currency"] = "CNY"
    window = _cost_window(NOW.date())
    with pytest.raises(ProviderError, match="usd_per_cny"):
        make_provider().cost(window)
    items = make_provider(usd_per_cny=0.14).cost(window)
    assert {round(i.amount_usd, 4) for i in items} == {0.175, 0.07}


def test_cost_refused_names_the_bss_policy(make_provider: Any, ali: Any) -> None:
    ali.deny["QueryAccountBill"] = (
        400,
        {},
        {"Code": "NotAuthorized", "Message": "no permission", "RequestId": "x"},
    )
    with pytest.raises(ProviderError, match="AliyunBSSReadOnlyAccess"):
        make_provider().cost(_cost_window(NOW.date()))
    with pytest.raises(NotSupported):
        make_provider(cost=False).cost(_cost_window(NOW.date()))


def test_logs_drill_down(make_provider: Any, ali: Any) -> None:
    window = TimeWindow.ending_at(NOW, 3600, 60)
    res = make_provider().logs(LogQuery("ali", window, resources=("orders-api",), errors_only=True))
    assert [r.request_id for r in res.records] == ["req-1"]
    rec = res.records[0]
    assert rec.resource == "orders-api" and rec.level == "ERROR" and rec.timestamp == NOW_S - 120
    assert rec.message.startswith("Traceback") and res.filtered_by_provider
    (call,) = ali.sls_calls
    assert call["query"].startswith('(functionName: "orders-api") and (ERROR or FATAL')
    assert (call["from"], call["to"], call["reverse"], call["type"]) == (
        str(window.start_s),
        str(window.end_s),
        "true",
        "log",
    )
    host = ali.server.requests[-1].headers["host"]
    assert host == "fc-prod.cn-hangzhou.log.aliyuncs.com"


def test_logs_text_stays_data(make_provider: Any) -> None:
    window = TimeWindow.ending_at(NOW, 3600, 60)
    res = make_provider().logs(LogQuery("ali", window, text='[red]not "markup"'))
    assert res.records == ()  # the quote is escaped in the search, nothing matches it
    res = make_provider().logs(LogQuery("ali", window, text="timed out"))
    assert [r.message for r in res.records] == ["Function timed out after 3 seconds [red]not markup[/red]"]


def test_logs_not_configured_says_what_to_set(make_provider: Any) -> None:
    p = make_provider(log_project=None, log_store=None)
    assert "logs" not in p.capabilities and "log_project" in p.unavailable()["logs"]
    with pytest.raises(NotSupported, match="log_project and log_store"):
        p.logs(LogQuery("ali", TimeWindow.ending_at(NOW, 3600, 60)))
