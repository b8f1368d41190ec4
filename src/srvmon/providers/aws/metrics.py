"""GetMetricData runner: batches of ≤500 MetricStats, NextToken paging, alignment, grouping, top-N,
and request-weighted averages over several resources.

Bounds: a GetMetricData answer holds at most 100,800 datapoints (AWS pages the rest with NextToken), so
a batch of ≤500 MetricStats over a window of P periods needs at most ceil(500·P / 100,800) pages; the
runner stops after that many (+2) and says so, whatever NextToken a server keeps sending. Each page is
further bounded by the transport's `max_response_mb`.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any, NamedTuple

from srvmon.model import MetricQuery, QueryResult, Series, TimeWindow
from srvmon.providers.aws.errors import (
    credentials_problem,
    describe,
    is_denied,
    is_throttle,
    is_unreachable,
    retry_after,
)
from srvmon.providers.aws.queries import PRICE_PER_METRIC, Leaf, Spec, chunks, period_for
from srvmon.providers.aws.session import Sessions, Target
from srvmon.providers.aws.settled import SettledCache, extended, is_settled
from srvmon.providers.base import UsageCounter

Values = tuple[float | None, ...]
#: Datapoints AWS returns in one GetMetricData answer at most (then NextToken).
MAX_DATAPOINTS_PER_CALL = 100_800
#: Statistics that combine exactly over resources; the others (Average, pNN) are weighted by requests.
EXACT_STATS = ("Sum", "SampleCount", "Maximum", "Minimum")


class Failure(NamedTuple):
    """Why one MetricStat could not be read."""

    message: str
    throttled: bool = False
    retry_after_s: float | None = None
    #: the whole call failed for a reason every other call shares (endpoint, credentials)
    whole: bool = False


def failure(exc: BaseException, operation: str) -> Failure:
    throttled = is_throttle(exc)
    return Failure(
        describe(exc, operation),
        throttled,
        retry_after(exc) if throttled else None,
        is_unreachable(exc) or credentials_problem(exc) is not None,
    )


def _combiner(stat: str) -> Callable[[list[float]], float]:
    """How values of one bucket from several MetricStats (or duplicate datapoints) combine. Averages and
    percentiles of several resources are weighted by requests in build_result; this plain mean is the
    fallback when no request counts are known."""
    if stat in ("Sum", "SampleCount"):
        return sum
    if stat == "Maximum":
        return max
    if stat == "Minimum":
        return min
    return statistics.fmean


def align(timestamps: Iterable[Any], values: Iterable[Any], window: TimeWindow, stat: str = "Sum") -> Values:
    """Datapoints -> one value per bucket of window.timestamps(); None where nothing fell.

    Works whatever the server's bucket origin (AWS: period boundaries; moto: StartTime) and with
    dropped empty buckets; several points in one bucket combine by `stat`."""
    start, step, n = window.start_s, window.step_s, window.points
    buckets: list[list[float]] = [[] for _ in range(n)]
    for ts, v in zip(timestamps, values, strict=False):
        try:
            epoch = ts.timestamp() if isinstance(ts, datetime) else float(ts)
            value = float(v)
        except (TypeError, ValueError, OverflowError):
            continue
        if value != value:  # NaN
            continue
        idx = int((epoch - start) // step)
        if 0 <= idx < n:
            buckets[idx].append(value)
    combine = _combiner(stat)
    return tuple(combine(b) if b else None for b in buckets)


def combine_series(stat: str, members: Sequence[Values]) -> Values:
    """Point-wise combination of aligned series; a bucket is None only when every member is None."""
    combine = _combiner(stat)
    out: list[float | None] = []
    for points in zip(*members, strict=True):
        present = [p for p in points if p is not None]
        out.append(combine(present) if present else None)
    return tuple(out)


@dataclass
class Fetched:
    """What one GetMetricData round (all batches) returned."""

    values: dict[tuple[Any, ...], Values] = field(default_factory=dict)
    errors: dict[tuple[Any, ...], Failure] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
    calls: int = 0
    metrics: int = 0
    cached: int = 0


class MetricsRunner:
    """Fetches unique MetricStats with the fewest GetMetricData calls: ceil(n / 500) per target.

    Settled windows (week-ago copies, long ranges) are fetched once with a forward horizon and then
    served from a SettledCache, so a steady refresh only pays for the windows that still move."""

    def __init__(self, sessions: Sessions, counter: UsageCounter) -> None:
        self.sessions = sessions
        self.counter = counter
        self.settled = SettledCache()

    def fetch(self, leaves: Sequence[Leaf], window: TimeWindow, now: datetime) -> Fetched:
        out = Fetched()
        settled = is_settled(window, now)
        unique: dict[tuple[Any, ...], Leaf] = {}
        for leaf in leaves:
            key = leaf.key()
            if key in unique or key in out.values:
                continue
            hit = self.settled.get(key, window) if settled else None
            if hit is not None:
                out.values[key] = hit
                out.cached += 1
            else:
                unique[key] = leaf
        if not unique:
            return out
        span = extended(window, now) if settled else window
        by_target: dict[Target, list[Leaf]] = {}
        for leaf in unique.values():
            by_target.setdefault(leaf.target, []).append(leaf)
        period = period_for(window, now)
        if period != window.step_s:
            out.warnings.append(
                f"CloudWatch period {period}s (retention) is coarser than the {window.step_s}s step"
            )
        fetched = Fetched()
        for target, group in by_target.items():
            client = self.sessions.client("cloudwatch", target)
            for batch in chunks(group):
                self._batch(client, batch, span, period, fetched)
        first = (window.start_s - span.start_s) // window.step_s
        for key, values in fetched.values.items():
            if settled and key not in fetched.errors:
                self.settled.put(key, span, values)
            out.values[key] = values[first : first + window.points]
        out.errors.update(fetched.errors)
        out.warnings.extend(fetched.warnings)
        out.calls, out.metrics = fetched.calls, fetched.metrics
        return out

    def _batch(
        self, client: Any, batch: Sequence[Leaf], window: TimeWindow, period: int, out: Fetched
    ) -> None:
        ids = {f"m{i}": leaf for i, leaf in enumerate(batch)}
        queries = [
            {"Id": i, "MetricStat": leaf.metric_stat(period), "ReturnData": True} for i, leaf in ids.items()
        ]
        raw: dict[str, tuple[list[Any], list[Any]]] = {i: ([], []) for i in ids}
        token: str | None = None
        first = True
        max_pages = math.ceil(len(queries) * (window.points + 1) / MAX_DATAPOINTS_PER_CALL) + 2
        pages = 0
        try:
            while True:
                if pages >= max_pages:
                    out.warnings.append(
                        f"GetMetricData: stopped after {pages} pages (more than {len(queries)} metrics over"
                        " this window can fill); the answer may be incomplete"
                    )
                    break
                pages += 1
                kwargs: dict[str, Any] = {
                    "MetricDataQueries": queries,
                    "StartTime": window.start,
                    "EndTime": window.end,
                    "ScanBy": "TimestampAscending",
                }
                if token:
                    kwargs["NextToken"] = token
                n = len(queries) if first else 0
                self.counter.call("GetMetricData", metrics=n, usd=n * PRICE_PER_METRIC)
                out.calls += 1
                out.metrics += n
                first = False
                response = client.get_metric_data(**kwargs)
                for result in response.get("MetricDataResults", []):
                    rid = result.get("Id")
                    if rid in raw:
                        raw[rid][0].extend(result.get("Timestamps", []))
                        raw[rid][1].extend(result.get("Values", []))
                        if result.get("StatusCode") == "Forbidden":
                            out.errors[ids[rid].key()] = Failure("GetMetricData: Forbidden")
                for message in response.get("Messages", []):
                    out.warnings.append(
                        f"GetMetricData: {message.get('Code', '')} {message.get('Value', '')}".strip()
                    )
                token = response.get("NextToken")
                if not token:
                    break
        except Exception as exc:
            error = failure(exc, "GetMetricData")
            if len(batch) > 1 and not error.throttled and not error.whole and not is_denied(exc):
                # one malformed query fails the whole call: bisect so only the culprit keeps the error
                half = len(batch) // 2
                self._batch(client, batch[:half], window, period, out)
                self._batch(client, batch[half:], window, period, out)
                return
            for leaf in batch:
                out.errors[leaf.key()] = error
            return
        for rid, (ts, vs) in raw.items():
            leaf = ids[rid]
            out.values[leaf.key()] = align(ts, vs, window, leaf.stat)


def _grouped(leaves: Iterable[Leaf], group: tuple[str, ...]) -> dict[tuple[tuple[str, str], ...], list[Leaf]]:
    """Leaves by the labels their series keeps (the group-by keys plus account/region)."""
    keep = set(group) | {"account", "region"}
    groups: dict[tuple[tuple[str, str], ...], list[Leaf]] = {}
    for leaf in leaves:
        labels = tuple((k, v) for k, v in leaf.labels if k in keep)
        groups.setdefault(labels, []).append(leaf)
    return groups


def needs_weights(spec: Spec) -> bool:
    return spec.derived is None and spec.stat not in EXACT_STATS


def weight_leaves(spec: Spec, leaves: Sequence[Leaf], group: tuple[str, ...]) -> list[Leaf]:
    """SampleCount leaves (requests/invocations) for the members of series that combine several
    resources with an average or percentile, so the combination is weighted by requests."""
    if not needs_weights(spec):
        return []
    out: list[Leaf] = []
    for members in _grouped(leaves, group).values():
        if len(members) > 1:
            out.extend(replace(m, stat="SampleCount") for m in members)
    return out


def weighted(values: Sequence[Values], weights: Sequence[Values]) -> Values:
    """Per bucket: sum(v·w) / sum(w) over members with both; the plain mean where no weight is known."""
    out: list[float | None] = []
    for points, ws in zip(zip(*values, strict=True), zip(*weights, strict=True), strict=True):
        pairs = [(v, w) for v, w in zip(points, ws, strict=True) if v is not None and w is not None and w > 0]
        total = sum(w for _, w in pairs)
        if pairs and total > 0:
            out.append(sum(v * w for v, w in pairs) / total)
        else:
            present = [v for v in points if v is not None]
            out.append(statistics.fmean(present) if present else None)
    return tuple(out)


def build_result(
    query: MetricQuery,
    spec: Spec,
    leaves: Sequence[Leaf],
    group: tuple[str, ...],
    fetched: Fetched,
    window: TimeWindow,
    period: int,
) -> QueryResult:
    """Turn a query's fetched leaves into its labelled series: grouped, combined, ranked.

    Several resources combine exactly for sums, counts, max and min; averages and percentiles are
    weighted by each resource's requests (SampleCount, fetched alongside), and the warnings say so."""
    stamps = tuple(window.timestamps())
    failed = [fetched.errors[leaf.key()] for leaf in leaves if leaf.key() in fetched.errors]
    if leaves and len(failed) == len(leaves):
        return QueryResult(query.ref_id, error=failed[0].message, throttled=any(f.throttled for f in failed))
    warnings = list(fetched.warnings)
    if failed:
        warnings.append(f"{len(failed)} of {len(leaves)} metrics failed: {failed[0].message}")
    groups = _grouped((leaf for leaf in leaves if leaf.key() not in fetched.errors), group)
    series: list[Series] = []
    empty: Values = (None,) * window.points
    combined = 0
    unweighted = 0
    for labels, members in groups.items():
        if spec.derived == "utilization":
            values = _utilization(members, fetched, period, window.points)
        elif len(members) > 1 and needs_weights(spec):
            combined = max(combined, len(members))
            weights = [fetched.values.get(replace(m, stat="SampleCount").key()) for m in members]
            if any(w is None for w in weights):
                unweighted += 1
            values = weighted(
                [fetched.values.get(m.key(), empty) for m in members], [w or empty for w in weights]
            )
        else:
            values = combine_series(spec.stat, [fetched.values.get(m.key(), empty) for m in members])
        series.append(Series(dict(labels), stamps, values))
    if combined:
        what = (
            "average"
            if spec.stat == "Average"
            else f"{spec.stat} (an approximation; group by resource for exact values)"
        )
        warnings.append(
            f"{what} over {combined} resources, weighted by requests (each resource's SampleCount)"
        )
        if unweighted:
            warnings.append("request counts were unavailable for some series: those are plain means")
    if not leaves:
        warnings.append("no matching resources discovered")
    if query.limit is not None and len(series) > query.limit:
        series = rank(series, query.limit, query.order)
    return QueryResult(
        query.ref_id,
        series=tuple(series),
        warnings=tuple(warnings),
        throttled=any(f.throttled for f in failed),
    )


