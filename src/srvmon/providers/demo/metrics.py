"""Demo metric series: closed-form values per entity or group on a window's buckets (no per-function sums)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import partial

from srvmon.model import MetricQuery, QueryResult, Series, TimeWindow
from srvmon.providers.demo import noise
from srvmon.providers.demo.catalog import ParsedQuery, QueryError, parse
from srvmon.providers.demo.fleet import Fleet, Function, Incidents, Queue, Table
from srvmon.providers.demo.rhythm import rhythm_array

#: Latency statistic relative to the mean.
STAT_FACTOR = {"min": 0.25, "p50": 0.85, "avg": 1.0, "p90": 1.9, "p99": 3.3, "max": 5.0}
#: The bad deploy's effect on a latency statistic (p99 triples).
DEPLOY_FACTOR = {"min": 1.0, "p50": 1.25, "avg": 1.6, "p90": 2.2, "p99": 3.0, "max": 3.2}
#: Level (gauge-like) statistics relative to the bucket mean.
LEVEL_FACTOR = {"avg": 1.0, "max": 1.06, "min": 0.92}
UTIL_FACTOR = {"avg": 1.0, "max": 1.02, "min": 0.97}
BASE_ERROR_RATE = 0.0012
DEPLOY_ERROR_RATE = 0.035
TIMEOUT_ERROR_RATE = 0.03
OOM_ERROR_RATE = 0.02
THROTTLE_RATE = 0.08
DLQ_RATE = 0.05  # messages/s arriving in the dead-letter queue during the incident
HOT_BEFORE, HOT_NOW, CLIMB_S = 0.62, 0.82, 4 * 3600
#: With more than this many candidates, grouped-by-function top-N queries pre-rank by static weight.
PRERANK_FACTOR = 3

Values = list[float]


@dataclass(frozen=True, slots=True)
class Ctx:
    """Everything a series needs: the fleet, its incidents and the window's buckets and rhythm."""

    fleet: Fleet
    inc: Incidents
    ts: tuple[int, ...]
    step: int
    rhythm: tuple[float, ...]

    def noise(self, *parts: object) -> list[float]:
        return noise.signed_series(noise.key(self.fleet.seed, *parts), self.ts)

    def after(self, start_s: int) -> list[bool]:
        return [t >= start_s for t in self.ts]

    def load(self) -> list[float]:
        """Latency rises a little with traffic."""
        return [0.9 + 0.1 * r for r in self.rhythm]


def run(fleet: Fleet, inc: Incidents, q: MetricQuery, window: TimeWindow, now_s: int) -> QueryResult:
    """Answer one query; a bad query becomes QueryResult(error=...)."""
    try:
        pq = parse(q.query, q.stat, q.group_by)
    except QueryError as exc:
        return QueryResult(q.ref_id, error=str(exc))
    if window.step_s <= 0 or window.end_s <= window.start_s:
        return QueryResult(q.ref_id, series=())
    ts = tuple(window.timestamps())
    ctx = Ctx(
        fleet, inc, ts, window.step_s, rhythm_array(window.start_s, window.end_s, window.step_s, inc.anchor_s)
    )
    family = pq.spec.family
    if family == "lambda":
        groups = _lambda_groups(ctx, pq, q.limit, q.order)
    else:
        entities = {
            "api": _api_entities,
            "dynamodb": _table_entities,
            "sqs": _queue_entities,
            "sfn": _machine_entities,
        }[family](ctx, pq)
        groups = _group_small(pq, entities)
    if q.limit is not None:
        groups = _top(groups, q.limit, q.order)
    out = []
    for labels, values in groups:
        vals = tuple(None if t >= now_s else v for t, v in zip(ts, values, strict=True))
        out.append(Series(labels=labels, timestamps=ts, values=vals))
    return QueryResult(q.ref_id, series=tuple(out))


def _top(
    groups: list[tuple[dict[str, str], Values]], limit: int, order: str
) -> list[tuple[dict[str, str], Values]]:
    desc = order != "asc"
    ranked = sorted(groups, key=lambda g: (-sum(g[1]) if desc else sum(g[1]), sorted(g[0].items())))
    return ranked[: max(0, limit)]


