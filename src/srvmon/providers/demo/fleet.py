"""The simulated account: services, APIs, Lambda functions, tables, queues, state machines, incidents."""

from __future__ import annotations

import math
import random
from dataclasses import dataclass, field
from functools import lru_cache

from srvmon.providers.demo import noise

#: Hand-picked function names for the default services; other services get generated names.
_NAMES: dict[str, tuple[str, ...]] = {
    "checkout": (
        "create-order",
        "get-cart",
        "update-cart",
        "apply-coupon",
        "process-payment",
        "confirm-order",
        "cancel-order",
        "refund-payment",
        "get-order",
        "list-orders",
    ),
    "catalog": (
        "get-product",
        "list-products",
        "search-products",
        "update-inventory",
        "get-price",
        "import-feed",
        "resize-image",
        "get-reviews",
        "post-review",
        "sync-stock",
    ),
    "auth": (
        "login",
        "refresh-token",
        "authorizer",
        "logout",
        "register-user",
        "reset-password",
        "verify-email",
        "get-profile",
        "update-profile",
        "rotate-keys",
    ),
    "notify": (
        "send-email",
        "send-push",
        "send-sms",
        "render-template",
        "process-bounces",
        "webhook-dispatch",
        "digest-daily",
        "unsubscribe",
        "track-open",
        "schedule-reminder",
    ),
}
_VERBS = (
    "get",
    "list",
    "create",
    "update",
    "delete",
    "sync",
    "process",
    "handle",
    "export",
    "import",
    "validate",
    "index",
    "render",
    "schedule",
    "scan",
    "archive",
    "compute",
    "publish",
    "consume",
    "audit",
)
_NOUNS = (
    "item",
    "order",
    "user",
    "event",
    "report",
    "batch",
    "record",
    "session",
    "token",
    "invoice",
    "price",
    "stock",
    "image",
    "review",
    "coupon",
    "refund",
    "address",
    "webhook",
    "digest",
    "quota",
)
_QUEUE_SUFFIX = {"checkout": "orders", "catalog": "updates", "notify": "emails", "auth": "audit"}
_TABLES = (  # name, provisioned RCU, WCU, typical read/write utilisation, base latency ms
    ("orders", 800, 400, 0.35, 0.40, 6.5),
    ("carts", 1200, 600, 0.42, 0.38, 4.2),
    ("products", 2400, 200, 0.45, 0.12, 3.8),
    ("inventory", 600, 300, 0.30, 0.33, 5.1),
    ("sessions", 1500, 900, 0.40, 0.36, 3.1),
    ("notifications", 300, 500, 0.18, 0.41, 7.4),
)
_MEMORY = (128, 256, 512, 512, 1024, 1024, 1536, 2048)
_TIMEOUTS = (10, 15, 30, 30, 60, 900)


@dataclass(frozen=True, slots=True)
class Function:
    """One Lambda function; `weight` is its share of the fleet's invocations (all weights sum to 1)."""

    index: int
    name: str
    service: str
    weight: float
    memory_mb: int
    timeout_s: float
    base_ms: float  # mean duration
    arch: str
    mem_frac: float  # typical max-memory-used / memory size
    cold_rate: float  # share of invocations that are cold starts


@dataclass(frozen=True, slots=True)
class Table:
    name: str
    prov_rcu: int
    prov_wcu: int
    rcu_frac: float
    wcu_frac: float
    base_ms: float


@dataclass(frozen=True, slots=True)
class Queue:
    name: str
    service: str
    dlq: bool
    rate: float  # messages/s at rhythm 1 (main queues)
    lag_s: float  # typical time a message waits


@dataclass(frozen=True, slots=True)
class Incidents:
    """What is going wrong, anchored at `anchor_s` (the clock's "now" when the provider started)."""

    anchor_s: int
    deploy_service: str
    deploy_s: int  # a bad release of deploy_service's API: p99 x3, 5xx up
    throttle_fn: str
    throttle_s: int  # from here on the function hits its reserved concurrency
    timeout_fn: str  # some invocations hit the 6 s timeout
    oom_fn: str  # some invocations are killed at the memory size
    hot_table: str
    climb_s: int  # the hot table's write utilisation climbs from here, ~4 h to 80 %
    dlq: str
    dlq_s: int  # messages pile up in the DLQ from here
    cost_service: str  # +30 % cost over the last 7 days

    def functions(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys((self.throttle_fn, self.timeout_fn, self.oom_fn)))


