"""AWS X-Ray, read-only: the service graph (GetServiceGraph), trace searches (GetTraceSummaries with a
filter expression built from a TraceQuery, every value quoted or refused) and whole traces
(BatchGetTraces -> segments and subsegments in waterfall order).

Bounds: every listing stops after `xray_max_pages` pages and says so; a trace keeps at most MAX_SPANS
spans, nested at most MAX_DEPTH deep; searches cover at most the last SEARCH_SPAN_S of their window and
nothing older than X-Ray's 30-day retention.

Price: X-Ray bills $0.50 per million traces retrieved or scanned (the first million a month free, not
subtracted here). srvmon counts GetTraceSummaries by its answer's TracesProcessedCount (scanned),
BatchGetTraces by the traces it returns (retrieved), and GetServiceGraph by the requests of the graph's
entry (root) services, about one trace each (an estimate: AWS does not report what a graph scanned).
The counts are in usage().extra as xray_traces_scanned / xray_traces_retrieved.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from srvmon.model import (
    GraphEdge,
    GraphNode,
    GraphStats,
    ServiceGraph,
    TimeWindow,
    Trace,
    TraceList,
    TraceQuery,
    TraceSpan,
    TraceSummary,
)
from srvmon.providers.aws.errors import provider_error
from srvmon.providers.aws.session import Sessions, Target
from srvmon.providers.base import ProviderError, UsageCounter
from srvmon.traces import TRACE_ID

PRICE_PER_TRACE = 0.50 / 1_000_000
#: X-Ray keeps traces 30 days.
RETENTION_S = 30 * 86400
#: A trace search looks at most this far back from its window's end (it is billed per trace scanned).
SEARCH_SPAN_S = 6 * 3600
#: BatchGetTraces takes at most 5 ids.
MAX_BATCH = 5
MAX_SPANS = 2000
MAX_DEPTH = 32
MAX_HISTOGRAM = 1000
#: The longest name or type srvmon writes into a filter expression.
MAX_LITERAL = 512
_LITERAL = re.compile(r'^[^"\\\x00-\x1f\x7f\u2028\u2029]+$')


class FilterError(ProviderError):
    """A value that cannot be written safely into an X-Ray filter expression."""


# ---- filter expressions -------------------------------------------------------------------------------


def quote(value: str, what: str) -> str:
    """`value` as an X-Ray string literal. The filter language documents no escape sequence, so a value
    holding a double quote, a backslash or a control character is refused rather than guessed at (a
    wrong guess would let a hostile service name rewrite the filter)."""
    if not value or len(value) > MAX_LITERAL or not _LITERAL.match(value):
        raise FilterError(
            f"{what} {value[:80]!r} cannot be written in an X-Ray filter expression (empty, longer than"
            f" {MAX_LITERAL} characters, or holding a quote, backslash or control character); search"
            " the X-Ray console instead"
        )
    return f'"{value}"'


def _number(value: float) -> str:
    text = f"{value:.3f}".rstrip("0").rstrip(".")
    return text or "0"


def filter_expression(q: TraceQuery) -> str | None:
    """The FilterExpression of a trace search: `service(id(name: "..", type: ".."))` with the fault/
    error/throttle flags in its braces (so they apply to that service), `http.status = N`,
    `duration > S`, joined with AND; None when nothing narrows the search."""
    flags = [name for name, on in (("fault", q.fault), ("error", q.error), ("throttle", q.throttle)) if on]
    parts: list[str] = []
    if q.service is not None:
        name = quote(q.service, "service name")
        target = (
            f"id(name: {name}, type: {quote(q.service_type, 'service type')})"
            if q.service_type is not None
            else name
        )
        parts.append(f"service({target})" + (" { " + " AND ".join(flags) + " }" if flags else ""))
    else:
        parts.extend(flags)
    if q.http_status is not None:
        if not (isinstance(q.http_status, int) and 100 <= q.http_status <= 599):
            raise FilterError(f"HTTP status {q.http_status!r} is not a status code (100-599)")
        parts.append(f"http.status = {q.http_status}")
    if q.min_duration_s is not None:
        d = q.min_duration_s
        if not (isinstance(d, int | float) and math.isfinite(d) and 0 <= d <= 86400):
            raise FilterError(f"duration {d!r} must be between 0 and 86400 seconds")
        parts.append(f"duration > {_number(float(d))}")
    return " AND ".join(parts) if parts else None


# ---- response helpers ---------------------------------------------------------------------------------


def as_dict(v: Any) -> dict[str, Any]:
    """`v` when an answer holds an object there, else {} (answers are untrusted: no KeyError, no crash)."""
    return v if isinstance(v, dict) else {}


def as_list(v: Any) -> list[Any]:
    return v if isinstance(v, list) else []


def _int(v: Any) -> int:
    return int(v) if isinstance(v, int | float) and not isinstance(v, bool) and math.isfinite(v) else 0


def _float(v: Any) -> float | None:
    if isinstance(v, int | float) and not isinstance(v, bool) and math.isfinite(v):
        return float(v)
    return None


def _epoch(v: Any) -> float | None:
    if isinstance(v, datetime):
        return v.timestamp()
    return _float(v)


def _text(v: Any, limit: int = 1000) -> str:
    return v[:limit] if isinstance(v, str) else ""


def _stats(d: Any) -> GraphStats | None:
    if not isinstance(d, dict) or "TotalCount" not in d:
        return None
    errors = as_dict(d.get("ErrorStatistics"))
    faults = as_dict(d.get("FaultStatistics"))
    return GraphStats(
        requests=_int(d.get("TotalCount")),
        ok=_int(d.get("OkCount")),
        errors=_int(errors.get("TotalCount")),
        faults=_int(faults.get("TotalCount")),
        throttles=_int(errors.get("ThrottleCount")),
        total_response_s=_float(d.get("TotalResponseTime")) or 0.0,
    )


def _histogram(entries: Any) -> tuple[tuple[float, int], ...]:
    out = []
    for e in entries[:MAX_HISTOGRAM] if isinstance(entries, list) else []:
        value = _float(e.get("Value")) if isinstance(e, dict) else None
        if value is not None:
            out.append((value, _int(e.get("Count"))))
    return tuple(out)


# ---- service graph ------------------------------------------------------------------------------------


def _clamped(window: TimeWindow, now: datetime, span_s: float | None = None) -> tuple[datetime, datetime]:
    start = max(window.start, now - timedelta(seconds=RETENTION_S))
    if span_s is not None:
        start = max(start, window.end - timedelta(seconds=span_s))
    return start, window.end


def fetch_service_graph(
    sessions: Sessions,
    counter: UsageCounter,
    targets: Sequence[Target],
    window: TimeWindow,
    now: datetime,
    *,
    group: str | None = None,
    max_pages: int = 5,
) -> ServiceGraph:
    """The service graph of `window` on every target (nodes keyed per target when there are several)."""
    start, end = _clamped(window, now)
    warnings: list[str] = []
    if start >= end:
        return ServiceGraph(
            window.start, window.end, warnings=("the window is older than X-Ray's 30-day retention",)
        )
    if start > window.start:
        warnings.append("X-Ray keeps 30 days: the map covers the part of the window since then")
    multi = len(targets) > 1
    nodes: list[GraphNode] = []
    edges: list[GraphEdge] = []
    got_start: datetime | None = None
    got_end: datetime | None = None
    for target in targets:
        client = sessions.client("xray", target)
        prefix = f"{target.account}/{target.region}/" if multi else ""
        kwargs: dict[str, Any] = {"StartTime": start, "EndTime": end}
        if group:
            kwargs["GroupName"] = group
        for page in range(max_pages):
            try:
                resp = client.get_service_graph(**kwargs)
            except Exception as exc:
                counter.call("GetServiceGraph")
                raise provider_error(exc, "GetServiceGraph") from exc
            services = as_list(resp.get("Services"))
            page_nodes, page_edges = _graph_page(services, prefix, target.account if multi else "")
            nodes.extend(page_nodes)
            edges.extend(page_edges)
            scanned = _entry_requests(page_nodes)
            counter.call("GetServiceGraph", usd=scanned * PRICE_PER_TRACE)
            counter.add("xray_traces_scanned", scanned)
            s, e = resp.get("StartTime"), resp.get("EndTime")
            if isinstance(s, datetime):
                got_start = s if got_start is None else min(got_start, s)
            if isinstance(e, datetime):
                got_end = e if got_end is None else max(got_end, e)
            token = resp.get("NextToken")
            if not token:
                break
            if page == max_pages - 1:
                warnings.append(f"service map cut at {max_pages} pages (xray_max_pages)")
                break
            kwargs["NextToken"] = token
    return ServiceGraph(
        (got_start or start).astimezone(UTC), (got_end or end).astimezone(UTC), tuple(nodes), tuple(edges),
        tuple(warnings),
    )  # fmt: skip


def _graph_page(services: list[Any], prefix: str, account: str) -> tuple[list[GraphNode], list[GraphEdge]]:
    nodes: list[GraphNode] = []
    edges: list[GraphEdge] = []
    for svc in services:
        if not isinstance(svc, dict) or not isinstance(svc.get("ReferenceId"), int):
            continue
        key = f"{prefix}{svc['ReferenceId']}"
        nodes.append(GraphNode(
            key=key, name=_text(svc.get("Name")) or "(unnamed)", type=_text(svc.get("Type"), 200),
            root=svc.get("Root") is True, stats=_stats(svc.get("SummaryStatistics")),
            histogram=_histogram(svc.get("ResponseTimeHistogram")),
            account=_text(svc.get("AccountId"), 20) or account,
        ))  # fmt: skip
        for edge in as_list(svc.get("Edges")):
            if isinstance(edge, dict) and isinstance(edge.get("ReferenceId"), int):
                edges.append(GraphEdge(key, f"{prefix}{edge['ReferenceId']}", _stats(edge.get("SummaryStatistics")),
                                       _histogram(edge.get("ResponseTimeHistogram"))))  # fmt: skip
    return nodes, edges


def _entry_requests(nodes: Sequence[GraphNode]) -> int:
    """About how many traces a graph page stands for: its root services' requests (else the busiest)."""
    roots = [n.stats.requests for n in nodes if n.root and n.stats is not None]
    if roots:
        return sum(roots)
    return max((n.stats.requests for n in nodes if n.stats is not None), default=0)


