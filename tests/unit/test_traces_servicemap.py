"""The headless trace drill-down (a record's trace id, the search behind a row, the waterfall layout) and
the service-map rules (p99 from a histogram, ratings), plus the JSON contract of servicemap rows."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
from contract import validate_json

from srvmon.codec import SnapshotFormatError, loads, snapshot_dict
from srvmon.export import to_json, to_md, to_txt
from srvmon.kinds.servicemap import p99_ms, rate
from srvmon.model import (
    DrillTarget,
    GraphStats,
    LogRecord,
    LogRow,
    PanelSnapshot,
    ServiceEdge,
    ServiceNode,
    Snapshot,
    Thresholds,
    TimeWindow,
    ToplistRow,
    Trace,
    TraceSpan,
)
from srvmon.traces import trace_id_of, trace_query, waterfall

NOW = datetime(2026, 11, 18, 12, 0, tzinfo=UTC)
WINDOW = TimeWindow.ending_at(NOW, 3600)
TID = "1-5759e988-bd862e3fe1be46a994272793"


@pytest.mark.parametrize(
    ("message", "fields"),
    [
        (f"REPORT RequestId: r1\tDuration: 1.0 ms\t\nXRAY TraceId: {TID}\tSegmentId: 53995c3f42cd8ad8\tSampled: true", {}),
        (f"_X_AMZN_TRACE_ID=Root={TID};Parent=53995c3f42cd8ad8;Sampled=1", {}),
        (json.dumps({"level": "INFO", "message": "paid", "xray_trace_id": TID}), {}),
        ("START RequestId: r1", {"_X_AMZN_TRACE_ID": f"Root={TID};Parent=53995c3f42cd8ad8;Sampled=1"}),
        ("platform.report", {"tracing": {"spanId": "53995c3f42cd8ad8", "type": "X-Amzn-Trace-Id",
                                         "value": f"Root={TID};Parent=53995c3f42cd8ad8;Sampled=1"}}),
    ],
)  # fmt: skip
def test_trace_id_from_lambda_log_records(message: str, fields: dict[str, object]) -> None:
    assert trace_id_of(LogRecord(0.0, "fn", message, fields=fields)) == TID


def test_no_trace_id_where_there_is_none() -> None:
    assert trace_id_of(LogRecord(0.0, "fn", "REPORT RequestId: r1\tDuration: 1.0 ms")) is None
    # the docs' obfuscated example id is not an id ("xmpl" is not hex)
    assert trace_id_of(LogRecord(0.0, "fn", "XRAY TraceId: 1-5e6722a7-cc2xmpl46db7ae98d2f7bf0")) is None
    assert trace_id_of(LogRecord(0.0, "fn", "order 1-5759e988-bd862e3fe1be46a99427279 shipped")) is None


def _panel(kind: str = "servicemap", status_class: str | None = None) -> PanelSnapshot:
    return PanelSnapshot("p", "P", kind, "warn", drill=DrillTarget("prod", WINDOW, status_class=status_class))


def test_trace_search_behind_a_service_map_row() -> None:
    faulty = ServiceNode("checkout-api", "AWS::Lambda::Function", 1.0, 0.5, 4.0, 0.0, 350.0, "warn")
    q = trace_query(_panel(), faulty)
    assert q is not None and (q.service, q.service_type, q.fault, q.error, q.min_duration_s) == (
        "checkout-api", "AWS::Lambda::Function", True, False, None)  # fmt: skip
    slow = ServiceNode("orders", "AWS::DynamoDB::Table", 1.0, 0.0, 0.0, 0.0, 250.0, "ok")
    q = trace_query(_panel(), slow)
    assert q is not None and (q.fault, q.error, q.throttle, q.min_duration_s) == (False, False, False, 0.25)
    throttled = ServiceNode("orders", "AWS::DynamoDB::Table", 1.0, 5.0, 0.0, 5.0, 10.0, "warn")
    q = trace_query(_panel(), throttled)
    assert q is not None and (q.throttle, q.fault, q.error) == (True, False, False)
    edge = ServiceEdge(
        "api", "checkout-api", 1.0, 12.0, 0.0, 90.0, "warn", "AWS::ApiGateway::Stage", "AWS::Lambda::Function"
    )
    q = trace_query(_panel(), edge)
    assert q is not None and (q.service, q.service_type, q.error) == (
        "checkout-api",
        "AWS::Lambda::Function",
        True,
    )


def test_trace_search_behind_other_panels() -> None:
    row = ToplistRow("checkout-api", "checkout-api", 5.0, None, None, "warn")
    q = trace_query(_panel("toplist", "5xx"), row)
    assert q is not None and (q.service, q.service_type, q.fault) == (
        "checkout-api",
        "AWS::Lambda::Function",
        True,
    )
    log = LogRow(NOW, "orders-worker", "boom", status=502)
    q = trace_query(_panel("logs"), log)
    assert q is not None and (q.service, q.http_status) == ("orders-worker", 502)
    assert trace_query(PanelSnapshot("p", "P", "stat", "ok")) is None  # no drill-down target


def test_waterfall_places_spans_on_the_trace_axis() -> None:
    spans = (
        TraceSpan("a", "api", 100.0, 102.0, 0),
        TraceSpan("b", "fn", 100.5, 101.5, 1, "a", "subsegment"),
        TraceSpan("c", "late", 101.9, None, 1, "a", "subsegment"),
    )
    bars = waterfall(Trace("t", 2.0, spans), 40)
    assert [(b.offset, b.length, b.open) for b in bars] == [(0, 40, False), (10, 20, False), (38, 2, True)]
    assert waterfall(Trace("t", None, ()), 40) == []
    instant = waterfall(Trace("t", 0.0, (TraceSpan("a", "x", 5.0, 5.0),)), 10)
    assert [(b.offset, b.length) for b in instant] == [(0, 10)]


def test_p99_from_the_response_time_histogram() -> None:
    assert p99_ms(((0.005, 1), (0.015, 1), (0.157, 1), (0.096, 1))) == 157.0  # unsorted, as X-Ray sends
    assert p99_ms(((0.05, 500), (0.1, 400), (0.4, 90), (2.0, 10))) == 400.0  # 990 of 1000 at or below
    assert p99_ms(((0.05, 500), (0.1, 400), (0.4, 89), (2.0, 11))) == 2000.0
    assert p99_ms(()) is None and p99_ms(((0.1, 0),)) is None


def test_rating_rules() -> None:
    th = Thresholds(1.0, 5.0)
    assert rate(GraphStats(100, 100), th)[0] == "ok"
    assert rate(GraphStats(100, 99, faults=1), th)[0] == "warn"
    assert rate(GraphStats(100, 95, faults=5), th)[0] == "crit"
    assert rate(GraphStats(100, 90, errors=10), th)[0] == "warn"  # 4xx from 10%
    assert rate(GraphStats(100, 91, errors=9), th)[0] == "ok"
    assert rate(GraphStats(100, 90, errors=10, throttles=10), th)[0] == "crit"  # 429 from 10%: crit
    assert rate(GraphStats(0), th) == ("nodata", None, None, None)
    assert rate(None, th)[0] == "nodata"


def _snapshot(rows: tuple[ServiceNode | ServiceEdge, ...]) -> Snapshot:
    panel = PanelSnapshot("map", "Map", "servicemap", "warn", value=1.0, rows=rows, fetched_at=NOW)
    return Snapshot("b", "B", NOW, WINDOW, None, (panel,), ())


def test_servicemap_rows_keep_their_type_through_the_json() -> None:
    hostile = 'evil") OR service("x \x1b[31m\u202e'
    rows = (
        ServiceNode(hostile, "AWS::Lambda::Function", 0.5, 25.0, 0.0, 0.0, 157.0, "warn", True, 4, "123"),
        ServiceNode("SNS", "AWS::SNS", None, None, None, None, None, "nodata"),
        ServiceEdge(hostile, "SNS", 0.1, 0.0, 0.0, 76.0, "ok", "AWS::Lambda::Function", "AWS::SNS", 0.0),
    )
    snap = _snapshot(rows)
    text = to_json(snap)
    doc = validate_json(text)
    assert [r["row"] for r in doc["panels"][0]["rows"]] == ["node", "node", "edge"]
    assert "\x1b" not in text and "\u202e" not in text  # written as \u escapes: inert
    assert loads(text) == snap
    assert "evil" in to_txt(snap) and "\x1b" not in to_txt(snap) and "\x1b" not in to_md(snap)
    bad = snapshot_dict(snap, "0")
    bad["panels"][0]["rows"][0]["row"] = "pie"
    with pytest.raises(
        SnapshotFormatError, match=r"rows\[0\]\.row: expected one of 'node', 'edge', got 'pie'"
    ):
        loads(json.dumps(bad))
