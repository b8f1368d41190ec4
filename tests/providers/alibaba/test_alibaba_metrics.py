"""CloudMonitor metrics against the verifying fake: values bucket by bucket, week over week, request shape,
paging, function filters, coarser periods, retention, the monthly budget, throttling backoff, deadlines."""

from __future__ import annotations

import json
import time
from typing import Any

import pytest
from ali_fleet import NOW, NOW_S, invocations, options
from tls_fake import FakeTime

from srvmon.model import MetricQuery, TimeWindow
from srvmon.providers.alibaba import AlibabaProvider
from srvmon.providers.base import ProviderError

W4H = TimeWindow.ending_at(NOW, 4 * 3600, 60)


def q(query: Any, ref: str = "a", stat: str | None = None, group_by: tuple[str, ...] = ()) -> MetricQuery:
    return MetricQuery(ref, "ali", query, stat, group_by)


def by_function(result: Any) -> dict[str, tuple[float | None, ...]]:
    assert result.error is None, result.error
    return {s.labels["function"]: s.values for s in result.series}


def test_invocations_bucket_by_bucket_and_week_over_week(make_provider: Any) -> None:
    p = make_provider()
    cur = p.query([q("FunctionTotalInvocations", group_by=("function",))], W4H)["a"]
    week_ago = p.query([q("FunctionTotalInvocations", group_by=("function",))], W4H.shifted(7))["a"]
    now_vals, old_vals = by_function(cur), by_function(week_ago)
    assert set(now_vals) == {"orders-api", "image-resize", "mailer"}
    stamps = list(W4H.timestamps())
    assert cur.series[0].timestamps == tuple(stamps)
    assert now_vals["orders-api"] == tuple(float(10 + (t // 60) % 3) for t in stamps)
    assert old_vals["orders-api"] == tuple(float(5 + (t // 60) % 3) for t in stamps)
    assert now_vals["image-resize"] == (4.0,) * 240 and old_vals["image-resize"] == (2.0,) * 240
    assert now_vals["mailer"] == (2.0,) * 240 and old_vals["mailer"] == (1.0,) * 240
    # without group_by the functions are summed per bucket
    total = p.query([q("FunctionTotalInvocations")], W4H)["a"]
    assert len(total.series) == 1 and total.series[0].labels == {}
    assert total.series[0].values == tuple(float(16 + (t // 60) % 3) for t in stamps)


def test_request_shape(make_provider: Any, ali: Any) -> None:
    make_provider().query([q("FunctionTotalInvocations")], W4H)
    (action, params), = ali.calls  # fmt: skip
    assert action == "DescribeMetricList"
    assert params["Namespace"] == "acs_fc" and params["MetricName"] == "FunctionTotalInvocations"
    assert params["Period"] == "60" and params["Length"] == "1440"
    # left-open interval: StartTime 1 ms before the window so its first minute is included
    assert params["StartTime"] == str(W4H.start_s * 1000 - 1) and params["EndTime"] == str(
        W4H.end_s * 1000 - 1
    )
    assert json.loads(params["Dimensions"]) == [{"region": "cn-hangzhou"}]
    req = ali.server.requests[-1]
    assert req.method == "GET" and req.headers["x-acs-version"] == "2019-01-01"
    assert req.headers["host"] == ali.server.url.removeprefix("https://")


def test_paging_with_next_token(make_provider: Any, ali: Any) -> None:
    ali.page_length_cap = 100  # 3 functions x 240 minutes = 720 points -> 8 pages
    res = make_provider().query([q("FunctionTotalInvocations", group_by=("function",))], W4H)["a"]
    tokens = [c[1].get("NextToken") for c in ali.calls]
    assert len(tokens) == 8 and tokens[0] is None and tokens[1:] == [f"page-{i * 100}" for i in range(1, 8)]
    assert by_function(res)["orders-api"][:3] == tuple(
        float(10 + (t // 60) % 3) for t in list(W4H.timestamps())[:3]
    )


def test_named_functions_are_asked_for_and_patterns_filter(make_provider: Any, ali: Any) -> None:
    p = make_provider(functions=["orders-api", "svc$legacy"])
    res = p.query([q("FunctionTotalInvocations", group_by=("function",))], W4H)["a"]
    assert set(by_function(res)) == {"orders-api"}
    dims = json.loads(ali.calls[-1][1]["Dimensions"])
    assert dims == [
        {"region": "cn-hangzhou", "serviceName": "", "functionName": "orders-api"},
        {"region": "cn-hangzhou", "serviceName": "svc", "functionName": "legacy"},
    ]
    ali.calls.clear()
    res = make_provider().query([q({"metric": "FunctionTotalInvocations", "functions": ["*-api", "mail*"]},
                                   group_by=("function",))], W4H)["a"]  # fmt: skip
    assert set(by_function(res)) == {"orders-api", "mailer"}
    assert json.loads(ali.calls[-1][1]["Dimensions"]) == [{"region": "cn-hangzhou"}]


def test_coarser_period_for_a_day_window(make_provider: Any, ali: Any) -> None:
    w = TimeWindow.ending_at(NOW, 86400, 300)
    res = make_provider().query([q("FunctionTotalInvocations", group_by=("function",))], w)["a"]
    assert ali.calls[-1][1]["Period"] == "300"
    vals = dict(zip(w.timestamps(), by_function(res)["orders-api"], strict=True))
    t = NOW_S - 300
    assert vals[t] == sum(invocations("orders-api", t + m * 60) for m in range(5))
    assert vals[NOW_S - 6 * 3600] == 360.0  # an hourly history point (5 + minute % 3, summed over the hour)
    assert vals[NOW_S - 6 * 3600 + 300] is None  # nothing between the hourly points


def test_several_metrics_summed_and_stats(make_provider: Any) -> None:
    p = make_provider()
    res = p.query(
        [
            q("Errors", "err"),  # FunctionServerErrors + FunctionFunctionErrors
            q("FunctionAvgDuration", "avg", group_by=("function",)),
            q("FunctionAvgDuration", "max", stat="max", group_by=("function",)),
            q("FunctionMaxMemoryUsage", "mem"),
        ],
        W4H,
    )
    errors = res["err"].series[0].values
    assert sum(v or 0 for v in errors) == 24 * 1 + 8 * 2  # 1 every 10 min + 2 every 30 min
    assert by_function(res["avg"])["image-resize"] == (800.0,) * 240
    assert by_function(res["max"])["image-resize"] == (2400.0,) * 240
    assert res["mem"].series[0].values == (900.0,) * 240  # max across functions


def test_month_compare_beyond_retention_is_a_per_query_error(make_provider: Any, ali: Any) -> None:
    month = TimeWindow.ending_at(NOW, 30 * 86400)
    p = make_provider()
    res = p.query([q("FunctionTotalInvocations", "cur"), q("FunctionBogus", "bad")], month)
    assert res["cur"].error is None and ali.calls[-1][1]["Period"] == "3600"
    assert "is not a Function Compute metric" in (res["bad"].error or "")
    calls = len(ali.calls)
    old = p.query([q("FunctionTotalInvocations", "cmp")], month.shifted(28))["cmp"]
    assert old.error is not None and "31 days" in old.error and "58 days" in old.error
    assert len(ali.calls) == calls  # nothing was asked for


def test_unknown_fc_metric_names_the_closest(make_provider: Any) -> None:
    err = make_provider().query([q("FunctionTotalInvocation")], W4H)["a"].error
    assert err and "FunctionTotalInvocations" in err


def test_monthly_call_budget(make_provider: Any, ali: Any) -> None:
    p = make_provider(metric_call_budget=2)
    res = p.query(
        [q("FunctionTotalInvocations", "a"), q("FunctionServerErrors", "b"), q("FunctionClientErrors", "c")],
        W4H,
    )
    errors = [r.error for r in res.values() if r.error]
    assert len(ali.calls) == 2 and len(errors) == 1 and "budget" in errors[0] and "2026-11" in errors[0]
    assert p.usage().by_operation["CloudMonitor:DescribeMetricList"] == 2


def test_throttling_is_retried_with_backoff(make_provider: Any, ali: Any, fake_time: FakeTime) -> None:
    ali.throttle["DescribeMetricList"] = 2
    res = make_provider().query([q("FunctionTotalInvocations")], W4H)["a"]
    assert res.error is None and fake_time.sleeps == [0.5, 1.0]
    assert len(ali.calls) == 3


def test_throttling_that_persists_fails_the_call_as_throttled(
    make_provider: Any, ali: Any, fake_time: FakeTime
) -> None:
    ali.throttle["DescribeMetricList"] = 10
    with pytest.raises(ProviderError) as ei:
        make_provider(retries=2).query([q("FunctionTotalInvocations")], W4H)
    assert ei.value.throttled and "Throttling.User" in str(ei.value)
    assert fake_time.sleeps == [0.5, 1.0] and len(ali.calls) == 3


def test_rate_limit_paces_calls(make_provider: Any, ali: Any, fake_time: FakeTime) -> None:
    ali.page_length_cap = 20  # 36 pages of one operation at 5 calls/s: waits once the burst of 5 is spent
    res = make_provider(rate_limit=5).query([q("FunctionTotalInvocations")], W4H)["a"]
    assert len(ali.calls) == 36 and res.warnings == ()
    assert len(fake_time.sleeps) == 31 and all(s == pytest.approx(0.2) for s in fake_time.sleeps)


def test_page_cap_bounds_one_query(make_provider: Any, ali: Any) -> None:
    ali.page_length_cap = 10  # 72 pages needed; srvmon stops at 50 and says so
    res = make_provider().query([q("FunctionTotalInvocations")], W4H)["a"]
    assert len(ali.calls) == 50 and res.error is None
    assert res.warnings == (
        "FunctionTotalInvocations: stopped after 50 pages of 1440 points; narrow the query",
    )


def test_stalled_server_fails_within_the_timeout(ali: Any, clock: Any, env_credentials: None) -> None:
    ali.stall.add("DescribeMetricList")
    p = AlibabaProvider("ali", options(ali, timeout="1s", retries=0), clock)
    started = time.monotonic()
    try:
        with pytest.raises(ProviderError, match="timed out"):
            p.query([q("FunctionTotalInvocations")], W4H)
    finally:
        p.close()
    assert time.monotonic() - started < 3


def test_wrong_secret_is_refused_by_the_signature_check(ali: Any, clock: Any, env_credentials: None,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:  # fmt: skip
    monkeypatch.setenv("ALIBABA_CLOUD_ACCESS_KEY_SECRET", "not-the-secret")
    p = AlibabaProvider("ali", options(ali), clock)
    try:
        with pytest.raises(ProviderError, match="SignatureDoesNotMatch"):
            p.query([q("FunctionTotalInvocations")], W4H)
    finally:
        p.close()


def test_sts_token_is_signed(
    ali: Any, clock: Any, env_credentials: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    ali.token = "CAIS-fake-sts-token"
    monkeypatch.setenv("ALIBABA_CLOUD_SECURITY_TOKEN", "CAIS-fake-sts-token")
    p = AlibabaProvider("ali", options(ali), clock)
    try:
        assert p.query([q("FunctionTotalInvocations")], W4H)["a"].error is None
        assert "x-acs-security-token" in ali.server.requests[-1].headers["authorization"]
    finally:
        p.close()


def test_region_level_metric_and_limit(make_provider: Any) -> None:
    p = make_provider()
    res = p.query([q("RegionConcurrentCount")], W4H)["a"]
    assert res.series[0].values[-1] == 30 + (NOW_S - 60) // 60 % 10
    (limit,) = p.limits()
    assert (limit.name, limit.used, limit.limit, limit.unit) == (
        "region_concurrency",
        30 + (NOW_S - 60) // 60 % 10,
        300.0,
        "instances",
    )