@dataclass(frozen=True)
class Fleet:
    seed: int
    services: tuple[str, ...]
    service_weight: dict[str, float]  # share of API requests
    functions: tuple[Function, ...]
    by_name: dict[str, Function]
    by_service: dict[str, tuple[Function, ...]]
    #: per service: (sum of weights, sum of weight x base_ms, count) — closed-form aggregates
    service_agg: dict[str, tuple[float, float, int]]
    by_rank: tuple[Function, ...]  # busiest first
    tables: tuple[Table, ...]
    queues: tuple[Queue, ...]
    machines: tuple[str, ...]
    api_rate: float  # fleet API requests/s at rhythm 1
    fn_rate: float  # fleet Lambda invocations/s at rhythm 1
    concurrency_limit: int
    api_base_ms: dict[str, float] = field(default_factory=dict)
    auth_base_ms: dict[str, float] = field(default_factory=dict)
    cost_per_day: dict[str, float] = field(default_factory=dict)

    def api(self, service: str) -> str:
        return f"{service}-api"

    def special_names(self) -> tuple[str, ...]:
        """The functions that take part in incidents (ranked 2nd, 5th and 7th busiest)."""
        ranks = (1, 4, 6)
        return tuple(self.by_rank[min(r, len(self.by_rank) - 1)].name for r in ranks)


