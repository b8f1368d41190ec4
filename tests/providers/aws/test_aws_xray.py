"""AWS X-Ray in the AWS provider: filter expressions (hostile names refused), the service graph and the
servicemap panel through the Poller, trace searches and whole traces, and usage with its price.

Where moto works (PutTraceSegments, GetTraceSummaries without a filter, BatchGetTraces) the tests use a
moto server in its own process. moto answers GetServiceGraph with an empty dummy and a filtered
GetTraceSummaries with HTTP 500, so those go to a local X-Ray endpoint answering with bodies shaped
like the developer guide's examples (xray_examples.py), over the same wire protocol."""

from __future__ import annotations

import json
import math
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from moto_process import moto_process
from xray_examples import HOSTILE, SERVERLESS_SERVICES, XRayExamples, xray_examples

from srvmon.clock import FrozenClock
from srvmon.config import parse_config
from srvmon.model import LogRecord, ServiceEdge, ServiceNode, TimeWindow, TraceQuery
from srvmon.poll import Poller
from srvmon.providers.aws import AwsOptions, AwsProvider
from srvmon.providers.aws.xray import PRICE_PER_TRACE, FilterError, build_trace, filter_expression
from srvmon.providers.base import ProviderError
from srvmon.traces import trace_id_of

REGION = "us-east-1"
NOW = datetime(2026, 11, 18, 12, 0, tzinfo=UTC)
WINDOW = TimeWindow.ending_at(NOW, 4 * 3600)


def _provider(url: str, clock: FrozenClock, tmp_path: Path, **opts: Any) -> AwsProvider:
    options = AwsOptions(endpoint_url=url, regions=[REGION], max_attempts=1, **opts)
    return AwsProvider("prod", options, clock, cache_dir=tmp_path / "cache")


@pytest.fixture
def examples(fleet: Any) -> Iterator[XRayExamples]:
    """The local X-Ray endpoint (depends on `fleet` for the fake credentials)."""
    with xray_examples() as ex:
        yield ex


# ---- filter expressions ---------------------------------------------------------------------------


def test_filter_expression_from_a_query() -> None:
    q = TraceQuery("prod", WINDOW, "checkout-api", "AWS::Lambda::Function", fault=True)
    assert (
        filter_expression(q) == 'service(id(name: "checkout-api", type: "AWS::Lambda::Function")) { fault }'
    )
    q = TraceQuery("prod", WINDOW, "api.example.com", http_status=500, min_duration_s=1.5, error=True)
    assert (
        filter_expression(q)
        == 'service("api.example.com") { error } AND http.status = 500 AND duration > 1.5'
    )
    assert filter_expression(TraceQuery("prod", WINDOW, throttle=True)) == "throttle"
    assert filter_expression(TraceQuery("prod", WINDOW)) is None
    # braces, parentheses, spaces and non-ASCII letters are plain text inside a string literal
    assert (
        filter_expression(TraceQuery("prod", WINDOW, "orders {v2} (prod) café"))
        == 'service("orders {v2} (prod) café")'
    )


@pytest.mark.parametrize(
    "name",
    [HOSTILE, 'a" OR fault OR "b', "trailing\\", "two\nlines", "\x1b[2J", "", "x" * 513, "sep\u2028arator"],
)
def test_hostile_names_are_refused_not_written_into_the_filter(name: str) -> None:
    with pytest.raises(FilterError, match="cannot be written in an X-Ray filter expression"):
        filter_expression(TraceQuery("prod", WINDOW, name))
    with pytest.raises(FilterError):
        filter_expression(TraceQuery("prod", WINDOW, "ok", service_type=name))


def test_numbers_in_the_filter_are_checked() -> None:
    for status in (99, 600):
        with pytest.raises(FilterError, match="not a status code"):
            filter_expression(TraceQuery("prod", WINDOW, http_status=status))
    for d in (math.nan, math.inf, -1.0):
        with pytest.raises(FilterError, match="between 0 and 86400"):
            filter_expression(TraceQuery("prod", WINDOW, min_duration_s=d))


