"""Which Azure Monitor metrics answer each panel query, per hosting plan, and how their series combine.

- Flex Consumption apps do not report FunctionExecutionCount/Units: they report
  OnDemandFunctionExecutionCount/Units and AlwaysReadyFunctionExecutionCount/Units. Executions, GB-s
  and USD add those up for Flex apps (each asked of the apps that report it), so Flex apps count in
  totals and rankings like Consumption and Premium ones.
- CostUSD prices each plan's execution units: Consumption at `price_per_gb_s`; Flex on-demand, always
  ready and the always-ready baseline (AlwaysReadyUnits) at their own prices. Premium and Dedicated
  plans are billed per instance, not per execution: they are left out and a warning says so.
- An Average over several apps (front-end latency HttpResponseTime, App Insights durations) is weighted
  by the apps' request counts where Azure has one (Requests, requests/count), else a plain mean; the
  result's warnings say which was done, or that each app is its own series.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from srvmon.model import MetricQuery, QueryResult, TimeWindow
from srvmon.providers.base import ProviderError

from .discovery import FunctionApp
from .metrics import (
    MB_MS_PER_GB_S,
    MetricsFetcher,
    RawSeries,
    group_series,
    instance_pct_series,
    instance_series,
    raw_key,
    select_apps,
)
from .options import AzureOptions
from .query import AI_NS, APP_GROUPS, SITES_NS, MetricSpec

#: Flex Consumption's names for the execution metrics (on-demand + always-ready instances).
FLEX_ALIASES: dict[str, tuple[str, ...]] = {
    "FunctionExecutionCount": ("OnDemandFunctionExecutionCount", "AlwaysReadyFunctionExecutionCount"),
    "FunctionExecutionUnits": ("OnDemandFunctionExecutionUnits", "AlwaysReadyFunctionExecutionUnits"),
}
#: Average metrics and the count that weights them across resources: (namespace, metric) -> (count, agg).
WEIGHTS: dict[tuple[str, str], tuple[str, str]] = {
    (SITES_NS.lower(), "HttpResponseTime"): ("Requests", "Total"),
    (AI_NS, "requests/duration"): ("requests/count", "Count"),
    (AI_NS, "dependencies/duration"): ("dependencies/count", "Count"),
}
#: Which apps one fetch is asked of.
GROUPS = {
    "all": lambda a: True,
    "flex": lambda a: a.plan == "Flex",
    "nonflex": lambda a: a.plan != "Flex",
    "consumption": lambda a: a.plan == "Consumption",
}

#: (namespace, aggregation, filter, app patterns, target, app group) -> one batch of metric names.
FetchKey = tuple[str, str, str | None, tuple[str, ...], str, str]


@dataclass(frozen=True)
class Source:
    """One fetched metric feeding a query, scaled by `factor` (a price) before series are added up."""

    key: FetchKey
    metric: str
    factor: float = 1.0


@dataclass
class Plan:
    """How one query is answered: its sources, how they combine, and the weights of its averages."""

    sources: list[Source]
    aggregation: str
    divisor: float = 1.0
    weight: Source | None = None
    warnings: list[str] = field(default_factory=list)


def plan_for(q: MetricQuery, spec: MetricSpec, apps: Sequence[FunctionApp], options: AzureOptions) -> Plan:
    """The sources of one parsed query over the apps it selects."""
    pats, target = spec.apps, spec.target

    def key(agg: str, filt: str | None, group: str = "all", ns: str = spec.namespace) -> FetchKey:
        return (ns, agg, filt, pats, target, group)

    chosen = select_apps(apps, pats)
    has_flex = any(a.plan == "Flex" for a in chosen)
    if spec.kind == "derived":
        if spec.metric in ("InstanceCount", "InstancePct"):
            return Plan(
                [Source(key("Average", "Instance eq '*'", ns=SITES_NS), "MemoryWorkingSet")], "Average"
            )
        units = "FunctionExecutionUnits"
        if spec.metric == "GBSeconds":
            sources = [Source(key("Total", None, "nonflex", SITES_NS), units)]
            sources += [Source(key("Total", None, "flex", SITES_NS), m) for m in FLEX_ALIASES[units]]
            return Plan(sources, "Total", MB_MS_PER_GB_S)
        sources = [Source(key("Total", None, "consumption", SITES_NS), units, options.price_per_gb_s)]
        flex = key("Total", None, "flex", SITES_NS)
        sources += [
            Source(flex, "OnDemandFunctionExecutionUnits", options.flex_price_per_gb_s),
            Source(flex, "AlwaysReadyFunctionExecutionUnits", options.flex_always_ready_price_per_gb_s),
            Source(flex, "AlwaysReadyUnits", options.flex_baseline_price_per_gb_s),
        ]
        plan = Plan(sources, "Total", MB_MS_PER_GB_S)
        per_instance = [a.name for a in chosen if a.plan in ("Premium", "Dedicated")]
        if per_instance:
            plan.warnings.append(
                f"CostUSD leaves out {len(per_instance)} Premium/Dedicated app(s) ({', '.join(per_instance[:3])}):"
                " they are billed per instance, not per execution"
            )
        return plan
    filt = spec.filter
    dims = [g for g in q.group_by if g not in APP_GROUPS]
    if dims and not filt:
        filt = " and ".join(f"{d} eq '*'" for d in dims)
    agg = spec.aggregation
    sites = spec.namespace.lower() == SITES_NS.lower() and target == "apps"
    if sites and spec.metric in FLEX_ALIASES and agg == "Total":
        sources = [Source(key(agg, filt, "nonflex"), spec.metric)]
        sources += [Source(key(agg, filt, "flex"), m) for m in FLEX_ALIASES[spec.metric]]
        return Plan(sources, "Total")
    plan = Plan([Source(key(agg, filt), spec.metric)], agg)
    if sites and spec.metric in FLEX_ALIASES and has_flex:
        plan.warnings.append(
            f"Flex Consumption apps report {spec.metric} as OnDemand/AlwaysReady metrics: they are counted"
            " only with stat = sum"
        )
    weight = WEIGHTS.get((spec.namespace.lower(), spec.metric))
    if agg == "Average" and weight is not None:
        plan.weight = Source(key(weight[1], filt), weight[0])
    return plan


def run_queries(
    fetcher: MetricsFetcher,
    specs: dict[str, tuple[MetricQuery, MetricSpec]],
    apps: Sequence[FunctionApp],
    window: TimeWindow,
    components: Sequence[FunctionApp] = (),
) -> dict[str, QueryResult]:
    """Answer every metric/derived spec, sharing batch calls between queries that can share them."""
    plans: dict[str, Plan] = {}
    wanted: dict[FetchKey, set[str]] = defaultdict(set)
    for ref, (q, spec) in specs.items():
        targets = components if spec.target == "app_insights" else apps
        plan = plans[ref] = plan_for(q, spec, targets, fetcher.options)
        for src in [*plan.sources, *([plan.weight] if plan.weight else [])]:
            wanted[src.key].add(src.metric)
    fetched, errors = _fetch_all(fetcher, wanted, apps, components, window)
    results: dict[str, QueryResult] = {}
    for ref, (q, spec) in specs.items():
        plan = plans[ref]
        error = next((errors[(s.key, s.metric)] for s in plan.sources if (s.key, s.metric) in errors), None)
        if error:
            results[ref] = QueryResult(ref, error=error)
            continue
        raws = [
            RawSeries(
                r.app, r.dims, {t: v * s.factor for t, v in r.points.items()} if s.factor != 1.0 else r.points
            )
            for s in plan.sources
            for r in fetched.get(s.key, {}).get(s.metric, [])
        ]
        warnings = list(plan.warnings)
        if spec.metric == "InstanceCount":
            series = instance_series(raws, q.group_by, window)
        elif spec.metric == "InstancePct":
            series = instance_pct_series(raws, q.group_by, window)
        else:
            weights = None
            if plan.aggregation == "Average":
                weights, note = _weights(plan, raws, q, spec, fetched, errors)
                warnings += [note] if note else []
            series = group_series(raws, q.group_by, plan.aggregation, window, _divide(plan.divisor), weights)
        results[ref] = QueryResult(ref, series=series, warnings=tuple(warnings))
    return results


def _divide(divisor: float) -> Callable[[float], float]:
    return (lambda v: v / divisor) if divisor != 1.0 else (lambda v: v)


def _fetch_all(
    fetcher: MetricsFetcher,
    wanted: dict[FetchKey, set[str]],
    apps: Sequence[FunctionApp],
    components: Sequence[FunctionApp],
    window: TimeWindow,
) -> tuple[dict[FetchKey, dict[str, list[RawSeries]]], dict[tuple[FetchKey, str], str]]:
    """One batch per key; when a batch fails, each metric alone, so only the panels of a bad name fail."""
    fetched: dict[FetchKey, dict[str, list[RawSeries]]] = {}
    errors: dict[tuple[FetchKey, str], str] = {}
    for key, names in wanted.items():
        namespace, agg, filt, patterns, target, group = key
        pool = components if target == "app_insights" else apps
        chosen = [a for a in select_apps(pool, patterns) if GROUPS[group](a)]  # type: ignore[no-untyped-call]
        if target == "app_insights" and not components:
            for name in names:
                errors[(key, name)] = (
                    "no Application Insights components: set app_insights = [<component resource id>]"
                )
            continue
        fetched[key] = {}
        if not chosen:
            continue
        try:
            fetched[key] = fetcher.fetch(chosen, namespace, sorted(names), agg, filt, window)
        except ProviderError as exc:
            if exc.throttled:
                raise
            if len(names) == 1:
                errors[(key, next(iter(names)))] = str(exc)
                continue
            for name in sorted(names):
                try:
                    fetched[key].update(fetcher.fetch(chosen, namespace, [name], agg, filt, window))
                except ProviderError as one:
                    if one.throttled:
                        raise
                    errors[(key, name)] = str(one)
    return fetched, errors


def _weights(
    plan: Plan,
    raws: Sequence[RawSeries],
    q: MetricQuery,
    spec: MetricSpec,
    fetched: dict[FetchKey, dict[str, list[RawSeries]]],
    errors: dict[tuple[FetchKey, str], str],
) -> tuple[dict[tuple[str, tuple[tuple[str, str], ...]], dict[int, float]] | None, str]:
    """The weight series of an Average and the note saying how several resources were combined."""
    resources = {r.app.id.lower() for r in raws if r.points}  # those that reported something
    if len(resources) < 2:
        return None, ""
    kind = "apps" if spec.target == "apps" else "components"
    if "app" in q.group_by:
        return (
            None,
            f"{spec.metric}: one series per {kind[:-1]} ({len(resources)} {kind}), not averaged across them",
        )
    if plan.weight is None:
        return None, f"{spec.metric}: plain mean over {len(resources)} {kind} (no request count to weight by)"
    w = plan.weight
    failed = errors.get((w.key, w.metric))
    if failed:
        return (
            None,
            f"{spec.metric}: plain mean over {len(resources)} {kind}; {w.metric} could not be read ({failed})",
        )
    weights = {raw_key(r): r.points for r in fetched.get(w.key, {}).get(w.metric, [])}
    return weights, f"{spec.metric}: mean over {len(resources)} {kind} weighted by {w.metric}"
