"""Demo Lambda logs, generated per (function, minute) on demand: START/END/REPORT lines, JSON app logs,
timeouts and OOM kills; request ids encode their invocation so a lookup regenerates just that one."""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import lru_cache

from srvmon.logmine import Observed, ReportLine
from srvmon.model import LogRecord
from srvmon.providers.demo import noise
from srvmon.providers.demo.fleet import Fleet, Function, Incidents
from srvmon.providers.demo.rhythm import rhythm

#: Sampled invocations per minute for the busiest function at rhythm 1 (logs are a sample).
LOG_RATE = 3.0

_PATHS: dict[str, tuple[tuple[str, str], ...]] = {
    "checkout": (
        ("POST", "/orders"),
        ("GET", "/cart"),
        ("PUT", "/cart/items"),
        ("POST", "/payments"),
        ("GET", "/orders/{id}"),
    ),
    "catalog": (
        ("GET", "/products"),
        ("GET", "/products/{id}"),
        ("GET", "/search"),
        ("PUT", "/inventory/{sku}"),
    ),
    "auth": (("POST", "/login"), ("POST", "/token"), ("GET", "/users/me"), ("POST", "/logout")),
    "notify": (("POST", "/notifications"), ("POST", "/webhooks"), ("GET", "/preferences")),
}
_CLIENT_ERRORS = (
    (400, "validation failed: field 'quantity' must be >= 1"),
    (401, "token expired"),
    (404, "resource not found"),
    (409, "conflict: order already confirmed"),
    (422, "unsupported currency 'XTS'"),
)
_SERVER_ERRORS = (
    (504, "upstream timeout calling payments-gateway after 3000 ms"),
    (
        500,
        "ProvisionedThroughputExceededException: The level of configured provisioned throughput for the "
        "table was exceeded",
    ),
    (503, "circuit open for dependency 'inventory'"),
)
_DEPLOY_ERROR = (
    502,
    "TypeError: Cannot read properties of undefined (reading 'currency') "
    "at priceOrder (/var/task/src/pricing.js:88:31)",
)
_RID = re.compile(r"^([0-9a-f]{8})-([0-9a-f]{4})-4([0-9a-f]{3})-([0-9a-f]{4})-([0-9a-f]{12})$")
#: The release the bad deploy shipped, and the one before it (logs and change events agree).
NEW_VERSION, OLD_VERSION = "v2.14.0", "v2.13.4"


@dataclass(frozen=True, slots=True)
class Invocation:
    fn: Function
    minute: int
    k: int
    start: float
    duration_ms: float
    outcome: str  # ok | 4xx | 5xx | timeout | oom
    cold: bool
    init_ms: float | None
    mem_used: int
    status: int | None
    message: str
    method: str
    path: str
    version: str
    request_id: str


# ---- request ids -----------------------------------------------------------------------------------


@lru_cache(maxsize=64)
def _rid_key(seed: int) -> int:
    return noise.key(seed, "request-id")


def _rid_hash(seed: int, minute: int, index: int, k: int) -> int:
    return noise.mix(_rid_key(seed) ^ (minute << 24) ^ (index << 8) ^ k)


def request_id(seed: int, fn_index: int, minute: int, k: int) -> str:
    """A UUID-shaped id that encodes (minute, function index, invocation number) plus a check."""
    a = (minute ^ _rid_key(seed)) & 0xFFFFFFFF
    h = _rid_hash(seed, minute, fn_index, k)
    return f"{a:08x}-{fn_index & 0xFFFF:04x}-4{k & 0xFFF:03x}-{0x8000 | (h & 0x3FFF):04x}-{(h >> 16) & (2**48 - 1):012x}"


def decode_request_id(fleet: Fleet, rid: str) -> tuple[Function, int, int] | None:
    m = _RID.match(rid.strip().lower())
    if not m:
        return None
    minute = int(m.group(1), 16) ^ (_rid_key(fleet.seed) & 0xFFFFFFFF)
    index, k = int(m.group(2), 16), int(m.group(3), 16)
    if index >= len(fleet.functions) or request_id(fleet.seed, index, minute, k) != rid.strip().lower():
        return None
    return fleet.functions[index], minute, k


# ---- generation ------------------------------------------------------------------------------------


@lru_cache(maxsize=65_536)
def _fn_keys(seed: int, name: str, weight: float, top: float) -> tuple[int, int, float]:
    """Per function: count-noise key, invocation key, sqrt(weight share of the busiest)."""
    return noise.key(seed, "n", name), noise.key(seed, "inv", name), math.sqrt(weight / top)