# ---- service graph (local endpoint: moto returns an empty dummy) -------------------------------------


def test_service_graph_of_the_developer_guide_example(examples: XRayExamples, tmp_path: Path) -> None:
    p = _provider(examples.url, FrozenClock(NOW), tmp_path, xray_group="checkout")
    graph = p.service_graph(WINDOW)
    [sent] = examples.bodies("/ServiceGraph")
    assert (sent["StartTime"], sent["EndTime"], sent["GroupName"]) == (
        WINDOW.start_s,
        WINDOW.end_s,
        "checkout",
    )
    assert [(n.key, n.name, n.type, n.root) for n in graph.nodes] == [
        ("0", "xray-sample.elasticbeanstalk.com", "client", False),
        ("1", "awseb-e-dixzws4s9p-stack-StartupSignupsTable-4IMSMHAYX2BA", "AWS::DynamoDB::Table", False),
        ("2", "xray-sample.elasticbeanstalk.com", "AWS::EC2::Instance", True),
        ("3", "SNS", "AWS::SNS", False),
    ]
    assert [(e.source, e.target) for e in graph.edges] == [("0", "2"), ("2", "1"), ("2", "3")]
    ec2 = graph.nodes[2].stats
    assert ec2 is not None and (ec2.requests, ec2.ok, ec2.errors, ec2.faults) == (4, 3, 1, 0)
    assert (graph.start, graph.end) == (WINDOW.start, WINDOW.end)
    u = p.usage()  # one call; about one trace per request of the root (EC2) service: 4 traces
    assert u.by_operation["GetServiceGraph"] == 1 and u.extra["xray_traces_scanned"] == 4
    assert u.estimated_cost_usd == pytest.approx(4 * PRICE_PER_TRACE)


def _board(url: str, tmp_path: Path, thresholds: str = "") -> Any:
    cfg = parse_config(f'''
[providers.prod]
type = "aws"
endpoint_url = "{url}"
regions = ["{REGION}"]
max_attempts = 1
cache_dir = "{tmp_path / "cache"}"

[[boards]]
name = "map"
[[boards.panels]]
id = "map"
title = "Service map"
kind = "servicemap"
{thresholds}
position = {{ row = 0, col = 0, width = 12, height = 4 }}
''')
    return cfg


def test_servicemap_panel_through_the_poller(examples: XRayExamples, tmp_path: Path) -> None:
    from contract import assert_round_trip

    clock = FrozenClock(NOW)
    cfg = _board(examples.url, tmp_path)
    poller = Poller(cfg.board("map"), cfg.build_providers(clock), clock, timeout_s=30)
    try:
        snap = poller.poll()
    finally:
        poller.close()
    panel = snap.panel("map")
    assert panel.error is None and panel.kind == "servicemap"
    nodes = [r for r in panel.rows or () if isinstance(r, ServiceNode)]
    edges = [r for r in panel.rows or () if isinstance(r, ServiceEdge)]
    per_s = 1 / 14400  # requests over the 4 h window
    # the EC2 instance answered 1 of 4 requests with a 4xx: 25% errors is a warning; the client is not listed
    assert [(n.name, n.type, n.status, n.requests, n.error_pct, n.fault_pct, n.p99_ms) for n in nodes] == [
        ("xray-sample.elasticbeanstalk.com", "AWS::EC2::Instance", "warn", 4, 25.0, 0.0, 157.0),
        ("SNS", "AWS::SNS", "ok", 2, 0.0, 0.0, 76.0),  # then the busiest, then by name
        (
            "awseb-e-dixzws4s9p-stack-StartupSignupsTable-4IMSMHAYX2BA",
            "AWS::DynamoDB::Table",
            "ok",
            2,
            0.0,
            0.0,
            76.0,
        ),
    ]
    assert nodes[0].root and nodes[0].requests_per_s == pytest.approx(4 * per_s, abs=1e-4)
    assert [(e.source, e.target, e.target_type, e.p99_ms, e.status) for e in edges] == [
        ("xray-sample.elasticbeanstalk.com", "SNS", "AWS::SNS", 76.0, "ok"),
        ("xray-sample.elasticbeanstalk.com", "awseb-e-dixzws4s9p-stack-StartupSignupsTable-4IMSMHAYX2BA",
         "AWS::DynamoDB::Table", 76.0, "ok"),
    ]  # fmt: skip
    assert (panel.status, panel.value) == ("warn", 1.0)
    assert snap.providers[0].ok and snap.providers[0].api_calls == 1
    assert_round_trip(snap, svg=False)