def _round(kind: str, values: Sequence[float]) -> Values:
    if kind == "count":
        return [float(round(max(0.0, v))) for v in values]
    return [round(max(0.0, v), 2) for v in values]


# ---- small families: APIs, tables, queues, state machines -----------------------------------------


@dataclass(frozen=True, slots=True)
class Entity:
    labels: dict[str, str]
    weight: float
    values: Callable[[], Values]


def _group_small(pq: ParsedQuery, entities: list[Entity]) -> list[tuple[dict[str, str], Values]]:
    chosen = [e for e in entities if all(e.labels.get(d) in vals for d, vals in pq.where.items())]
    groups: dict[tuple[str, ...], list[Entity]] = {}
    for e in chosen:
        groups.setdefault(tuple(e.labels[d] for d in pq.group_by), []).append(e)
    out = []
    for members in groups.values():
        labels = {d: members[0].labels[d] for d in pq.group_by}
        if "queue" in pq.group_by:
            labels["dlq"] = members[0].labels["dlq"]
        out.append((labels, _round(pq.spec.kind, _combine(pq.spec.combine, members))))
    return out


def _combine(how: str, members: list[Entity]) -> Values:
    series = [m.values() for m in members]
    if len(series) == 1:
        return series[0]
    if how == "max":
        return [max(col) for col in zip(*series, strict=True)]
    if how == "wmean":
        total = sum(m.weight for m in members) or 1.0
        return [
            sum(m.weight * v for m, v in zip(members, col, strict=True)) / total
            for col in zip(*series, strict=True)
        ]
    return [sum(col) for col in zip(*series, strict=True)]


def _api_entities(ctx: Ctx, pq: ParsedQuery) -> list[Entity]:
    f, inc, name, stat = ctx.fleet, ctx.inc, pq.spec.name, pq.stat

    def make(svc: str) -> Callable[[], Values]:
        def requests() -> Values:
            rate = f.api_rate * f.service_weight[svc] * ctx.step
            return [
                rate * r * (1.0 + 0.05 * n)
                for r, n in zip(ctx.rhythm, ctx.noise("api.req", svc), strict=True)
            ]

        def latency(base: float) -> Values:
            sf = STAT_FACTOR[stat]
            dep = DEPLOY_FACTOR[stat] if svc == inc.deploy_service else 1.0
            return [
                base * ld * sf * (dep if a else 1.0) * (1.0 + 0.07 * n)
                for ld, a, n in zip(
                    ctx.load(), ctx.after(inc.deploy_s), ctx.noise("api.lat", svc, stat), strict=True
                )
            ]

        def values() -> Values:
            if name == "api.requests":
                return requests()
            if name == "api.4xx":
                share = 0.045 if svc == "auth" else 0.02
                return [
                    q * share * (1.0 + 0.35 * n)
                    for q, n in zip(requests(), ctx.noise("api.4xx", svc), strict=True)
                ]
            if name == "api.5xx":
                deployed = svc == inc.deploy_service
                return [
                    q
                    * (
                        BASE_ERROR_RATE * (1.0 + 0.5 * n)
                        + (0.04 * (1.0 + 0.2 * n) if deployed and a else 0.0)
                    )
                    for q, n, a in zip(
                        requests(), ctx.noise("api.5xx", svc), ctx.after(inc.deploy_s), strict=True
                    )
                ]
            if name == "api.latency":
                return latency(f.api_base_ms[svc])
            if name == "api.integration_latency":
                share = 0.82 + 0.06 * noise.unit(noise.key(f.seed, "integration", svc), 0)
                return [v * share for v in latency(f.api_base_ms[svc])]
            # auth.latency: the authorizer is not affected by the deploy
            sf = STAT_FACTOR[stat]
            return [
                f.auth_base_ms[svc] * ld * sf * (1.0 + 0.1 * n)
                for ld, n in zip(ctx.load(), ctx.noise("auth.lat", svc, stat), strict=True)
            ]

        return values

    return [Entity({"api": f.api(s), "service": s}, f.service_weight[s], make(s)) for s in f.services]


