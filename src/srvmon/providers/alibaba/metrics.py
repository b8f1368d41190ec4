"""CloudMonitor DescribeMetricList for Function Compute (acs_fc): fetch, page, and bucket onto the window.

Facts this module relies on (CloudMonitor and Function Compute references):
- FC metrics are kept 31 days, and StartTime..EndTime of one call spans at most 31 days;
- StartTime/EndTime are epoch milliseconds, the interval is left-open and right-closed;
- Period is 60, 300, 900 or 3600 s (FC reports every 60 s; CloudMonitor aggregates coarser periods);
- `Dimensions` is a JSON list of dimension maps (at most 50), e.g. [{"region":"cn-hangzhou","functionName":"f"}];
- `Datapoints` is a JSON *string* holding [{"timestamp": ms, "functionName": ..., "Value"/"Sum"/"Average"/
  "Maximum"/"Minimum": n}, ...]; pages continue while `NextToken` is returned (Length <= 1440 a page);
- the DescribeMetric* calls share a free quota of 1,000,000 a month per account and 50 calls/s per operation.

A datapoint's timestamp is read as the start of its period and lands in the window bucket that contains it
(StartTime is sent 1 ms before the window so the first period is included).
"""

from __future__ import annotations

import json
import threading
from collections import defaultdict
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from fnmatch import fnmatchcase
from typing import Any

from srvmon.clock import Clock
from srvmon.model import MetricQuery, QueryResult, Series, TimeWindow
from srvmon.providers.base import ProviderError

from . import queries as qs
from .client import AliClient, AliError
from .options import AlibabaOptions

VERSION = "2019-01-01"
ACTION = "DescribeMetricList"
RETENTION_DAYS = 31
MAX_SPAN_S = 31 * 86400
PERIODS = (3600, 900, 300, 60)
PAGE_LENGTH = 1440
MAX_PAGES = 50
MAX_DIMENSIONS = 50
#: datapoint fields that are values or bookkeeping, not labels
_NOT_LABELS = frozenset(
    {"timestamp", "userId", "region", "Value", "Sum", "Average", "Maximum", "Minimum", "SampleCount"}
)
#: which value field each statistic reads, in order of preference
_FIELDS = {
    "sum": ("Sum", "Value"),
    "avg": ("Average", "Value"),
    "max": ("Maximum", "Value", "Average"),
    "min": ("Minimum", "Value", "Average"),
}


class BudgetExhausted(ProviderError):
    """The monthly DescribeMetric* budget (metric_call_budget) is used up."""


class MetricBudget:
    """Counts DescribeMetric* calls per calendar month (UTC) against `limit`; thread-safe."""

    def __init__(self, limit: int, clock: Clock) -> None:
        self.limit = limit
        self.clock = clock
        self.month = ""
        self.used = 0
        self._lock = threading.Lock()

    def take(self) -> None:
        with self._lock:
            month = self.clock.now().strftime("%Y-%m")
            if month != self.month:
                self.month, self.used = month, 0
            if self.used >= self.limit:
                raise BudgetExhausted(
                    f"the CloudMonitor call budget for {month} is used up ({self.limit:,} DescribeMetric* "
                    "calls, metric_call_budget); metric panels resume next month or with a larger budget"
                )
            self.used += 1

    def left(self) -> int:
        with self._lock:
            return max(0, self.limit - self.used)


def period_for(step_s: int) -> int:
    """The coarsest CloudMonitor period that divides the window step (60 s at least)."""
    return next((p for p in PERIODS if step_s % p == 0), 60)


@dataclass(frozen=True)
class Fetch:
    """One DescribeMetricList series request (all its pages)."""

    namespace: str
    metric: str
    dimensions: str  # the JSON sent
    period: int
    start_ms: int
    end_ms: int


def _dims(options: AlibabaOptions, fq: qs.FcQuery) -> tuple[list[str], list[str]]:
    """Dimension JSON strings to send, and the function patterns to filter the answer with."""
    base: dict[str, str] = {"region": options.region}
    patterns = list(fq.functions or options.functions)
    if fq.region_level or not patterns:
        return [json.dumps([{**base, **fq.dimensions}], separators=(",", ":"))], []
    if any(ch in p for p in patterns for ch in "*?["):
        return [json.dumps([{**base, **fq.dimensions}], separators=(",", ":"))], patterns
    maps = []
    for name in patterns:
        service, _, function = name.rpartition("$")  # FC 2.0 functions are service$function
        maps.append({**base, "serviceName": service, "functionName": function, **fq.dimensions})
    chunks = [maps[i : i + MAX_DIMENSIONS] for i in range(0, len(maps), MAX_DIMENSIONS)]
    return [json.dumps(c, separators=(",", ":")) for c in chunks], []


