"""Azure Monitor metrics for Function Apps via MetricsClient batch calls, aligned to the window's buckets.

Resources are batched per (subscription, region), at most 50 per call and 20 metric names per call,
as the metrics:getBatch API requires. Queries sharing namespace, aggregation and filter share calls.
"""

from __future__ import annotations

import fnmatch
import threading
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from srvmon.model import Series, TimeWindow
from srvmon.providers.base import ProviderError, UsageCounter
from srvmon.providers.httpio import HttpError

from .arm import client_kwargs, named, to_provider_error
from .discovery import FunctionApp
from .options import AzureOptions
from .query import APP_GROUPS

MAX_RESOURCES = 50
MAX_METRICS = 20
#: Granularities Azure Monitor accepts, in seconds.
GRANULARITIES = (60, 300, 900, 1800, 3600, 21600, 43200, 86400)
#: metrics:getBatch is billed per API call ($0.01 per 1,000).
USD_PER_CALL = 0.00001
MB_MS_PER_GB_S = 1024 * 1000

Points = dict[int, float]  # bucket start -> value


def granularity_for(step_s: int) -> int:
    """The largest granularity Azure supports that divides the window step."""
    return max(g for g in GRANULARITIES if step_s % g == 0 or g == 60)


def combine(values: Iterable[float], aggregation: str) -> float:
    vals = list(values)
    if aggregation in ("Total", "Count"):
        return sum(vals)
    if aggregation == "Maximum":
        return max(vals)
    if aggregation == "Minimum":
        return min(vals)
    return sum(vals) / len(vals)


@dataclass(frozen=True)
class RawSeries:
    """One fetched time series: which app, its dimension values, points per bucket."""

    app: FunctionApp
    dims: dict[str, str]
    points: Points


class MetricsFetcher:
    """Runs parsed metric queries for a set of Function Apps."""

    def __init__(self, options: AzureOptions, credential: Any, counter: UsageCounter) -> None:
        self.options = options
        self.credential = credential
        self.counter = counter
        self._clients: dict[str, Any] = {}
        self._lock = threading.Lock()

    def _client(self, region: str) -> Any:

        cloud = self.options.endpoints()
        endpoint = self.options.metrics_endpoint or f"https://{region}.{cloud.metrics_host}"
        with self._lock:
            return self._client_for(endpoint)

    def _client_for(self, endpoint: str) -> Any:
        from azure.monitor.querymetrics import MetricsClient

        cloud = self.options.endpoints()
        if endpoint not in self._clients:
            self._clients[endpoint] = MetricsClient(
                endpoint, self.credential, audience=cloud.metrics_audience, **client_kwargs(self.options)
            )
        return self._clients[endpoint]

    def close(self) -> None:
        for c in self._clients.values():
            c.close()
        self._clients.clear()

    # -- fetching ----------------------------------------------------------------------------
    def fetch(
        self,
        apps: Sequence[FunctionApp],
        namespace: str,
        metric_names: Sequence[str],
        aggregation: str,
        filter_: str | None,
        window: TimeWindow,
    ) -> dict[str, list[RawSeries]]:
        """metric name -> raw series for every app; batches per subscription+region."""
        from azure.core.exceptions import AzureError

        gran = granularity_for(window.step_s)
        groups: dict[tuple[str, str], list[FunctionApp]] = defaultdict(list)
        for app in apps:
            groups[(app.subscription.lower(), app.region or (self.options.region or ""))].append(app)
        out: dict[str, list[RawSeries]] = defaultdict(list)
        for (_, region), members in sorted(groups.items()):
            if not region and not self.options.metrics_endpoint:
                listed = ", ".join(a.name for a in members[:3])
                raise ProviderError(
                    f"metrics: no region known for {listed}; set `region` in the provider options"
                )
            by_id = {a.id.lower(): a for a in members}
            for i in range(0, len(members), MAX_RESOURCES):
                chunk = members[i : i + MAX_RESOURCES]
                for j in range(0, len(metric_names), MAX_METRICS):
                    names = list(metric_names[j : j + MAX_METRICS])
                    self.counter.call("metrics:getBatch", metrics=len(chunk) * len(names), usd=USD_PER_CALL)
                    try:
                        results = self._client(region).query_resources(
                            resource_ids=[a.id for a in chunk],
                            metric_namespace=namespace,
                            metric_names=names,
                            timespan=(window.start, window.end),
                            granularity=timedelta(seconds=gran),
                            aggregations=[aggregation],
                            filter=filter_,
                            max_results=1000 if filter_ else None,
                        )
                    except AzureError as exc:
                        raise to_provider_error(exc, "metrics:getBatch") from exc
                    except HttpError as exc:
                        raise named(exc, "metrics:getBatch") from exc
                    except (KeyError, TypeError, ValueError, AttributeError) as exc:  # a malformed answer
                        raise ProviderError(
                            f"metrics:getBatch: unexpected answer ({type(exc).__name__}: {exc})"
                        ) from exc
                    for res in results:
                        for metric in res.metrics or []:
                            owner = _app_of(str(metric.id or ""), by_id)
                            if owner is None:
                                continue
                            for ts in metric.timeseries or []:
                                pts = _bucket(ts.data or [], aggregation, window)
                                dims = {str(k): str(v) for k, v in (ts.metadata_values or {}).items()}
                                out[str(metric.name)].append(RawSeries(owner, dims, pts))
        return out


def _app_of(metric_id: str, by_id: dict[str, FunctionApp]) -> FunctionApp | None:
    """The app a metric belongs to: its id is '<resource id>/providers/Microsoft.Insights/metrics/<name>'."""
    rid = metric_id.lower().split("/providers/microsoft.insights/metrics/")[0]
    return by_id.get(rid)


