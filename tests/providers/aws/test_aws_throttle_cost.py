"""Throttling becomes ProviderError(throttled=True, retry_after_s=...) (Cost Explorer and Logs over the wire
from a local server speaking their JSON protocol; CloudWatch's CBOR protocol with Stubber), the Cost
Explorer cache is never shared across providers, pages stop at a repeated token or a page budget, failed
sub-calls are visible and counted, and averages over several resources are weighted by requests."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

import boto3
import pytest
from aws_seed import NOW, REGION, seed_cost
from botocore.stub import Stubber
from faults import Fault, FaultServer, closed_port
from test_aws_cost_check import cost_window

from srvmon.model import LogQuery, MetricQuery, TimeWindow
from srvmon.providers.aws import AwsOptions, AwsProvider
from srvmon.providers.base import ProviderError

HOUR = TimeWindow.ending_at(NOW, 3600, 60)
THROTTLED = {"__type": "LimitExceededException", "message": "Rate exceeded"}


def on(url: str, clock: Any, tmp_path: Path, name: str = "aws", **opts: Any) -> AwsProvider:
    opts.setdefault("max_attempts", 1)
    return AwsProvider(
        name, AwsOptions(endpoint_url=url, regions=[REGION], **opts), clock, cache_dir=tmp_path
    )


def test_cost_explorer_throttling_carries_retry_after(fleet: Any, clock: Any, tmp_path: Path) -> None:
    server = FaultServer()
    server.routes["*"] = Fault("status", status=400, body=THROTTLED, headers={"Retry-After": "30"})
    try:
        p = on(server.url, clock, tmp_path, max_attempts=2)
        with pytest.raises(ProviderError) as err:
            p.cost(cost_window())
        hits = server.routes["*"].hits
    finally:
        server.close()
    assert err.value.throttled and err.value.retry_after_s == 30.0
    assert str(err.value) == "GetCostAndUsage: LimitExceededException: Rate exceeded"
    assert hits == 2  # botocore's adaptive mode retried the throttled call once (max_attempts = 2)


def test_logs_throttling_is_throttled(fleet: Any, clock: Any, tmp_path: Path) -> None:
    server = FaultServer()
    body = {"__type": "ThrottlingException", "message": "Rate exceeded"}
    server.routes["*"] = Fault("status", status=400, body=body)
    try:
        with pytest.raises(ProviderError) as err:
            on(server.url, clock, tmp_path).logs(LogQuery("aws", HOUR, resources=("checkout-api",)))
    finally:
        server.close()
    assert err.value.throttled and err.value.retry_after_s is None
    assert "ThrottlingException: Rate exceeded" in str(err.value)


def test_cloudwatch_throttling_fails_the_whole_query(make_provider: Any) -> None:
    """Stubber: CloudWatch speaks CBOR (smithy-rpc-v2); the error is in its documented shape."""
    p = make_provider()
    p.discovery.inventory()
    cw = p.sessions.client("cloudwatch", p.sessions.targets()[0])
    with Stubber(cw) as stub:
        stub.add_client_error(
            "get_metric_data",
            service_error_code="ThrottlingException",
            service_message="Rate exceeded",
            http_status_code=400,
            response_meta={"HTTPHeaders": {"retry-after": "12"}},
        )
        with pytest.raises(ProviderError) as err:
            p.query([MetricQuery("a", "aws", "lambda:Invocations", "sum")], HOUR)
    assert err.value.throttled and err.value.retry_after_s == 12.0


def test_cost_cache_is_never_shared_across_providers(
    fleet: Any, make_provider: Any, clock: Any, tmp_path: Path
) -> None:
    seed_cost(fleet.url, fleet.cost_days)  # moto hands each queued result to one new request shape
    cache = tmp_path / "cache"
    first = make_provider()  # caches its rows in tmp_path / "cache"
    assert first.cost(cost_window())
    url = f"http://127.0.0.1:{closed_port()}"
    down = AwsProvider(
        "other-account",
        AwsOptions(endpoint_url=url, regions=[REGION], max_attempts=1, timeout="1s"),
        clock,
        cache_dir=cache,
    )
    with pytest.raises(ProviderError) as err:  # never the first provider's rows
        down.cost(cost_window())
    assert f"GetCostAndUsage: cannot reach {url}" in str(err.value)
    same_endpoint = on(first.opts.endpoint_url or "", clock, cache, name="staging")
    same_endpoint.cost(cost_window())
    assert same_endpoint.usage().by_operation["GetCostAndUsage"] == 1  # its own key, its own call
    assert len(list(cache.glob("aws-ce-*.json"))) == 2
    text = "".join(f.read_text() for f in cache.glob("aws-ce-*.json"))
    assert "testing" not in text  # the access key id is hashed into the key, never written


def test_a_repeated_page_token_stops_cost_explorer(fleet: Any, clock: Any, tmp_path: Path) -> None:
    server = FaultServer()
    server.routes["*"] = Fault("json", body={"ResultsByTime": [], "NextPageToken": "again"})
    try:
        with pytest.raises(ProviderError) as err:
            on(server.url, clock, tmp_path).cost(cost_window())
        hits = server.routes["*"].hits
    finally:
        server.close()
    assert "the same NextPageToken came back twice" in str(err.value) and hits == 2


def test_metric_pages_are_bounded(make_provider: Any) -> None:
    """Stubber: CBOR again; a server that keeps sending NextToken gets at most the pages the window needs."""
    p = make_provider(include=["checkout-api"])
    p.discovery.inventory()
    cw = p.sessions.client("cloudwatch", p.sessions.targets()[0])
    page = {"MetricDataResults": [{"Id": "m0", "Timestamps": [], "Values": [], "StatusCode": "PartialData"}]}
    with Stubber(cw) as stub:
        for i in range(3):  # 1 metric x 61 points fits one page: at most 1 + 2 pages are read
            stub.add_response("get_metric_data", {**page, "NextToken": f"t{i}"})
        r = p.query([MetricQuery("a", "aws", "lambda:Invocations", "sum")], HOUR)["a"]
    assert any("GetMetricData: stopped after 3 pages" in w for w in r.warnings)


def test_failed_sub_calls_are_visible_and_counted(make_provider: Any) -> None:
    """moto fails GetMetricData for percentile stats (a serializer error, HTTP 500): the batch is split,
    only the p99 query carries the error, and usage counts the failed calls out of all calls."""
    p = make_provider()
    r = p.query(
        [
            MetricQuery("ok", "aws", "lambda:Invocations", "sum"),
            MetricQuery("p99", "aws", "lambda:Duration", "p99", ("function",)),
        ],
        HOUR,
    )
    assert r["ok"].ok and r["ok"].series
    assert r["p99"].error and r["p99"].error.startswith("GetMetricData: ")
    extra = p.usage().extra
    assert 1 <= extra["calls_failed"] < extra["calls"]


def test_averages_over_resources_are_weighted_by_requests(fleet: Any, make_provider: Any) -> None:
    cw = boto3.client("cloudwatch", endpoint_url=fleet.url, region_name=REGION)
    at = NOW - timedelta(minutes=30, seconds=-10)
    data = [("a", 10.0)] * 9 + [("b", 110.0)]  # a: 9 requests of 10 ms; b: 1 request of 110 ms
    cw.put_metric_data(
        Namespace="Test/Weighted",
        MetricData=[
            {
                "MetricName": "Latency",
                "Dimensions": [{"Name": "Svc", "Value": svc}],
                "Timestamp": at,
                "Value": v,
            }
            for svc, v in data
        ],
    )
    p = make_provider()
    query = {"namespace": "Test/Weighted", "metric": "Latency", "dimensions": {"Svc": "*"}, "stat": "avg"}
    r = p.query([MetricQuery("lat", "aws", query)], HOUR)["lat"]
    [series] = r.series
    assert series.present() == [pytest.approx(20.0)]  # (9 x 10 + 110) / 10, not the plain mean 60
    assert "average over 2 resources, weighted by requests (each resource's SampleCount)" in r.warnings
    per = p.query([MetricQuery("per", "aws", query, group_by=("Svc",))], HOUR)["per"]
    assert sorted(s.present()[0] for s in per.series) == [10.0, 110.0]
    assert not any("weighted" in w for w in per.warnings)
