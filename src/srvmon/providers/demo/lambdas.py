"""Demo Lambda series in closed form: any set of functions reduces to per-service weight sums, so
fleet-wide and per-service values cost the same at 40 or 10,000 functions; top-N pre-ranks."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from srvmon.providers.demo.catalog import ParsedQuery
from srvmon.providers.demo.fleet import Function, Incidents
from srvmon.providers.demo.series import (
    BASE_ERROR_RATE,
    DEPLOY_ERROR_RATE,
    DEPLOY_FACTOR,
    LEVEL_FACTOR,
    OOM_ERROR_RATE,
    PRERANK_FACTOR,
    STAT_FACTOR,
    THROTTLE_RATE,
    TIMEOUT_ERROR_RATE,
    Ctx,
    Values,
    round_values,
)


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


def lambda_groups(
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
        return round_values("count", [r * step for r in _inv_rate(ctx, agg)])
    if name == "lambda.throttles":
        if inc.throttle_fn not in agg.specials:
            return [0.0] * len(ctx.ts)
        own = _inv_rate(ctx, _single(ctx, inc.throttle_fn))
        return round_values(
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
        return round_values("count", out)
    if name == "lambda.concurrency":
        lf = LEVEL_FACTOR[stat]
        return round_values(
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
    return round_values("latency", values)