def test_servicemap_ratings_faults_throttles_and_hostile_names(
    examples: XRayExamples, tmp_path: Path
) -> None:
    examples.services = SERVERLESS_SERVICES
    clock = FrozenClock(NOW)
    cfg = _board(examples.url, tmp_path, "thresholds = { warn = 1, crit = 3.5 }")
    poller = Poller(cfg.board("map"), cfg.build_providers(clock), clock, timeout_s=30)
    try:
        panel = poller.poll().panel("map")
    finally:
        poller.close()
    nodes = {r.name: r for r in panel.rows or () if isinstance(r, ServiceNode)}
    # faults 4% >= crit 3.5; 3% >= warn 1; throttles 5% of the table's requests warn; the rest ok
    assert [(r.name, r.status) for r in panel.rows or () if isinstance(r, ServiceNode)] == [
        ("checkout-api", "crit"), ("orders", "warn"), ("orders-api/prod", "warn"), (HOSTILE, "ok"),
    ]  # fmt: skip
    assert (nodes["checkout-api"].fault_pct, nodes["checkout-api"].p99_ms) == (4.0, 350.0)
    assert (nodes["orders"].throttle_pct, nodes["orders"].error_pct, nodes["orders"].p99_ms) == (
        5.0,
        5.0,
        10.0,
    )
    assert nodes["orders-api/prod"].p99_ms == 400.0 and nodes[HOSTILE].name == HOSTILE  # data, kept as is
    edges = [(e.source, e.target, e.status) for e in panel.rows or () if isinstance(e, ServiceEdge)]
    assert edges == [("orders-api/prod", "checkout-api", "crit"), ("checkout-api", "orders", "warn")]
    assert (panel.status, panel.value) == ("crit", 3.0)


def test_servicemap_top_caps_nodes_and_says_so(examples: XRayExamples, tmp_path: Path) -> None:
    examples.services = SERVERLESS_SERVICES
    clock = FrozenClock(NOW)
    cfg = _board(examples.url, tmp_path, "top = 2")
    poller = Poller(cfg.board("map"), cfg.build_providers(clock), clock, timeout_s=30)
    try:
        panel = poller.poll().panel("map")
    finally:
        poller.close()
    # all three services warn (default thresholds): the busiest two are kept
    assert [r.name for r in panel.rows or () if isinstance(r, ServiceNode)] == ["orders", "checkout-api"]
    assert [(e.source, e.target) for e in panel.rows or () if isinstance(e, ServiceEdge)] == [
        ("checkout-api", "orders")
    ]
    assert "2 more services not listed (top = 2)" in panel.notes


def test_filtered_search_sends_the_escaped_filter(examples: XRayExamples, tmp_path: Path) -> None:
    p = _provider(examples.url, FrozenClock(NOW), tmp_path)
    found = p.traces(
        TraceQuery("prod", WINDOW, "checkout-api", "AWS::Lambda::Function", fault=True, limit=10)
    )
    [sent] = examples.bodies("/TraceSummaries")
    assert (
        sent["FilterExpression"]
        == 'service(id(name: "checkout-api", type: "AWS::Lambda::Function")) { fault }'
    )
    assert sent["EndTime"] == WINDOW.end_s and sent["StartTime"] == WINDOW.start_s  # 4 h: within the 6 h cap
    assert [s.id for s in found.summaries] == [
        "1-59602606-a43a1ac52fc7ee0eea12a82c",
        "1-59602603-23fc5b688855d396af79b496",
    ]
    first = found.summaries[0]
    assert (first.http_status, first.http_method, first.duration_s) == (200, "POST", 0.084)
    assert first.http_url == "http://scorekeep.elasticbeanstalk.com/api/session"
    assert found.scanned == 2 and p.usage().extra["xray_traces_scanned"] == 2
    with pytest.raises(FilterError):
        p.traces(TraceQuery("prod", WINDOW, HOSTILE))
    assert len(examples.bodies("/TraceSummaries")) == 1  # the hostile name never left the host