def _utilization(members: Sequence[Leaf], fetched: Fetched, period: int, n: int) -> Values:
    """Per bucket: max over read/write of consumed Sum ÷ period ÷ provisioned × 100 (%)."""
    parts: list[Values] = []
    for leaf in members:
        raw = fetched.values.get(leaf.key(), (None,) * n)
        cap = leaf.capacity or 0.0
        parts.append(tuple(None if v is None or not cap else v / period / cap * 100.0 for v in raw))
    return combine_series("Maximum", parts) if parts else (None,) * n


def rank(series: Sequence[Series], limit: int, order: str = "desc") -> list[Series]:
    """The `limit` series with the largest (desc) or smallest (asc) window total."""

    def total(s: Series) -> float:
        return sum(s.present())

    return sorted(series, key=total, reverse=(order != "asc"))[:limit]


def insights_result(
    query: MetricQuery,
    response: dict[str, Any],
    window: TimeWindow,
    key: str,
    target: Target | None = None,
    multi: bool = False,
) -> QueryResult:
    """Parse a Metrics Insights GROUP BY answer: each result's Label is the group's dimension value."""
    stamps = tuple(window.timestamps())
    series = []
    for result in response.get("MetricDataResults", []):
        labels = {key: str(result.get("Label", ""))}
        if multi and target is not None:
            labels.update(target.labels())
        values = align(result.get("Timestamps", []), result.get("Values", []), window)
        series.append(Series(labels, stamps, values))
    if query.limit is not None:
        series = rank(series, query.limit, query.order)
    return QueryResult(query.ref_id, series=tuple(series))