def _table_entities(ctx: Ctx, pq: ParsedQuery) -> list[Entity]:
    return [
        Entity({"table": t.name}, float(t.prov_rcu + t.prov_wcu), partial(_table_values, ctx, pq, t))
        for t in ctx.fleet.tables
    ]


def _table_values(ctx: Ctx, pq: ParsedQuery, tb: Table) -> Values:
    inc, name, stat = ctx.inc, pq.spec.name, pq.stat
    damp = [1.0 + 0.3 * (r - 1.0) for r in ctx.rhythm]
    reads = [
        tb.rcu_frac * d * (1.0 + 0.05 * n) for d, n in zip(damp, ctx.noise("ddb.r", tb.name), strict=True)
    ]
    if tb.name == inc.hot_table:
        slope = (HOT_NOW - HOT_BEFORE) / CLIMB_S
        writes = [
            HOT_BEFORE + slope * max(0, t - inc.climb_s) + 0.006 * n
            for t, n in zip(ctx.ts, ctx.noise("ddb.w", tb.name), strict=True)
        ]
    else:
        writes = [
            tb.wcu_frac * d * (1.0 + 0.05 * n) for d, n in zip(damp, ctx.noise("ddb.w", tb.name), strict=True)
        ]
    if name == "dynamodb.utilization":
        uf = UTIL_FACTOR[stat]
        return [100.0 * min(1.0, max(r, w) * uf) for r, w in zip(reads, writes, strict=True)]
    if name == "dynamodb.consumed_rcu":
        return [tb.prov_rcu * min(1.0, r * LEVEL_FACTOR[stat]) for r in reads]
    if name == "dynamodb.consumed_wcu":
        return [tb.prov_wcu * min(1.0, w * LEVEL_FACTOR[stat]) for w in writes]
    if name == "dynamodb.provisioned_rcu":
        return [float(tb.prov_rcu)] * len(ctx.ts)
    if name == "dynamodb.provisioned_wcu":
        return [float(tb.prov_wcu)] * len(ctx.ts)
    if name == "dynamodb.throttles":
        return [
            (tb.prov_rcu * max(0.0, r - 1.0) + tb.prov_wcu * max(0.0, w - 1.0)) * ctx.step
            for r, w in zip(reads, writes, strict=True)
        ]
    sf = STAT_FACTOR[stat]  # dynamodb.latency: slows down as writes near capacity
    return [
        tb.base_ms * (1.0 + 8.0 * max(0.0, w - 0.7)) * sf * (1.0 + 0.06 * n)
        for w, n in zip(writes, ctx.noise("ddb.lat", tb.name, stat), strict=True)
    ]


def _queue_entities(ctx: Ctx, pq: ParsedQuery) -> list[Entity]:
    return [
        Entity(
            {"queue": q.name, "dlq": "true" if q.dlq else "false"}, 1.0, partial(_queue_values, ctx, pq, q)
        )
        for q in ctx.fleet.queues
    ]


def _queue_values(ctx: Ctx, pq: ParsedQuery, qu: Queue) -> Values:
    inc, name, stat = ctx.inc, pq.spec.name, pq.stat
    if qu.dlq:
        since = [max(0, t - inc.dlq_s) if t >= inc.dlq_s else -1 for t in ctx.ts]
        if name == "sqs.visible":
            return [
                0.0
                if s < 0
                else float(int(DLQ_RATE * s + 2.0 * noise.unit(noise.key(ctx.fleet.seed, "dlq", qu.name), t)))
                for s, t in zip(since, ctx.ts, strict=True)
            ]
        if name == "sqs.oldest_age_s":
            return [0.0 if s < 0 else float(s + 30) for s in since]
        return [
            0.0 if s < 0 else DLQ_RATE * ctx.step * (1.0 + 0.3 * n)
            for s, n in zip(since, ctx.noise("sqs.sent", qu.name), strict=True)
        ]
    lf = LEVEL_FACTOR.get(stat, 1.0)
    if name == "sqs.visible":
        return [
            float(int(qu.rate * r * qu.lag_s * (1.0 + 0.3 * n) * lf))
            for r, n in zip(ctx.rhythm, ctx.noise("sqs.vis", qu.name), strict=True)
        ]
    if name == "sqs.oldest_age_s":
        return [qu.lag_s * (2.0 + 0.5 * n) * lf for n in ctx.noise("sqs.age", qu.name)]
    return [
        qu.rate * r * ctx.step * (1.0 + 0.1 * n)
        for r, n in zip(ctx.rhythm, ctx.noise("sqs.sent", qu.name), strict=True)
    ]


