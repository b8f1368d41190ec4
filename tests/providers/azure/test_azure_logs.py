"""App Insights drill-down through the real LogsQueryClient over HTTPS: KQL, rows, partial results, health."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from srvmon.model import LogQuery, TimeWindow
from srvmon.providers.azure.kql import CLASSIC, WORKSPACE, kql_string, logs_query
from srvmon.providers.base import NotSupported, ProviderError

NOW = datetime(2026, 11, 22, 4, 0, tzinfo=UTC)
W = TimeWindow.ending_at(NOW, 3600)
WS = "63613592-b6f7-4c3d-a390-22ba13102111"
COMPONENT = (
    "/subscriptions/12345678-abcd-1234-abcd-123456789abc/resourceGroups/rg-prod/providers/"
    "microsoft.insights/components/shop-ai"
)
COLS = [
    ("ts", "datetime"),
    ("kind", "string"),
    ("app", "string"),
    ("fn", "string"),
    ("op", "string"),
    ("code", "string"),
    ("ok", "bool"),
    ("duration_ms", "real"),
    ("level", "string"),
    ("text", "string"),
]
ROWS = [
    [
        "2026-11-22T03:58:01.5Z",
        "request",
        "checkout-api",
        "PlaceOrder",
        "op-1",
        "500",
        False,
        1234.5,
        "ERROR",
        "PlaceOrder 500",
    ],
    [
        "2026-11-22T03:58:01.4Z",
        "exception",
        "checkout-api",
        "PlaceOrder",
        "op-1",
        "",
        False,
        None,
        "ERROR",
        "System.TimeoutException: \x1b[31mdb timed out\x1b[0m [bold]x[/bold]",
    ],
    [
        "2026-11-22T03:10:00Z",
        "trace",
        "checkout-api",
        "PlaceOrder",
        "op-0",
        "",
        True,
        None,
        "INFO",
        "started",
    ],
]


def q(**kw: Any) -> LogQuery:
    return LogQuery("az", W, **kw)


def test_kql_string_escapes_everything() -> None:
    assert kql_string('a"b\\c\nd\te') == '"a\\"b\\\\c\\nd\\te"'
    assert kql_string("x\x00\x1by") == '"xy"'
    text = logs_query(
        q(
            text='" | take 1 //',
            resources=("checkout-api",),
            status_class="5xx",
            request_id='op"1',
            errors_only=True,
            limit=50,
        ),
        CLASSIC,
    )
    assert 'text contains "\\" | take 1 //"' in text
    assert 'cloud_RoleName in~ ("checkout-api") or operation_Name in~ ("checkout-api")' in text
    assert 'kind == "request" and code startswith "5"' in text
    assert 'op == "op\\"1"' in text and 'level == "ERROR"' in text and "| take 50" in text
    assert (
        "timestamp >= datetime(2026-11-22T03:00:00Z) and timestamp < datetime(2026-11-22T04:00:00Z)" in text
    )
    ws = logs_query(q(text="boom", regex=True), WORKSPACE)
    assert "AppRequests" in ws and "AppExceptions" in ws and "AppTraces" in ws and "OperationId" in ws
    assert 'text matches regex "boom"' in ws and "requests " not in ws


def test_logs_from_workspace(make_provider: Any, azure_server: Any, azd: Any, credential: Any) -> None:
    azure_server.route("POST", f"/v1/workspaces/{WS}/query", azd.logs_table(COLS, ROWS))
    p = make_provider(workspace_id=WS)
    res = p.logs(q(resources=("checkout-api",), text='timed "out"', errors_only=True))
    assert not res.partial and res.filtered_by_provider and len(res.records) == 3
    r0, r1, r2 = res.records
    assert r0.timestamp == pytest.approx(datetime(2026, 11, 22, 3, 58, 1, 500000, tzinfo=UTC).timestamp())
    assert (r0.resource, r0.status, r0.duration_ms, r0.level, r0.request_id) == (
        "PlaceOrder",
        500,
        1234.5,
        "ERROR",
        "op-1",
    )
    assert (
        r0.fields["app"] == "checkout-api"
        and r0.fields["success"] is False
        and r0.fields["kind"] == "request"
    )
    assert (
        r1.message == "System.TimeoutException: \x1b[31mdb timed out\x1b[0m [bold]x[/bold]"
    )  # data, untouched
    assert r1.status is None and r1.duration_ms is None
    assert r2.level == "INFO" and r2.fields["success"] is True
    (call,) = azure_server.calls("/query")
    assert 'text contains "timed \\"out\\""' in call.body["query"]
    assert "AppRequests" in call.body["query"]
    assert call.body["timespan"].startswith("2026-11-22T03:00:00")
    assert call.headers["authorization"] == "Bearer fake-token"
    assert ("https://api.loganalytics.io/.default",) in credential.scopes
    assert p.usage().by_operation["logs:query_workspace"] == 1


def test_logs_from_component_with_links_and_request_id(
    make_provider: Any, azure_server: Any, azd: Any
) -> None:
    azure_server.route("POST", f"/v1{COMPONENT}/query", azd.logs_table(COLS, ROWS[:2]))
    p = make_provider(app_insights=[COMPONENT])
    res = p.logs(q(request_id="op-1"))
    assert [r.request_id for r in res.records] == ["op-1", "op-1"]
    assert res.records[0].link == ("https://portal.azure.com/#@/resource" + COMPONENT + "/searchV1?q=op-1")
    (call,) = azure_server.calls("/query")
    assert 'op == "op-1"' in call.body["query"] and "| union" not in call.body["query"]
    assert "requests " in call.body["query"] and "operation_Id" in call.body["query"]


def test_partial_result_is_flagged_not_hidden(make_provider: Any, azure_server: Any, azd: Any) -> None:
    body = azd.logs_table(COLS, ROWS[:1])
    body["error"] = {
        "code": "PartialError",
        "message": "There were some errors when processing your query.",
        "details": [{"code": "EngineError", "message": "Query exceeded memory limit"}],
    }
    azure_server.route("POST", f"/v1/workspaces/{WS}/query", body)
    p = make_provider(workspace_id=WS)
    res = p.logs(q())
    assert res.partial and len(res.records) == 1 and res.records[0].request_id == "op-1"
    assert len(res.warnings) == 1 and "PartialError" in res.warnings[0] and WS in res.warnings[0]


def test_failures_and_throttling(make_provider: Any, azure_server: Any) -> None:
    p = make_provider(workspace_id=WS)
    azure_server.route(
        "POST",
        f"/v1/workspaces/{WS}/query",
        {"error": {"code": "BadArgumentError", "message": "Syntax error"}},
        status=400,
    )
    with pytest.raises(ProviderError) as err:
        p.logs(q())
    assert "400" in str(err.value) and not err.value.throttled
    azure_server.route(
        "POST",
        f"/v1/workspaces/{WS}/query",
        {"error": {"code": "ThrottledError", "message": "too many"}},
        status=429,
        headers={"Retry-After": "30"},
    )
    with pytest.raises(ProviderError) as err:
        p.logs(q())
    assert err.value.throttled and "retry after 30s" in str(err.value)
    with pytest.raises(NotSupported):
        make_provider().logs(q())


def test_function_health(make_provider: Any, arm_sites: Any, azd: Any) -> None:
    cols = [
        ("fn", "string"),
        ("app", "string"),
        ("invocations", "long"),
        ("p50_ms", "real"),
        ("p99_ms", "real"),
        ("ms_total", "real"),
        ("timeouts", "long"),
        ("oom", "long"),
        ("cold_starts", "long"),
    ]
    rows = [
        ["PlaceOrder", "checkout-api", "1200", 80.0, 240000.0, 150000.0, "3", "1", "6"],
        ["Sync", "orders-worker", "10", 5.0, 9.0, 60.0, "0", "0", None],
    ]
    arm_sites.route("POST", f"/v1/workspaces/{WS}/query", azd.logs_table(cols, rows))
    p = make_provider(workspace_id=WS)
    h = {x.function: x for x in p.function_health(W, ["checkout-api"])}
    po = h["PlaceOrder"]
    assert (po.invocations, po.timeouts, po.oom, po.p50_ms, po.p99_ms) == (1200, 3, 1, 80.0, 240000.0)
    assert po.timeout_pct == 80.0  # p99 240 s of the Consumption default 300 s
    assert (po.cold_starts, po.cold_start_pct) == (6, 0.5)
    assert (h["Sync"].cold_starts, h["Sync"].cold_start_pct) == (0, 0.0)
    assert h["Sync"].timeout_pct == pytest.approx(0.0005)  # Premium default 1800 s
    (call,) = arm_sites.calls("/query")
    assert 'AppRoleName in~ ("checkout-api")' in call.body["query"]
    assert "FunctionTimeoutException" in call.body["query"]
    assert "arg_min(TimeGenerated, OperationName) by AppRoleInstance" in call.body["query"]


def test_newest_n_and_a_cap_is_said(make_provider: Any, azure_server: Any, azd: Any) -> None:
    azure_server.route("POST", f"/v1/workspaces/{WS}/query", azd.logs_table(COLS, ROWS))
    p = make_provider(workspace_id=WS, timeout="7s")
    res = p.logs(q(limit=2))
    assert [r.request_id for r in res.records] == ["op-1", "op-1"]  # the newest two of three
    assert res.truncated and not res.partial
    assert res.warnings == ("newest 2 records shown; more matched: narrow the query or the range",)
    call = azure_server.calls("/query")[-1]
    assert call.body["query"].endswith("| order by ts desc\n| take 3")  # one more than asked: tells a cap
    assert call.headers["prefer"] == "wait=7"  # the service gives up at our own timeout, too
    exact = p.logs(q(limit=3))
    assert len(exact.records) == 3 and not exact.truncated and exact.warnings == ()
    huge = p.logs(q(limit=50_000))
    assert huge.truncated and "(at most 10,000 per query)" in huge.warnings[0]
    assert azure_server.calls("/query")[-1].body["query"].endswith("| take 10001")
