"""KQL metric panels ({kql = ...}) through the real LogsQueryClient over HTTPS: macros expanded, the
result table as series, a hostile variable value sent as one KQL string literal."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from srvmon.model import MetricQuery, TimeWindow
from srvmon.providers.azure import AzureProvider
from srvmon.variables import substitute_query

NOW = datetime(2026, 11, 22, 4, 0, tzinfo=UTC)
W = TimeWindow.ending_at(NOW, 3600, 300)
WS = "63613592-b6f7-4c3d-a390-22ba13102111"
KQL = (
    'AppRequests | where $__timeFilter(TimeGenerated) and AppRoleName == "$app"\n'
    "| summarize requests=count(), failed=countif(Success == false) by bin(TimeGenerated, $__interval), ResultCode"
)


def _iso(minutes: int) -> str:
    return (W.start + timedelta(minutes=minutes)).strftime("%Y-%m-%dT%H:%M:%SZ")


def test_kql_rows_become_series(make_provider: Any, azure_server: Any, azd: Any) -> None:
    cols = [("TimeGenerated", "datetime"), ("ResultCode", "string"), ("requests", "long"), ("failed", "long")]
    rows = [
        [_iso(0), "200", 120, 0],
        [_iso(5), "200", 130, 0],
        [_iso(5), "500", 7, 7],
        [_iso(60), "200", 1, 0],
    ]
    azure_server.route("POST", f"/v1/workspaces/{WS}/query", azd.logs_table(cols, rows))
    p = make_provider(workspace_id=WS)
    query = substitute_query(
        {"kql": KQL}, {"app": 'checkout") | union secrets | where ("'}, p.escape_variable
    )
    r = p.query([MetricQuery("k", "az", query)], W)["k"]
    assert r.ok, r.error
    got = {tuple(sorted(s.labels.items())): s.values[:3] for s in r.series}
    assert got == {
        (("ResultCode", "200"), ("series", "requests")): (120.0, 130.0, None),
        (("ResultCode", "200"), ("series", "failed")): (0.0, 0.0, None),
        (("ResultCode", "500"), ("series", "requests")): (None, 7.0, None),
        (("ResultCode", "500"), ("series", "failed")): (None, 7.0, None),
    }  # the row at +60 min is outside the window
    (call,) = azure_server.calls("/query")
    sent = call.body["query"]
    assert (
        "(TimeGenerated >= datetime(2026-11-22T03:00:00Z) and TimeGenerated < datetime(2026-11-22T04:00:00Z))"
        in sent
    )
    assert "bin(TimeGenerated, 300s)" in sent
    assert 'AppRoleName == "checkout\\") | union secrets | where (\\""' in sent  # one string literal
    assert p.usage().by_operation["logs:query_workspace"] == 1


def test_kql_grouping_and_errors(make_provider: Any, azure_server: Any, azd: Any) -> None:
    cols = [("t", "datetime"), ("app", "string"), ("fn", "string"), ("n", "real")]
    azure_server.route(
        "POST",
        f"/v1/workspaces/{WS}/query",
        azd.logs_table(cols, [[_iso(0), "a", "f1", 1.5], [_iso(0), "a", "f2", 2.5]]),
    )
    p = make_provider(workspace_id=WS)
    r = p.query([MetricQuery("g", "az", {"kql": "T"}, group_by=("app",))], W)["g"]
    assert [(s.labels, s.values[0]) for s in r.series] == [({"app": "a"}, 4.0)]  # rows in one bucket add up
    azure_server.route(
        "POST", f"/v1/workspaces/{WS}/query", azd.logs_table([("app", "string"), ("n", "long")], [["a", 1]])
    )
    r = p.query([MetricQuery("e", "az", {"kql": "T"})], W)["e"]
    assert r.error and "no datetime column" in r.error
    assert AzureProvider.validate_query({"kql": "T", "x": 1}, None) and AzureProvider.validate_query(
        {"kql": ""}, None
    )
    assert AzureProvider.validate_query({"kql": "T | take 1"}, None) is None
    unconfigured = make_provider()
    assert "workspace_id" in (unconfigured.query([MetricQuery("u", "az", {"kql": "T"})], W)["u"].error or "")
