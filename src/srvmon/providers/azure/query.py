"""The Azure panel query syntax: parsing and validation of `query`, `stat` and `group_by`.

query = "FunctionExecutionCount"                     a Microsoft.Web/sites metric, its usual aggregation
query = {metric = "Http5xx", namespace = "Microsoft.Web/sites", aggregation = "Total",
         filter = "Instance eq '*'", apps = ["checkout-*"]}
query = "GBSeconds" | "CostUSD"                      FunctionExecutionUnits (MB-ms) as GB-s / USD
query = "InstanceCount" | "InstancePct"              instances serving (MemoryWorkingSet split by Instance),
                                                     or as % of each app's scale-out ceiling
query = "Exceptions" | "FailedRequests" | "FunctionDuration"   App Insights component metrics
query = {metric = "requests/count", namespace = "microsoft.insights/components", target = "app_insights"}
query = "durable:Running" (any runtimeStatus) | "durable:OldestRunningAge"   Durable Functions (now)
stat: sum | avg | max | min | count (Total/Average/Maximum/Minimum/Count); overrides the default.
group_by: "app", "resource_group", "region", "plan", or a metric dimension such as "Instance".
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

SITES_NS = "Microsoft.Web/sites"
AGGREGATIONS = ("Total", "Average", "Maximum", "Minimum", "Count")
STATS = {
    "sum": "Total",
    "total": "Total",
    "avg": "Average",
    "average": "Average",
    "mean": "Average",
    "max": "Maximum",
    "maximum": "Maximum",
    "min": "Minimum",
    "minimum": "Minimum",
    "count": "Count",
}
#: Default aggregation of the Microsoft.Web/sites metrics srvmon knows.
DEFAULT_AGG: dict[str, str] = {
    "FunctionExecutionCount": "Total",
    "FunctionExecutionUnits": "Total",
    "Requests": "Total",
    "Http2xx": "Total",
    "Http3xx": "Total",
    "Http4xx": "Total",
    "Http5xx": "Total",
    "Http401": "Total",
    "Http403": "Total",
    "Http404": "Total",
    "HttpResponseTime": "Average",
    "MemoryWorkingSet": "Average",
    "AverageMemoryWorkingSet": "Average",
    "CpuTime": "Total",
    "HealthCheckStatus": "Average",
    "BytesReceived": "Total",
    "BytesSent": "Total",
}
DERIVED = ("GBSeconds", "CostUSD", "InstanceCount", "InstancePct")
AI_NS = "microsoft.insights/components"
#: Shortcuts for Application Insights component metrics (queried on the `app_insights` components).
AI_SHORTCUTS: dict[str, tuple[str, str]] = {
    "Exceptions": ("exceptions/count", "Count"),
    "FailedRequests": ("requests/failed", "Count"),
    "AIRequests": ("requests/count", "Count"),
    "FunctionDuration": ("requests/duration", "Average"),
    "DependencyDuration": ("dependencies/duration", "Average"),
}
TARGETS = ("apps", "app_insights")
DURABLE_STATUSES = ("Pending", "Running", "Completed", "ContinuedAsNew", "Failed", "Terminated", "Suspended")
DURABLE_EXTRA = ("OldestRunningAge",)
APP_GROUPS = ("app", "resource_group", "region", "plan")
_NAME = re.compile(r"^[A-Za-z0-9_. /-]{1,128}$")
_DICT_KEYS = {"metric", "namespace", "aggregation", "filter", "apps", "target"}


@dataclass(frozen=True)
class MetricSpec:
    """A parsed panel query."""

    kind: str  # "metric" | "derived" | "durable" | "kql" (metric = the KQL text)
    metric: str
    namespace: str = SITES_NS
    aggregation: str = "Total"
    filter: str | None = None
    apps: tuple[str, ...] = ()
    target: str = "apps"  # "apps" (Function Apps) | "app_insights" (the configured components)


def parse(
    query: str | Mapping[str, Any] | None, stat: str | None = None, group_by: tuple[str, ...] = ()
) -> MetricSpec:
    """Parse a panel query; ValueError with a readable message when it is not valid."""
    if query is None:
        raise ValueError('an Azure metric panel needs `query`, e.g. query = "FunctionExecutionCount"')
    if isinstance(query, Mapping) and "kql" in query:  # a KQL metric panel (kqlseries.py)
        from .kqlseries import validate as validate_kql

        problem = validate_kql(query)
        if problem:
            raise ValueError(problem)
        return MetricSpec("kql", str(query["kql"]), namespace="", aggregation="Total")
    if isinstance(query, str):
        q: dict[str, Any] = {"metric": query.strip()}
    elif isinstance(query, Mapping):
        q = dict(query)
        unknown = set(q) - _DICT_KEYS
        if unknown:
            raise ValueError(f"unknown query key(s) {sorted(unknown)}; allowed: {sorted(_DICT_KEYS)}")
    else:
        raise ValueError("query must be a metric name or a table {metric = ..., namespace = ...}")
    metric = str(q.get("metric") or "").strip()
    if metric.startswith("durable:"):
        what = metric.split(":", 1)[1]
        if what not in DURABLE_STATUSES + DURABLE_EXTRA:
            raise ValueError(f"{metric!r}: use durable:<{'|'.join(DURABLE_STATUSES + DURABLE_EXTRA)}>")
        return MetricSpec("durable", what, namespace="", aggregation="Total", apps=_apps(q))
    target = str(q.get("target") or "apps")
    if target not in TARGETS:
        raise ValueError(f"query.target {target!r}: use one of {', '.join(TARGETS)}")
    if metric in AI_SHORTCUTS:
        name, default = AI_SHORTCUTS[metric]
        agg_ai = STATS.get(str(stat).lower(), default) if stat else default
        if stat and stat.lower() not in STATS:
            raise ValueError(
                f"stat {stat!r} is not supported by Azure Monitor metrics; use sum, avg, max, min or count"
            )
        return MetricSpec("metric", name, AI_NS, agg_ai, None, _apps(q), "app_insights")
    if not metric or not _NAME.match(metric):
        raise ValueError(f"{metric!r} is not an Azure metric name (e.g. FunctionExecutionCount, Http5xx)")
    namespace = str(q.get("namespace") or SITES_NS)
    if not re.match(r"^[A-Za-z0-9.]+/[A-Za-z0-9./]+$", namespace):
        raise ValueError(f"{namespace!r} is not a metric namespace (e.g. Microsoft.Web/sites)")
    filt = q.get("filter")
    if filt is not None and (not isinstance(filt, str) or len(filt) > 500):
        raise ValueError("query.filter must be an OData string such as \"Instance eq '*'\"")
    if metric in DERIVED:
        return MetricSpec(
            "derived",
            metric,
            SITES_NS,
            "Average" if metric.startswith("Instance") else "Total",
            None,
            _apps(q),
        )
    agg = q.get("aggregation")
    if stat:
        mapped = STATS.get(stat.lower())
        if mapped is None:
            raise ValueError(
                f"stat {stat!r} is not supported by Azure Monitor metrics; use sum, avg, max, min or count"
            )
        agg = agg or mapped
    agg = str(agg or DEFAULT_AGG.get(metric, "Average"))
    agg = STATS.get(agg.lower(), agg)
    if agg not in AGGREGATIONS:
        raise ValueError(f"aggregation {agg!r}: use one of {', '.join(AGGREGATIONS)}")
    for g in group_by:
        if not _NAME.match(g):
            raise ValueError(f"group_by {g!r} is not a dimension name")
    return MetricSpec("metric", metric, namespace, agg, filt, _apps(q), target)


def _apps(q: Mapping[str, Any]) -> tuple[str, ...]:
    apps = q.get("apps") or ()
    if isinstance(apps, str):
        apps = (apps,)
    if not all(isinstance(a, str) for a in apps):
        raise ValueError("query.apps must be a list of Function App names or patterns")
    return tuple(apps)


def validate(query: str | Mapping[str, Any] | None, stat: str | None) -> str | None:
    """Config-time check: an error message, or None."""
    try:
        parse(query, stat)
    except ValueError as exc:
        return str(exc)
    return None
