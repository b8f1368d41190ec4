"""The demo metric catalog and parsing/validation of demo queries (names, `where`, stats, group_by)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

LATENCY_STATS = ("avg", "p50", "p90", "p99", "max", "min")
LEVEL_STATS = ("avg", "max", "min")
COUNT_STATS = ("sum",)


@dataclass(frozen=True, slots=True)
class MetricSpec:
    """One demo metric: its family (which entities carry it), unit, dimensions and statistics."""

    name: str
    family: str  # api | lambda | dynamodb | sqs | sfn
    kind: str  # count (per bucket) | latency (ms) | level (a gauge-like value)
    unit: str
    dims: tuple[str, ...]
    stats: tuple[str, ...]
    default_stat: str
    #: How entities combine when not grouped apart: sum, max, or a traffic-weighted mean ("wmean").
    combine: str
    description: str


_API = ("api", "service")
_FN = ("function", "service")


def _spec(
    name: str,
    family: str,
    kind: str,
    unit: str,
    dims: tuple[str, ...],
    combine: str,
    description: str,
    default: str | None = None,
) -> MetricSpec:
    stats = {"count": COUNT_STATS, "latency": LATENCY_STATS, "level": LEVEL_STATS}[kind]
    return MetricSpec(name, family, kind, unit, dims, stats, default or stats[0], combine, description)


CATALOG: dict[str, MetricSpec] = {
    s.name: s
    for s in (
        _spec("api.requests", "api", "count", "count", _API, "sum", "API Gateway requests per bucket"),
        _spec("api.4xx", "api", "count", "count", _API, "sum", "client errors (user errors) per bucket"),
        _spec("api.5xx", "api", "count", "count", _API, "sum", "server errors (backend errors) per bucket"),
        _spec("api.latency", "api", "latency", "ms", _API, "wmean", "API Gateway response time"),
        _spec("api.integration_latency", "api", "latency", "ms", _API, "wmean", "time spent in the backend"),
        _spec("auth.latency", "api", "latency", "ms", _API, "wmean", "authorizer duration"),
        _spec(
            "lambda.invocations", "lambda", "count", "count", _FN, "sum", "function invocations per bucket"
        ),
        _spec("lambda.errors", "lambda", "count", "count", _FN, "sum", "invocations that failed (fatal)"),
        _spec("lambda.throttles", "lambda", "count", "count", _FN, "sum", "throttled invocations"),
        _spec("lambda.duration", "lambda", "latency", "ms", _FN, "wmean", "function code duration"),
        _spec(
            "lambda.concurrency",
            "lambda",
            "level",
            "executions",
            _FN,
            "sum",
            "concurrent executions (ungrouped: the whole account)",
            default="max",
        ),
        _spec(
            "dynamodb.latency", "dynamodb", "latency", "ms", ("table",), "wmean", "successful request latency"
        ),
        _spec(
            "dynamodb.consumed_rcu",
            "dynamodb",
            "level",
            "units/s",
            ("table",),
            "sum",
            "consumed read capacity",
        ),
        _spec(
            "dynamodb.consumed_wcu",
            "dynamodb",
            "level",
            "units/s",
            ("table",),
            "sum",
            "consumed write capacity",
        ),
        _spec(
            "dynamodb.provisioned_rcu", "dynamodb", "level", "units/s", ("table",), "sum", "provisioned reads"
        ),
        _spec(
            "dynamodb.provisioned_wcu",
            "dynamodb",
            "level",
            "units/s",
            ("table",),
            "sum",
            "provisioned writes",
        ),
        _spec(
            "dynamodb.utilization",
            "dynamodb",
            "level",
            "%",
            ("table",),
            "max",
            "consumed / provisioned capacity, the higher of read and write (ungrouped: the top table)",
            default="max",
        ),
        _spec("dynamodb.throttles", "dynamodb", "count", "count", ("table",), "sum", "throttled requests"),
        _spec(
            "sqs.visible",
            "sqs",
            "level",
            "messages",
            ("queue", "dlq"),
            "sum",
            "messages waiting",
            default="max",
        ),
        _spec(
            "sqs.oldest_age_s",
            "sqs",
            "level",
            "s",
            ("queue", "dlq"),
            "max",
            "age of the oldest message",
            default="max",
        ),
        _spec("sqs.sent", "sqs", "count", "count", ("queue", "dlq"), "sum", "messages sent per bucket"),
        _spec("sfn.started", "sfn", "count", "count", ("state_machine",), "sum", "executions started"),
        _spec("sfn.succeeded", "sfn", "count", "count", ("state_machine",), "sum", "executions succeeded"),
        _spec("sfn.failed", "sfn", "count", "count", ("state_machine",), "sum", "executions failed"),
    )
}


class QueryError(ValueError):
    """A demo query that cannot be run; the message names the bad part and what is allowed."""


@dataclass(frozen=True, slots=True)
class ParsedQuery:
    spec: MetricSpec
    stat: str
    where: Mapping[str, tuple[str, ...]]
    group_by: tuple[str, ...]


def _known() -> str:
    return ", ".join(CATALOG)


def _where_values(dim: str, value: Any) -> tuple[str, ...]:
    items = value if isinstance(value, list | tuple) else [value]
    out: list[str] = []
    for v in items:
        if isinstance(v, bool):
            out.append("true" if v else "false")
        elif isinstance(v, str | int | float):
            out.append(str(v))
        else:
            raise QueryError(f"where.{dim} must be a string or a list of strings, not {type(v).__name__}")
    if not out:
        raise QueryError(f"where.{dim} is an empty list")
    return tuple(out)


def parse(
    query: str | Mapping[str, Any] | None, stat: str | None, group_by: tuple[str, ...] = ()
) -> ParsedQuery:
    """Parse a demo query: a metric name, or {"metric": name, "where": {dim: value | [values]}}."""
    where: dict[str, tuple[str, ...]] = {}
    if isinstance(query, str):
        name = query.strip()
    elif isinstance(query, Mapping):
        extra = sorted(set(query) - {"metric", "where"})
        if extra:
            raise QueryError(
                f"unknown demo query key(s) {', '.join(map(repr, extra))}; use 'metric' and 'where'"
            )
        raw_name = query.get("metric")
        if not isinstance(raw_name, str):
            raise QueryError(f'a demo query table needs metric = "<name>"; known: {_known()}')
        name = raw_name.strip()
        raw_where = query.get("where") or {}
        if not isinstance(raw_where, Mapping):
            raise QueryError("where must be a table of dimension = value")
        where = {str(k): _where_values(str(k), v) for k, v in raw_where.items()}
    else:
        raise QueryError(f"a demo query is a metric name or a table with `metric`; known: {_known()}")
    spec = CATALOG.get(name)
    if spec is None:
        raise QueryError(f"unknown demo metric {name!r}; known: {_known()}")
    for dim in where:
        if dim not in spec.dims:
            raise QueryError(
                f"{name} has no dimension {dim!r} in where; its dimensions: {', '.join(spec.dims)}"
            )
    for dim in group_by:
        if dim not in spec.dims:
            raise QueryError(f"{name} cannot be grouped by {dim!r}; its dimensions: {', '.join(spec.dims)}")
    chosen = (stat or spec.default_stat).strip().lower()
    if chosen == "average":
        chosen = "avg"
    if chosen not in spec.stats:
        raise QueryError(f"{name} does not support stat {stat!r}; use one of {', '.join(spec.stats)}")
    return ParsedQuery(spec, chosen, where, tuple(dict.fromkeys(group_by)))