def test_a_day_long_search_is_cut_to_six_hours(examples: XRayExamples, tmp_path: Path) -> None:
    p = _provider(examples.url, FrozenClock(NOW), tmp_path)
    day = TimeWindow.ending_at(NOW, 86400)
    found = p.traces(TraceQuery("prod", day, error=True))
    [sent] = examples.bodies("/TraceSummaries")
    assert (sent["EndTime"] - sent["StartTime"], sent["FilterExpression"]) == (6 * 3600, "error")
    assert any("last 6 h of the window" in w for w in found.warnings)


# ---- traces against moto ------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def traced(fleet: Any) -> Iterator[dict[str, Any]]:
    """A fresh moto account holding one trace shaped like the developer guide's BatchGetTraces example:
    the Scorekeep segment (an EB environment) whose `Lambda` subsegment called the `random-name`
    function, whose own segment has a DynamoDB subsegment that faulted."""
    import boto3

    now = datetime.now(UTC)
    t0 = now.timestamp() - 120
    tid = f"1-{int(t0):08x}-23fc5b688855d396af79b496"
    scorekeep = {
        "id": "194fcc8747581230", "name": "Scorekeep", "trace_id": tid, "start_time": t0, "end_time": t0 + 3.232,
        "http": {"request": {"url": "http://scorekeep.elasticbeanstalk.com/api/user", "method": "POST"},
                 "response": {"status": 500}},
        "fault": True, "origin": "AWS::ElasticBeanstalk::Environment",
        "subsegments": [{"id": "0c544c1b1bbff948", "name": "Lambda", "start_time": t0 + 0.067,
                         "end_time": t0 + 3.010, "namespace": "aws", "http": {"response": {"status": 200}}}],
    }  # fmt: skip
    function = {
        "id": "1fb07842d944e714", "name": "random-name", "trace_id": tid, "start_time": t0 + 0.115,
        "end_time": t0 + 2.895, "parent_id": "0c544c1b1bbff948", "origin": "AWS::Lambda::Function",
        "subsegments": [{"id": "a1b2c3d4e5f60718", "name": "DynamoDB", "start_time": t0 + 0.2, "end_time": t0 + 2.8,
                         "namespace": "aws", "fault": True, "http": {"response": {"status": 500}},
                         "cause": {"exceptions": [{"message": "Internal server error \x1b[31m"}]}}],
    }  # fmt: skip
    with moto_process() as url:
        xray = boto3.client("xray", endpoint_url=url, region_name=REGION)
        answer = xray.put_trace_segments(TraceSegmentDocuments=[json.dumps(scorekeep), json.dumps(function)])
        assert answer["UnprocessedTraceSegments"] == []
        yield {"url": url, "id": tid, "t0": t0}


