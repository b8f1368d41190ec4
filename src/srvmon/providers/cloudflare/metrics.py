"""Panel queries -> deduplicated `workersInvocationsAdaptive` nodes -> series on the window's buckets.

Planning: each query picks the coarsest time dimension that divides the step (datetimeHour,
datetimeFifteenMinutes, datetimeFiveMinutes, datetimeMinute), is clamped to what the dataset keeps
(`notOlderThan`) and cut into chunks no wider than `maxDuration` and small enough for `maxPageSize`
rows. Queries that need the same dimensions, filters and time range share one node (fields are
merged), so a preset spends few of the 300-per-5-minutes budget. Several nodes travel in one request.

Folding: when a step spans several dimension buckets (a 30-minute step from 15-minute buckets), sums
add; quantiles of p50 and below are averaged weighted by requests, higher quantiles take the worst
(largest) sub-bucket. CPU and wall time are microseconds in the dataset and milliseconds in srvmon.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from srvmon.model import MetricQuery, QueryResult, Series, TimeWindow
from srvmon.providers.base import ProviderError
from srvmon.providers.cloudflare import graphql as gq
from srvmon.providers.cloudflare.client import CloudflareClient
from srvmon.providers.cloudflare.discovery import Discovery
from srvmon.providers.cloudflare.queries import QueryError, Spec, group_dims, label, parse
from srvmon.providers.cloudflare.settings import SettingsCache
from srvmon.providers.httpio import HttpError

SAMPLED_NOTE = "Cloudflare analytics are sampled"
#: Chunks one query may be cut into before it is refused (each chunk is one query of the budget).
MAX_CHUNKS = 12
#: Nodes sent in one GraphQL request.
MAX_NODES_PER_REQUEST = 8
#: Stay this far inside notOlderThan (the server's clock and ours differ a little).
REACH_MARGIN_S = 60
#: Status values assumed per script when estimating rows of a status-grouped query.
STATUS_GUESS = 5

_Key = tuple[str, tuple[str, ...], tuple[str, ...] | None, tuple[str, ...] | None, int, int]
_Labels = tuple[tuple[str, str], ...]


@dataclass
class _Plan:
    """One query's plan: what it reads, from which nodes, and what to say about it."""

    q: MetricQuery
    spec: Spec
    dims: tuple[str, ...]
    time_dim: str
    start_s: int  # clamped to what the dataset keeps
    keys: list[_Key] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


@dataclass
class _Fetched:
    rows: list[Any] = field(default_factory=list)
    error: str | None = None
    throttled: bool = False
    retry_after_s: float | None = None
    truncated: bool = False


