"""A fake of Cloudflare's GraphQL Analytics API for `workersInvocationsAdaptive`, executed by graphql-core.

The schema below spells the fields, arguments and types the way Cloudflare's API does (documented in
developers.cloudflare.com/analytics/graphql-api: the Workers metrics tutorial, the settings node,
filtering and error responses), so a query with a misspelt field, a wrong argument or an undeclared
variable fails validation here as it would there. Answers are computed from a per-minute model of a
small fleet, grouped by whichever dimensions the query selects, so any bucketing the provider asks
for can be checked against `expected()`.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import graphql

NOW = datetime(2026, 11, 22, 4, 0, tzinfo=UTC)  # a Sunday, on the hour
ACCOUNT = "0123456789abcdef0123456789abcdef"
TOKEN = "cf-test-token-7f3a"
ERROR_STATUSES = {"scriptThrewException", "exceededResources", "internalError"}
#: invocations per minute before the shape factor, by (script, status)
BASE: dict[tuple[str, str], float] = {
    ("checkout-api", "success"): 40.0,
    ("checkout-api", "clientDisconnected"): 2.0,
    ("checkout-api", "scriptThrewException"): 1.0,
    ("images", "success"): 20.0,
    ("images", "exceededResources"): 2.0,
    ("auth-edge", "success"): 12.0,
    ("legacy-canary", "success"): 5.0,
    ("legacy-canary", "scriptThrewException"): 5.0,
}
SCRIPTS = sorted({s for s, _ in BASE})
SUBREQUESTS_PER_REQUEST = {"checkout-api": 3.0, "images": 1.0, "auth-edge": 0.0, "legacy-canary": 2.0}
#: quantiles in microseconds, by script: p50, p99 (the same for every percentile below/above p50)
CPU_US = {"checkout-api": (1200.0, 9000.0), "images": (4000.0, 25000.0), "auth-edge": (300.0, 800.0),
          "legacy-canary": (2000.0, 3000.0)}  # fmt: skip
WALL_US = {"checkout-api": (30000.0, 250000.0), "images": (80000.0, 900000.0), "auth-edge": (5000.0, 9000.0),
           "legacy-canary": (10000.0, 20000.0)}  # fmt: skip
#: in the last 7 days traffic is twice what it was before (so last week's compare is half)
RECENT_FROM = NOW - timedelta(days=7)
TIME_DIMS = {
    "datetimeMinute": 60,
    "datetimeFiveMinutes": 300,
    "datetimeFifteenMinutes": 900,
    "datetimeHour": 3600,
}
PCTS = ("P25", "P50", "P75", "P90", "P95", "P99", "P999")

SDL = (
    """
scalar string
scalar Time
scalar uint64
scalar float64

