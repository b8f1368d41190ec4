"""Trace drill-down (headless): the trace search behind a panel or row, a log record's trace id, and the
waterfall layout a trace view draws (offsets and widths from the typed Trace, nothing decided there)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from srvmon.model import (
    LogRecord,
    LogRow,
    PanelSeries,
    PanelSnapshot,
    Row,
    ServiceEdge,
    ServiceNode,
    Trace,
    TraceQuery,
    TraceSpan,
)

#: An X-Ray trace id: version 1, the start time (8 hex digits, epoch seconds), 96 random bits.
TRACE_ID = re.compile(r"\b1-[0-9a-f]{8}-[0-9a-f]{24}\b")
#: Where Lambda and its libraries write the id: the REPORT line ("XRAY TraceId: 1-..."), the
#: _X_AMZN_TRACE_ID header value ("Root=1-...;Parent=...;Sampled=1"), JSON logs ("xray_trace_id").
_MARKED = re.compile(
    r"(?:XRAY TraceId:\s*|Root=|[\"']?(?:xray_trace_id|xrayTraceId|traceId|trace_id)[\"']?\s*[:=]\s*[\"']?)"
    r"(1-[0-9a-f]{8}-[0-9a-f]{24})\b"
)
#: Record fields that may carry the id (or a header value containing it).
_FIELDS = ("xray_trace_id", "xrayTraceId", "_X_AMZN_TRACE_ID", "X-Amzn-Trace-Id", "traceId", "trace_id",
           "@xrayTraceId", "tracing")  # fmt: skip
#: How much of a message is searched for an id (REPORT lines and headers come early).
MAX_SCAN = 64 * 1024
#: Lambda function node types on an X-Ray map (the function, and the Lambda service in front of it).
LAMBDA_TYPES = ("AWS::Lambda::Function", "AWS::Lambda")


def trace_id_in(value: Any, depth: int = 0) -> str | None:
    """The first X-Ray trace id in a field value (a string, or a mapping such as platform.report's
    `tracing: {type: "X-Amzn-Trace-Id", value: "Root=1-...;..."}`)."""
    if isinstance(value, str):
        found = TRACE_ID.search(value[:MAX_SCAN])
        return found.group(0) if found else None
    if isinstance(value, Mapping) and depth < 3:
        for v in value.values():
            got = trace_id_in(v, depth + 1)
            if got:
                return got
    return None


def trace_id_of(record: LogRecord) -> str | None:
    """The X-Ray trace id a log record carries (Lambda REPORT line `XRAY TraceId`, `_X_AMZN_TRACE_ID`,
    JSON `xray_trace_id`, or a provider field), or None."""
    for name in _FIELDS:
        if name in record.fields:
            got = trace_id_in(record.fields[name])
            if got:
                return got
    text = record.message[:MAX_SCAN]
    found = _MARKED.search(text)
    if found:
        return found.group(1)
    if "_X_AMZN_TRACE_ID" in text or "X-Amzn-Trace-Id" in text:
        bare = TRACE_ID.search(text)
        return bare.group(0) if bare else None
    return None


def trace_query(
    panel: PanelSnapshot, row: Row | PanelSeries | None = None, *, limit: int = 20
) -> TraceQuery | None:
    """The trace search Enter-on-traces opens for `panel` and its selected row: the row's service (and
    type), narrowed to what makes it stand out - faults, errors or throttles when it is rated for them,
    else the slow tail (slower than its p99); None when the panel has no provider to ask.

    Rows of other kinds: a toplist/health/log row names its function (AWS::Lambda::Function); the
    panel's 5xx/4xx drill-down class becomes fault/error; a log row's HTTP status is kept."""
    target = panel.drill
    if target is None:
        return None
    q = TraceQuery(provider=target.provider, window=target.window, limit=limit,
                   fault=target.status_class == "5xx", error=target.status_class == "4xx")  # fmt: skip
    if isinstance(row, ServiceNode | ServiceEdge):
        name = row.name if isinstance(row, ServiceNode) else row.target
        kind = row.type if isinstance(row, ServiceNode) else row.target_type
        fault = (row.fault_pct or 0) >= 1.0 and row.status in ("warn", "crit")
        throttle = (row.throttle_pct or 0) >= 1.0 and row.status in ("warn", "crit")
        error = row.status in ("warn", "crit") and not fault and not throttle and (row.error_pct or 0) > 0
        slow = None if (fault or error or throttle) or row.p99_ms is None else row.p99_ms / 1000.0
        return TraceQuery(target.provider, target.window, name, kind or None, fault, error, throttle,
                          None, slow, limit)  # fmt: skip
    resource = _resource(row) or (target.resources[0] if len(target.resources) == 1 else None)
    status = row.status if isinstance(row, LogRow) and isinstance(row.status, int) else None
    if resource:
        q = TraceQuery(q.provider, q.window, resource, "AWS::Lambda::Function", q.fault, q.error,
                       False, status, None, limit)  # fmt: skip
    elif status is not None:
        q = TraceQuery(q.provider, q.window, None, None, q.fault, q.error, False, status, None, limit)
    return q


def _resource(row: Row | PanelSeries | None) -> str | None:
    from srvmon.drill import resources_of

    if row is None:
        return None
    found = resources_of(row)
    return found[0] if found else None


# ---- waterfall -------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Bar:
    """One span's place on a waterfall `width` columns wide: it starts at column `offset` and covers
    `length` columns (at least 1); `open` when it has not ended."""

    span: TraceSpan
    offset: int
    length: int
    open: bool = False


def waterfall(trace: Trace, width: int) -> list[Bar]:
    """The bars of a trace's spans on a `width`-column time axis from the trace's first start to its
    last end (in the spans' order: parents before children)."""
    width = max(1, width)
    start, end = trace.start, trace.end
    if start is None:
        return []
    stop = end if end is not None and end > start else start + (trace.duration_s or 0.0)
    total = stop - start
    bars = []
    for s in trace.spans:
        if total <= 0:
            bars.append(Bar(s, 0, width, s.end is None))
            continue
        offset = min(width - 1, int((s.start - start) / total * width))
        span_end = s.end if s.end is not None else stop
        length = max(1, round((span_end - s.start) / total * width))
        bars.append(Bar(s, offset, min(length, width - offset), s.end is None))
    return bars
