"""Metric queries against moto: short forms, REST vs HTTP API names, DynamoDB utilisation, DLQs, fleet-wide
aggregates, top-N, week-over-week values bucket by bucket, batching/economy, alignment of moto's quirks.
Stubber is used ONLY where moto cannot answer (throttling, percentiles, Metrics Insights) and says so."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from aws_seed import EVERY, FUNCTIONS, MINUTES, NOW, invocations_today, invocations_week_ago
from botocore.stub import ANY, Stubber

from srvmon.model import MetricQuery, TimeWindow
from srvmon.providers.aws import AwsProvider
from srvmon.providers.aws.metrics import align
from srvmon.providers.aws.queries import Leaf, period_for
from srvmon.providers.aws.session import Target
from srvmon.providers.base import ProviderError

WINDOW = TimeWindow.ending_at(NOW, 4 * 3600)


def q(
    ref: str, query: Any, stat: str | None = None, group_by: tuple[str, ...] = (), **kw: Any
) -> MetricQuery:
    return MetricQuery(ref, "aws", query, stat, group_by, **kw)


def sparse(values: dict[str, tuple[float | None, ...]]) -> dict[str, set[float | None]]:
    """Values of the sparsely seeded metrics: data every EVERY minutes, gaps (None) in between."""
    out = {}
    for k, v in values.items():
        assert all(v[m] is not None for m in range(0, MINUTES, EVERY)), k
        assert all(x is None for m, x in enumerate(v) if m % EVERY), k
        out[k] = {x for x in v if x is not None}
    return out


def by_label(result: Any, key: str) -> dict[str, tuple[float | None, ...]]:
    assert result.error is None, result.error
    return {s.labels[key]: s.values for s in result.series}


def test_window_is_the_seeded_one() -> None:
    assert WINDOW.points == MINUTES and WINDOW.step_s == 60 and WINDOW.end == NOW


def test_invocations_per_function_today_and_week_ago_value_by_value(make_provider: Any) -> None:
    p = make_provider()
    now = p.query([q("a", "lambda:Invocations", "sum", ("function",))], WINDOW)["a"]
    ago = p.query([q("a", "lambda:Invocations", "sum", ("function",))], WINDOW.shifted(7))["a"]
    assert all(s.timestamps == tuple(WINDOW.timestamps()) for s in now.series)
    assert all(s.timestamps == tuple(WINDOW.shifted(7).timestamps()) for s in ago.series)
    today, week = by_label(now, "function"), by_label(ago, "function")
    assert set(today) == set(FUNCTIONS)
    for name, (*_, base) in FUNCTIONS.items():
        assert today[name] == tuple(invocations_today(base, m) for m in range(MINUTES))
        assert week[name] == tuple(invocations_week_ago(base, m) for m in range(MINUTES))
    # week-over-week on the window total, e.g. checkout-api: (10+11+12+13)*60 vs 5*240
    assert sum(today["checkout-api"]) == 2760.0 and sum(week["checkout-api"]) == 1200.0  # type: ignore[arg-type]


def test_fleet_wide_uses_account_metric_or_sums_members_when_filtered(make_provider: Any) -> None:
    p = make_provider()
    r = p.query([q("a", "lambda:Invocations")], WINDOW)["a"]
    assert [s.labels for s in r.series] == [{}]
    assert r.series[0].values == tuple(60.0 + 3 * (m // 60) for m in range(MINUTES))
    assert p.usage().metrics_requested == 1  # one account-level metric, not one per function
    filtered = make_provider(include=["*"]).query([q("a", "lambda:Invocations")], WINDOW)["a"]
    assert filtered.series[0].values == r.series[0].values
    avg = make_provider(include=["*"]).query([q("a", "lambda:Duration", "avg")], WINDOW)["a"]
    assert sparse({"all": avg.series[0].values}) == {"all": {200.0}}  # mean of 100, 200, 300


def test_api_gateway_rest_and_http_names(fleet: Any, make_provider: Any) -> None:
    p = make_provider()
    res = p.query(
        [
            q("e", "apigw:5xx", None, ("api",)),
            q("c", "apigw:Count"),
            q("u", "apigw:4xx", "sum", ("api",)),
            q("l", "apigw:Latency", "avg", ("api",)),
        ],
        WINDOW,
    )
    assert sparse(by_label(res["e"], "api")) == {"shop-api": {2.0}, "public-api": {1.0}}
    assert sparse(by_label(res["u"], "api")) == {"shop-api": {5.0}, "public-api": {3.0}}
    assert sparse(by_label(res["l"], "api")) == {"shop-api": {50.0}, "public-api": {30.0}}
    assert sparse({"all": res["c"].series[0].values}) == {"all": {140.0}}
    ago = p.query([q("c", "apigw:Count")], WINDOW.shifted(7))["c"]
    assert sparse({"all": ago.series[0].values}) == {"all": {70.0}}


def test_dynamodb_utilization_dlq_and_state_machines(make_provider: Any) -> None:
    p = make_provider()
    res = p.query(
        [
            q("u", "dynamodb:utilization", None, ("table",)),
            q("d", "dlq:ApproximateNumberOfMessagesVisible", "max", ("queue",)),
            q("s", "states:ExecutionsFailed", "sum", ("state_machine",)),
            q("a", "sqs:ApproximateAgeOfOldestMessage", None, ("queue",)),
        ],
        WINDOW,
    )
    util = by_label(res["u"], "table")
    assert set(util) == {"orders", "audit"}  # the on-demand table has no provisioned capacity
    assert sparse(util) == {"orders": {80.0}, "audit": {10.0}}  # max(3000/60/100, 2400/60/50) = 80 %
    assert sparse(by_label(res["d"], "queue")) == {"orders-dlq": {3.0}}
    assert sparse(by_label(res["s"], "state_machine")) == {"order-flow": {1.0}}
    ages = by_label(res["a"], "queue")
    assert sparse({"q": ages["orders-queue"]}) == {"q": {120.0}} and set(ages["orders-dlq"]) == {None}


def test_top_n_hint_and_custom_dict_queries(make_provider: Any) -> None:
    p = make_provider()
    res = p.query(
        [
            q("t", "lambda:Invocations", "sum", ("function",), limit=2),
            q("b", "lambda:Invocations", "sum", ("function",), limit=1, order="asc"),
            q(
                "d",
                {"namespace": "AWS/Lambda", "metric": "Duration", "dimensions": {"FunctionName": "*"}},
                "avg",
                ("FunctionName",),
            ),
        ],
        WINDOW,
    )
    assert [s.labels["function"] for s in res["t"].series] == ["image-resizer", "orders-worker"]
    assert [s.labels["function"] for s in res["b"].series] == ["checkout-api"]
    assert sparse(by_label(res["d"], "function")) == {
        "checkout-api": {100.0},
        "orders-worker": {200.0},
        "image-resizer": {300.0},
    }


def test_unknown_wildcard_dimension_expands_with_list_metrics(fleet: Any, make_provider: Any) -> None:
    import boto3

    cw = boto3.client("cloudwatch", endpoint_url=fleet.url, region_name="us-east-1")
    start = WINDOW.start
    cw.put_metric_data(
        Namespace="Shop/Orders",
        MetricData=[
            {
                "MetricName": "Placed",
                "Dimensions": [{"Name": "Country", "Value": c}],
                "Timestamp": start + timedelta(minutes=m, seconds=5),
                "Value": v,
            }
            for c, v in (("FR", 4.0), ("JP", 7.0))
            for m in range(3)
        ],
    )
    p = make_provider()
    r = p.query(
        [
            q(
                "x",
                {"namespace": "Shop/Orders", "metric": "Placed", "dimensions": {"Country": "*"}},
                "sum",
                ("Country",),
            )
        ],
        WINDOW,
    )["x"]
    got = by_label(r, "Country")
    assert got["FR"][:4] == (4.0, 4.0, 4.0, None) and got["JP"][:3] == (7.0, 7.0, 7.0)
    assert p.usage().by_operation["ListMetrics"] == 1


def test_economy_one_call_per_500_unique_metrics_and_dedup(
    make_provider: Any, empty_moto: str, clock: Any
) -> None:
    p = make_provider()
    p.discovery.inventory()
    before = p.usage()
    p.query(
        [
            q("a", "lambda:Invocations", "sum", ("function",)),
            q("b", "lambda:Invocations", "sum", ("function",)),
            q("c", "lambda:Errors", "sum", ("function",)),
        ],
        WINDOW,
    )
    after = p.usage()
    assert after.by_operation["GetMetricData"] - before.by_operation.get("GetMetricData", 0) == 1
    assert after.metrics_requested - before.metrics_requested == 6  # 3 + 3, the duplicate panel is free
    assert after.estimated_cost_usd == pytest.approx(6 * 0.01 / 1000)
    from srvmon.providers.aws import AwsOptions

    big = AwsProvider("big", AwsOptions(endpoint_url=empty_moto, regions=["us-east-1"]), clock)
    t = Target("default", "us-east-1")
    leaves = [
        Leaf(t, "AWS/Lambda", "Invocations", (("FunctionName", f"fn-{i:04d}"),), "Sum", ())
        for i in range(1201)
    ]
    fetched = big.runner.fetch(leaves, WINDOW, NOW)
    big.close()
    assert (fetched.calls, fetched.metrics) == (3, 1201)
    assert not fetched.errors and all(v == (None,) * MINUTES for v in fetched.values.values())


def test_align_handles_moto_and_aws_bucket_origins() -> None:
    w = TimeWindow.ending_at(NOW, 3600, 60)
    s = w.start_s
    # moto: buckets start at StartTime and empty ones are dropped; AWS: any point inside its bucket
    assert align([s, s + 120, s + 179], [1, 2, 3], w)[:4] == (1.0, None, 5.0, None)
    assert align([s + 120, s + 179], [2, 3], w, "Maximum")[2] == 3.0
    assert align([s - 60, s + 3600, "bad", s], [9, 9, 1, float("nan")], w) == (None,) * 60
    assert period_for(w, NOW) == 60
    assert period_for(w.shifted(20), NOW) == 300 and period_for(w.shifted(70), NOW) == 3600


def test_validate_query_messages() -> None:
    v = AwsProvider.validate_query
    assert v("lambda:Invocations", "sum") is None
    assert (
        v({"namespace": "AWS/Lambda", "metric": "Duration", "dimensions": {"FunctionName": "*"}}, "p99")
        is None
    )
    assert "service one of" in (v("lamda:Invocations", None) or "")
    assert "unknown stat" in (v("lambda:Duration", "p999x") or "")
    assert "unknown key" in (v({"namespace": "AWS/Lambda", "metric": "X", "dims": {}}, None) or "")
    assert "needs `query`" in (v(None, None) or "")


def _stub(p: Any) -> Stubber:
    p.discovery.inventory()
    client = p.sessions.client("cloudwatch", p.sessions.targets()[0])
    return Stubber(client)


def test_throttling_is_flagged(make_provider: Any) -> None:
    """Stubber: moto never throttles; the ThrottlingException shape is botocore's own."""
    p = make_provider(max_attempts=1)
    with _stub(p) as stub:
        stub.add_client_error(
            "get_metric_data",
            service_error_code="ThrottlingException",
            service_message="Rate exceeded",
            http_status_code=400,
        )
        with pytest.raises(ProviderError) as err:
            p.query([q("a", "lambda:Invocations", "sum", ("function",))], WINDOW)
    assert err.value.throttled and "ThrottlingException" in str(err.value)
    with _stub(p) as stub:
        stub.add_client_error("get_metric_data", service_error_code="AccessDenied", http_status_code=403)
        r = p.query([q("a", "lambda:Invocations", "sum", ("function",))], WINDOW)["a"]
    assert r.error and "AccessDenied" in r.error and not r.throttled