# ---- trace searches -----------------------------------------------------------------------------------


def _start_of(trace_id: str) -> float | None:
    """The start time encoded in an X-Ray trace id (1-<8 hex epoch seconds>-<24 hex>)."""
    parts = trace_id.split("-")
    if len(parts) == 3 and len(parts[1]) == 8:
        try:
            return float(int(parts[1], 16))
        except ValueError:
            return None
    return None


def _summary(d: dict[str, Any]) -> TraceSummary | None:
    tid = d.get("Id")
    if not isinstance(tid, str) or not TRACE_ID.fullmatch(tid):
        return None
    http = as_dict(d.get("Http"))
    status = http.get("HttpStatus")
    services = []
    for s in as_list(d.get("ServiceIds")):
        if isinstance(s, dict) and isinstance(s.get("Name"), str):
            services.append(_text(s["Name"], 300))
    return TraceSummary(
        id=tid,
        duration_s=_float(d.get("Duration")),
        response_s=_float(d.get("ResponseTime")),
        fault=d.get("HasFault") is True,
        error=d.get("HasError") is True,
        throttle=d.get("HasThrottle") is True,
        http_status=status if isinstance(status, int) and 100 <= status <= 599 else None,
        http_method=_text(http.get("HttpMethod"), 20) or None,
        http_url=_text(http.get("HttpURL"), 2000) or None,
        services=tuple(services[:50]),
        start=_epoch(d.get("StartTime")) or _start_of(tid),
    )


