"""OCI panel query syntax -> MQL (Monitoring Query Language) for namespace oci_faas (pure; see __init__).

MQL: metric[interval]{dimension = "value", dim =~ "a*|b"}.groupingFunction().statistic()
  interval: 1m-60m, 1h-24h, 1d; grouping: grouping() (all streams into one) or groupBy(dim, ...);
  statistics: sum, mean, max, min, count, rate, percentile(0.0-1.0).
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

NAMESPACE = "oci_faas"
METRICS: dict[str, str] = {
    "FunctionInvocationCount": "sum",
    "FunctionExecutionDuration": "avg",
    "FunctionResponseCount": "sum",
    "AllocatedProvisionedConcurrency": "max",
    "AllocatedTotalConcurrency": "max",
}
#: group_by names -> the dimension they group by
GROUP_DIMS = {
    "function": "resourceDisplayName",
    "function_id": "resourceId",
    "application": "applicationId",
    "response": "responseType",
}
LABELS = {v: k for k, v in GROUP_DIMS.items()}
_STAT_MQL = {
    "sum": "sum()",
    "avg": "mean()",
    "max": "max()",
    "min": "min()",
    "count": "count()",
    "rate": "rate()",
}
_PCT = re.compile(r"^p(\d{1,2}(?:\.\d+)?)$")
_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_]{0,127}$")
_VALUE = re.compile(r'^[^"\\\n\r{}]{1,255}$')
_KEYS = {"metric", "dimensions", "functions", "mql", "namespace"}
#: Shorthands: a metric with a fixed dimension filter.
ALIASES: dict[str, tuple[str, dict[str, str]]] = {
    "Errors": ("FunctionResponseCount", {"responseType": "Error"}),
    "Throttled": ("FunctionResponseCount", {"responseType": "Throttled"}),
    "Successes": ("FunctionResponseCount", {"responseType": "Success"}),
}


@dataclass(frozen=True)
class OciQuery:
    metric: str
    stat: str
    namespace: str = NAMESPACE
    dimensions: Mapping[str, str] = field(default_factory=dict)
    functions: tuple[str, ...] = ()
    group_by: tuple[str, ...] = ()
    raw: str | None = None  # a user MQL with $interval

    def group_dims(self) -> tuple[str, ...]:
        return tuple(GROUP_DIMS.get(g, g) for g in self.group_by)

    def mql(self, interval: str, functions: tuple[str, ...] = ()) -> str:
        if self.raw is not None:
            return self.raw.replace("$interval", interval)
        filters = [f'{k} = "{v}"' for k, v in self.dimensions.items()]
        fns = self.functions or functions
        if fns:
            filters.append(f'resourceDisplayName =~ "{"|".join(fns)}"')
        selector = "{" + ", ".join(filters) + "}" if filters else ""
        grouping = f"groupBy({', '.join(self.group_dims())})" if self.group_by else "grouping()"
        return f"{self.metric}[{interval}]{selector}.{grouping}.{stat_mql(self.stat)}"


def stat_mql(stat: str) -> str:
    m = _PCT.fullmatch(stat)
    if m:
        return f"percentile({float(m.group(1)) / 100:g})"
    return _STAT_MQL[stat]


def _stat(stat: str | None, metric: str) -> str:
    chosen = (stat or METRICS.get(metric, "avg")).lower()
    chosen = {"average": "avg", "mean": "avg"}.get(chosen, chosen)
    m = _PCT.fullmatch(chosen)
    if chosen in _STAT_MQL or (m and 0 < float(m.group(1)) < 100):
        return chosen
    raise ValueError(f"stat {stat!r} is not one of sum, avg, max, min, count, rate, p50, p90, p95, p99")


def parse(
    query: str | Mapping[str, Any] | None, stat: str | None = None, group_by: tuple[str, ...] = ()
) -> OciQuery:
    """A panel query as OciQuery; ValueError naming the problem and the fix."""
    if query is None:
        raise ValueError('an OCI panel needs `query`, e.g. query = "FunctionInvocationCount"')
    for g in group_by:
        if not _NAME.fullmatch(g):
            raise ValueError(
                f"group_by {g!r} is not a dimension (use function, function_id, application, response)"
            )
    if isinstance(query, str):
        metric, dims = ALIASES.get(query, (query, {}))
        return OciQuery(
            _metric(metric, NAMESPACE), _stat(stat, metric), NAMESPACE, dict(dims), (), tuple(group_by)
        )
    if not isinstance(query, Mapping):
        raise ValueError("query must be a metric name or a table {metric = ..., dimensions = {...}}")
    extra = set(query) - _KEYS
    if extra:
        raise ValueError(f"unknown key(s) {sorted(extra)} in the query; use {sorted(_KEYS)}")
    namespace = str(query.get("namespace", NAMESPACE))
    if not re.fullmatch(r"[a-z][a-z0-9_]{1,255}", namespace):
        raise ValueError(f"{namespace!r} is not a Monitoring namespace")
    if "mql" in query:
        raw = query["mql"]
        if set(query) - {"mql", "namespace"}:
            raise ValueError("`mql` stands alone (with `namespace` at most): put filters in the MQL itself")
        if not isinstance(raw, str) or "[$interval]" not in raw:
            raise ValueError(
                "`mql` must contain [$interval], e.g. FunctionInvocationCount[$interval].grouping().sum()"
            )
        if "\n" in raw or len(raw) > 2000:
            raise ValueError("`mql` must be one line of at most 2000 characters")
        metric = raw.split("[", 1)[0].strip()
        return OciQuery(
            _metric(metric, namespace), _stat(stat, metric), namespace, {}, (), tuple(group_by), raw=raw
        )
    name = query.get("metric")
    if not isinstance(name, str):
        raise ValueError("the query table needs `metric` (or `mql`)")
    metric, alias_dims = ALIASES.get(name, (name, {}))
    dims = query.get("dimensions", {})
    if not isinstance(dims, Mapping):
        raise ValueError('`dimensions` must map dimension names to values, e.g. {responseType = "Error"}')
    for k, v in dims.items():
        if not (isinstance(k, str) and _NAME.fullmatch(k) and isinstance(v, str) and _VALUE.fullmatch(v)):
            raise ValueError(
                f"dimension {k!r} = {v!r}: names are identifiers, values have no quotes, braces or newlines"
            )
    fns = query.get("functions", [])
    if not isinstance(fns, list) or not all(
        isinstance(f, str) and _VALUE.fullmatch(f) and "|" not in f for f in fns
    ):
        raise ValueError("`functions` must be a list of function display names or * patterns")
    return OciQuery(_metric(metric, namespace), _stat(stat, metric), namespace, {**alias_dims, **dims}, tuple(fns),
                    tuple(group_by))  # fmt: skip


def _metric(name: str, namespace: str) -> str:
    if not _NAME.fullmatch(name):
        raise ValueError(f"{name!r} is not a metric name")
    if namespace == NAMESPACE and name not in METRICS:
        close = difflib.get_close_matches(name, list(METRICS) + list(ALIASES), n=1)
        hint = f"; did you mean {close[0]!r}?" if close else f"; oci_faas has {', '.join(METRICS)}"
        raise ValueError(f"{name!r} is not an OCI Functions metric{hint}")
    return name


def validate(query: str | Mapping[str, Any] | None, stat: str | None) -> str | None:
    try:
        parse(query, stat)
    except ValueError as exc:
        return str(exc)
    return None