def test_percentile_stats_request_and_parse(make_provider: Any) -> None:
    """Stubber: moto crashes on Stat="p99"; canned response in GetMetricData's recorded shape."""
    p = make_provider(include=["checkout-api"])
    ts = [WINDOW.start + timedelta(minutes=m) for m in (0, 1)]
    with _stub(p) as stub:
        stub.add_response(
            "get_metric_data",
            {
                "MetricDataResults": [
                    {
                        "Id": "m0",
                        "Label": "Duration",
                        "Timestamps": ts,
                        "Values": [812.5, 990.0],
                        "StatusCode": "Complete",
                    }
                ],
                "Messages": [],
            },
            {
                "MetricDataQueries": [
                    {
                        "Id": "m0",
                        "ReturnData": True,
                        "MetricStat": {
                            "Metric": {
                                "Namespace": "AWS/Lambda",
                                "MetricName": "Duration",
                                "Dimensions": [{"Name": "FunctionName", "Value": "checkout-api"}],
                            },
                            "Period": 60,
                            "Stat": "p99",
                        },
                    }
                ],
                "StartTime": WINDOW.start,
                "EndTime": WINDOW.end,
                "ScanBy": "TimestampAscending",
            },
        )
        r = p.query([q("p", "lambda:Duration", "p99", ("function",))], WINDOW)["p"]
    assert r.series[0].labels == {"function": "checkout-api"}
    assert r.series[0].values[:3] == (812.5, 990.0, None)