def search_traces(
    sessions: Sessions,
    counter: UsageCounter,
    targets: Sequence[Target],
    q: TraceQuery,
    now: datetime,
    *,
    max_pages: int = 5,
) -> TraceList:
    """Trace summaries matching `q`, newest first, at most `q.limit` (each target paged up to
    `max_pages`). FilterError (a ProviderError) when a value cannot be written into the filter."""
    expression = filter_expression(q)
    start, end = _clamped(q.window, now, SEARCH_SPAN_S)
    warnings: list[str] = []
    if start >= end:
        return TraceList((), warnings=("the window is older than X-Ray's 30-day retention",))
    if start > q.window.start:
        span = "6 h" if start == q.window.end - timedelta(seconds=SEARCH_SPAN_S) else "30 days"
        warnings.append(f"searched the last {span} of the window (X-Ray bills every trace scanned)")
    found: list[TraceSummary] = []
    scanned = 0
    truncated = False
    for target in targets:
        client = sessions.client("xray", target)
        kwargs: dict[str, Any] = {"StartTime": start, "EndTime": end, "Sampling": False}
        if expression:
            kwargs["FilterExpression"] = expression
        for page in range(max_pages):
            try:
                resp = client.get_trace_summaries(**kwargs)
            except Exception as exc:
                counter.call("GetTraceSummaries")
                raise provider_error(exc, "GetTraceSummaries") from exc
            processed = _int(resp.get("TracesProcessedCount"))
            scanned += processed
            counter.call("GetTraceSummaries", usd=processed * PRICE_PER_TRACE)
            counter.add("xray_traces_scanned", processed)
            for d in as_list(resp.get("TraceSummaries")):
                s = _summary(d) if isinstance(d, dict) else None
                if s is not None:
                    found.append(s)
            token = resp.get("NextToken")
            if not token:
                break
            if len(found) >= q.limit or page == max_pages - 1:
                truncated = True
                break
            kwargs["NextToken"] = token
    found.sort(key=lambda s: (-(s.start or 0.0), s.id))
    if len(found) > q.limit:
        truncated = True
    if truncated:
        warnings.append(
            f"more traces match: showing {min(len(found), q.limit)}; narrow the search or the window"
        )
    return TraceList(tuple(found[: q.limit]), scanned, truncated, tuple(warnings))


