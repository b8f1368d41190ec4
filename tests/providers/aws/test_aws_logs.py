"""Drill-down logs and REPORT-line health against moto's Logs (Insights ignores `filter` there, so the
client-side filter is what is checked), escaping of user text, the FilterLogEvents fallback, and the
polling budget (Stubber: moto completes every query at once, so a Running query is canned)."""

from __future__ import annotations

import re
from typing import Any

import pytest
from aws_seed import NOW, R
from botocore.stub import ANY, Stubber

from srvmon.model import LogQuery, TimeWindow
from srvmon.providers.aws.logs import (
    LogsReader,
    insights_query,
    parse_timestamp,
    quoted,
    regex_literal,
    regex_safe,
    resource_of,
)
from srvmon.providers.base import ProviderError

HOUR = TimeWindow.ending_at(NOW, 3600, 60)
T0 = NOW.timestamp() - 1800


def lq(**kw: Any) -> LogQuery:
    return LogQuery(provider="aws", window=HOUR, **kw)


@pytest.mark.parametrize("mode", ["insights", "filter"])
def test_errors_only_drilldown(make_provider: Any, mode: str) -> None:
    p = make_provider(logs_mode=mode)
    r = p.logs(lq(resources=("checkout-api",), errors_only=True))
    assert [(x.timestamp, x.resource, x.level, x.request_id) for x in r.records] == [
        (T0 + 8, "checkout-api", "ERROR", f"{R}3"),
        (T0 + 5, "checkout-api", "ERROR", f"{R}2"),
    ]
    assert "Task timed out after 10.00 seconds" in r.records[0].message
    assert r.records[1].link and "log-events" in r.records[1].link
    assert r.filtered_by_provider and not r.partial
    op = "StartQuery" if mode == "insights" else "FilterLogEvents"
    assert p.usage().by_operation[op] >= 1


def test_text_filter_with_special_characters_and_all_functions(make_provider: Any) -> None:
    p = make_provider()
    r = p.logs(lq(text="card declined (upstream /pay"))
    assert [x.request_id for x in r.records] == [f"{R}2"]
    reports = p.logs(lq(text="REPORT RequestId"))
    assert {x.resource for x in reports.records} == {"checkout-api", "orders-worker"}
    assert sorted(x.duration_ms for x in reports.records) == [80.0, 120.0, 900.0, 10000.0]
    by_id = p.logs(lq(request_id=f"{R}5"))
    assert len(by_id.records) == 4 and {x.resource for x in by_id.records} == {"orders-worker"}


def test_user_text_is_escaped_in_the_query_language() -> None:
    assert regex_literal("a/b.c*") == "a\\/b\\.c\\*"
    assert regex_safe("x/y") == "x\\/y" and regex_safe("x\\/y") == "x\\/y"
    assert quoted('say "hi" \\ now') == '"say \\"hi\\" \\\\ now"'
    evil = "/ | stats count(*) by @log #\nfields @message"
    text = insights_query(lq(text=evil), 100)
    filt = [line for line in text.splitlines() if "like" in line]
    assert filt == [
        "| filter @message like /\\/\\ \\|\\ stats\\ count\\(\\*\\)\\ by\\ @log\\ \\#\\ fields\\ @message/"
    ]
    assert text.count("\n") == 3  # fields, filter, sort, limit: no injected line
    with pytest.raises(re.error):
        regex_safe("(unclosed")


def test_timestamps_from_aws_and_moto_and_group_names() -> None:
    assert parse_timestamp("1700000000123") == 1700000000.123
    assert parse_timestamp("2023-11-14 22:13:20.000") == 1700000000.0
    assert parse_timestamp("nonsense") is None and parse_timestamp("") is None
    assert resource_of("123456789012:/aws/lambda/checkout-api") == "checkout-api"
    assert resource_of("/aws/lambda/x") == "x"


def test_insights_budget_stops_the_query_and_returns_partial(make_provider: Any) -> None:
    """Stubber: moto completes queries instantly; a Running query in AWS's response shape is canned."""
    p = make_provider(logs_budget="3s")
    p._groups_by_target(())  # discovery + DescribeLogGroups on moto before the stub takes over
    now = [0.0]
    p.logs_reader = LogsReader(
        p.counter, 3.0, sleep=lambda s: now.__setitem__(0, now[0] + s), monotonic=lambda: now[0]
    )
    client = p.sessions.client("logs", p.sessions.targets()[0])
    row = [
        {"field": "@timestamp", "value": "2023-11-14 22:13:20.000"},
        {"field": "@message", "value": "ERROR boom"},
        {"field": "@log", "value": "1:/aws/lambda/checkout-api"},
    ]
    with Stubber(client) as stub:
        stub.add_response(
            "start_query",
            {"queryId": "q-1"},
            {
                "logGroupNames": ["/aws/lambda/checkout-api"],
                "startTime": HOUR.start_s,
                "endTime": HOUR.end_s - 1,
                "queryString": ANY,
                "limit": 1001,
            },
        )
        for _ in range(4):
            stub.add_response("get_query_results", {"status": "Running", "results": []}, {"queryId": "q-1"})
        stub.add_response(
            "get_query_results",
            {"status": "Running", "results": [row], "statistics": {"bytesScanned": 2e9}},
            {"queryId": "q-1"},
        )
        stub.add_response("stop_query", {"success": True}, {"queryId": "q-1"})
        r = p.logs(lq(resources=("checkout-api",), errors_only=True))
        stub.assert_no_pending_responses()
    assert r.partial and r.warnings and "time budget" in r.warnings[0]
    assert [(x.timestamp, x.message) for x in r.records] == [(1700000000.0, "ERROR boom")]
    assert now[0] == pytest.approx(3.0)
    u = p.usage()
    assert u.extra["logs_gb_scanned"] == pytest.approx(2.0)
    assert u.estimated_cost_usd == pytest.approx(0.01)


def test_throttled_insights_is_a_throttled_provider_error(make_provider: Any) -> None:
    """Stubber: moto never throttles."""
    p = make_provider(max_attempts=1)
    p._groups_by_target(())  # discovery + DescribeLogGroups on moto before the stub takes over
    client = p.sessions.client("logs", p.sessions.targets()[0])
    with Stubber(client) as stub:
        stub.add_client_error("start_query", service_error_code="ThrottlingException", http_status_code=400)
        with pytest.raises(ProviderError) as err:
            p.logs(lq(resources=("checkout-api",)))
    assert err.value.throttled


@pytest.mark.parametrize("mode", ["insights", "filter"])
def test_function_health_from_report_lines(make_provider: Any, mode: str) -> None:
    rows = {h.function: h for h in make_provider(logs_mode=mode).function_health(HOUR)}
    assert set(rows) == {"checkout-api", "orders-worker"}
    c = rows["checkout-api"]
    assert (c.invocations, c.cold_starts, c.timeouts, c.oom) == (3, 1, 1, 0)
    assert c.init_ms_avg == 200.0
    assert c.timeout_pct == pytest.approx(98.0, abs=0.1)  # p99 (9802 ms) of the 10 s timeout
    o = rows["orders-worker"]
    assert (o.invocations, o.oom, o.timeouts) == (1, 1, 0)
    assert o.gb_seconds == pytest.approx(0.25 * 0.9)