def _nightly_runs(t: int, step: int) -> float:
    """Runs of the nightly export starting in [t, t+step): one at 01:00, 02:00 and 03:00 UTC."""
    first, last = -(-t // 3600), (t + step - 1) // 3600
    return float(sum(1 for h in range(first, last + 1) if (h % 24) in (1, 2, 3)))


def _machine_entities(ctx: Ctx, pq: ParsedQuery) -> list[Entity]:
    return [
        Entity({"state_machine": m}, 1.0, partial(_machine_values, ctx, pq, m, i == 1))
        for i, m in enumerate(ctx.fleet.machines)
    ]


def _machine_values(ctx: Ctx, pq: ParsedQuery, m: str, nightly: bool) -> Values:
    inc, name = ctx.inc, pq.spec.name
    if nightly:
        started = [_nightly_runs(t, ctx.step) for t in ctx.ts]
        failed = [0.0] * len(started)
    else:
        started = [
            2.0 * r * ctx.step * (1.0 + 0.1 * n) for r, n in zip(ctx.rhythm, ctx.noise("sfn", m), strict=True)
        ]
        failed = [
            s * (0.006 + (0.05 if a else 0.0)) for s, a in zip(started, ctx.after(inc.deploy_s), strict=True)
        ]
    if name == "sfn.started":
        return started
    if name == "sfn.failed":
        return failed
    return [s - x for s, x in zip(started, failed, strict=True)]


# ---- Lambda: closed-form aggregates over sets of functions ----------------------------------------


@dataclass(frozen=True, slots=True)
class Agg:
    """A set of functions reduced to per-service (sum of weights, sum of weight x mean ms, count)."""

    key: str
    parts: dict[str, tuple[float, float, int]]
    specials: frozenset[str]
    single: Function | None = None


def _agg_of(key: str, fns: Sequence[Function], inc: Incidents) -> Agg:
    parts: dict[str, tuple[float, float, int]] = {}
    for fn in fns:
        w, wd, c = parts.get(fn.service, (0.0, 0.0, 0))
        parts[fn.service] = (w + fn.weight, wd + fn.weight * fn.base_ms, c + 1)
    names = {fn.name for fn in fns} if len(fns) <= 64 else None
    specials = frozenset(
        s for s in inc.functions() if (s in names if names is not None else any(fn.name == s for fn in fns))
    )
    return Agg(key, parts, specials, fns[0] if len(fns) == 1 else None)


def _lambda_groups(
    ctx: Ctx, pq: ParsedQuery, limit: int | None, order: str
) -> list[tuple[dict[str, str], Values]]:
    f, inc = ctx.fleet, ctx.inc
    services = [s for s in f.services if s in pq.where.get("service", f.services)]
    wanted = pq.where.get("function")
    by_service: dict[str, list[Function]] | None = None
    if wanted is not None:
        by_service = {
            s: [f.by_name[n] for n in dict.fromkeys(wanted) if n in f.by_name and f.by_name[n].service == s]
            for s in services
        }
    if "function" in pq.group_by:
        if by_service is not None:
            fns = [fn for s in services for fn in by_service[s]]
        else:
            fns = [fn for s in services for fn in f.by_service[s]]
        if limit is not None and len(fns) > PRERANK_FACTOR * limit + 8:
            fns = _prerank(ctx, pq, fns, limit, order)
        out = []
        for fn in fns:
            labels = {d: (fn.name if d == "function" else fn.service) for d in pq.group_by}
            out.append((labels, _lambda_values(ctx, pq, _agg_of(f"fn:{fn.name}", [fn], inc))))
        return out
    if pq.group_by:  # by service
        aggs = []
        for s in services:
            if by_service is None:
                agg = Agg(
                    f"svc:{s}",
                    {s: f.service_agg[s]},
                    frozenset(n for n in inc.functions() if f.by_name[n].service == s),
                )
            elif by_service[s]:
                agg = _agg_of(f"svc:{s}:" + ",".join(fn.name for fn in by_service[s]), by_service[s], inc)
            else:
                continue
            aggs.append(({"service": s}, agg))
        return [(labels, _lambda_values(ctx, pq, agg)) for labels, agg in aggs]
    if by_service is None:
        parts = {s: f.service_agg[s] for s in services}
        specials = frozenset(n for n in inc.functions() if f.by_name[n].service in services)
        agg = Agg(
            "fleet" if len(services) == len(f.services) else "svc:" + ",".join(services), parts, specials
        )
    else:
        fns = [fn for s in services for fn in by_service[s]]
        if not fns:
            return []
        agg = _agg_of("fns:" + ",".join(fn.name for fn in fns), fns, inc)
    return [({}, _lambda_values(ctx, pq, agg))]


def _static_score(ctx: Ctx, pq: ParsedQuery, fn: Function) -> float:
    inc, name = ctx.inc, pq.spec.name
    deployed = fn.service == inc.deploy_service
    if name == "lambda.throttles":
        return fn.weight + (10.0 if fn.name == inc.throttle_fn else 0.0)
    if name == "lambda.errors":
        extra = {inc.timeout_fn: TIMEOUT_ERROR_RATE, inc.oom_fn: OOM_ERROR_RATE}.get(fn.name, 0.0)
        return fn.weight * (BASE_ERROR_RATE + extra + (DEPLOY_ERROR_RATE if deployed else 0.0))
    if name == "lambda.duration":
        if fn.name == inc.timeout_fn and pq.stat in ("p99", "max"):
            return fn.timeout_s * 1000.0
        return fn.base_ms * STAT_FACTOR[pq.stat] * (DEPLOY_FACTOR[pq.stat] if deployed else 1.0)
    if name == "lambda.concurrency":
        return fn.weight * fn.base_ms * (DEPLOY_FACTOR["avg"] if deployed else 1.0)
    return fn.weight


def _prerank(ctx: Ctx, pq: ParsedQuery, fns: list[Function], limit: int, order: str) -> list[Function]:
    """Candidates for a top-N by static weight/incident state, so 10,000 functions cost like 40."""
    keep = PRERANK_FACTOR * limit + 8
    ranked = sorted(fns, key=lambda fn: _static_score(ctx, pq, fn), reverse=order != "asc")
    chosen = ranked[:keep]
    names = {fn.name for fn in chosen}
    specials = set(ctx.inc.functions())
    chosen += [fn for fn in fns if fn.name in specials and fn.name not in names]
    return chosen


def _inv_rate(ctx: Ctx, agg: Agg) -> Values:
    """Invocations per second on each bucket: fleet rate x weight x rhythm x noise (shrinking with size)."""
    w = sum(p[0] for p in agg.parts.values())
    n = sum(p[2] for p in agg.parts.values())
    amp = 0.1 / max(1, n) ** 0.25
    base = ctx.fleet.fn_rate * w
    return [
        base * r * (1.0 + amp * x) for r, x in zip(ctx.rhythm, ctx.noise("lambda.inv", agg.key), strict=True)
    ]


def _single(ctx: Ctx, name: str) -> Agg:
    fn = ctx.fleet.by_name[name]
    return _agg_of(f"fn:{name}", [fn], ctx.inc)


def _mean_ms(ctx: Ctx, agg: Agg, stat: str) -> Values:
    """Traffic-weighted mean duration per bucket, with the deploy's slowdown on its service."""
    inc = ctx.inc
    w = sum(p[0] for p in agg.parts.values()) or 1.0
    total = sum(p[1] for p in agg.parts.values())
    dep = agg.parts.get(inc.deploy_service, (0.0, 0.0, 0))[1] * (DEPLOY_FACTOR[stat] - 1.0)
    return [(total + (dep if a else 0.0)) / w for a in ctx.after(inc.deploy_s)]


def _lambda_values(ctx: Ctx, pq: ParsedQuery, agg: Agg) -> Values:
    inc, name, stat, step = ctx.inc, pq.spec.name, pq.stat, ctx.step
    if sum(p[0] for p in agg.parts.values()) <= 0:
        return [0.0] * len(ctx.ts)
    if name == "lambda.invocations":
        return _round("count", [r * step for r in _inv_rate(ctx, agg)])
    if name == "lambda.throttles":
        if inc.throttle_fn not in agg.specials:
            return [0.0] * len(ctx.ts)
        own = _inv_rate(ctx, _single(ctx, inc.throttle_fn))
        return _round(
            "count",
            [
                r * step * THROTTLE_RATE * (1.0 + 0.3 * n) if a else 0.0
                for r, n, a in zip(
                    own, ctx.noise("lambda.thr", inc.throttle_fn), ctx.after(inc.throttle_s), strict=True
                )
            ],
        )
    if name == "lambda.errors":
        w = sum(p[0] for p in agg.parts.values())
        dep_share = agg.parts.get(inc.deploy_service, (0.0, 0.0, 0))[0] / w
        out = [
            r * step * (BASE_ERROR_RATE * (1.0 + 0.4 * n) + (dep_share * DEPLOY_ERROR_RATE if a else 0.0))
            for r, n, a in zip(
                _inv_rate(ctx, agg), ctx.noise("lambda.err", agg.key), ctx.after(inc.deploy_s), strict=True
            )
        ]
        for special, rate in ((inc.timeout_fn, TIMEOUT_ERROR_RATE), (inc.oom_fn, OOM_ERROR_RATE)):
            if special in agg.specials:
                own = _inv_rate(ctx, _single(ctx, special))
                out = [v + o * step * rate for v, o in zip(out, own, strict=True)]
        return _round("count", out)
    if name == "lambda.concurrency":
        lf = LEVEL_FACTOR[stat]
        return _round(
            "level",
            [
                r * ms / 1000.0 * 1.25 * lf
                for r, ms in zip(_inv_rate(ctx, agg), _mean_ms(ctx, agg, "avg"), strict=True)
            ],
        )
    # lambda.duration
    sf = STAT_FACTOR[stat]
    values = [
        ms * ld * sf * (1.0 + 0.06 * n)
        for ms, ld, n in zip(
            _mean_ms(ctx, agg, stat), ctx.load(), ctx.noise("lambda.dur", agg.key, stat), strict=True
        )
    ]
    fn = agg.single
    if fn is not None:
        cap = fn.timeout_s * 1000.0
        if fn.name == inc.timeout_fn and stat in ("p99", "max"):
            values = [cap] * len(values)  # the slowest invocations run into the timeout
        values = [min(v, cap) for v in values]
    return _round("latency", values)


def current(
    fleet: Fleet,
    inc: Incidents,
    query: str | dict[str, object],
    stat: str | None,
    now_s: int,
    group_by: tuple[str, ...] = (),
) -> list[tuple[dict[str, str], float]]:
    """The value of a query in the last complete minute (for limits and alarms)."""
    end = now_s // 60 * 60
    window = TimeWindow.ending_at(datetime.fromtimestamp(end, UTC), 60, 60)
    res = run(fleet, inc, MetricQuery("now", "demo", query, stat, group_by), window, end + 1)
    return [(dict(s.labels), s.values[-1] or 0.0) for s in res.series if s.values]