def test_metrics_insights_top_n(make_provider: Any) -> None:
    """Stubber: moto's Insights is fake (it sums every datum); canned GROUP BY answer in the real shape."""
    p = make_provider(metrics_mode="insights")
    ts = [WINDOW.start]
    expected = (
        'SELECT SUM(Invocations) FROM SCHEMA("AWS/Lambda", FunctionName) GROUP BY FunctionName '
        "ORDER BY SUM() DESC LIMIT 2"
    )
    with _stub(p) as stub:
        stub.add_response(
            "get_metric_data",
            {
                "MetricDataResults": [
                    {
                        "Id": "q0",
                        "Label": "image-resizer",
                        "Timestamps": ts,
                        "Values": [30.0],
                        "StatusCode": "Complete",
                    },
                    {
                        "Id": "q0",
                        "Label": "orders-worker",
                        "Timestamps": ts,
                        "Values": [20.0],
                        "StatusCode": "Complete",
                    },
                ]
            },
            {
                "MetricDataQueries": [{"Id": "q0", "Expression": expected, "Period": 60, "ReturnData": True}],
                "StartTime": ANY,
                "EndTime": ANY,
                "ScanBy": "TimestampAscending",
            },
        )
        r = p.query([q("t", "lambda:Invocations", "sum", ("function",), limit=2)], WINDOW)["t"]
    assert [(s.labels["function"], s.values[0]) for s in r.series] == [
        ("image-resizer", 30.0),
        ("orders-worker", 20.0),
    ]
    assert p.usage().by_operation["GetMetricData"] == 1