def _function_names(service: str, count: int) -> list[str]:
    names = [f"{service}-{n}" for n in _NAMES.get(service, ())][:count]
    seen = set(names)
    i = 0
    while len(names) < count:
        verb = _VERBS[i % len(_VERBS)]
        noun = _NOUNS[(i // len(_VERBS)) % len(_NOUNS)]
        lap = i // (len(_VERBS) * len(_NOUNS))
        name = f"{service}-{verb}-{noun}" + (f"-{lap + 1}" if lap else "")
        if name not in seen:
            seen.add(name)
            names.append(name)
        i += 1
    return names


@lru_cache(maxsize=16)
def build_fleet(seed: int, n_functions: int, services: tuple[str, ...], concurrency_limit: int) -> Fleet:
    """The static part of the account (cached: it does not depend on time)."""
    s_count = len(services)
    per_service = [n_functions // s_count + (1 if i < n_functions % s_count else 0) for i in range(s_count)]
    names = {s: _function_names(s, c) for s, c in zip(services, per_service, strict=True)}
    ranks = list(range(n_functions))
    random.Random(seed).shuffle(ranks)
    raw = [1.0 / (r + 1) ** 1.1 for r in ranks]  # Zipf-like; the busiest function has raw weight 1
    total = sum(raw)
    # Function i belongs to service i % S; within a service the busiest gets the first (curated) name.
    member_idx: dict[str, list[int]] = {s: [] for s in services}
    for i in range(n_functions):
        member_idx[services[i % s_count]].append(i)
    name_of: dict[int, str] = {}
    for s, idxs in member_idx.items():
        for j, i in enumerate(sorted(idxs, key=lambda i: -raw[i])):
            name_of[i] = names[s][j]
    fns: list[Function] = []
    fn_base = noise.key(seed, "fn")
    for i in range(n_functions):
        svc = services[i % s_count]
        name = name_of[i]
        k = noise.name_key(fn_base, name)
        u = (0.0, *(((k >> shift) & 0xFFFF) / 65536.0 for shift in (0, 16, 32, 48)), noise.unit(k, 5))
        timeout = float(_TIMEOUTS[int(u[1] * len(_TIMEOUTS))])
        base = 12.0 * math.exp(3.2 * u[2])
        base = min(base, timeout * 1000.0 * 0.12)
        fns.append(
            Function(
                index=i,
                name=name,
                service=svc,
                weight=raw[i] / total,
                memory_mb=_MEMORY[int(u[3] * len(_MEMORY))],
                timeout_s=timeout,
                base_ms=round(base, 2),
                arch="arm64" if u[4] < 0.35 else "x86_64",
                mem_frac=0.3 + 0.4 * u[5],
                cold_rate=0.004 + 0.05 * (1.0 - math.sqrt(raw[i])),
            )
        )
    by_rank = tuple(sorted(fns, key=lambda f: -f.weight))
    # Give the incident functions the configuration their incident needs.
    specials = [by_rank[min(r, len(by_rank) - 1)].name for r in (1, 4, 6)]
    for idx, f in enumerate(fns):
        if f.name == specials[1]:  # times out: 6 s timeout, slow, x86
            fns[idx] = Function(
                f.index, f.name, f.service, f.weight, 1024, 6.0, 1800.0, "x86_64", 0.45, f.cold_rate
            )
        elif f.name == specials[2]:  # out of memory: small memory, nearly full
            fns[idx] = Function(
                f.index, f.name, f.service, f.weight, 256, 30.0, 420.0, "x86_64", 0.86, f.cold_rate
            )
    by_rank = tuple(sorted(fns, key=lambda f: -f.weight))
    by_service = {s: tuple(f for f in fns if f.service == s) for s in services}
    agg = {
        s: (sum(f.weight for f in v), sum(f.weight * f.base_ms for f in v), len(v))
        for s, v in by_service.items()
    }
    mean_ms = sum(a[1] for a in agg.values())
    # Calibrate traffic so account concurrency peaks around half the limit.
    fn_rate = 0.5 * concurrency_limit / (mean_ms / 1000.0 * 1.25 * 1.45)
    sw_raw = [1.0 / (i + 1) ** 0.6 for i in range(s_count)]
    service_weight = {s: w / sum(sw_raw) for s, w in zip(services, sw_raw, strict=True)}
    queues = [
        Queue(
            f"{s}-{_QUEUE_SUFFIX.get(s, 'events')}",
            s,
            False,
            40.0 * service_weight[s] * 4,
            6.0 + 20.0 * noise.unit(noise.key(seed, "q", s), 0),
        )
        for s in services[:3]
    ]
    queues.append(Queue(f"{queues[0].name}-dlq", queues[0].service, True, 0.0, 0.0))
    sk = {s: noise.key(seed, "svc", s) for s in services}
    return Fleet(
        seed=seed,
        services=services,
        service_weight=service_weight,
        functions=tuple(fns),
        by_name={f.name: f for f in fns},
        by_service=by_service,
        service_agg=agg,
        by_rank=by_rank,
        tables=tuple(Table(*t) for t in _TABLES),
        queues=tuple(queues),
        machines=("order-fulfilment", "nightly-export"),
        api_rate=900.0,
        fn_rate=fn_rate,
        concurrency_limit=concurrency_limit,
        api_base_ms={s: round(40.0 + 35.0 * noise.unit(sk[s], 1), 1) for s in services},
        auth_base_ms={s: round(9.0 + 14.0 * noise.unit(sk[s], 2), 1) for s in services},
        cost_per_day={
            s: round(520.0 * service_weight[s] * (0.8 + 0.4 * noise.unit(sk[s], 3)), 2) for s in services
        },
    )


def incidents_at(fleet: Fleet, now_s: int) -> Incidents:
    """Place the live incidents relative to `now_s` (floored to the minute)."""
    anchor = now_s // 60 * 60
    svcs = fleet.services
    deploy = "checkout" if "checkout" in svcs else svcs[0]
    cost = "catalog" if "catalog" in svcs and deploy != "catalog" else svcs[1 % len(svcs)]
    throttle, timeout, oom = fleet.special_names()
    return Incidents(
        anchor_s=anchor,
        deploy_service=deploy,
        deploy_s=anchor - 35 * 60,
        throttle_fn=throttle,
        throttle_s=anchor - 3 * 3600,
        timeout_fn=timeout,
        oom_fn=oom,
        hot_table=fleet.tables[0].name,
        climb_s=anchor - 4 * 3600,
        dlq=next(q.name for q in fleet.queues if q.dlq),
        dlq_s=anchor - 130 * 60,
        cost_service=cost,
    )