def retention_problem(window: TimeWindow, now_s: float) -> str | None:
    oldest = now_s - RETENTION_DAYS * 86400
    if window.start_s >= oldest:
        return None
    days = int((now_s - window.start_s) // 86400)
    return (
        f"CloudMonitor keeps Function Compute metrics for {RETENTION_DAYS} days; this window starts {days} days "
        f"ago, so there is nothing to show (a month compared with 4 weeks earlier reaches back ~58 days)"
    )


class MetricsFetcher:
    """Runs panel queries: plans the DescribeMetricList calls, runs the distinct ones, assembles series."""

    def __init__(
        self, client: AliClient, options: AlibabaOptions, budget: MetricBudget, clock: Clock
    ) -> None:
        self.client = client
        self.options = options
        self.budget = budget
        self.clock = clock

    # -- one fetch -------------------------------------------------------------------------------------
    def points(self, f: Fetch) -> tuple[list[dict[str, Any]], list[str]]:
        """Every datapoint of one fetch (paged); warnings when the page cap cut it short."""
        out: list[dict[str, Any]] = []
        token: str | None = None
        usd = self.options.price_per_million_metric_calls / 1_000_000
        for _ in range(MAX_PAGES):
            params = {
                "Namespace": f.namespace,
                "MetricName": f.metric,
                "Period": str(f.period),
                "StartTime": str(f.start_ms),
                "EndTime": str(f.end_ms),
                "Dimensions": f.dimensions,
                "Length": str(PAGE_LENGTH),
            }
            if token:
                params["NextToken"] = token
            body = self.client.rpc(self.options.cms_url(), ACTION, VERSION, params, service="CloudMonitor",
                                   metrics=1, usd=usd, before_send=self.budget.take)  # fmt: skip
            out.extend(_datapoints(body.get("Datapoints")))
            token = body.get("NextToken") or None
            if not token:
                return out, []
        return out, [f"{f.metric}: stopped after {MAX_PAGES} pages of {PAGE_LENGTH} points; narrow the query"]

    # -- panel queries ---------------------------------------------------------------------------------
    def run(self, queries: Sequence[MetricQuery], window: TimeWindow) -> dict[str, QueryResult]:
        results: dict[str, QueryResult] = {}
        plans: dict[str, tuple[MetricQuery, qs.FcQuery, list[Fetch], list[str]]] = {}
        now_s = self.clock.now().timestamp()
        for mq in queries:
            try:
                fq = qs.parse(mq.query, mq.stat, tuple(mq.group_by))
            except ValueError as exc:
                results[mq.ref_id] = QueryResult(mq.ref_id, error=str(exc))
                continue
            problem = retention_problem(window, now_s)
            if problem:
                results[mq.ref_id] = QueryResult(mq.ref_id, error=problem)
                continue
            dims, patterns = _dims(self.options, fq)
            fetches = [
                Fetch(fq.namespace, metric, d, period_for(window.step_s), s_ms, e_ms)
                for metric in fq.metrics
                for d in dims
                for s_ms, e_ms in _spans(window)
            ]
            plans[mq.ref_id] = (mq, fq, fetches, patterns)
        distinct = list(dict.fromkeys(f for _, _, fs, _ in plans.values() for f in fs))
        fetched = self._fetch_all(distinct)
        for ref, (mq, fq, fetches, patterns) in plans.items():
            failed = next((fetched[f] for f in fetches if isinstance(fetched[f], str)), None)
            if isinstance(failed, str):
                results[ref] = QueryResult(ref, error=failed)
                continue
            notes = [w for f in fetches for w in fetched[f][1]]
            series, more = assemble(fq, pts_by_metric(fetches, fetched), window, patterns)
            series = _rank(series, mq.limit, mq.order)
            results[ref] = QueryResult(ref, tuple(series), warnings=tuple(dict.fromkeys(notes + more)))
        return results

    def _fetch_all(self, fetches: list[Fetch]) -> dict[Fetch, Any]:
        """Each fetch's (points, warnings), or its error text; whole-provider failures are raised."""

        def one(f: Fetch) -> Any:
            try:
                return self.points(f)
            except BudgetExhausted as exc:
                return str(exc)
            except AliError as exc:
                if exc.kind in ("request", "server"):
                    return str(exc)
                raise

        if len(fetches) <= 1:
            return {f: one(f) for f in fetches}
        with ThreadPoolExecutor(
            max_workers=min(4, len(fetches)), thread_name_prefix="srvmon-alibaba"
        ) as pool:
            return dict(zip(fetches, pool.map(one, fetches), strict=True))

    def latest(self, metric: str, now_ms: int) -> float | None:
        """The newest value of a region-level metric over the last 10 minutes (max of the fields)."""
        f = Fetch(qs.NAMESPACE, metric, json.dumps([{"region": self.options.region}], separators=(",", ":")),
                  60, now_ms - 600_000, now_ms)  # fmt: skip
        pts, _ = self.points(f)
        best: tuple[int, float] | None = None
        for p in pts:
            v = _value(p, "max")
            ts = p.get("timestamp")
            if v is None or not isinstance(ts, int | float):
                continue
            if best is None or ts >= best[0]:
                best = (int(ts), v)
        return best[1] if best else None


def pts_by_metric(fetches: Sequence[Fetch], fetched: Mapping[Fetch, Any]) -> dict[str, list[dict[str, Any]]]:
    out: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for f in fetches:
        got = fetched[f]
        if not isinstance(got, str):
            out[f.metric].extend(got[0])
    return out


def _spans(window: TimeWindow) -> list[tuple[int, int]]:
    """[start, end) in calls of at most 31 days, as (StartTime, EndTime) ms for a left-open interval."""
    out = []
    start = window.start_s
    while start < window.end_s:
        end = min(window.end_s, start + MAX_SPAN_S)
        out.append((start * 1000 - 1, end * 1000 - 1))
        start = end
    return out


def _datapoints(raw: Any) -> list[dict[str, Any]]:
    """`Datapoints` is a JSON string (sometimes already a list); malformed answers give no points."""
    if isinstance(raw, str):
        try:
            raw = json.loads(raw) if raw else []
        except ValueError:
            return []
    return [p for p in raw if isinstance(p, dict)] if isinstance(raw, list) else []


def _value(point: Mapping[str, Any], stat: str) -> float | None:
    import math

    for name in _FIELDS[stat]:
        v = point.get(name)
        if isinstance(v, int | float) and not isinstance(v, bool) and math.isfinite(v):
            return float(v)
        if isinstance(v, str):
            try:
                f = float(v)
            except ValueError:
                continue
            if math.isfinite(f):
                return f
    return None


_COMBINE: dict[str, Callable[[list[float]], float]] = {
    "sum": sum,
    "avg": lambda vs: sum(vs) / len(vs),
    "max": max,
    "min": min,
}


def assemble(
    fq: qs.FcQuery,
    points: Mapping[str, Sequence[Mapping[str, Any]]],
    window: TimeWindow,
    patterns: Sequence[str] = (),
) -> tuple[list[Series], list[str]]:
    """Datapoints of each metric -> series on the window's buckets (one per label set, then grouped)."""
    step, start, n = window.step_s, window.start_s, window.points
    combine = _COMBINE[fq.stat]
    # (labels) -> bucket -> values; several metrics are summed per bucket after their own combine
    per_metric: list[dict[tuple[tuple[str, str], ...], dict[int, float]]] = []
    skipped = 0
    for metric in fq.metrics:
        buckets: dict[tuple[tuple[str, str], ...], dict[int, list[float]]] = defaultdict(
            lambda: defaultdict(list)
        )
        for p in points.get(metric, ()):
            ts = p.get("timestamp")
            if not isinstance(ts, int | float) or isinstance(ts, bool):
                continue
            fn = str(p.get("functionName") or "")
            if patterns and not any(fnmatchcase(fn, pat) or fnmatchcase(_fc2(p), pat) for pat in patterns):
                continue
            value = _value(p, fq.stat)
            if value is None:
                skipped += 1
                continue
            idx = (int(ts) // 1000 - start) // step
            if not 0 <= idx < n:
                continue
            labels = tuple(sorted((qs.LABELS.get(k, k), str(v)) for k, v in p.items()
                                  if k not in _NOT_LABELS and v not in (None, "")))  # fmt: skip
            buckets[labels][idx].append(value)
        per_metric.append({lab: {i: combine(vs) for i, vs in b.items()} for lab, b in buckets.items()})
    merged: dict[tuple[tuple[str, str], ...], dict[int, float]] = defaultdict(dict)
    for m in per_metric:
        for lab, b in m.items():
            for i, v in b.items():
                merged[lab][i] = merged[lab].get(i, 0.0) + v
    # group: keep only the group_by labels, combining series with the stat
    wanted = tuple(fq.group_by)
    grouped: dict[tuple[tuple[str, str], ...], dict[int, list[float]]] = defaultdict(
        lambda: defaultdict(list)
    )
    for lab, b in merged.items():
        d = dict(lab)
        key = tuple((g, d.get(g, "")) for g in wanted)
        for i, v in b.items():
            grouped[key][i].append(v)
    stamps = tuple(window.timestamps())
    series = [
        Series(dict(key), stamps, tuple(combine(b[i]) if i in b else None for i in range(n)))
        for key, b in sorted(grouped.items())
    ]
    notes = [f"{skipped} datapoint(s) had no {fq.stat} value and were left out"] if skipped else []
    if not series and not wanted:
        series = [Series({}, stamps, tuple([None] * n))]
    return series, notes


def _fc2(point: Mapping[str, Any]) -> str:
    service = str(point.get("serviceName") or "")
    return f"{service}${point.get('functionName') or ''}" if service else str(point.get("functionName") or "")


def _rank(series: list[Series], limit: int | None, order: str) -> list[Series]:
    if limit is None or len(series) <= limit:
        return series
    ranked = sorted(series, key=lambda s: sum(s.present()), reverse=order != "asc")
    return ranked[:limit]
