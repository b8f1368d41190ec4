"""Panel queries -> PromQL for Cloud Monitoring: metric-name mapping, the metric catalog, the short syntax.

Cloud Monitoring names become PromQL names as Google documents: the first `/` becomes `:`, every other
character that is not a letter, digit or `_` becomes `_`; distributions are histograms with `_bucket`,
`_sum` and `_count` (`run.googleapis.com/request_latencies` -> `run_googleapis_com:request_latencies_bucket`).
The provider's own selection (include/exclude globs, regions, projects) is added to every short query
as label matchers, every value quoted with promql.quote / regex_escape.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from srvmon.model import TimeWindow
from srvmon.providers.prometheus import detect
from srvmon.providers.prometheus import promql as pq

from .options import GcpOptions

Kind = Literal["counter", "gauge", "distribution"]


@dataclass(frozen=True, slots=True)
class Family:
    """A monitored-resource family: the resource type and the labels naming a workload and its region."""

    resource: str
    name_label: str
    region_label: str


FAMILIES: dict[str, Family] = {
    "run": Family("cloud_run_revision", "service_name", "location"),
    "functions": Family("cloud_function", "function_name", "region"),
    "quota": Family("consumer_quota", "service", "location"),
}
DOMAINS = {"run": "run.googleapis.com", "functions": "cloudfunctions.googleapis.com"}


@dataclass(frozen=True, slots=True)
class Metric:
    """One catalogued Cloud Monitoring metric."""

    type: str
    kind: Kind
    family: str
    unit: str
    scale: float = 1.0
    """Multiplies values into `unit` (execution_times is in ns: x 1e-6 gives ms)."""


def _m(family: str, path: str, kind: Kind, unit: str, scale: float = 1.0) -> tuple[str, Metric]:
    return f"{family}:{path}", Metric(f"{DOMAINS[family]}/{path}", kind, family, unit, scale)


#: Short name -> metric. Cloud Run metrics also cover Cloud Functions gen2 (they run as Cloud Run
#: services). DELTA metrics (request_count, billable_instance_time...) are read with rate()/increase().
CATALOG: dict[str, Metric] = dict(
    [
        _m("run", "request_count", "counter", "requests"),
        _m("run", "request_latencies", "distribution", "ms"),
        _m("run", "container/instance_count", "gauge", "instances"),
        _m("run", "container/max_request_concurrencies", "distribution", "requests"),
        _m("run", "container/billable_instance_time", "counter", "s"),
        _m("run", "container/startup_latencies", "distribution", "ms"),
        _m("run", "container/cpu/utilizations", "distribution", "ratio"),
        _m("run", "container/memory/utilizations", "distribution", "ratio"),
        _m("run", "container/cpu/allocation_time", "counter", "vCPU-s"),
        _m("run", "container/memory/allocation_time", "counter", "GiB-s"),
        _m("functions", "function/execution_count", "counter", "executions"),
        _m("functions", "function/execution_times", "distribution", "ms", 1e-6),
        _m("functions", "function/active_instances", "gauge", "instances"),
        _m("functions", "function/instance_count", "gauge", "instances"),
        _m("functions", "function/user_memory_bytes", "distribution", "B"),
        _m("functions", "function/network_egress", "counter", "B"),
    ]
)

#: Figures the provider computes from a query and discovery: Cloud Run instances in % of max instances.
RUN_FIGURES = ("run:instances_pct",)
#: Named figures of the `quota:` family (serviceruntime.googleapis.com/quota/*).
QUOTA_FIGURES = ("quota:usage_pct",)
QUOTA_USAGE = "serviceruntime_googleapis_com:quota_allocation_usage"
QUOTA_RATE = "serviceruntime_googleapis_com:quota_rate_net_usage"
QUOTA_LIMIT = "serviceruntime_googleapis_com:quota_limit"
QUOTA_KEY = "project_id, service, quota_metric, location"

#: Friendly group/matcher names -> the label per family.
ALIASES: dict[str, dict[str, str]] = {
    "run": {"service": "service_name", "region": "location", "project": "project_id", "revision": "revision_name"},
    "functions": {"service": "function_name", "function": "function_name", "region": "region", "project": "project_id"},
    "quota": {"quota": "quota_metric", "limit": "limit_name", "project": "project_id", "region": "location"},
}  # fmt: skip

STATS: dict[Kind, tuple[str, ...]] = {
    "counter": ("rate", "sum"),
    "gauge": ("sum", "avg", "max", "min"),
    "distribution": ("avg", "rate", "count", "sum", "pNN (p50, p95, p99, p99.9...)"),
}
DEFAULT_STAT: dict[Kind, str] = {"counter": "rate", "gauge": "sum", "distribution": "avg"}

_SHORT = re.compile(r"^(run|functions|quota):")
_BODY = re.compile(r"^(?P<name>[a-z]+:[a-z0-9_/]+)\s*(?:\{(?P<matchers>.*)\})?\s*$", re.S)
_MATCHER = re.compile(r'\s*([A-Za-z_][A-Za-z0-9_]*)\s*(=~|!~|!=|=)\s*"((?:[^"\\]|\\.)*)"\s*(,|$)', re.S)
_PCT = re.compile(r"^p(\d{1,2}(?:\.\d{1,3})?)$")


def prom_name(metric_type: str) -> str:
    """A Cloud Monitoring metric type as its PromQL name (first `/` -> `:`, other specials -> `_`)."""
    domain, slash, path = metric_type.partition("/")
    if not slash or not domain or not path:
        raise ValueError(f"{metric_type!r} is not a Cloud Monitoring metric type (domain/path)")
    special = re.compile(r"[^A-Za-z0-9_]")
    return special.sub("_", domain) + ":" + special.sub("_", path)


def glob_regex(globs: Sequence[str]) -> str:
    """Shell globs (* ? [...] [!...]) as one RE2 alternation matching any of them, whole names only."""
    parts = []
    for glob in globs:
        out, i = [], 0
        while i < len(glob):
            ch = glob[i]
            if ch == "*":
                out.append(".*")
            elif ch == "?":
                out.append(".")
            elif ch == "[" and "]" in glob[i + 2 :]:
                end = glob.index("]", i + 2)
                inner = glob[i + 1 : end]
                neg = inner.startswith("!")
                inner = inner[1:] if neg else inner
                out.append("[" + ("^" if neg else "") + inner.replace("\\", "\\\\") + "]")
                i = end
            else:
                out.append(pq.regex_escape(ch))
            i += 1
        parts.append("".join(out))
    return "|".join(f"(?:{p})" for p in parts)


def selection(family_key: str, opts: GcpOptions, extra: Sequence[str] = ()) -> str:
    """Label matchers (no braces) selecting the configured resources of a family; never empty."""
    fam = FAMILIES[family_key]
    out = [f"monitored_resource={pq.quote(fam.resource)}"]
    if family_key == "quota":
        if opts.quota_services:
            out.append(f"service=~{pq.quote('|'.join(pq.regex_escape(s) for s in opts.quota_services))}")
    else:
        if opts.include:
            out.append(f"{fam.name_label}=~{pq.quote(glob_regex(opts.include))}")
        if opts.exclude:
            out.append(f"{fam.name_label}!~{pq.quote(glob_regex(opts.exclude))}")
        if opts.regions:
            out.append(f"{fam.region_label}=~{pq.quote('|'.join(pq.regex_escape(r) for r in opts.regions))}")
    if opts.metrics_scope_project:  # the scope holds more projects than this instance watches
        out.append(f"project_id=~{pq.quote('|'.join(pq.regex_escape(p) for p in opts.projects))}")
    return ",".join([*out, *extra])


@dataclass(frozen=True, slots=True)
class Compiled:
    """A panel query ready to run: PromQL with $__ variables left, how results are labelled and merged."""

    expr: str
    group_by: tuple[str, ...]
    """Labels asked of the server (aliases resolved)."""
    rename: Mapping[str, str]
    """Server label -> the name the panel asked for (service_name -> service)."""
    merge: Literal["sum", "max"]
    """How the same series from several projects combine."""
    post: str | None = None
    """A figure the provider finishes after the query (`instances_pct`: divided by max instances)."""
    wanted: tuple[str, ...] = ()
    """For `post` figures: the group_by the panel asked for (aliases resolved)."""


def _parse_matchers(text: str, family_key: str) -> list[str]:
    out, pos = [], 0
    text = text.strip()
    while pos < len(text):
        m = _MATCHER.match(text, pos)
        if m is None:
            raise ValueError(
                f'cannot read the label matchers at {text[pos : pos + 30]!r}; write e.g. {{response_code_class="5xx"}}'
            )
        label, op, raw, _ = m.groups()
        label = ALIASES[family_key].get(label, label)
        value = re.sub(r"\\(.)", r"\1", raw)
        out.append(f"{label}{op}{pq.quote(value)}")
        pos = m.end()
    return out


def _by(labels: Sequence[str], extra: Sequence[str] = ()) -> str:
    names = [*extra, *labels]
    return f" by ({', '.join(names)})" if names else ""


def _quantile(stat: str) -> float | None:
    m = _PCT.match(stat)
    if not m:
        return None
    q = float(m.group(1)) / 100
    return q if 0 < q < 1 else None


def compile_query(
    query: str | Mapping[str, Any] | None, stat: str | None, group_by: Sequence[str], opts: GcpOptions | None
) -> Compiled:
    """The PromQL for a panel query; ValueError names what is wrong. `opts` None: validation only."""
    if query is None:
        raise ValueError("a gcp panel needs `query`: a short metric (run:request_count) or PromQL")
    if isinstance(query, Mapping):
        unknown = set(query) - {"promql"}
        if unknown or not isinstance(query.get("promql"), str) or not query["promql"].strip():
            raise ValueError('query must be a string, or {promql = "..."} for raw PromQL')
        return _raw(query["promql"], group_by)
    if not isinstance(query, str) or not query.strip():
        raise ValueError("query is empty; write e.g. run:request_count or PromQL")
    if not _SHORT.match(query.strip()):
        return _raw(query, group_by)
    m = _BODY.match(query.strip())
    if not m:
        raise ValueError(f'cannot read {query!r}; write e.g. run:request_count{{response_code_class="5xx"}}')
    name, family_key = m.group("name"), m.group("name").split(":", 1)[0]
    matchers = _parse_matchers(m.group("matchers") or "", family_key)
    aliases = ALIASES[family_key]
    prom_groups = tuple(aliases.get(g, g) for g in group_by)
    for g in prom_groups:
        pq.label_name(g)
    rename = {aliases[g]: g for g in group_by if g in aliases}
    sel = "{" + (selection(family_key, opts, matchers) if opts else ",".join(matchers)) + "}"
    if family_key == "quota":
        if name not in QUOTA_FIGURES:
            raise ValueError(f"unknown quota figure {name!r}; known: {', '.join(QUOTA_FIGURES)}")
        if stat not in (None, "max"):
            raise ValueError(f"{name} is a percentage: stat must be max (or unset), not {stat!r}")
        return Compiled(_quota_pct(sel, prom_groups), prom_groups, rename, "max")
    if name in RUN_FIGURES:
        if stat not in (None, "max"):
            raise ValueError(f"{name} is a percentage: stat must be max (or unset), not {stat!r}")
        keys = ("project_id", "service_name")
        expr = f"sum by ({', '.join(keys)}) (avg_over_time(run_googleapis_com:container_instance_count{sel}[$__interval]))"
        return Compiled(expr, keys, rename, "max", post="instances_pct", wanted=prom_groups)
    metric = CATALOG.get(name)
    if metric is None:
        known = ", ".join(k for k in [*CATALOG, *RUN_FIGURES] if k.startswith(family_key + ":"))
        raise ValueError(f"unknown metric {name!r}; known: {known}; or write PromQL")
    return _short(metric, stat, prom_groups, sel, rename)


def _short(
    metric: Metric, stat: str | None, groups: tuple[str, ...], sel: str, rename: dict[str, str]
) -> Compiled:
    name = prom_name(metric.type)
    st = (stat or DEFAULT_STAT[metric.kind]).lower()
    by = _by(groups)
    scale = "" if metric.scale == 1.0 else f"{metric.scale:g} * "
    ri = "[$__rate_interval]"
    if metric.kind == "counter":
        if st == "rate":
            return Compiled(f"sum{by} (rate({name}{sel}{ri}))", groups, rename, "sum")
        if st == "sum":
            return Compiled(f"$__interval_s * sum{by} (rate({name}{sel}{ri}))", groups, rename, "sum")
    elif metric.kind == "gauge":
        over = {"sum": "avg", "avg": "avg", "max": "max", "min": "min"}.get(st)
        if over:
            merge: Literal["sum", "max"] = "sum" if st == "sum" else "max"
            return Compiled(f"{st}{by} ({over}_over_time({name}{sel}[$__interval]))", groups, rename, merge)
    else:
        q = _quantile(st)
        if q is not None:
            inner = f"sum{_by(groups, ['le'])} (rate({name}_bucket{sel}{ri}))"
            return Compiled(f"{scale}histogram_quantile({q:g}, {inner})", groups, rename, "max")
        if st == "avg":
            expr = f"{scale}sum{by} (rate({name}_sum{sel}{ri})) / sum{by} (rate({name}_count{sel}{ri}))"
            return Compiled(expr, groups, rename, "max")
        if st == "rate":
            return Compiled(f"sum{by} (rate({name}_count{sel}{ri}))", groups, rename, "sum")
        if st == "count":
            return Compiled(f"$__interval_s * sum{by} (rate({name}_count{sel}{ri}))", groups, rename, "sum")
        if st == "sum":
            return Compiled(
                f"$__interval_s * {scale}sum{by} (rate({name}_sum{sel}{ri}))", groups, rename, "sum"
            )
    raise ValueError(f"stat {stat!r} does not apply to {metric.type} ({metric.kind}); use one of: "
                     f"{', '.join(STATS[metric.kind])}")  # fmt: skip


def _quota_pct(sel: str, groups: tuple[str, ...]) -> str:
    """Quota use in % of its limit: allocation quotas (usage now) and per-minute rate quotas (net usage)."""
    limit_sel = sel
    rate_limit_sel = sel[:-1] + ',limit_name=~".*PerMinute.*"}'
    alloc = (
        f"max by ({QUOTA_KEY}) ({QUOTA_USAGE}{sel}) / on ({QUOTA_KEY}) group_right "
        f"max by ({QUOTA_KEY}, limit_name) ({QUOTA_LIMIT}{limit_sel})"
    )
    rate = (
        f"60 * sum by ({QUOTA_KEY}) (rate({QUOTA_RATE}{sel}[$__rate_interval])) / on ({QUOTA_KEY}) group_right "
        f"max by ({QUOTA_KEY}, limit_name) ({QUOTA_LIMIT}{rate_limit_sel})"
    )
    return f"100 * max{_by(groups)} (({alloc}) or ({rate}))"


def _raw(promql: str, group_by: Sequence[str]) -> Compiled:
    problem = detect.balance(promql)
    if problem:
        raise ValueError(f"PromQL: {problem}")
    for g in group_by:
        pq.label_name(g)
    return Compiled(promql, tuple(group_by), {}, "sum")


def expand(expr: str, window: TimeWindow, opts: GcpOptions) -> str:
    """Fill $__run_filter / $__functions_filter / $__quota_filter (the configured selection, as
    matchers), then the window variables ($__interval, $__rate_interval, $__range and _s forms)."""
    for key in ("run", "functions", "quota"):
        expr = expr.replace(f"$__{key}_filter", selection(key, opts))
    return pq.expand(expr, window, opts.scrape_s)


def validate(query: Any, stat: str | None, group_by: Sequence[str] = ()) -> str | None:
    """Config-time check: an error message, or None."""
    try:
        compile_query(query, stat, group_by, None)
    except ValueError as exc:
        return str(exc)
    return None