# ---- expression queries (metric math, SEARCH, Metrics Insights) -----------------------------------------


def run_expression(
    client: Any,
    counter: UsageCounter,
    query: MetricQuery,
    spec: Any,
    window: TimeWindow,
    period: int,
    target: Target | None = None,
    multi: bool = False,
) -> QueryResult:
    """One GetMetricData call (paged) for an expression query (`spec`: queries.ExpressionSpec): every
    returned series labelled {"label": <CloudWatch Label>} (+ account/region when several targets)."""
    from srvmon.providers.aws.queries import expression_queries

    eid, queries = expression_queries(spec, period)
    raw: dict[str, tuple[list[Any], list[Any]]] = {}
    warnings: list[str] = []
    token: str | None = None
    calls = 0
    try:
        while True:
            kwargs: dict[str, Any] = {
                "MetricDataQueries": queries,
                "StartTime": window.start,
                "EndTime": window.end,
                "ScanBy": "TimestampAscending",
            }
            if token:
                kwargs["NextToken"] = token
            counter.call("GetMetricData", metrics=len(spec.using) if not calls else 0)
            calls += 1
            response = client.get_metric_data(**kwargs)
            for result in response.get("MetricDataResults", []):
                if result.get("Id") != eid:
                    continue
                label = str(result.get("Label") or spec.label or query.ref_id)
                ts, vs = raw.setdefault(label, ([], []))
                ts.extend(result.get("Timestamps", []))
                vs.extend(result.get("Values", []))
                if result.get("StatusCode") not in (None, "Complete", "PartialData"):
                    warnings.append(f"GetMetricData: {label}: {result.get('StatusCode')}")
            for message in response.get("Messages", []):
                warnings.append(
                    f"GetMetricData: {message.get('Code', '')} {message.get('Value', '')}".strip()
                )
            token = response.get("NextToken")
            if not token or calls >= 20:
                break
    except Exception as exc:
        return QueryResult(query.ref_id, error=describe(exc, "GetMetricData"), throttled=is_throttle(exc))
    counter.call("GetMetricData", metrics=len(raw), usd=(len(raw) + len(spec.using)) * PRICE_PER_METRIC, n=0)
    stamps = tuple(window.timestamps())
    series = []
    for label, (ts, vs) in raw.items():
        labels = {"label": label}
        if multi and target is not None:
            labels.update(target.labels())
        series.append(Series(labels, stamps, align(ts, vs, window)))
    if query.limit is not None:
        series = rank(series, query.limit, query.order)
    return QueryResult(query.ref_id, series=tuple(series), warnings=tuple(warnings))
