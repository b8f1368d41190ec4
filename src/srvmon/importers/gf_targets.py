"""Grafana panel targets -> the srvmon query of one panel: Prometheus (PromQL, legendFormat, several
targets as one union), CloudWatch (metrics, math, Metrics Insights SQL, Logs), Azure Monitor (metrics,
Log Analytics KQL) and Loki (logs)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from srvmon.importers.board import clean
from srvmon.importers.jsonin import arr, obj

#: Grafana plugin ids -> the family srvmon reads them with.
FAMILIES = {
    "prometheus": "prometheus",
    "loki": "loki",
    "cloudwatch": "cloudwatch",
    "grafana-azure-monitor-datasource": "azure",
    "azure-monitor": "azure",
    "azuremonitor": "azure",
}
#: family -> srvmon provider type.
PROVIDER_TYPES = {"prometheus": "prometheus", "loki": "prometheus", "cloudwatch": "aws", "azure": "azure"}


@dataclass
class Query:
    """What a panel's targets become."""

    query: Any = None
    group_by: list[str] = field(default_factory=list)
    logs: dict[str, Any] | None = None
    """For logs panels: the drill-down (resources, filter, regex)."""
    approx: list[str] = field(default_factory=list)
    skip: str | None = None
    """Why nothing could be imported."""
    series: int = 1
    """How many series the query returns when known (combined targets, listed dimension values)."""
    many: bool = False
    """It returns one series per matching resource (SEARCH, '*', SELECT ... GROUP BY)."""


def family_of_target(t: dict[str, Any]) -> str | None:
    """A target's family from its own fields, for data source references without a type."""
    if "azureMonitor" in t or "azureLogAnalytics" in t or str(t.get("queryType", "")).startswith("Azure"):
        return "azure"
    if "namespace" in t or "metricName" in t or "queryMode" in t or "sqlExpression" in t:
        return "cloudwatch"
    if "expr" in t:
        return "prometheus"
    return None


# ---- Prometheus ----------------------------------------------------------------------------------------

_LEGEND_LABEL = re.compile(r"\{\{\s*([A-Za-z_][A-Za-z0-9_]*)\s*\}\}")


def prometheus(targets: list[dict[str, Any]]) -> Query:
    q = Query()
    exprs: list[tuple[str, str, list[str]]] = []
    for t in targets:
        expr = t.get("expr")
        if not isinstance(expr, str) or not expr.strip():
            q.approx.append(f"target {t.get('refId', '?')} has no expr")
            continue
        legend = str(t.get("legendFormat") or "")
        labels = _LEGEND_LABEL.findall(legend)
        static = _LEGEND_LABEL.sub("", legend).strip(" -:,/")
        if legend not in ("", "__auto") and static and labels:
            q.approx.append(f"legend {legend!r}: series are labelled by {', '.join(labels)} only")
        tag = (
            legend
            if legend and not labels and legend != "__auto"
            else str(t.get("refId") or f"q{len(exprs)}")
        )
        exprs.append((clean(expr.strip()), clean(tag), labels))
        if t.get("instant") and not t.get("range", True):
            q.approx.append(f"target {t.get('refId', '?')} is an instant query: srvmon reads it as a range")
        if t.get("interval"):
            q.approx.append(f"target {t.get('refId', '?')}: the min step {t['interval']!r} is not kept")
        if "$__interval_ms" in expr:
            q.approx.append("$__interval_ms is not expanded by srvmon: use $__interval")
    if not exprs:
        q.skip = "no PromQL target"
        return q
    labels = list(dict.fromkeys(lbl for _, _, ls in exprs for lbl in ls))
    if len(exprs) == 1:
        q.query, q.group_by = exprs[0][0], labels
        return q
    parts = [f'label_replace({e}, "series", "{_label_value(tag)}", "", "")' for e, tag, _ in exprs]
    q.query = " or ".join(parts)
    q.group_by = [*labels, "series"] if labels else []
    q.series = len(exprs)
    return q


def _label_value(text: str) -> str:
    return text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", " ")


# ---- CloudWatch ----------------------------------------------------------------------------------------


def _stat(t: dict[str, Any]) -> str:
    s = t.get("statistic")
    if not isinstance(s, str) or not s:
        stats = t.get("statistics")
        s = stats[0] if isinstance(stats, list) and stats and isinstance(stats[0], str) else "Average"
    return clean(s)


