"""Demo series for the small families: APIs, DynamoDB tables, SQS queues and state machines."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import partial

from srvmon.providers.demo import noise
from srvmon.providers.demo.catalog import ParsedQuery
from srvmon.providers.demo.fleet import Queue, Table
from srvmon.providers.demo.series import (
    BASE_ERROR_RATE,
    CLIMB_S,
    DEPLOY_FACTOR,
    DLQ_RATE,
    HOT_BEFORE,
    HOT_NOW,
    LEVEL_FACTOR,
    STAT_FACTOR,
    UTIL_FACTOR,
    Ctx,
    Values,
    round_values,
)


@dataclass(frozen=True, slots=True)
class Entity:
    labels: dict[str, str]
    weight: float
    values: Callable[[], Values]


def group_small(pq: ParsedQuery, entities: list[Entity]) -> list[tuple[dict[str, str], Values]]:
    chosen = [e for e in entities if all(e.labels.get(d) in vals for d, vals in pq.where.items())]
    groups: dict[tuple[str, ...], list[Entity]] = {}
    for e in chosen:
        groups.setdefault(tuple(e.labels[d] for d in pq.group_by), []).append(e)
    out = []
    for members in groups.values():
        labels = {d: members[0].labels[d] for d in pq.group_by}
        if "queue" in pq.group_by:
            labels["dlq"] = members[0].labels["dlq"]
        out.append((labels, round_values(pq.spec.kind, _combine(pq.spec.combine, members))))
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


def entities(ctx: Ctx, pq: ParsedQuery) -> list[Entity]:
    """The entities of the query's (non-Lambda) family."""
    make = {
        "api": _api_entities,
        "dynamodb": _table_entities,
        "sqs": _queue_entities,
        "sfn": _machine_entities,
    }
    return make[pq.spec.family](ctx, pq)