def test_settled_windows_are_fetched_once(make_provider: Any) -> None:
    p = make_provider()
    query = [q("a", "lambda:Invocations", "sum", ("function",))]
    first = p.query(query, WINDOW.shifted(7))["a"]
    calls = p.usage().by_operation["GetMetricData"]
    again = p.query(query, WINDOW.shifted(7))["a"]  # a week-ago window never changes
    assert p.usage().by_operation["GetMetricData"] == calls
    assert again.series == first.series
    later = WINDOW.shifted(7 - 30 / 1440)  # 30 min later: inside the fetched 1 h horizon
    moved = p.query(query, later)["a"]
    assert p.usage().by_operation["GetMetricData"] == calls
    assert moved.series[0].timestamps == tuple(later.timestamps())
    assert by_label(moved, "function")["checkout-api"] == (5.0,) * (MINUTES - 30) + (None,) * 30
    p.query(query, WINDOW)
    p.query(query, WINDOW)  # the current window still moves: fetched each time
    assert p.usage().by_operation["GetMetricData"] == calls + 2


def test_one_failing_query_does_not_fail_its_batch(make_provider: Any) -> None:
    """Real moto: its GetMetricData crashes (HTTP 500) on a percentile stat; the batch is bisected so
    only the p99 leaves carry the error and every other panel gets its data."""
    p = make_provider()
    res = p.query(
        [q("i", "lambda:Invocations", "sum", ("function",)), q("p", "lambda:Duration", "p99", ("function",))],
        WINDOW,
    )
    assert res["p"].error and "500" in res["p"].error and "<" not in res["p"].error
    assert by_label(res["i"], "function")["checkout-api"][0] == 10.0
