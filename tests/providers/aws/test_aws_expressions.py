"""The expression query form (metric math, SEARCH, Metrics Insights SELECT) and variable listings.

moto copies a query's series for an Expression equal to its Id (tested against moto), but answers real
math and SEARCH with empty Values and sums the whole account for SELECT (CLOUD-APIS.md B): those tests
use Stubber with canned answers in GetMetricData's documented response shape, and say so."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from aws_seed import FUNCTIONS, MINUTES, NOW, invocations_today
from botocore.stub import ANY, Stubber

from srvmon.model import MetricQuery, TimeWindow
from srvmon.providers.aws import AwsProvider
from srvmon.providers.base import ProviderError

WINDOW = TimeWindow.ending_at(NOW, 4 * 3600)
INVOCATIONS = {"namespace": "AWS/Lambda", "metric": "Invocations", "dimensions": {"FunctionName": "checkout-api"}, "stat": "Sum"}  # fmt: skip
ERRORS = {"namespace": "AWS/Lambda", "metric": "Errors", "dimensions": {"FunctionName": "checkout-api"}, "stat": "Sum"}  # fmt: skip


def q(ref: str, query: Any, **kw: Any) -> MetricQuery:
    return MetricQuery(ref, "aws", query, **kw)


def _stub(p: Any) -> Stubber:
    p.discovery.inventory()
    return Stubber(p.sessions.client("cloudwatch", p.sessions.targets()[0]))


def test_expression_copying_a_metric_runs_on_moto(make_provider: Any) -> None:
    """Real moto: `m1` (an Expression naming another query's Id) returns that metric's series."""
    p = make_provider()
    r = p.query(
        [q("a", {"expression": "inv", "using": {"inv": INVOCATIONS}, "label": "checkout calls"})], WINDOW
    )["a"]
    assert r.ok, r.error
    assert [s.labels for s in r.series] == [{"label": "checkout calls"}]
    assert r.series[0].values == tuple(
        invocations_today(FUNCTIONS["checkout-api"][3], m) for m in range(MINUTES)
    )
    assert p.usage().by_operation["GetMetricData"] >= 1


def test_metric_math_request_shape_and_answer(make_provider: Any) -> None:
    """Stubber: moto returns empty Values for real math; the canned answer is GetMetricData's shape."""
    p = make_provider()
    ts = [WINDOW.start + timedelta(minutes=m) for m in (0, 1, 2)]
    with _stub(p) as stub:
        stub.add_response(
            "get_metric_data",
            {"MetricDataResults": [{"Id": "expr0", "Label": "error %", "Timestamps": ts,
                                    "Values": [20.0, 18.2, 16.7], "StatusCode": "Complete"}], "Messages": []},
            {
                "MetricDataQueries": [
                    {"Id": "expr0", "Expression": "100 * err / inv", "ReturnData": True, "Label": "error %"},
                    {"Id": "err", "ReturnData": False, "MetricStat": {"Metric": {"Namespace": "AWS/Lambda",
                     "MetricName": "Errors", "Dimensions": [{"Name": "FunctionName", "Value": "checkout-api"}]},
                     "Period": 60, "Stat": "Sum"}},
                    {"Id": "inv", "ReturnData": False, "MetricStat": {"Metric": {"Namespace": "AWS/Lambda",
                     "MetricName": "Invocations", "Dimensions": [{"Name": "FunctionName", "Value": "checkout-api"}]},
                     "Period": 60, "Stat": "Sum"}},
                ],
                "StartTime": WINDOW.start,
                "EndTime": WINDOW.end,
                "ScanBy": "TimestampAscending",
            },
        )  # fmt: skip
        query = {
            "expression": "100 * err / inv",
            "using": {"err": ERRORS, "inv": INVOCATIONS},
            "label": "error %",
        }
        r = p.query([q("m", query)], WINDOW)["m"]
    assert r.series[0].labels == {"label": "error %"}
    assert r.series[0].values[:4] == (20.0, 18.2, 16.7, None)


def test_search_returns_one_series_per_label(make_provider: Any) -> None:
    """Stubber: moto answers SEARCH with nothing; canned two-function answer in the real shape."""
    p = make_provider()
    expr = "SEARCH('{AWS/Lambda,FunctionName} MetricName=\"Invocations\"', 'Sum', 60)"
    ts = [WINDOW.start + timedelta(minutes=m) for m in (0, 1)]
    with _stub(p) as stub:
        stub.add_response(
            "get_metric_data",
            {"MetricDataResults": [
                {"Id": "expr0", "Label": "checkout-api", "Timestamps": ts, "Values": [10.0, 11.0], "StatusCode": "Complete"},
                {"Id": "expr0", "Label": "orders-worker", "Timestamps": ts, "Values": [20.0, 21.0], "StatusCode": "Complete"},
            ]},
            {"MetricDataQueries": [{"Id": "expr0", "Expression": expr, "ReturnData": True}],
             "StartTime": ANY, "EndTime": ANY, "ScanBy": "TimestampAscending"},
        )  # fmt: skip
        r = p.query([q("s", {"expression": expr}, limit=1)], WINDOW)["s"]
    assert [(s.labels["label"], s.values[:2]) for s in r.series] == [("orders-worker", (20.0, 21.0))]


def test_select_sends_a_period(make_provider: Any) -> None:
    """Stubber: moto's Insights is fake; a SELECT carries Period (required by GetMetricData)."""
    p = make_provider()
    sql = 'SELECT SUM(Errors) FROM SCHEMA("AWS/Lambda", FunctionName) GROUP BY FunctionName'
    with _stub(p) as stub:
        stub.add_response(
            "get_metric_data",
            {"MetricDataResults": [{"Id": "expr0", "Label": "checkout-api", "Timestamps": [WINDOW.start],
                                    "Values": [2.0], "StatusCode": "Complete"}]},
            {"MetricDataQueries": [{"Id": "expr0", "Expression": sql, "ReturnData": True, "Period": 300}],
             "StartTime": ANY, "EndTime": ANY, "ScanBy": "TimestampAscending"},
        )  # fmt: skip
        r = p.query([q("i", {"expression": sql, "period": 300})], WINDOW)["i"]
    assert r.series[0].labels == {"label": "checkout-api"} and r.series[0].values[0] == 2.0


def test_expression_failures_stay_on_their_query(make_provider: Any) -> None:
    """Stubber: moto never refuses an expression; the ValidationError shape is botocore's."""
    p = make_provider(max_attempts=1)
    with _stub(p) as stub:
        stub.add_client_error("get_metric_data", service_error_code="ValidationError",
                              service_message="Error in expression 'expr0': Unknown function", http_status_code=400)  # fmt: skip
        r = p.query([q("x", {"expression": "FOO(m1)"})], WINDOW)["x"]
    assert r.error and "Unknown function" in r.error


def test_expression_validation() -> None:
    v = AwsProvider.validate_query
    assert v({"expression": "SUM(METRICS())", "using": {"m1": INVOCATIONS}}, None) is None
    assert "unknown key" in (v({"expression": "m1", "metrics": {}}, None) or "")
    assert "lowercase" in (v({"expression": "M1", "using": {"M1": INVOCATIONS}}, None) or "")
    assert "'*' dimension" in (v({"expression": "m1", "using": {"m1": {**INVOCATIONS, "dimensions": {"FunctionName": "*"}}}}, None) or "")  # fmt: skip
    assert "period" in (v({"expression": "m1", "period": 90}, None) or "")
    assert "one line" in (v({"expression": "m1\nm2"}, None) or "")


def test_variable_values_from_list_metrics(make_provider: Any) -> None:
    """Real moto ListMetrics: a CloudWatch dashboard variable's search lists the seeded functions."""
    p = make_provider()
    got = p.variable_values(
        {"search": '{AWS/Lambda,FunctionName} MetricName="Invocations"', "populate_from": "FunctionName"}
    )
    assert got == sorted(FUNCTIONS)
    assert p.variable_values({"search": "{AWS/DynamoDB,TableName}", "populate_from": "TableName"}) == [
        "audit",
        "orders",
    ]
    with pytest.raises(ProviderError, match="populate_from"):
        p.variable_values({"search": "{AWS/Lambda,FunctionName}", "populate_from": "TableName"})
    with pytest.raises(ProviderError, match="use"):
        p.variable_values({"search": "Invocations free text", "populate_from": "FunctionName"})