_FIELD = {
    "Total": "total",
    "Average": "average",
    "Maximum": "maximum",
    "Minimum": "minimum",
    "Count": "count",
}


def _bucket(data: Iterable[Any], aggregation: str, window: TimeWindow) -> Points:
    """Values re-bucketed onto the window's steps (several fine points combine per aggregation)."""
    field = _FIELD[aggregation]
    acc: dict[int, list[float]] = defaultdict(list)
    start, end, step = window.start_s, window.end_s, window.step_s
    for mv in data:
        value = getattr(mv, field, None)
        if value is None or mv.timestamp is None:
            continue
        t = int(mv.timestamp.timestamp())
        if t < start or t >= end:
            continue
        try:
            acc[start + (t - start) // step * step].append(float(value))
        except (TypeError, ValueError):
            continue
    return {t: combine(v, aggregation) for t, v in acc.items()}


# -- turning raw series into panel series ----------------------------------------------------------


def labels_for(raw: RawSeries, group_by: Sequence[str]) -> dict[str, str]:
    out: dict[str, str] = {}
    for g in group_by:
        if g == "app":
            out[g] = raw.app.name
        elif g == "resource_group":
            out[g] = raw.app.resource_group
        elif g == "region":
            out[g] = raw.app.region
        elif g == "plan":
            out[g] = raw.app.plan
        else:
            lower = {k.lower(): v for k, v in raw.dims.items()}
            out[g] = lower.get(g.lower(), "")
    return out


def weighted_mean(pairs: Sequence[tuple[float, float | None]]) -> float:
    """Mean of values weighted by their weights (e.g. response time by requests); values without a weight
    are left out, and with no positive weight at all it is the plain mean."""
    weighted = [(v, w) for v, w in pairs if w is not None and w > 0]
    total = sum(w for _, w in weighted)
    if total > 0:
        return sum(v * w for v, w in weighted) / total
    return sum(v for v, _ in pairs) / len(pairs)


def raw_key(raw: RawSeries) -> tuple[str, tuple[tuple[str, str], ...]]:
    """What pairs a raw series with its weight series: the same app and dimension values."""
    return raw.app.id.lower(), tuple(sorted((k.lower(), v) for k, v in raw.dims.items()))


def group_series(
    raws: Sequence[RawSeries],
    group_by: Sequence[str],
    aggregation: str,
    window: TimeWindow,
    transform: Callable[[float], float] = lambda v: v,
    weights: dict[tuple[str, tuple[tuple[str, str], ...]], Points] | None = None,
) -> tuple[Series, ...]:
    """Combine raw series sharing the same group_by labels, per bucket, aligned to the window.

    With `weights` (Average only), several series in one group are combined as a weighted mean."""
    groups: dict[tuple[tuple[str, str], ...], list[RawSeries]] = defaultdict(list)
    for raw in raws:
        groups[tuple(labels_for(raw, group_by).items())].append(raw)
    stamps = tuple(window.timestamps())
    out = []
    for key, members in sorted(groups.items()):
        values: list[float | None] = []
        for t in stamps:
            here = [r for r in members if t in r.points]
            if not here:
                values.append(None)
            elif weights is not None and aggregation == "Average" and len(here) > 1:
                pairs = [(r.points[t], weights.get(raw_key(r), {}).get(t)) for r in here]
                values.append(transform(weighted_mean(pairs)))
            else:
                values.append(transform(combine([r.points[t] for r in here], aggregation)))
        out.append(Series(dict(key), stamps, tuple(values)))
    return tuple(out)


def instance_series(
    raws: Sequence[RawSeries], group_by: Sequence[str], window: TimeWindow
) -> tuple[Series, ...]:
    """Instances serving per bucket: distinct Instance dimension values reporting in that bucket."""
    per_app: dict[str, set[tuple[str, int]]] = defaultdict(set)
    apps: dict[str, FunctionApp] = {}
    for raw in raws:
        inst = {k.lower(): v for k, v in raw.dims.items()}.get("instance", "")
        apps[raw.app.id] = raw.app
        for t in raw.points:
            per_app[raw.app.id].add((inst, t))
    counted = [RawSeries(apps[aid], {}, _count(seen)) for aid, seen in per_app.items()]
    return group_series(counted, [g for g in group_by if g in APP_GROUPS], "Total", window)


def _count(seen: set[tuple[str, int]]) -> Points:
    pts: Points = defaultdict(float)
    for _, t in seen:
        pts[t] += 1
    return dict(pts)


def select_apps(apps: Sequence[FunctionApp], patterns: Sequence[str]) -> list[FunctionApp]:
    if not patterns:
        return list(apps)
    return [a for a in apps if any(fnmatch.fnmatchcase(a.name.lower(), p.lower()) for p in patterns)]


def instance_pct_series(
    raws: Sequence[RawSeries], group_by: Sequence[str], window: TimeWindow
) -> tuple[Series, ...]:
    """Instances as % of each app's scale-out ceiling; without `app` in group_by, the fullest app per bucket."""
    ceilings = {raw.app.name: raw.app.max_instances for raw in raws}
    per_app = instance_series(raws, ("app",), window)
    pct = []
    for s in per_app:
        ceiling = ceilings.get(s.labels.get("app", ""))
        if not ceiling:
            continue
        pct.append(
            Series(
                s.labels, s.timestamps, tuple(None if v is None else v / ceiling * 100.0 for v in s.values)
            )
        )
    if "app" in group_by or not pct:
        return tuple(pct)
    values = tuple(
        max((s.values[i] for s in pct if s.values[i] is not None), default=None)  # type: ignore[type-var]
        for i in range(len(pct[0].values))
    )
    return (Series({}, pct[0].timestamps, values),)
