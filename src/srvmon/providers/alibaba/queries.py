"""Alibaba panel query syntax: parsing and config-time validation (pure; see the package docstring)."""

from __future__ import annotations

import difflib
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

NAMESPACE = "acs_fc"
STATS = ("sum", "avg", "max", "min")
#: group_by names -> the CloudMonitor datapoint field they read.
GROUP_FIELDS = {"function": "functionName", "service": "serviceName", "qualifier": "qualifier"}
#: datapoint fields -> the label srvmon shows.
LABELS = {v: k for k, v in GROUP_FIELDS.items()}

# Function Compute metrics in CloudMonitor (acs_fc; FC "Monitoring data" reference): name -> default stat.
REGION_METRICS: dict[str, str] = {
    "RegionTotalInvocations": "sum",
    "RegionServerErrors": "sum",
    "RegionClientErrors": "sum",
    "RegionFunctionErrors": "sum",
    "RegionThrottles": "sum",
    "RegionResourceThrottles": "sum",
    "RegionConcurrencyLimit": "max",
    "RegionConcurrentCount": "max",
    "RegionProvisionedCurrentInstance": "max",
}
FUNCTION_METRICS: dict[str, str] = {
    "FunctionTotalInvocations": "sum",
    "FunctionProvisionInvocations": "sum",
    "FunctionHTTPStatus2xx": "sum",
    "FunctionHTTPStatus3xx": "sum",
    "FunctionHTTPStatus4xx": "sum",
    "FunctionHTTPStatus5xx": "sum",
    "FunctionServerErrors": "sum",
    "FunctionClientErrors": "sum",
    "FunctionFunctionErrors": "sum",
    "FunctionConcurrencyThrottles": "sum",
    "FunctionResourceThrottles": "sum",
    "FunctionAvgDuration": "avg",
    "FunctionP90Duration": "max",
    "FunctionP99Duration": "max",
    "FunctionMaxDuration": "max",
    "FunctionLatencyAvg": "avg",
    "FunctionMemoryLimitMB": "max",
    "FunctionMaxMemoryUsage": "max",
    "FunctionOndemandInstanceQuota": "max",
    "FunctionOndemandActiveInstance": "max",
    "FunctionProvisionedCurrentInstance": "max",
    "FunctionEnqueueCount": "sum",
    "FunctionDequeueCount": "sum",
    "FunctionAsyncMessageLatencyAvg": "avg",
    "FunctionAsyncMessageLatencyMax": "max",
    "FunctionAsyncEventExpiredDropped": "sum",
    "FunctionDestinationErrors": "sum",
    "FunctionDestinationSucceeded": "sum",
    "FunctionAsyncMessagesBacklogV2": "max",
    "FunctionAsyncMessagesInProcess": "max",
    "FunctionMaxMemoryUsageMB": "max",
    "FunctionAvgMemoryUsageMB": "avg",
    "FunctionMaxMemoryUtilization": "max",
    "FunctionAvgMemoryUtilization": "avg",
    "FunctionMaxvCPUUtilization": "max",
    "FunctionAvgvCPUUtilization": "avg",
}
KNOWN = {**REGION_METRICS, **FUNCTION_METRICS}
#: Shorthands for sums of several metrics.
ALIASES: dict[str, tuple[str, ...]] = {
    "Throttles": ("FunctionConcurrencyThrottles", "FunctionResourceThrottles"),
    "Errors": ("FunctionServerErrors", "FunctionFunctionErrors"),
}
_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_]{0,127}$")
_KEYS = {"metric", "metrics", "functions", "dimensions", "namespace"}


@dataclass(frozen=True)
class FcQuery:
    """One parsed panel query: metrics summed per bucket and label set, the statistic, filters, grouping."""

    metrics: tuple[str, ...]
    stat: str
    namespace: str = NAMESPACE
    functions: tuple[str, ...] = ()
    dimensions: Mapping[str, str] = field(default_factory=dict)
    group_by: tuple[str, ...] = ()

    @property
    def region_level(self) -> bool:
        return all(m in REGION_METRICS for m in self.metrics)

    def group_fields(self) -> tuple[str, ...]:
        return tuple(GROUP_FIELDS.get(g, g) for g in self.group_by)