def count(fleet: Fleet, fn: Function, minute: int, r: float) -> int:
    kn, _, share = _fn_keys(fleet.seed, fn.name, fn.weight, fleet.by_rank[0].weight)
    return int(LOG_RATE * share * r + noise.unit(kn, minute))


def _uniforms(fleet: Fleet, fn: Function, minute: int, k: int) -> list[float]:
    """Eight uniforms in [0, 1) for one invocation, from two 64-bit hashes (16 bits each)."""
    _, ki, _ = _fn_keys(fleet.seed, fn.name, fn.weight, fleet.by_rank[0].weight)
    a = noise.mix(ki ^ (minute << 12) ^ k)
    b = noise.mix(a ^ 0x5851F42D4C957F2D)
    return [((x >> s) & 0xFFFF) / 65536.0 for x in (a, b) for s in (0, 16, 32, 48)]


def _outcome(inc: Incidents, fn: Function, t0: int, x: float) -> str:
    """ok | 4xx | 5xx | timeout | oom, from the invocation's first uniform `x`."""
    deployed = fn.service == inc.deploy_service and t0 >= inc.deploy_s
    p_timeout = 0.03 if fn.name == inc.timeout_fn else 0.0
    p_oom = 0.06 if fn.name == inc.oom_fn else 0.0  # frequent enough to show in any window's sample
    p_5xx = 0.06 if deployed else 0.004
    p_4xx = 0.06 if fn.service == "auth" else 0.03
    if x < p_timeout:
        return "timeout"
    if x < p_timeout + p_oom:
        return "oom"
    if x < p_timeout + p_oom + p_5xx:
        return "5xx"
    if x < p_timeout + p_oom + p_5xx + p_4xx:
        return "4xx"
    return "ok"


def quick_outcome(fleet: Fleet, inc: Incidents, fn: Function, minute: int, k: int) -> str:
    """The outcome alone (one hash), to skip invocations a filter cannot match."""
    _, ki, _ = _fn_keys(fleet.seed, fn.name, fn.weight, fleet.by_rank[0].weight)
    return _outcome(inc, fn, minute * 60, (noise.mix(ki ^ (minute << 12) ^ k) & 0xFFFF) / 65536.0)


def _vitals(
    fleet: Fleet, inc: Incidents, fn: Function, minute: int, k: int
) -> tuple[list[float], bool, str, float, bool, float | None, int]:
    """What health needs of one invocation: (uniforms, deployed, outcome, duration unrounded, cold, init,
    memory used)."""
    u = _uniforms(fleet, fn, minute, k)
    t0 = minute * 60
    deployed = fn.service == inc.deploy_service and t0 >= inc.deploy_s
    outcome = _outcome(inc, fn, t0, u[0])
    timeout_ms = fn.timeout_s * 1000.0
    dur = fn.base_ms * (0.4 + 0.9 * u[1] + 2.6 * u[1] ** 8)
    if deployed:
        dur *= 1.2 + 2.0 * u[2] ** 6
    dur = timeout_ms if outcome == "timeout" else min(dur, timeout_ms * 0.97)
    just_deployed = fn.service == inc.deploy_service and inc.deploy_s <= t0 < inc.deploy_s + 180 and k == 0
    cold = just_deployed or u[3] < fn.cold_rate
    init_ms = round(180.0 + 520.0 * u[4] * (1.0 if fn.memory_mb >= 512 else 1.6), 2) if cold else None
    mem_used = (
        fn.memory_mb
        if outcome == "oom"
        else min(fn.memory_mb - 1, int(fn.memory_mb * fn.mem_frac * (0.9 + 0.15 * u[5])))
    )
    return u, deployed, outcome, dur, cold, init_ms, mem_used


def invocation(fleet: Fleet, inc: Incidents, fn: Function, minute: int, k: int) -> Invocation:
    u, deployed, outcome, dur, cold, init_ms, mem_used = _vitals(fleet, inc, fn, minute, k)
    paths = _PATHS.get(fn.service, (("POST", f"/{fn.service}/events"), ("GET", f"/{fn.service}/items")))
    method, path = paths[int(u[6] * len(paths))]
    status: int | None
    if outcome == "ok":
        status, message = (201 if method == "POST" else 200), "request completed"
    elif outcome == "4xx":
        status, message = _CLIENT_ERRORS[int(u[7] * len(_CLIENT_ERRORS))]
    elif outcome == "5xx":
        status, message = _DEPLOY_ERROR if deployed else _SERVER_ERRORS[int(u[7] * len(_SERVER_ERRORS))]
    else:
        status, message = None, ""
    version = NEW_VERSION if deployed else (OLD_VERSION if fn.service == inc.deploy_service else "v1.8.2")
    offset = u[2] * max(0.0, 59.9 - dur / 1000.0)
    return Invocation(
        fn,
        minute,
        k,
        minute * 60 + offset,
        round(dur, 2),
        outcome,
        cold,
        init_ms,
        mem_used,
        status,
        message,
        method,
        path,
        version,
        request_id(fleet.seed, fn.index, minute, k),
    )