class MetricsRunner:
    def __init__(self, client: CloudflareClient, discovery: Discovery, settings: SettingsCache) -> None:
        self.client = client
        self.discovery = discovery
        self.settings = settings

    def run(
        self, queries: Sequence[MetricQuery], window: TimeWindow, now: datetime
    ) -> dict[str, QueryResult]:
        """One QueryResult per query. Raises ProviderError when nothing can be asked (token, account,
        throttling of every query)."""
        results: dict[str, QueryResult] = {}
        specs: list[tuple[MetricQuery, Spec, tuple[str, ...]]] = []
        for q in queries:
            try:
                spec = parse(q.query, q.stat)
                specs.append((q, spec, group_dims(q.group_by)))
            except QueryError as exc:
                results[q.ref_id] = QueryResult(q.ref_id, error=str(exc))
        if not specs:
            return results
        settings, notes = self.settings.get()
        plans: list[_Plan] = []
        nodes: dict[_Key, tuple[set[str], set[str]]] = {}
        for q, spec, dims in specs:
            try:
                plan = self._plan(q, spec, dims, window, now, settings)
            except QueryError as exc:
                results[q.ref_id] = QueryResult(q.ref_id, error=str(exc))
                continue
            except ProviderError as exc:
                results[q.ref_id] = QueryResult(q.ref_id, error=str(exc), throttled=exc.throttled)
                continue
            if plan is None:
                results[q.ref_id] = QueryResult(
                    q.ref_id,
                    warnings=(SAMPLED_NOTE, "no Worker script matches include/exclude and the query"),
                )
                continue
            plan.warnings.extend(notes)
            for key in plan.keys:
                sums, quants = nodes.setdefault(key, (set(), set()))
                if spec.kind == "quantile":
                    quants.add(spec.field)
                    sums.add("requests")
                elif spec.kind == "ratio":
                    sums.update(("requests", "errors"))
                else:
                    sums.add(spec.field)
            plans.append(plan)
        fetched = self._fetch(nodes, settings)
        if plans and all(fetched[k].throttled for p in plans for k in p.keys):
            first = fetched[plans[0].keys[0]]
            raise ProviderError(first.error or "throttled", throttled=True, retry_after_s=first.retry_after_s)
        for plan in plans:
            results[plan.q.ref_id] = _assemble(plan, fetched, window)
        return results

    # -- planning -------------------------------------------------------------------------------
    def _plan(
        self,
        q: MetricQuery,
        spec: Spec,
        dims: tuple[str, ...],
        window: TimeWindow,
        now: datetime,
        s: gq.DatasetSettings,
    ) -> _Plan | None:
        if not s.enabled:
            raise QueryError(f"{gq.DATASET} is not enabled for this account (settings.enabled is false)")
        step = window.step_s
        if step % 60:
            raise QueryError(
                f"a step of {step}s is not a whole number of minutes; Workers analytics are per minute"
            )
        if spec.kind == "quantile" and not s.has(f"quantiles_{spec.field}"):
            raise QueryError(f"{spec.field} is not offered to this account (settings availableFields)")
        time_dim, dim_s = next(
            (d, sec) for d, sec in gq.TIME_DIMS if step % sec == 0 and (sec == 60 or s.has(f"dimensions_{d}"))
        )
        scripts = self._scripts(spec)
        if scripts is not None and not scripts:
            return None
        statuses = tuple(sorted(spec.statuses)) if spec.statuses else None
        # reach: the dataset keeps notOlderThan seconds
        now_s = int(now.timestamp())
        earliest = now_s - s.not_older_than_s + REACH_MARGIN_S
        earliest = -(-earliest // step) * step
        warnings: list[str] = []
        if window.end_s <= earliest:
            raise QueryError(
                f"Cloudflare keeps Workers analytics for {_span(s.not_older_than_s)} on this plan (settings "
                f"notOlderThan = {s.not_older_than_s}s): this window ({gq.iso(window.start)} to "
                f"{gq.iso(window.end)}) is older, so it cannot be drawn"
            )
        start_s = window.start_s
        if start_s < earliest:
            warnings.append(
                f"data before {gq.iso(_dt(earliest))} is older than Cloudflare keeps it "
                f"({_span(s.not_older_than_s)}): shown as a gap"
            )
            start_s = earliest
        # chunks: at most maxDuration wide, and few enough rows for maxPageSize
        groups = 1
        if "scriptName" in dims:
            groups *= len(scripts) if scripts is not None else (self.discovery.known_count() or 1)
        if "status" in dims:
            groups *= len(statuses) if statuses else STATUS_GUESS
        span = min(s.max_duration_s, max(1, s.max_page_size // max(1, groups)) * dim_s)
        span = max(step, span // step * step)
        n_chunks = math.ceil((window.end_s - start_s) / span)
        if n_chunks > MAX_CHUNKS:
            raise QueryError(
                f"this window needs {n_chunks} GraphQL queries (maxDuration {_span(s.max_duration_s)}, "
                f"{s.max_page_size} rows per answer); shorten the range or group by fewer keys"
            )
        plan = _Plan(q, spec, dims, time_dim, start_s, warnings=warnings)
        for i in range(n_chunks):
            cs = start_s + i * span
            plan.keys.append((time_dim, dims, scripts, statuses, cs, min(window.end_s, cs + span)))
        if dim_s < step and spec.kind == "quantile":
            plan.warnings.append(
                f"{spec.field} per {step // 60}-minute bucket combines {step // dim_s} {time_dim} buckets "
                "(p50 and below: request-weighted mean; higher quantiles: the worst)"
            )
        return plan

    def _scripts(self, spec: Spec) -> tuple[str, ...] | None:
        """The scriptName_in filter: None for every script, else the names include/exclude/scripts keep."""
        opts = self.client.options
        if not (opts.include or opts.exclude or spec.scripts):
            return None
        try:
            return self.discovery.selected(spec.scripts)
        except ProviderError as exc:
            raise ProviderError(
                f"include/exclude and `scripts` need the Workers list (token permission Workers Scripts "
                f"Read): {exc}",
                throttled=exc.throttled,
            ) from exc

    # -- fetching -------------------------------------------------------------------------------
    def _fetch(
        self, wanted: dict[_Key, tuple[set[str], set[str]]], s: gq.DatasetSettings
    ) -> dict[_Key, _Fetched]:
        out: dict[_Key, _Fetched] = {}
        nodes: list[tuple[_Key, gq.Node]] = []
        for i, (key, (sums, quants)) in enumerate(wanted.items()):
            time_dim, dims, scripts, statuses, cs, ce = key
            node = gq.Node(
                alias=f"n{i}",
                time_dim=time_dim,
                dims=dims,
                start=_dt(cs),
                end=_dt(ce),
                scripts=scripts,
                statuses=statuses,
                sums=tuple(f for f in ("requests", "errors", "subrequests") if f in sums),
                quantiles=tuple(sorted(quants)),
                limit=s.max_page_size,
            )
            if node.field_count > s.max_fields:
                out[key] = _Fetched(
                    error=f"{node.field_count} fields in one query; this account allows {s.max_fields}"
                )
                continue
            nodes.append((key, node))
        pending = list(nodes)
        while pending:
            batch, pending = pending[:MAX_NODES_PER_REQUEST], pending[MAX_NODES_PER_REQUEST:]
            left = self.client.budget.left(self.client.now())
            if 0 < left < len(batch):  # send what the budget allows; the rest is refused below
                pending = batch[left:] + pending
                batch = batch[:left]
            try:
                self._one_request(batch, out)
            except ProviderError as exc:
                failed = _Fetched(error=str(exc), throttled=exc.throttled, retry_after_s=exc.retry_after_s)
                for key, _ in batch:
                    out[key] = failed
                if exc.throttled or (isinstance(exc, HttpError) and exc.status is None):
                    for key, _ in pending:  # throttled or unreachable: asking again would only repeat it
                        out[key] = failed
                    break
        return out

    def _one_request(self, batch: list[tuple[_Key, gq.Node]], out: dict[_Key, _Fetched]) -> None:
        built = gq.build_query(self.client.options.account_id, [n for _, n in batch])
        answer = self.client.graphql(built.text, built.variables, queries=len(batch))
        by_alias = {n.alias: key for key, n in batch}
        errors: dict[str, str] = {}
        general: list[str] = []
        for e in answer.errors:
            msg = gq.explain(str(e.get("message") or "unknown GraphQL error"))
            alias = gq.error_alias(e, set(by_alias))
            if alias:
                errors.setdefault(alias, msg)
            else:
                general.append(msg)
        account = gq.account_node(answer.data)
        for key, node in batch:
            if node.alias in errors:
                out[key] = _Fetched(error=f"Cloudflare GraphQL API: {errors[node.alias]}")
                continue
            rows = account.get(node.alias) if account is not None else None
            if not isinstance(rows, list):
                if general:
                    why = "; ".join(general)
                elif account is None:
                    why = (
                        f"account {self.client.options.account_id} is not visible to this API token "
                        "(check account_id and the token's Account Resources)"
                    )
                else:
                    why = "no data in the answer"
                out[key] = _Fetched(error=f"Cloudflare GraphQL API: {why}")
                continue
            out[key] = _Fetched(rows=rows, truncated=len(rows) >= node.limit)


# -- assembling ---------------------------------------------------------------------------------
def _assemble(plan: _Plan, fetched: dict[_Key, _Fetched], window: TimeWindow) -> QueryResult:
    q, spec = plan.q, plan.spec
    for key in plan.keys:
        f = fetched[key]
        if f.error is not None:
            return QueryResult(q.ref_id, error=f.error, throttled=f.throttled)
    step, n, start = window.step_s, window.points, window.start_s
    sums: dict[_Labels, dict[str, list[float]]] = defaultdict(lambda: defaultdict(lambda: [0.0] * n))
    quant: dict[_Labels, list[list[tuple[float, float]]]] = defaultdict(lambda: [[] for _ in range(n)])
    seen: set[_Labels] = set()
    truncated = False
    for key in plan.keys:
        f = fetched[key]
        truncated = truncated or f.truncated
        for row in f.rows:
            if not isinstance(row, dict):
                continue
            dims = _obj(row.get("dimensions"))
            t = gq.parse_time(dims.get(plan.time_dim))
            if t is None:
                continue
            idx = (t - start) // step
            if not 0 <= idx < n:
                continue
            labels = tuple((label(d), _text(dims.get(d))) for d in plan.dims)
            seen.add(labels)
            sm = _obj(row.get("sum"))
            for fld in ("requests", "errors", "subrequests"):
                v = _num(sm.get(fld))
                if v is not None:
                    sums[labels][fld][idx] += v
            if spec.kind == "quantile":
                qs = _obj(row.get("quantiles"))
                v = _num(qs.get(spec.field))
                if v is not None:
                    quant[labels][idx].append((v, _num(sm.get("requests")) or 0.0))
    if not plan.dims:
        seen.add(())
    reach = [t >= plan.start_s for t in window.timestamps()]
    series = []
    for labels in sorted(seen):
        if spec.kind == "quantile":
            hi = (spec.stat or "p50") not in ("p25", "p50")
            values = [_combine(quant[labels][i], hi) / 1000.0 if quant[labels][i] else None for i in range(n)]
            values = [v if ok else None for v, ok in zip(values, reach, strict=True)]
        elif spec.kind == "ratio":
            req, err = sums[labels]["requests"], sums[labels]["errors"]
            values = [err[i] / req[i] * 100.0 if req[i] > 0 and reach[i] else None for i in range(n)]
        else:
            col = sums[labels][spec.field]
            values = [col[i] if reach[i] else None for i in range(n)]
        series.append(Series(dict(labels), tuple(window.timestamps()), tuple(values)))
    if q.limit is not None and len(series) > q.limit:
        total = {id(s): sum(v for v in s.values if v is not None) for s in series}
        series.sort(key=lambda s: total[id(s)], reverse=q.order != "asc")
        series = series[: q.limit]
    warnings = [SAMPLED_NOTE, *plan.warnings]
    if truncated:
        warnings.append("Cloudflare capped the answer at maxPageSize rows: the oldest buckets may be missing")
    return QueryResult(q.ref_id, tuple(series), warnings=tuple(dict.fromkeys(warnings)))


def _combine(parts: list[tuple[float, float]], worst: bool) -> float:
    if len(parts) == 1 or worst:
        return max(v for v, _ in parts)
    weight = sum(w for _, w in parts)
    if weight <= 0:
        return sum(v for v, _ in parts) / len(parts)
    return sum(v * w for v, w in parts) / weight


def _obj(v: Any) -> Mapping[str, Any]:
    return v if isinstance(v, Mapping) else {}


def _num(v: Any) -> float | None:
    if isinstance(v, bool) or not isinstance(v, int | float):
        return None
    f = float(v)
    return f if math.isfinite(f) else None


def _text(v: Any) -> str:
    return "" if v is None else str(v)


def _dt(epoch_s: int) -> datetime:
    return datetime.fromtimestamp(epoch_s, UTC)


def _span(seconds: int) -> str:
    if seconds % 86400 == 0 or seconds >= 3 * 86400:
        return f"{seconds / 86400:g} days"
    return f"{seconds / 3600:g} hours"