def _check_metric(name: str, namespace: str) -> str:
    if not isinstance(name, str) or not _NAME.fullmatch(name):
        raise ValueError(f"{name!r} is not a CloudMonitor metric name")
    if namespace == NAMESPACE and name.startswith(("Function", "Region")) and name not in KNOWN:
        close = difflib.get_close_matches(name, list(KNOWN), n=1)
        hint = f"; did you mean {close[0]!r}?" if close else ""
        raise ValueError(f"{name!r} is not a Function Compute metric{hint}")
    return name


def parse(
    query: str | Mapping[str, Any] | None, stat: str | None = None, group_by: tuple[str, ...] = ()
) -> FcQuery:
    """A panel query as FcQuery; ValueError naming the problem and the fix."""
    if query is None:
        raise ValueError('an Alibaba panel needs `query`, e.g. query = "FunctionTotalInvocations"')
    functions: tuple[str, ...] = ()
    dimensions: dict[str, str] = {}
    namespace = NAMESPACE
    if isinstance(query, str):
        names: tuple[str, ...] = ALIASES.get(query, (query,))
    elif isinstance(query, Mapping):
        extra = set(query) - _KEYS
        if extra:
            raise ValueError(f"unknown key(s) {sorted(extra)} in the query; use {sorted(_KEYS)}")
        namespace = str(query.get("namespace", NAMESPACE))
        if not re.fullmatch(r"acs_[a-z0-9_]+", namespace):
            raise ValueError(f"{namespace!r} is not a CloudMonitor namespace (acs_...)")
        if ("metric" in query) == ("metrics" in query):
            raise ValueError("give exactly one of `metric` (a name) or `metrics` (a list summed per bucket)")
        if "metric" in query:
            name = query["metric"]
            names = ALIASES.get(name, (name,)) if isinstance(name, str) else (name,)
        else:
            listed = query["metrics"]
            if not isinstance(listed, list) or not listed:
                raise ValueError("`metrics` must be a non-empty list of metric names")
            names = tuple(listed)
        raw_fns = query.get("functions", [])
        if not isinstance(raw_fns, list) or not all(isinstance(f, str) and f for f in raw_fns):
            raise ValueError("`functions` must be a list of function names or patterns")
        functions = tuple(raw_fns)
        raw_dims = query.get("dimensions", {})
        if not isinstance(raw_dims, Mapping) or not all(
            isinstance(k, str) and _NAME.fullmatch(k) and isinstance(v, str) for k, v in raw_dims.items()
        ):
            raise ValueError('`dimensions` must map dimension names to strings, e.g. {qualifier = "LATEST"}')
        dimensions = dict(raw_dims)
    else:
        raise ValueError("query must be a metric name or a table {metric = ..., functions = [...]}")
    names = tuple(_check_metric(n, namespace) for n in names)
    chosen = (stat or KNOWN.get(names[0], "avg")).lower()
    if chosen == "average":
        chosen = "avg"
    if chosen not in STATS:
        raise ValueError(f"stat {stat!r} is not one of {', '.join(STATS)} (CloudMonitor has no percentiles; "
                         "use FunctionP90Duration / FunctionP99Duration)")  # fmt: skip
    if len(names) > 1 and chosen != "sum":
        raise ValueError("several metrics are summed per bucket: they need stat = 'sum'")
    for g in group_by:
        if not _NAME.fullmatch(g):
            raise ValueError(f"group_by {g!r} is not a dimension name (use function, service or qualifier)")
    fq = FcQuery(names, chosen, namespace, functions, dimensions, tuple(group_by))
    if fq.region_level and any(g in GROUP_FIELDS for g in group_by):
        raise ValueError(
            f"{names[0]} is a region-level metric: it cannot be grouped by {', '.join(group_by)}"
        )
    return fq


def validate(
    query: str | Mapping[str, Any] | None, stat: str | None, group_by: tuple[str, ...] = ()
) -> str | None:
    try:
        parse(query, stat, group_by)
    except ValueError as exc:
        return str(exc)
    return None