type Query { viewer: Viewer }
type Viewer { accounts(filter: AccountFilter_InputObject!): [Account!]! }
input AccountFilter_InputObject { accountTag: string, accountTag_in: [string!] }
type Account {
  settings: AccountSettings
  workersInvocationsAdaptive(
    limit: uint64!
    filter: AccountWorkersInvocationsAdaptiveFilter_InputObject
    orderBy: [AccountWorkersInvocationsAdaptiveOrderBy!]
  ): [AccountWorkersInvocationsAdaptive!]
}
type AccountSettings { workersInvocationsAdaptive: SettingsNode }
type SettingsNode {
  enabled: Boolean!
  maxDuration: uint64!
  maxNumberOfFields: uint64!
  maxPageSize: uint64!
  notOlderThan: uint64!
  availableFields: [string!]!
}
input AccountWorkersInvocationsAdaptiveFilter_InputObject {
  datetime: Time, datetime_geq: Time, datetime_gt: Time, datetime_leq: Time, datetime_lt: Time
  scriptName: string, scriptName_in: [string!], scriptName_neq: string
  status: string, status_in: [string!], status_neq: string
  AND: [AccountWorkersInvocationsAdaptiveFilter_InputObject!]
  OR: [AccountWorkersInvocationsAdaptiveFilter_InputObject!]
}
type AccountWorkersInvocationsAdaptive {
  dimensions: AccountWorkersInvocationsAdaptiveDimensions
  sum: AccountWorkersInvocationsAdaptiveSum
  quantiles: AccountWorkersInvocationsAdaptiveQuantiles
}
type AccountWorkersInvocationsAdaptiveDimensions {
  date: string, datetime: Time, datetimeMinute: Time, datetimeFiveMinutes: Time
  datetimeFifteenMinutes: Time, datetimeHour: Time, scriptName: string, status: string
}
type AccountWorkersInvocationsAdaptiveSum {
  requests: uint64, errors: uint64, subrequests: uint64, cpuTimeUs: uint64, wallTime: uint64, duration: float64
}
type AccountWorkersInvocationsAdaptiveQuantiles {
"""
    + "\n".join(f"  {stem}{p}: float64" for stem in ("cpuTime", "wallTime", "duration") for p in PCTS)
    + "\n}\nenum AccountWorkersInvocationsAdaptiveOrderBy {\n"
    + "\n".join(f"  {d}_{o}" for d in ("datetime", *TIME_DIMS, "sum_requests") for o in ("ASC", "DESC"))
    + "\n}\n"
)
SCHEMA = graphql.build_schema(SDL)
AVAILABLE_FIELDS = (
    [f"sum_{f}" for f in ("requests", "errors", "subrequests", "cpuTimeUs", "wallTime", "duration")]
    + [f"quantiles_{s}{p}" for s in ("cpuTime", "wallTime", "duration") for p in PCTS]
    + [f"dimensions_{d}" for d in ("date", "datetime", *TIME_DIMS, "scriptName", "status")]
)


def shape(minute_s: int) -> float:
    """1, 2, 3, 1, 2, 3 ... minute by minute (a 3-minute cycle: every 15-minute or hour bucket sums alike)."""
    return 1.0 + (minute_s // 60) % 3


def rate(script: str, status: str, minute_s: int) -> float:
    """Invocations of (script, status) in the minute starting at `minute_s`."""
    base = BASE.get((script, status), 0.0)
    factor = 2.0 if minute_s >= RECENT_FROM.timestamp() else 1.0
    return base * factor * shape(minute_s)


def requests_in(scripts: Iterable[str], statuses: Iterable[str] | None, start_s: int, end_s: int) -> float:
    """Invocations in [start_s, end_s) over these scripts and statuses (None = every status)."""
    total = 0.0
    for (script, status), _ in BASE.items():
        if script in scripts and (statuses is None or status in statuses):
            total += sum(rate(script, status, m) for m in range(start_s, end_s, 60))
    return total


@dataclass
class Fake:
    """State and knobs of the fake API (tests change them)."""

    max_duration_s: int = 7 * 86400
    not_older_than_s: int = 90 * 86400
    max_page_size: int = 10000
    available: list[str] = field(default_factory=lambda: list(AVAILABLE_FIELDS))
    settings_enabled: bool = True
    #: GraphQL queries (dataset nodes) allowed per 5 minutes before "rate limiter budget depleted"
    quota: int = 300
    spent: int = 0
    analytics_allowed: bool = True
    requests: list[dict[str, Any]] = field(default_factory=list)  # every GraphQL request body served

    def execute(self, body: dict[str, Any]) -> dict[str, Any]:
        """Validate and run one GraphQL request the way the real API answers: 200 with data and errors."""
        self.requests.append(body)
        try:
            document = graphql.parse(body.get("query") or "")
        except graphql.GraphQLError as exc:
            return {"data": None, "errors": [{"message": f"error parsing args: {exc.message}", "path": None}]}
        invalid = graphql.validate(SCHEMA, document)
        if invalid:
            return {"data": None, "errors": [{"message": e.message, "path": None} for e in invalid]}
        nodes = _count_nodes(document)
        if self.spent + nodes > self.quota:
            return {
                "data": None,
                "errors": [
                    {
                        "message": "rate limiter budget depleted, try again after 5 minutes",
                        "path": None,
                        "extensions": {"code": "budget", "timestamp": NOW.isoformat()},
                    }
                ],
            }
        self.spent += nodes
        result = graphql.execute(SCHEMA, document, root_value={"viewer": self._viewer()},
                                 variable_values=body.get("variables") or {})  # fmt: skip
        out: dict[str, Any] = {"data": result.data, "errors": None}
        if result.errors:
            out["errors"] = [
                {"message": e.message, "path": e.path, "extensions": {"timestamp": NOW.isoformat()}}
                for e in result.errors
            ]
        return out

    def _viewer(self) -> dict[str, Any]:
        def accounts(info: Any, filter: dict[str, Any]) -> list[dict[str, Any]]:
            if filter.get("accountTag") != ACCOUNT:
                return []
            return [{"settings": self._settings, "workersInvocationsAdaptive": self._dataset}]

        return {"accounts": accounts}

    def _settings(self, info: Any) -> dict[str, Any]:
        return {
            "workersInvocationsAdaptive": {
                "enabled": self.settings_enabled,
                "maxDuration": self.max_duration_s,
                "maxNumberOfFields": 30,
                "maxPageSize": self.max_page_size,
                "notOlderThan": self.not_older_than_s,
                "availableFields": self.available,
            }
        }

    def _dataset(
        self, info: Any, limit: int, filter: dict[str, Any] | None = None, orderBy: list[str] | None = None
    ) -> list[dict[str, Any]]:
        if not self.analytics_allowed:
            raise graphql.GraphQLError("not authorized for that account", extensions={"code": "authz"})
        flt = filter or {}
        if limit > self.max_page_size:
            raise graphql.GraphQLError(f"limit must not be more than {self.max_page_size}")
        start = _parse(flt.get("datetime_geq") or flt.get("datetime_gt"))
        end = _parse(flt.get("datetime_lt") or flt.get("datetime_leq"))
        if start is None or end is None:
            raise graphql.GraphQLError("a datetime range (datetime_geq and datetime_lt) is required")
        if end - start > self.max_duration_s:
            raise graphql.GraphQLError(
                f"cannot request data for a time range wider than {self.max_duration_s}s"
            )
        if start < NOW.timestamp() - self.not_older_than_s:
            raise graphql.GraphQLError(f"cannot request data older than {self.not_older_than_s}s")
        selected = _selected(info)
        dims = selected.get("dimensions", set())
        time_dims = [d for d in dims if d in TIME_DIMS]
        if len(time_dims) > 1:
            raise graphql.GraphQLError("select one time dimension")
        bucket_s = TIME_DIMS[time_dims[0]] if time_dims else None
        scripts = [s for s in SCRIPTS if _keep(s, flt, "scriptName")]
        groups: dict[tuple[Any, ...], dict[str, Any]] = defaultdict(lambda: {"req": 0.0, "err": 0.0, "sub": 0.0,
                                                                             "q": defaultdict(list)})  # fmt: skip
        for (script, status), _ in BASE.items():
            if script not in scripts or not _keep(status, flt, "status"):
                continue
            for m in range(int(start), int(end), 60):
                n = rate(script, status, m)
                b = m - m % bucket_s if bucket_s else None
                key = (b, script if "scriptName" in dims else None, status if "status" in dims else None)
                g = groups[key]
                g["req"] += n
                g["err"] += n if status in ERROR_STATUSES else 0.0
                g["sub"] += n * SUBREQUESTS_PER_REQUEST[script]
                g["q"][script].append(n)
        rows = []
        for (b, script, status), g in groups.items():
            if g["req"] <= 0:
                continue
            d: dict[str, Any] = {"scriptName": script, "status": status}
            if b is not None:
                d[time_dims[0]] = datetime.fromtimestamp(b, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
            weights = {s: sum(v) for s, v in g["q"].items()}
            rows.append(
                {
                    "dimensions": d,
                    "sum": {
                        "requests": round(g["req"]),
                        "errors": round(g["err"]),
                        "subrequests": round(g["sub"]),
                    },
                    "quantiles": _quantiles(weights),
                }
            )
        order = (orderBy or [""])[0]
        rows.sort(key=lambda r: r["dimensions"].get(time_dims[0]) or "" if time_dims else "",
                  reverse=order.endswith("_DESC"))  # fmt: skip
        return rows[:limit]


def _quantiles(weights: dict[str, float]) -> dict[str, float]:
    """Per-script quantiles merged: p50 and below request-weighted, above p50 the largest (the fake's rule)."""
    total = sum(weights.values())
    out: dict[str, float] = {}
    for stem, table in (("cpuTime", CPU_US), ("wallTime", WALL_US)):
        low = sum(table[s][0] * w for s, w in weights.items()) / total
        high = max(table[s][1] for s in weights)
        for p in PCTS:
            out[f"{stem}{p}"] = low if p in ("P25", "P50") else high
    return out


def _keep(value: str, flt: dict[str, Any], dim: str) -> bool:
    if dim in flt and flt[dim] is not None and value != flt[dim]:
        return False
    if flt.get(f"{dim}_in") is not None and value not in flt[f"{dim}_in"]:
        return False
    return not (flt.get(f"{dim}_neq") is not None and value == flt[f"{dim}_neq"])


def _parse(v: Any) -> float | None:
    if not isinstance(v, str):
        return None
    if not v.endswith("Z"):
        raise graphql.GraphQLError(f"time {v!r} must be RFC 3339 in UTC (…Z)")
    return datetime.fromisoformat(v.replace("Z", "+00:00")).timestamp()


def _selected(info: Any) -> dict[str, set[str]]:
    """Sub-selections of this field: {"dimensions": {...}, "sum": {...}, "quantiles": {...}}."""
    out: dict[str, set[str]] = {}
    for sel in info.field_nodes[0].selection_set.selections:
        if isinstance(sel, graphql.FieldNode) and sel.selection_set:
            out[sel.name.value] = {
                s.name.value for s in sel.selection_set.selections if isinstance(s, graphql.FieldNode)
            }
    return out


def _count_nodes(document: graphql.DocumentNode) -> int:
    """Queries a request counts for: account scopes x dataset nodes (settings counts as one)."""
    n = 0
    for op in document.definitions:
        if not isinstance(op, graphql.OperationDefinitionNode):
            continue
        for viewer in op.selection_set.selections:
            if not isinstance(viewer, graphql.FieldNode) or viewer.selection_set is None:
                continue
            for acc in viewer.selection_set.selections:
                if isinstance(acc, graphql.FieldNode) and acc.selection_set is not None:
                    n += len(acc.selection_set.selections)
    return max(1, n)


def expected_requests(window_start: datetime, step_s: int, points: int, scripts: Iterable[str],
                      statuses: Iterable[str] | None = None) -> list[float]:  # fmt: skip
    """Invocations per bucket, computed minute by minute from the model (what the provider must show)."""
    s0 = int(window_start.timestamp())
    names = list(scripts)
    return [requests_in(names, statuses, s0 + i * step_s, s0 + (i + 1) * step_s) for i in range(points)]


def log_event(minutes_ago: float, script: str, level: str, message: str, *, status: int | None = 200,
              outcome: str = "ok", error: str | None = None, request_id: str = "") -> dict[str, Any]:  # fmt: skip
    """One Workers Logs event in the telemetry API's shape (`$workers`, `$metadata`, ms timestamps)."""
    ts = int((NOW - timedelta(minutes=minutes_ago)).timestamp() * 1000)
    meta: dict[str, Any] = {"id": request_id or f"evt-{ts}", "service": script, "level": level, "message": message,
                            "type": "cf-worker", "trigger": "GET /api"}  # fmt: skip
    if error:
        meta["error"] = error
    workers: dict[str, Any] = {"scriptName": script, "outcome": outcome, "eventType": "fetch", "requestId": request_id,
                               "cpuTimeMs": 3, "wallTimeMs": 42}  # fmt: skip
    if status is not None:
        workers["event"] = {"request": {"url": f"https://{script}.example.com/api", "method": "GET"},
                            "response": {"status": status}, "rayId": f"ray{ts}"}  # fmt: skip
    return {
        "timestamp": ts,
        "dataset": "cloudflare-workers",
        "source": message,
        "$workers": workers,
        "$metadata": meta,
    }


LOG_EVENTS = [
    log_event(
        1,
        "checkout-api",
        "error",
        "payment failed",
        status=500,
        outcome="exception",
        error="TypeError: Cannot read properties of undefined (reading 'id')",
        request_id="r-1",
    ),  # fmt: skip
    log_event(2, "checkout-api", "info", "order placed", request_id="r-2"),
    log_event(3, "images", "error", "resize aborted", status=503, outcome="exceededCpu", request_id="r-3"),
    log_event(4, "auth-edge", "info", "token refreshed", request_id="r-4"),
    log_event(5, "checkout-api", "warn", "slow upstream \x1b[31m[red]markup[/red]", request_id="r-5"),
    log_event(9 * 24 * 60, "checkout-api", "error", "too old to be kept", status=500, request_id="r-old"),
]


def telemetry_answer(body: dict[str, Any], events: list[dict[str, Any]]) -> dict[str, Any]:
    """What POST .../telemetry/query returns for view "events": filters, needle, timeframe, limit applied."""
    params = body.get("parameters") or {}
    frm, to = body["timeframe"]["from"], body["timeframe"]["to"]
    out = []
    for e in events:
        if not frm <= e["timestamp"] <= to:
            continue
        if not all(_filter_ok(e, f) for f in params.get("filters") or []):
            continue
        needle = params.get("needle")
        if needle and str(needle["value"]).lower() not in repr(e).lower():
            continue
        out.append(e)
    out.sort(key=lambda e: e["timestamp"], reverse=True)
    limit = int(body.get("limit") or params.get("limit") or 50)
    page = out[:limit]
    return {
        "success": True,
        "errors": [],
        "messages": [],
        "result": {
            "events": {"events": page, "count": len(page)},
            "statistics": {
                "bytes_read": 4096 * len(page),
                "elapsed": 12,
                "rows_read": len(out),
                "abr_level": 1,
            },
        },
    }


def _filter_ok(event: dict[str, Any], f: dict[str, Any]) -> bool:
    node: Any = event
    for part in f["key"].split("."):
        node = node.get(part) if isinstance(node, dict) else None
    op, value = f["operation"], f.get("value")
    if op == "eq":
        return bool(node == value)
    if op == "neq":
        return bool(node != value)
    if op in ("gte", "lte"):
        if not isinstance(node, int | float):
            return False
        return bool(node >= value) if op == "gte" else bool(node <= value)
    raise AssertionError(f"the fake does not know filter operation {op!r}")