def _metric(t: dict[str, Any], dims: dict[str, str]) -> dict[str, Any]:
    out: dict[str, Any] = {
        "namespace": clean(t.get("namespace", "")),
        "metric": clean(t.get("metricName", "")),
    }
    if dims:
        out["dimensions"] = dims
    out["stat"] = _stat(t)
    return out


def _search(t: dict[str, Any], dims: dict[str, Any]) -> str:
    terms = [f'Namespace="{t.get("namespace", "")}"', f'MetricName="{t.get("metricName", "")}"']
    for k, v in dims.items():
        values = v if isinstance(v, list) else [v]
        if values and values != ["*"]:
            terms.append(
                f'"{k}"=(' + " OR ".join(f'"{x}"' for x in values) + ")"
                if len(values) > 1
                else f'"{k}"="{values[0]}"'
            )
        else:
            terms.append(f'"{k}"')
    period = t.get("period") if str(t.get("period") or "").isdigit() else "300"
    return f"REMOVE_EMPTY(SEARCH('{' '.join(terms)}', '{_stat(t)}', {period}))"


def cloudwatch(targets: list[dict[str, Any]], hidden: list[dict[str, Any]]) -> Query:
    q = Query()
    logs = [t for t in targets if t.get("queryMode") == "Logs"]
    if logs:
        t = logs[0]
        groups = [
            clean(g.get("name") or g.get("arn", "")) for g in arr(t.get("logGroups")) if isinstance(g, dict)
        ]
        groups += [clean(g) for g in arr(t.get("logGroupNames")) if isinstance(g, str)]
        q.logs = {"resources": groups} if groups else {}
        expression = str(t.get("expression") or "")
        m = re.search(r"filter\s+@message\s+like\s+/([^/]*)/", expression)
        if m:
            q.logs.update(filter=m.group(1), regex=True)
        q.approx.append(
            f"Logs Insights query not carried over (the panel lists matching records): {expression[:200]!r}"
        )
        return q
    metrics = [t for t in targets if t.get("queryMode") in (None, "", "Metrics")]
    if not metrics:
        q.skip = "no CloudWatch metrics target"
        return q
    if len(metrics) > 1:
        q.approx.append(
            f"{len(metrics)} targets: only {metrics[0].get('refId', 'the first')} is imported (one query per srvmon panel)"
        )
    t = metrics[0]
    if t.get("metricQueryType") == 1:
        sql = t.get("sqlExpression")
        if not isinstance(sql, str) or not sql.strip():
            q.skip = "a Metrics Insights target without sqlExpression (builder-only SQL is not read)"
            return q
        q.query = {"expression": clean(sql.strip())}
        q.many = "GROUP BY" in sql.upper()
        return q
    code = t.get("expression")
    if t.get("metricEditorMode") == 1 and isinstance(code, str) and code.strip():
        expr = clean(code.strip())
        using = {}
        for other in [*targets, *hidden]:
            oid = other.get("id")
            if isinstance(oid, str) and re.search(rf"\b{re.escape(oid)}\b", expr) and other.get("namespace"):
                using[oid] = _metric(
                    other, {k: v for k, v in obj(other.get("dimensions")).items() if isinstance(v, str)}
                )
        q.query = {"expression": expr, **({"using": using} if using else {})}
        q.many = "SEARCH(" in expr.upper() or "METRICS(" in expr.upper()
        return q
    dims_raw = obj(t.get("dimensions"))
    if t.get("matchExact") is False:
        q.query = {"expression": _search(t, dims_raw)}
        q.many = True
        return q
    multi = {k: v for k, v in dims_raw.items() if isinstance(v, list) and len(v) > 1}
    dims = {
        k: clean(v[0] if isinstance(v, list) and v else v)
        for k, v in dims_raw.items()
        if isinstance(v, str | list)
    }
    if multi:
        (key, values), *rest = multi.items()
        if rest:
            q.approx.append("several multi-value dimensions: only the first is expanded")
        q.query = {
            "expression": "METRICS()",
            "using": {f"m{i + 1}": _metric(t, {**dims, key: clean(v)}) for i, v in enumerate(values)},
        }
        q.series = len(values)
        return q
    q.query = _metric(t, dims)
    if "*" in dims.values():
        q.group_by = [k for k, v in dims.items() if v == "*"]
        q.many = True
    return q


# ---- Azure Monitor ---------------------------------------------------------------------------------------

SITES = "microsoft.web/sites"
COMPONENTS = "microsoft.insights/components"


