"""Panel query syntax -> CloudWatch MetricStat leaves; periods, stats, grouping and Insights/SEARCH text.

Short forms name a service and a metric and expand over the discovered resources of that service:
``lambda:Invocations``, ``apigw:Count`` / ``apigw:4xx`` / ``apigw:5xx`` / ``apigw:Latency`` (REST APIs
use ``ApiName`` + ``4XXError``/``5XXError``, HTTP APIs ``ApiId`` + ``4xx``/``5xx``), ``dynamodb:<Metric>``,
``dynamodb:utilization`` (max of consumed read/write Sum ÷ period ÷ provisioned, in %, per table),
``sqs:<Metric>``, ``dlq:<Metric>`` (only queues that are some queue's dead-letter target) and
``states:<Metric>``. The dict form names anything else:
``{namespace = "AWS/Lambda", metric = "Duration", dimensions = {FunctionName = "*"}, stat = "p99"}``;
a ``"*"`` value expands over discovered resources (FunctionName, ApiName, ApiId, TableName, QueueName,
StateMachineArn) or, for other dimensions, over ListMetrics.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from srvmon.model import TimeWindow
from srvmon.providers.aws.discovery import Inventory
from srvmon.providers.aws.session import Target

MAX_QUERIES_PER_CALL = 500
PRICE_PER_METRIC = 0.01 / 1000

#: short-form prefix -> (namespace, resource kinds, dimension, friendly label key)
SERVICES: dict[str, tuple[str, tuple[str, ...], str, str]] = {
    "lambda": ("AWS/Lambda", ("function",), "FunctionName", "function"),
    "apigw": ("AWS/ApiGateway", ("rest_api", "http_api"), "ApiName", "api"),
    "dynamodb": ("AWS/DynamoDB", ("table",), "TableName", "table"),
    "sqs": ("AWS/SQS", ("queue",), "QueueName", "queue"),
    "dlq": ("AWS/SQS", ("queue",), "QueueName", "queue"),
    "states": ("AWS/States", ("state_machine",), "StateMachineArn", "state_machine"),
}
#: CloudWatch dimension -> (resource kind, friendly label key)
DIMENSIONS: dict[str, tuple[str, str]] = {
    "FunctionName": ("function", "function"),
    "ApiName": ("rest_api", "api"),
    "ApiId": ("http_api", "api"),
    "TableName": ("table", "table"),
    "QueueName": ("queue", "queue"),
    "StateMachineArn": ("state_machine", "state_machine"),
}
#: group_by spellings -> friendly label key
GROUP_KEYS: dict[str, str] = {
    "function": "function",
    "FunctionName": "function",
    "api": "api",
    "ApiName": "api",
    "ApiId": "api",
    "table": "table",
    "TableName": "table",
    "queue": "queue",
    "QueueName": "queue",
    "state_machine": "state_machine",
    "StateMachineArn": "state_machine",
    "account": "account",
    "region": "region",
}
_APIGW_REST = {"4xx": "4XXError", "5xx": "5XXError", "4XXError": "4XXError", "5XXError": "5XXError"}
_APIGW_HTTP = {"4xx": "4xx", "5xx": "5xx", "4XXError": "4xx", "5XXError": "5xx"}
_STATS = {
    "sum": "Sum",
    "avg": "Average",
    "average": "Average",
    "mean": "Average",
    "max": "Maximum",
    "maximum": "Maximum",
    "min": "Minimum",
    "minimum": "Minimum",
    "count": "SampleCount",
    "samplecount": "SampleCount",
}
_PCT = re.compile(r"^(p|tm|wm|tc|ts)(\d{1,2}(\.\d{1,2})?|100)$", re.IGNORECASE)
_NAME = re.compile(r"^[A-Za-z0-9_.:/#\-]{1,255}$")
_MAX_STATS = (
    "ConcurrentExecutions",
    "UnreservedConcurrentExecutions",
    "ClaimedAccountConcurrency",
    "ProvisionedConcurrentExecutions",
    "ApproximateAgeOfOldestMessage",
    "ApproximateNumberOfMessagesVisible",
    "ApproximateNumberOfMessagesNotVisible",
    "ProvisionedReadCapacityUnits",
    "ProvisionedWriteCapacityUnits",
)
_AVG_STATS = (
    "Duration",
    "Latency",
    "IntegrationLatency",
    "SuccessfulRequestLatency",
    "ExecutionTime",
    "IteratorAge",
    "PostRuntimeExtensionsDuration",
)


class QueryError(ValueError):
    """A panel query srvmon cannot turn into CloudWatch requests."""


@dataclass(frozen=True, slots=True)
class Spec:
    """A parsed panel query."""

    service: str  # a SERVICES key, or "custom"
    namespace: str
    metric: str
    stat: str  # CloudWatch statistic (Sum, Average, p99 ...)
    dims: tuple[tuple[str, str], ...] = ()  # custom queries only; "*" = expand

    @property
    def derived(self) -> str | None:
        return "utilization" if self.service == "dynamodb" and self.metric == "utilization" else None


@dataclass(frozen=True, slots=True)
class Leaf:
    """One MetricStat to fetch, with the friendly labels of the series it becomes."""

    target: Target
    namespace: str
    metric: str
    dims: tuple[tuple[str, str], ...]
    stat: str
    labels: tuple[tuple[str, str], ...]
    role: str = "value"  # "read"/"write" for derived utilization
    capacity: float | None = None  # provisioned units for utilization

    def key(self) -> tuple[Any, ...]:
        """Identity of the MetricStat (shared by every panel that asks for it)."""
        return (self.target, self.namespace, self.metric, self.dims, self.stat)

    def metric_stat(self, period: int) -> dict[str, Any]:
        return {
            "Metric": {
                "Namespace": self.namespace,
                "MetricName": self.metric,
                "Dimensions": [{"Name": n, "Value": v} for n, v in self.dims],
            },
            "Period": period,
            "Stat": self.stat,
        }


def cw_stat(stat: str | None, metric: str) -> str:
    """Panel stat ('sum', 'avg', 'p99' ...) -> CloudWatch statistic; a default that suits the metric."""
    if stat is not None and not str(stat).strip():
        raise QueryError(
            "empty stat; leave `stat` out for the metric's default, or use sum, avg, max, min, count or p99"
        )
    if stat is None:
        if metric in _MAX_STATS:
            return "Maximum"
        if metric in _AVG_STATS:
            return "Average"
        return "Sum"
    s = str(stat).strip()
    if s.lower() in _STATS:
        return _STATS[s.lower()]
    if s in _STATS.values():
        return s
    m = _PCT.match(s)
    if m:
        return m.group(1).lower() + m.group(2)
    raise QueryError(f"unknown stat {stat!r}; use sum, avg, max, min, count or a percentile like p99")


def parse(query: str | Mapping[str, Any] | None, stat: str | None) -> Spec:
    """Validate and parse a panel query; QueryError says what is wrong and how to write it."""
    if isinstance(query, str):
        service, sep, metric = query.strip().partition(":")
        if not sep or service not in SERVICES:
            raise QueryError(
                f"{query!r}: use '<service>:<Metric>' with service one of {', '.join(SERVICES)}, "
                "or a table {namespace=..., metric=..., dimensions={...}}"
            )
        if not _NAME.match(metric):
            raise QueryError(f"{query!r}: missing or invalid metric name after ':'")
        if service == "dynamodb" and metric == "utilization":
            return Spec(service, SERVICES[service][0], metric, "Sum")
        return Spec(service, SERVICES[service][0], metric, cw_stat(stat, metric))
    if isinstance(query, Mapping):
        unknown = set(query) - {"namespace", "metric", "dimensions", "stat"}
        if unknown:
            raise QueryError(
                f"unknown key(s) {sorted(unknown)}; allowed: namespace, metric, dimensions, stat"
            )
        ns, name = query.get("namespace"), query.get("metric")
        if not isinstance(ns, str) or not _NAME.match(ns):
            raise QueryError('`namespace` must be a CloudWatch namespace such as "AWS/Lambda"')
        if not isinstance(name, str) or not _NAME.match(name):
            raise QueryError('`metric` must be a CloudWatch metric name such as "Invocations"')
        dims = query.get("dimensions", {})
        if not isinstance(dims, Mapping) or not all(
            isinstance(k, str) and isinstance(v, str) and k and v for k, v in dims.items()
        ):
            raise QueryError('`dimensions` must map dimension names to values ("*" = every resource)')
        if len(dims) > 30:
            raise QueryError("CloudWatch allows at most 30 dimensions")
        raw_stat = query.get("stat", stat)
        if raw_stat is not None and not isinstance(raw_stat, str):
            raise QueryError("`stat` must be a string")
        return Spec("custom", ns, name, cw_stat(raw_stat, name), tuple(sorted(dims.items())))
    raise QueryError('a metric panel needs `query` (e.g. "lambda:Invocations")')


def group_keys(group_by: Sequence[str], spec: Spec | None = None) -> tuple[str, ...]:
    """Friendly label keys; a custom query may also group by any of its own wildcard dimensions."""
    own = {n for n, v in spec.dims if v == "*"} if spec is not None else set()
    out = []
    for g in group_by:
        if g in own and g not in GROUP_KEYS:
            out.append(g)
            continue
        if g not in GROUP_KEYS:
            raise QueryError(f"cannot group by {g!r}; use one of {', '.join(sorted(set(GROUP_KEYS)))}")
        out.append(GROUP_KEYS[g])
    return tuple(out)


def _labels(key: str, value: str, target: Target, multi: bool) -> tuple[tuple[str, str], ...]:
    base = ((key, value),)
    return base + (("account", target.account), ("region", target.region)) if multi else base


def expand(
    spec: Spec,
    inventory: Inventory,
    targets: Sequence[Target],
    *,
    grouped: bool,
    filtered: bool,
    list_metrics: Callable[[Target, str, str, tuple[tuple[str, str], ...]], list[tuple[tuple[str, str], ...]]]
    | None = None,
) -> list[Leaf]:
    """The MetricStats a query needs. Ungrouped Lambda queries use the account-level (no-dimension)
    metric when no name/tag filter narrows the fleet: one metric per target instead of one per function."""
    multi = len(targets) > 1
    leaves: list[Leaf] = []
    if spec.service == "custom":
        return _expand_custom(spec, inventory, targets, multi, list_metrics)
    ns, kinds, dim, key = SERVICES[spec.service]
    if spec.service == "lambda" and not grouped and not filtered:
        for t in targets:
            account: tuple[tuple[str, str], ...] = (
                (("account", t.account), ("region", t.region)) if multi else ()
            )
            leaves.append(Leaf(t, ns, spec.metric, (), spec.stat, account))
        return leaves
    for r in inventory.of(*kinds):
        if r.target not in targets:
            continue
        if spec.service == "dlq" and not r.is_dlq:
            continue
        labels = _labels(key, r.name, r.target, multi)
        if spec.service == "apigw":
            if r.kind == "rest_api":
                leaves.append(
                    Leaf(
                        r.target,
                        ns,
                        _APIGW_REST.get(spec.metric, spec.metric),
                        (("ApiName", r.name),),
                        spec.stat,
                        labels,
                    )
                )
            else:
                leaves.append(
                    Leaf(
                        r.target,
                        ns,
                        _APIGW_HTTP.get(spec.metric, spec.metric),
                        (("ApiId", r.id),),
                        spec.stat,
                        labels,
                    )
                )
        elif spec.derived == "utilization":
            dims = (("TableName", r.name),)
            for role, metric, cap in (
                ("read", "ConsumedReadCapacityUnits", r.read_capacity),
                ("write", "ConsumedWriteCapacityUnits", r.write_capacity),
            ):
                if cap:
                    leaves.append(Leaf(r.target, ns, metric, dims, "Sum", labels, role, cap))
        else:
            value = r.arn if dim == "StateMachineArn" else r.name
            leaves.append(Leaf(r.target, ns, spec.metric, ((dim, value),), spec.stat, labels))
    return leaves


def _expand_custom(
    spec: Spec,
    inventory: Inventory,
    targets: Sequence[Target],
    multi: bool,
    list_metrics: Callable[..., list[tuple[tuple[str, str], ...]]] | None,
) -> list[Leaf]:
    leaves: list[Leaf] = []
    wild = [n for n, v in spec.dims if v == "*"]
    fixed = tuple((n, v) for n, v in spec.dims if v != "*")
    for t in targets:
        extra = (("account", t.account), ("region", t.region)) if multi else ()
        if not wild:
            leaves.append(Leaf(t, spec.namespace, spec.metric, spec.dims, spec.stat, fixed + extra))
            continue
        if len(wild) == 1 and wild[0] in DIMENSIONS:
            kind, key = DIMENSIONS[wild[0]]
            for r in inventory.of(kind):
                if r.target != t:
                    continue
                value = r.arn if wild[0] == "StateMachineArn" else (r.id if wild[0] == "ApiId" else r.name)
                dims = tuple(sorted(fixed + ((wild[0], value),)))
                leaves.append(Leaf(t, spec.namespace, spec.metric, dims, spec.stat, ((key, r.name),) + extra))
            continue
        if list_metrics is None:
            raise QueryError(f"cannot expand dimension(s) {wild} without ListMetrics")
        for dims in list_metrics(t, spec.namespace, spec.metric, spec.dims):
            labels = tuple((DIMENSIONS.get(n, (n, n))[1], v) for n, v in dims if n in wild)
            leaves.append(Leaf(t, spec.namespace, spec.metric, dims, spec.stat, labels + extra))
    return leaves


# ---- periods -------------------------------------------------------------------------------------


def period_for(window: TimeWindow, now: datetime) -> int:
    """Window step rounded up to what CloudWatch still retains at that age (60 s ≤15 d, 300 s ≤63 d,
    3600 s beyond)."""
    age = (now - window.start).total_seconds()
    required = 60 if age <= 15 * 86400 else 300 if age <= 63 * 86400 else 3600
    return max(required, math.ceil(window.step_s / required) * required)


def chunks(items: Sequence[Any], size: int = MAX_QUERIES_PER_CALL) -> list[Sequence[Any]]:
    return [items[i : i + size] for i in range(0, len(items), size)]


# ---- Metrics Insights / SEARCH (real AWS only; moto fakes both) ----------------------------------


def _quote_ident(name: str) -> str:
    if re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", name):
        return name
    return '"' + name.replace("\\", "\\\\").replace('"', '\\"') + '"'


_INSIGHTS_FN = {"Sum": "SUM", "Average": "AVG", "Maximum": "MAX", "Minimum": "MIN", "SampleCount": "COUNT"}


def insights_query(
    spec: Spec, dimension: str, *, limit: int | None = None, order: str = "desc", group: bool = True
) -> str:
    """`SELECT SUM(Invocations) FROM SCHEMA("AWS/Lambda", FunctionName) GROUP BY FunctionName
    ORDER BY SUM() DESC LIMIT 10` (Insights has no percentiles: QueryError for pNN)."""
    fn = _INSIGHTS_FN.get(spec.stat)
    if fn is None:
        raise QueryError(f"Metrics Insights cannot compute {spec.stat}")
    ns = '"' + spec.namespace.replace('"', "") + '"'
    text = f"SELECT {fn}({_quote_ident(spec.metric)}) FROM SCHEMA({ns}, {_quote_ident(dimension)})"
    if group:
        text += f" GROUP BY {_quote_ident(dimension)}"
        text += f" ORDER BY {fn}() {'ASC' if order == 'asc' else 'DESC'}"
        if limit:
            text += f" LIMIT {min(int(limit), 500)}"
    return text


def search_expression(namespace: str, dimension: str, metric: str, stat: str, period: int) -> str:
    """`SEARCH('{AWS/Lambda,FunctionName} MetricName="Invocations"', 'Sum', 300)`."""
    clean = [s.replace("'", "").replace('"', "") for s in (namespace, dimension, metric, stat)]
    return f"SEARCH('{{{clean[0]},{clean[1]}}} MetricName=\"{clean[2]}\"', '{clean[3]}', {int(period)})"


# ---- metric math, SEARCH and Metrics Insights expressions (additive query form) -----------------------
#
# query = {expression = "SEARCH('{AWS/Lambda,FunctionName} MetricName=\"Errors\"', 'Sum', 300)"}
# query = {expression = "100 * errors / invocations", using = {errors = {namespace = ..., metric = ...,
#          dimensions = {...}, stat = "Sum"}, invocations = {...}}, label = "error %"}
# query = {expression = "SELECT SUM(Invocations) FROM SCHEMA(\"AWS/Lambda\", FunctionName) GROUP BY ..."}
# One GetMetricData call per expression query and target; the `using` metrics are fetched with
# ReturnData false. Each returned series is labelled by its CloudWatch Label.

_EXPRESSION_KEYS = {"expression", "using", "label", "period"}
_METRIC_ID = re.compile(r"^[a-z][A-Za-z0-9_]{0,254}$")


@dataclass(frozen=True, slots=True)
class ExpressionSpec:
    """A parsed expression query."""

    expression: str
    using: tuple[tuple[str, Spec], ...] = ()
    label: str | None = None
    period: int | None = None

    @property
    def insights(self) -> bool:
        return self.expression.lstrip().upper().startswith("SELECT")


def is_expression(query: Any) -> bool:
    """A dict query with `expression`: the expression form (everything else is the MetricStat form)."""
    return isinstance(query, Mapping) and "expression" in query


def parse_expression(query: Mapping[str, Any]) -> ExpressionSpec:
    """Validate the expression form; QueryError says what is wrong."""
    unknown = set(query) - _EXPRESSION_KEYS
    if unknown:
        raise QueryError(
            f"unknown key(s) {sorted(unknown)} in an expression query; allowed: {sorted(_EXPRESSION_KEYS)}"
        )
    text = query.get("expression")
    if not isinstance(text, str) or not text.strip():
        raise QueryError("`expression` must be a CloudWatch metric math, SEARCH or SELECT expression")
    if len(text) > 2048 or any(ord(ch) < 32 and ch not in "\t" for ch in text):
        raise QueryError("`expression` must be one line of at most 2048 characters")
    using_raw = query.get("using", {})
    if not isinstance(using_raw, Mapping) or len(using_raw) > 100:
        raise QueryError(
            "`using` must map metric ids (m1, errors ...) to {namespace, metric, dimensions, stat}"
        )
    using: list[tuple[str, Spec]] = []
    for mid, metric in using_raw.items():
        if not isinstance(mid, str) or not _METRIC_ID.match(mid):
            raise QueryError(f"using id {mid!r}: start with a lowercase letter; letters, digits and '_'")
        if not isinstance(metric, Mapping):
            raise QueryError(f"using.{mid} must be {{namespace = ..., metric = ..., dimensions = {{...}}}}")
        try:
            spec = parse(dict(metric), None)
        except QueryError as exc:
            raise QueryError(f"using.{mid}: {exc}") from None
        if any(v == "*" for _, v in spec.dims):
            raise QueryError(f"using.{mid}: a metric used in math cannot have a '*' dimension; use SEARCH")
        using.append((mid, spec))
    label = query.get("label")
    if label is not None and (not isinstance(label, str) or len(label) > 1024):
        raise QueryError("`label` must be a string")
    period = query.get("period")
    if period is not None and (
        isinstance(period, bool)
        or not isinstance(period, int)
        or period < 1
        or (period >= 60 and period % 60)
        or period > 86400 * 7
    ):
        raise QueryError("`period` must be seconds: 1, 5, 10, 30 or a multiple of 60")
    return ExpressionSpec(text.strip(), tuple(using), label, period)


def expression_queries(spec: ExpressionSpec, period: int) -> tuple[str, list[dict[str, Any]]]:
    """GetMetricData MetricDataQueries for an expression (its own id first) and that id."""
    taken = {mid for mid, _ in spec.using}
    eid = next(f"expr{i}" for i in range(len(taken) + 1) if f"expr{i}" not in taken)
    out: list[dict[str, Any]] = []
    for mid, s in spec.using:
        stat = {
            "Metric": {
                "Namespace": s.namespace,
                "MetricName": s.metric,
                "Dimensions": [{"Name": n, "Value": v} for n, v in s.dims],
            },
            "Period": period,
            "Stat": s.stat,
        }
        out.append({"Id": mid, "MetricStat": stat, "ReturnData": False})
    main: dict[str, Any] = {"Id": eid, "Expression": spec.expression, "ReturnData": True}
    if spec.label:
        main["Label"] = spec.label
    if spec.insights or spec.period:
        main["Period"] = spec.period or period
    return eid, [main, *out]


# ---- board variables -------------------------------------------------------------------------------


def escape_variable(value: str, ctx: Any) -> str:
    """A board variable's value in an AWS panel query (`ctx`: srvmon.variables.VariableContext).

    Dimension values are API data (never parsed): used as they are (one line, 1-1024 characters);
    All is the `*` wildcard there. Inside an expression (SEARCH, math, SELECT) a quoted value may not
    contain quotes or backslashes, which CloudWatch cannot escape inside SEARCH terms; unquoted values
    must be plain tokens. Namespaces, metric names, stats and short forms take plain tokens."""
    from srvmon.variables import VariableError, token

    key = ctx.key
    if key[:1] == ("using",) and len(key) >= 2:
        key = key[2:]
    if key[:1] == ("dimensions",) and len(key) == 2:
        if ctx.all:
            if ctx.whole:
                return "*"
            raise VariableError(f"${ctx.name} = All (`*`) must be the whole dimension value")
        if not value or len(value) > 1024 or any(ord(ch) < 32 or ord(ch) == 127 for ch in value):
            raise VariableError(f"${ctx.name}: a dimension value is one line of 1-1024 characters")
        return value
    if key[:1] == ("label",):  # display text, sent as data (one line)
        return "All" if ctx.all else "".join(ch if ord(ch) >= 32 else " " for ch in value)
    if key[:1] == ("expression",) and ctx.quote is not None:
        if ctx.all:
            raise VariableError(f"${ctx.name}: All (`*`) cannot be written inside a CloudWatch expression")
        bad = [ch for ch in value if ch in "'\"\\" or ord(ch) < 32]
        if bad:
            raise VariableError(
                f"${ctx.name}: the value contains {bad[0]!r}, which cannot be escaped inside a CloudWatch "
                "SEARCH/Metrics Insights string"
            )
        return value
    return token(value, ctx, "a name")


_SEARCH_SCHEMA = re.compile(
    r'^\s*\{\s*([^{},]+?)\s*((?:,\s*[^{},]+?\s*)*)\}\s*(?:MetricName\s*=\s*"([^"]+)")?\s*$'
)


def variable_search(query: Any) -> tuple[str, tuple[str, ...], str | None, str]:
    """A CloudWatch dashboard variable listing `{search = "{AWS/Lambda,FunctionName} MetricName=\"Duration\"",
    populate_from = "FunctionName"}` -> (namespace, dimension names, metric, populate_from), listed with
    ListMetrics. QueryError for another shape (free-text searches are not supported)."""
    if not isinstance(query, Mapping) or set(query) - {"search", "populate_from"}:
        raise QueryError(
            'AWS variable query: {search = "{Namespace,Dim} MetricName=\\"X\\"", populate_from = "Dim"}'
        )
    search, populate = query.get("search"), query.get("populate_from")
    m = _SEARCH_SCHEMA.match(search) if isinstance(search, str) else None
    if m is None or not isinstance(populate, str):
        raise QueryError(
            f'AWS variable query {search!r}: use {{Namespace,Dim,...}} MetricName="X" and populate_from'
        )
    dims = tuple(d.strip() for d in m.group(2).split(",") if d.strip())
    if populate not in dims:
        raise QueryError(f"populate_from {populate!r} is not one of the search's dimensions {list(dims)}")
    return m.group(1).strip(), dims, m.group(3), populate
