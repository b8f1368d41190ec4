"""Logs against moto: always the newest N (Insights paging back past a full answer, FilterLogEvents read
in slices from the window's end), `truncated` exactly when more matched, only the calls a query needs,
unknown names with close matches, and health that says when it summarised a capped sample."""

from __future__ import annotations

from typing import Any

import pytest
from aws_seed import NOW, R

from srvmon.model import LogQuery, TimeWindow

HOUR = TimeWindow.ending_at(NOW, 3600, 60)
T0 = NOW.timestamp() - 1800
#: every discovery call: none of them is needed to read one named function's logs
DISCOVERY = {"ListFunctions", "GetFunctionConcurrency", "GetRestApis", "GetApis", "ListTables", "ListQueues"}


def lq(**kw: Any) -> LogQuery:
    return LogQuery(provider="aws", window=HOUR, **kw)


@pytest.mark.parametrize("mode", ["insights", "filter"])
def test_newest_n_and_truncated(make_provider: Any, mode: str) -> None:
    p = make_provider(logs_mode=mode)
    r = p.logs(lq(resources=("checkout-api",), limit=3))
    assert [x.timestamp for x in r.records] == [T0 + 9, T0 + 8, T0 + 7]  # the newest, newest first
    assert r.truncated and not r.partial
    whole = p.logs(lq(resources=("checkout-api",), limit=10))
    assert len(whole.records) == 10 and not whole.truncated


@pytest.mark.parametrize("mode", ["insights", "filter"])
def test_exactly_the_limit_is_not_truncated(make_provider: Any, mode: str) -> None:
    """Two errors in the window and --limit 2: all of them, not cut. In Insights mode moto ignores the
    `filter` line, so the reader pages back through full answers (one query per page) until the
    window is read; against AWS the filter runs server-side and one query of limit + 1 rows tells."""
    p = make_provider(logs_mode=mode)
    r = p.logs(lq(resources=("checkout-api",), errors_only=True, limit=2))
    assert [(x.timestamp, x.request_id) for x in r.records] == [(T0 + 8, f"{R}3"), (T0 + 5, f"{R}2")]
    assert not r.truncated and not r.partial
    cut = p.logs(lq(resources=("checkout-api",), errors_only=True, limit=1))
    assert [x.request_id for x in cut.records] == [f"{R}3"] and cut.truncated
    if mode == "insights":
        assert p.usage().by_operation["StartQuery"] > 2  # paged back through the seconds


def test_one_named_function_makes_only_the_calls_it_needs(make_provider: Any) -> None:
    p = make_provider()
    r = p.logs(lq(resources=("checkout-api",), errors_only=True, limit=5))
    assert len(r.records) == 2
    ops = p.usage().by_operation
    assert not DISCOVERY & set(ops), ops
    assert ops["DescribeLogGroups"] == 1 and ops["StartQuery"] >= 1
    assert set(ops) <= {"DescribeLogGroups", "StartQuery", "GetQueryResults", "LogsInsightsScan"}


def test_every_function_lists_log_groups_not_resources(make_provider: Any) -> None:
    p = make_provider(logs_mode="filter")
    names = p.resources()
    assert names == ["checkout-api", "orders-worker"]
    r = p.logs(lq(resources=tuple(names), text="REPORT RequestId"))
    assert {x.resource for x in r.records} == {"checkout-api", "orders-worker"}
    ops = p.usage().by_operation
    assert not DISCOVERY & set(ops), ops
    assert ops["DescribeLogGroups"] == 1  # one listing; the named groups are answered from it


def test_unknown_names_get_close_matches(make_provider: Any) -> None:
    p = make_provider()
    assert p.missing_resources(["checkout-api", "checkout-apj", "nope"]) == {
        "checkout-apj": ["checkout-api"],
        "nope": [],
    }
    r = p.logs(lq(resources=("nope",)))
    assert r.records == () and r.warnings == ("no log group /aws/lambda/nope (nothing logged by 'nope')",)


def test_health_says_when_it_summarised_a_capped_sample(make_provider: Any) -> None:
    p = make_provider()
    rows, note = p.function_health_sample(HOUR, ("checkout-api",))
    assert note is None and rows[0].invocations == 3
    p.health_lines_cap = 2  # the newest 2 of checkout-api's 4 REPORT/timeout lines
    rows, note = p.function_health_sample(HOUR, ("checkout-api",))
    assert [(h.function, h.invocations) for h in rows] == [("checkout-api", 1)]
    # CloudWatch's Invocations for checkout-api over the hour: 13/min (base 10 + 3 h ramp) x 60
    assert note == (
        "health summarises the newest 1 invocations (2 log lines, srvmon's cap) of 780 CloudWatch"
        " counted in the window"
    )
    ops = p.usage().by_operation
    assert not {"GetFunctionConcurrency", "GetRestApis", "GetApis", "ListTables"} & set(ops)
    assert ops["GetFunctionConfiguration"] == 2  # the named function's timeout and memory


def test_limit_unavailable_names_the_call(make_provider: Any) -> None:
    """moto answers GetAccountSettings with 404 "Not yet implemented": the reason is kept per limit."""
    from srvmon.providers.base import ProviderError

    p = make_provider()
    limits = p.limits()
    assert "account_concurrency" not in {lim.name for lim in limits}
    reason = limits.unavailable["account_concurrency"]  # type: ignore[attr-defined]
    assert reason.startswith("GetAccountSettings failed: 404: ")
    only = make_provider()
    with pytest.raises(ProviderError) as err:
        only.limits(names=("account_concurrency",))
    assert str(err.value).startswith("account_concurrency: GetAccountSettings failed: 404")
    ops = only.usage().by_operation
    assert "ListFunctions" not in ops and ops["GetAccountSettings"] == 1  # no inventory for it