def test_search_and_read_a_trace_from_moto(traced: dict[str, Any], tmp_path: Path) -> None:
    clock = FrozenClock(datetime.now(UTC) + timedelta(seconds=60))
    p = _provider(traced["url"], clock, tmp_path)
    found = p.traces(TraceQuery("prod", TimeWindow.ending_at(clock.now(), 3600, 60)))  # no filter: moto can
    [summary] = found.summaries
    assert (summary.id, summary.fault) == (traced["id"], True)
    assert summary.start == float(int(traced["t0"]))  # from the id: moto does not send StartTime
    trace = p.trace(traced["id"])
    t0 = traced["t0"]
    assert [(s.name, s.kind, s.depth, s.parent_id) for s in trace.spans] == [
        ("Scorekeep", "segment", 0, None),
        ("Lambda", "subsegment", 1, "194fcc8747581230"),
        ("random-name", "segment", 2, "0c544c1b1bbff948"),
        ("DynamoDB", "subsegment", 3, "1fb07842d944e714"),
    ]
    root, _, fn, ddb = trace.spans
    assert (root.http_status, root.fault, root.origin) == (500, True, "AWS::ElasticBeanstalk::Environment")
    assert root.duration_s == pytest.approx(3.232) and fn.duration_s == pytest.approx(2.78)
    assert (ddb.fault, ddb.error_message) == (
        True,
        "Internal server error \x1b[31m",
    )  # the view makes it inert
    assert trace.start == pytest.approx(t0) and trace.end == pytest.approx(t0 + 3.232)
    u = p.usage()
    assert (u.by_operation["GetTraceSummaries"], u.by_operation["BatchGetTraces"]) == (1, 1)
    assert (u.extra["xray_traces_scanned"], u.extra["xray_traces_retrieved"]) == (1, 1)
    assert u.estimated_cost_usd == pytest.approx(2 * PRICE_PER_TRACE)


def test_a_log_record_leads_to_its_trace(traced: dict[str, Any], tmp_path: Path) -> None:
    """A Lambda REPORT line carries `XRAY TraceId` when active tracing is on; the id opens the trace."""
    report = (
        "REPORT RequestId: 3604209a-e9a3-11e6-939a-754dd98c7be3\tDuration: 12.34 ms\tBilled Duration: 13 ms\t"
        f"Memory Size: 128 MB\tMax Memory Used: 18 MB\t\nXRAY TraceId: {traced['id']}\tSegmentId: 1fb07842d944e714\t"
        "Sampled: true"
    )
    tid = trace_id_of(LogRecord(traced["t0"], "random-name", report))
    assert tid == traced["id"]
    clock = FrozenClock(datetime.now(UTC) + timedelta(seconds=60))
    trace = _provider(traced["url"], clock, tmp_path).trace(tid)
    assert trace.spans[0].name == "Scorekeep"


def test_unknown_or_malformed_trace_ids(traced: dict[str, Any], tmp_path: Path) -> None:
    clock = FrozenClock(datetime.now(UTC) + timedelta(seconds=60))
    p = _provider(traced["url"], clock, tmp_path)
    with pytest.raises(
        ProviderError, match="no trace 1-00000000-000000000000000000000000 in default/us-east-1"
    ):
        p.trace("1-00000000-000000000000000000000000")
    with pytest.raises(ProviderError, match="is not an X-Ray trace id"):
        p.trace('1-x"; DROP')


def test_xray_off_is_unsupported(tmp_path: Path) -> None:
    from srvmon.providers.base import NotSupported

    p = _provider("http://127.0.0.1:9", FrozenClock(NOW), tmp_path, xray=False)
    assert {"servicemap", "traces"} & p.capabilities == set()
    with pytest.raises(NotSupported, match="xray = false"):
        p.service_graph(WINDOW)


def test_broken_segment_documents_are_left_out_with_a_warning() -> None:
    good = json.dumps({"id": "a", "name": "fn", "start_time": 10.0, "end_time": 11.0})
    nested: dict[str, Any] = {"id": "n0", "name": "deep", "start_time": 10.0, "end_time": 10.5}
    cursor = nested
    for i in range(1, 60):  # deeper than MAX_DEPTH
        child = {"id": f"n{i}", "name": f"level {i}", "start_time": 10.0, "end_time": 10.5}
        cursor["subsegments"] = [child]
        cursor = child
    trace = build_trace("1-00000001-000000000000000000000000", 1.0,
                        [good, "{not json", "[" * 100_000, json.dumps(nested), json.dumps({"name": "no id"})])  # fmt: skip
    assert trace.spans[0].name == "fn" and len(trace.spans) == 1 + 33  # n0..n32: cut at 32 levels below
    assert any("not valid JSON" in w for w in trace.warnings) and any("cut at" in w for w in trace.warnings)