# ---- whole traces -------------------------------------------------------------------------------------


def fetch_trace(
    sessions: Sessions, counter: UsageCounter, targets: Sequence[Target], trace_id: str, *, max_pages: int = 5
) -> Trace:
    """The trace `trace_id` from the first target that has it (BatchGetTraces), as a waterfall."""
    if not isinstance(trace_id, str) or not TRACE_ID.fullmatch(trace_id):
        raise ProviderError(f"{str(trace_id)[:80]!r} is not an X-Ray trace id (1-<8 hex>-<24 hex>)")
    for target in targets:
        client = sessions.client("xray", target)
        kwargs: dict[str, Any] = {"TraceIds": [trace_id]}
        documents: list[str] = []
        duration: float | None = None
        for _ in range(max_pages):
            try:
                resp = client.batch_get_traces(**kwargs)
            except Exception as exc:
                counter.call("BatchGetTraces")
                raise provider_error(exc, "BatchGetTraces") from exc
            traces = [t for t in resp.get("Traces") or [] if isinstance(t, dict) and t.get("Id") == trace_id]
            counter.call("BatchGetTraces", usd=len(traces) * PRICE_PER_TRACE)
            counter.add("xray_traces_retrieved", len(traces))
            for t in traces:
                duration = _float(t.get("Duration")) if duration is None else duration
                for seg in as_list(t.get("Segments")):
                    if isinstance(seg, dict) and isinstance(seg.get("Document"), str):
                        documents.append(seg["Document"])
            token = resp.get("NextToken")
            if not token:
                break
            kwargs["NextToken"] = token
        if documents:
            return build_trace(trace_id, duration, documents)
    where = ", ".join(f"{t.account}/{t.region}" for t in targets)
    raise ProviderError(f"no trace {trace_id} in {where} (X-Ray keeps traces 30 days)")