def invocations(
    fleet: Fleet, inc: Incidents, fn: Function, minute: int, r: float | None = None
) -> list[Invocation]:
    """The sampled invocations of `fn` starting in `minute` (epoch minutes)."""
    if r is None:
        r = rhythm(minute * 60, inc.anchor_s)
    return [invocation(fleet, inc, fn, minute, k) for k in range(count(fleet, fn, minute, r))]


def observed(fleet: Fleet, inc: Incidents, fn: Function, minute: int, r: float) -> list[Observed]:
    """What the REPORT, timeout and OOM lines of `invocations(...)` tell health mining (as `records` writes
    them), without making the rest of each invocation: health needs no request id, path or message."""
    out = []
    for k in range(count(fleet, fn, minute, r)):
        _, _, outcome, raw, _, init_ms, mem_used = _vitals(fleet, inc, fn, minute, k)
        dur = round(raw, 2)
        report = ReportLine(
            request_id="",
            duration_ms=dur,
            billed_ms=float(math.ceil(dur)),
            memory_mb=fn.memory_mb,
            max_memory_mb=mem_used,
            init_ms=init_ms,
        )
        out.append(
            Observed(report, timeout=outcome == "timeout", oom=outcome == "oom" or report.out_of_memory)
        )
    return out


def _iso(ts: float) -> str:
    return datetime.fromtimestamp(ts, UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def records(inv: Invocation, *, health_only: bool = False) -> list[LogRecord]:
    """The log lines of one invocation, oldest first (`health_only`: just REPORT/timeout/OOM lines)."""
    fn, rid = inv.fn, inv.request_id
    end = inv.start + inv.duration_ms / 1000.0
    base = {"service": fn.service, "function": fn.name}
    out: list[LogRecord] = []
    if not health_only:
        out.append(
            LogRecord(
                inv.start, fn.name, f"START RequestId: {rid} Version: $LATEST", request_id=rid, fields=base
            )
        )
        if inv.status is not None:
            level = "INFO" if inv.outcome == "ok" else ("WARN" if inv.outcome == "4xx" else "ERROR")
            app = {
                "timestamp": _iso(end - 0.001),
                "level": level,
                "msg": inv.message,
                "requestId": rid,
                "service": fn.service,
                "function": fn.name,
                "version": inv.version,
                "method": inv.method,
                "path": inv.path,
                "status": inv.status,
                "durationMs": inv.duration_ms,
            }
            fields = {k: v for k, v in app.items() if k != "timestamp"}
            out.append(
                LogRecord(
                    end - 0.001,
                    fn.name,
                    json.dumps(app, separators=(",", ":")),
                    level=level,
                    status=inv.status,
                    duration_ms=inv.duration_ms,
                    request_id=rid,
                    fields=fields,
                )
            )
    if inv.outcome == "timeout":
        out.append(
            LogRecord(
                end,
                fn.name,
                f"{_iso(end)} {rid} Task timed out after {fn.timeout_s:.2f} seconds",
                level="ERROR",
                duration_ms=inv.duration_ms,
                request_id=rid,
                fields=base,
            )
        )
    elif inv.outcome == "oom":
        out.append(
            LogRecord(
                end,
                fn.name,
                f"RequestId: {rid} Error: Runtime exited with error: signal: killed\nRuntime.ExitError",
                level="ERROR",
                request_id=rid,
                fields=base,
            )
        )
    if not health_only:
        out.append(LogRecord(end + 0.001, fn.name, f"END RequestId: {rid}", request_id=rid, fields=base))
    report = (
        f"REPORT RequestId: {rid}\tDuration: {inv.duration_ms:.2f} ms\tBilled Duration: "
        f"{math.ceil(inv.duration_ms)} ms\tMemory Size: {fn.memory_mb} MB\tMax Memory Used: {inv.mem_used} MB\t"
    )
    if inv.init_ms is not None:
        report += f"Init Duration: {inv.init_ms:.2f} ms\t"
    out.append(
        LogRecord(end + 0.002, fn.name, report, duration_ms=inv.duration_ms, request_id=rid, fields=base)
    )
    return out