def azure(targets: list[dict[str, Any]], panel_type: str) -> Query:
    q = Query()
    t = targets[0]
    if len(targets) > 1:
        q.approx.append(
            f"{len(targets)} targets: only {t.get('refId', 'the first')} is imported (one query per srvmon panel)"
        )
    kind = str(t.get("queryType") or "Azure Monitor")
    if kind == "Azure Log Analytics":
        la = obj(t.get("azureLogAnalytics"))
        kql = la.get("query")
        if not isinstance(kql, str) or not kql.strip():
            q.skip = "a Log Analytics target without a KQL query"
            return q
        if panel_type == "logs":
            q.logs = {}
            q.approx.append(
                f"KQL not carried over (the panel shows the App Insights drill-down): {kql[:200]!r}"
            )
            return q
        q.query = {"kql": clean(kql.strip())}
        q.approx.append("KQL runs on the provider's workspace_id / app_insights, not the target's resources")
        return q
    if kind not in ("Azure Monitor", "Azure Metrics"):
        q.skip = f"{kind} targets have no srvmon equivalent"
        return q
    am = obj(t.get("azureMonitor"))
    metric = am.get("metricName")
    namespace = str(am.get("metricNamespace") or am.get("metricDefinition") or SITES)
    if not isinstance(metric, str) or not metric:
        q.skip = "an Azure Monitor target without metricName"
        return q
    query: dict[str, Any] = {"metric": clean(metric)}
    if namespace.lower() == COMPONENTS:
        query.update(namespace=COMPONENTS, target="app_insights")
    elif namespace.lower() == SITES:
        query["namespace"] = "Microsoft.Web/sites"
    else:
        q.skip = f"namespace {namespace!r}: srvmon's Azure provider reads Function Apps and App Insights components"
        return q
    if isinstance(am.get("aggregation"), str) and am["aggregation"]:
        query["aggregation"] = clean(am["aggregation"])
    apps = [
        clean(r.get("resourceName"))
        for r in arr(am.get("resources"))
        if isinstance(r, dict) and r.get("resourceName")
    ]
    if not apps and isinstance(am.get("resourceName"), str) and am["resourceName"]:
        apps = [clean(am["resourceName"])]
    if apps and query.get("target") != "app_insights":
        query["apps"] = apps
    clauses: list[str] = []
    for f in arr(am.get("dimensionFilters")):
        if not isinstance(f, dict) or not isinstance(f.get("dimension"), str):
            continue
        dim = clean(f["dimension"])
        op = f.get("operator") if f.get("operator") in ("eq", "ne", "sw") else "eq"
        values = [clean(v) for v in arr(f.get("filters")) if isinstance(v, str)] or (
            [clean(f["filter"])] if isinstance(f.get("filter"), str) and f["filter"] else []
        )
        if not values or values == ["*"]:
            clauses.append(f"{dim} eq '*'")
            q.group_by.append(dim)
        else:
            joiner = " and " if op == "ne" else " or "
            clauses.append(
                "(" + joiner.join(f"{dim} {op} '{v.replace(chr(39), chr(39) * 2)}'" for v in values) + ")"
            )
    if clauses:
        query["filter"] = " and ".join(clauses)
    if am.get("timeGrain") not in (None, "", "auto"):
        q.approx.append(f"time grain {am['timeGrain']!r}: srvmon picks the granularity from the board range")
    if any(
        isinstance(r, dict) and (r.get("subscription") or r.get("resourceGroup"))
        for r in arr(am.get("resources"))
    ):
        q.approx.append(
            "the target's subscription/resource group: srvmon reads those configured on the provider"
        )
    q.query = query
    return q


# ---- Loki ------------------------------------------------------------------------------------------------------


def loki(targets: list[dict[str, Any]]) -> Query:
    q = Query(logs={})
    expr = str(targets[0].get("expr") or "")
    m = re.search(r'\|=\s*"((?:[^"\\]|\\.)*)"', expr)
    r = re.search(r'\|~\s*"((?:[^"\\]|\\.)*)"', expr)
    if m:
        q.logs = {"filter": m.group(1).replace('\\"', '"')}
    elif r:
        q.logs = {"filter": r.group(1).replace("\\\\", "\\"), "regex": True}
    q.approx.append(
        f"LogQL {expr[:200]!r}: the panel reads the provider's Loki with its own selector (only the line filter is kept)"
    )
    return q