def _span(doc: dict[str, Any], parent: str | None, kind: str) -> TraceSpan | None:
    sid, start = doc.get("id"), _float(doc.get("start_time"))
    if not isinstance(sid, str) or start is None:
        return None
    end = _float(doc.get("end_time"))
    http = as_dict(doc.get("http"))
    response = as_dict(http.get("response"))
    status = response.get("status")
    message = None
    cause = doc.get("cause")
    if isinstance(cause, dict):
        for ex in as_list(cause.get("exceptions")):
            if isinstance(ex, dict) and isinstance(ex.get("message"), str):
                message = ex["message"][:500]
                break
    elif isinstance(cause, str):
        message = cause[:500]
    own_parent = doc.get("parent_id")
    return TraceSpan(
        id=sid[:64],
        name=_text(doc.get("name"), 300) or "(unnamed)",
        start=start,
        end=end if end is not None and end >= start else None,
        parent_id=own_parent[:64] if kind == "segment" and isinstance(own_parent, str) else parent,
        kind="segment" if kind == "segment" else "subsegment",
        origin=_text(doc.get("origin") if kind == "segment" else doc.get("namespace"), 200),
        fault=doc.get("fault") is True,
        error=doc.get("error") is True,
        throttle=doc.get("throttle") is True,
        http_status=status if isinstance(status, int) and 100 <= status <= 599 else None,
        in_progress=doc.get("in_progress") is True or end is None,
        inferred=doc.get("inferred") is True,
        error_message=message,
    )


def build_trace(trace_id: str, duration_s: float | None, documents: Sequence[str]) -> Trace:
    """Segment documents (JSON text, untrusted) -> a Trace whose spans are in waterfall order: each
    root by start time, then its children depth first (a segment hangs under the subsegment that
    called it, by parent_id)."""
    warnings: list[str] = []
    spans: list[TraceSpan] = []
    cut = False

    def walk(doc: dict[str, Any], parent: str | None, kind: str, level: int) -> None:
        nonlocal cut
        if len(spans) >= MAX_SPANS:
            cut = True
            return
        span = _span(doc, parent, kind)
        if span is None:
            return
        spans.append(span)
        subs = doc.get("subsegments")
        if isinstance(subs, list):
            if level >= MAX_DEPTH:
                cut = True
                return
            for sub in subs:
                if isinstance(sub, dict):
                    walk(sub, span.id, "subsegment", level + 1)

    bad = 0
    for text in documents:
        try:
            doc = json.loads(text)
        except (ValueError, RecursionError):
            bad += 1
            continue
        if isinstance(doc, dict):
            walk(doc, None, "segment", 0)
    if bad:
        warnings.append(f"{bad} segment document(s) were not valid JSON and are left out")
    if cut:
        warnings.append(f"trace cut at {MAX_SPANS} spans or {MAX_DEPTH} levels")
    return Trace(trace_id, duration_s, tuple(_ordered(spans)), tuple(warnings))


def _ordered(spans: list[TraceSpan]) -> list[TraceSpan]:
    from dataclasses import replace

    by_id: dict[str, TraceSpan] = {}
    for s in spans:
        by_id.setdefault(s.id, s)
    children: dict[str, list[TraceSpan]] = {}
    roots: list[TraceSpan] = []
    for s in by_id.values():
        if s.parent_id is not None and s.parent_id in by_id and s.parent_id != s.id:
            children.setdefault(s.parent_id, []).append(s)
        else:
            roots.append(s)
    out: list[TraceSpan] = []
    seen: set[str] = set()

    def visit(s: TraceSpan, depth: int) -> None:
        if s.id in seen:
            return
        seen.add(s.id)
        out.append(replace(s, depth=depth))
        for child in sorted(children.get(s.id, ()), key=lambda c: (c.start, c.id)):
            visit(child, min(depth + 1, MAX_DEPTH))

    for root in sorted(roots, key=lambda r: (r.start, r.id)):
        visit(root, 0)
    for s in by_id.values():  # parents in a cycle: shown at the top level rather than lost
        if s.id not in seen:
            visit(s, 0)
    return out
