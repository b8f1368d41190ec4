"""Change events a Prometheus server can tell, each family found by name probing (like the metric
fallbacks in detect.py): only the families the server has are queried.

=============================================  =========  =========================================
what the server has                            kind       found as
=============================================  =========  =========================================
kube_deployment_spec_replicas                  scale      value changes: "replicas 2 → 4"
kube_deployment_metadata_generation            deploy     value changes: "rolled out generation 5"
(or ..._status_observed_generation)                       (a generation bump with a replica change
                                                          at the same step is that scale event)
kube_deployment_created                        deploy     its value is the creation time: exact
kube_horizontalpodautoscaler_spec_max/min_...  config     value changes: "max replicas 10 → 20"
kn_revision_pods_count / autoscaler_actual_    deploy     a new revision label appearing: "revision
pods / actual_pods / revision_request_count               hello-00003 created"
gateway_service_count (OpenFaaS)               scale      value changes: "replicas 2 → 3"
                                               deploy     a new function_name appearing: "deployed"
ALERTS{alertstate="firing"}                    alarm-     series starting ("firing") and ending
                                               state      ("resolved")
Alertmanager /api/v2/alerts (no ALERTS)        alarm-     active alerts' startsAt
=============================================  =========  =========================================

Changes are computed by the server and come back sparse: ``E != E offset S`` (with the old values
labelled alongside), ``E unless E offset S`` for appearances, ``E offset S unless E`` for endings,
over a query_range of step S (60 s, more for windows longer than about a week). An event is dated at
the start of the step in which it was seen. An appearance is only counted when the family had series
one step before (a server restart or scrape gap makes everything "appear" at once), and an ending is
seen when the series goes stale: at once for rule outputs like ALERTS, after the 5-minute lookback
for a series that simply stopped.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any
from urllib.parse import quote as url_quote

from srvmon.changes import dedupe, in_window, names_match
from srvmon.model import ChangeEvent, EventKind, TimeWindow
from srvmon.providers.base import ProviderError
from srvmon.providers.prometheus import alerts
from srvmon.providers.prometheus.client import QueryError

if TYPE_CHECKING:
    from srvmon.providers.prometheus.provider import PrometheusProvider

SOURCE_KSM = "kube-state-metrics"
SOURCE_KNATIVE = "Knative metrics"
SOURCE_OPENFAAS = "OpenFaaS gateway"
SOURCE_ALERTS = "Prometheus ALERTS"
SOURCE_ALERTMANAGER = "Alertmanager"
PREFER = (SOURCE_KSM, SOURCE_ALERTMANAGER, SOURCE_KNATIVE, SOURCE_OPENFAAS, SOURCE_ALERTS)
#: At most this many evaluation steps per query (Prometheus refuses more than 11,000 points a series).
MAX_STEPS = 10_000
#: Result series read per query at most (a pathological label explosion must not flood the board).
MAX_SERIES = 5_000
_SIDE = "srvmon_side"
_KNATIVE_DEPLOYMENT = re.compile(r"^(?P<svc>.+)-(?P<rev>\d{5})-deployment$")

#: Knative revision families: (metric, service label, revision label), preferred first.
KNATIVE_FAMILIES = (
    ("kn_revision_pods_count", "kn_service_name", "kn_revision_name"),
    ("autoscaler_actual_pods", "service_name", "revision_name"),
    ("actual_pods", "service_name", "revision_name"),
    ("revision_request_count", "service_name", "revision_name"),
)
KSM_GENERATION = ("kube_deployment_metadata_generation", "kube_deployment_status_observed_generation")
KSM_REPLICAS = "kube_deployment_spec_replicas"
KSM_CREATED = "kube_deployment_created"
HPA_LIMITS = (
    ("kube_horizontalpodautoscaler_spec_max_replicas", "max replicas"),
    ("kube_horizontalpodautoscaler_spec_min_replicas", "min replicas"),
)
OPENFAAS_REPLICAS = "gateway_service_count"
ALERTS = "ALERTS"

#: Every family name probed (one label-values call answers them all, cached by the provider).
PROBED = (
    *KSM_GENERATION,
    KSM_REPLICAS,
    KSM_CREATED,
    *(m for m, _ in HPA_LIMITS),
    *(m for m, _, _ in KNATIVE_FAMILIES),
    OPENFAAS_REPLICAS,
    ALERTS,
)


def step_for(window: TimeWindow) -> int:
    """The comparison step: 60 s, or whole minutes keeping a query under MAX_STEPS evaluations."""
    return max(60, math.ceil(window.duration_s / MAX_STEPS / 60) * 60)


@dataclass(frozen=True)
class Point:
    """A labelled value at an evaluation time (epoch s)."""

    labels: Mapping[str, str]
    t: int
    value: float | None


def _points(body: Any) -> list[Point]:
    data = body.get("data") if isinstance(body, Mapping) else None
    if not isinstance(data, Mapping):
        return []
    out: list[Point] = []
    result = data.get("result")
    for item in (result if isinstance(result, list) else [])[:MAX_SERIES]:
        if not isinstance(item, Mapping):
            continue
        labels = {str(k): str(v) for k, v in (item.get("metric") or {}).items() if k != "__name__"}
        pairs = item.get("values") if data.get("resultType") == "matrix" else [item.get("value")]
        for pair in pairs if isinstance(pairs, list) else []:
            try:
                t = int(round(float(pair[0])))
                v = float(pair[1])
            except (TypeError, ValueError, IndexError):
                continue
            out.append(Point(labels, t, v if math.isfinite(v) else None))
    return out


def _fmt(v: float | None) -> str:
    if v is None:
        return "?"
    return f"{v:.0f}" if float(v).is_integer() else f"{v:g}"


def _key(labels: Mapping[str, str]) -> tuple[tuple[str, str], ...]:
    return tuple(sorted((k, v) for k, v in labels.items() if k != _SIDE))


class PromEvents:
    """Reads change events for one PrometheusProvider (its client, probing cache and clock)."""

    def __init__(self, provider: PrometheusProvider) -> None:
        self.p = provider
        #: Why the last read is incomplete (a family's query refused); () when whole.
        self.warnings: tuple[str, ...] = ()

    # -- queries ------------------------------------------------------------------------------------
    def _range(self, expr: str, window: TimeWindow, step: int, operation: str) -> list[Point]:
        params = {
            "query": expr,
            "start": str(window.start_s + step),
            "end": str(window.end_s),
            "step": str(step),
        }
        body = self.p.client.get(self.p.opts.url, "/api/v1/query_range", params, operation, metrics=1)
        return _points(body)

    def _changes(
        self, expr: str, window: TimeWindow, step: int, operation: str
    ) -> list[tuple[Point, float | None]]:
        """(new value point, old value) wherever `expr` ({off} placeholder) differs from one step earlier."""
        now, before = expr.format(off=""), expr.format(off=f" offset {step}s")
        query = f'({now} != {before}) or label_replace({before} != {now}, "{_SIDE}", "before", "", "")'
        old: dict[tuple[Any, int], float | None] = {}
        new: list[Point] = []
        for pt in self._range(query, window, step, operation):
            if pt.labels.get(_SIDE) == "before":
                old[(_key(pt.labels), pt.t)] = pt.value
            else:
                new.append(pt)
        return [(pt, old.get((_key(pt.labels), pt.t))) for pt in new]

    def _appears(self, expr: str, window: TimeWindow, step: int, operation: str) -> list[Point]:
        """Series of `expr` present at a step and absent one step earlier, while the family had series."""
        now, before = expr.format(off=""), expr.format(off=f" offset {step}s")
        return self._range(f"({now} unless {before}) and on() (count({before}) > 0)", window, step, operation)

    def _ends(self, expr: str, window: TimeWindow, step: int, operation: str) -> list[Point]:
        """Series of `expr` present one step earlier and absent now (their last values)."""
        now, before = expr.format(off=""), expr.format(off=f" offset {step}s")
        return self._range(f"{before} unless {now}", window, step, operation)

    def _link(self, selector: str) -> str:
        return f"{self.p.opts.url}/graph?g0.expr={url_quote(selector, safe='')}&g0.tab=0"

    # -- the read -----------------------------------------------------------------------------------
    def read(self, window: TimeWindow, resources: Iterable[str]) -> list[ChangeEvent]:
        present = self.p.present(PROBED)
        if present is None:
            raise ProviderError(f"{self.p.opts.url} would not list its metric names; no change events")
        step = step_for(window)
        found: list[ChangeEvent] = []
        warnings: list[str] = []
        readers = [
            ("kube-state-metrics deployments", self._ksm),
            ("HPA limits", self._hpa),
            ("Knative revisions", self._knative),
            ("OpenFaaS functions", self._openfaas),
            ("alerts", self._alerts),
        ]
        attempts = failures = 0
        for what, reader in readers:
            try:
                got = reader(window, step, present)
            except (QueryError, ProviderError) as exc:
                attempts += 1
                failures += 1
                warnings.append(f"{what}: {exc}")
                if isinstance(exc, ProviderError) and not isinstance(exc, QueryError) and exc.throttled:
                    raise
                continue
            if got is not None:
                attempts += 1
                found.extend(got)
        self.warnings = tuple(warnings)
        if attempts and failures == attempts:
            raise ProviderError(f"change events: {warnings[0]}")
        merged = dedupe(found, prefer=PREFER)
        wanted = [r for r in resources if str(r).strip()]
        if wanted:
            merged = [e for e in merged if any(names_match(w, r) for w in wanted for r in e.resources)]
        return in_window(merged, window.start, window.end)

    # -- kube-state-metrics -------------------------------------------------------------------------
    @staticmethod
    def _deployment_resources(labels: Mapping[str, str]) -> tuple[tuple[str, ...], str | None, str | None]:
        """(resources, knative service, revision) of a Deployment; Knative names them <rev>-deployment."""
        dep, ns = labels.get("deployment", ""), labels.get("namespace", "")
        m = _KNATIVE_DEPLOYMENT.match(dep)
        qualified = f"{ns}/{dep}" if ns else dep
        if m:
            svc, rev = m.group("svc"), f"{m.group('svc')}-{m.group('rev')}"
            return (svc, rev, dep, qualified), svc, rev
        return (dep, qualified), None, None

    def _ksm(self, window: TimeWindow, step: int, present: frozenset[str]) -> list[ChangeEvent] | None:
        generation = next((g for g in KSM_GENERATION if g in present), None)
        if generation is None and KSM_REPLICAS not in present and KSM_CREATED not in present:
            return None
        by = "max by (namespace, deployment)"
        out: list[ChangeEvent] = []
        scaled: set[tuple[str, str, int]] = set()
        if KSM_REPLICAS in present:
            for pt, old in self._changes(f"{by} ({KSM_REPLICAS}{{off}})", window, step, "events_replicas"):
                resources, _, _ = self._deployment_resources(pt.labels)
                scaled.add((pt.labels.get("namespace", ""), pt.labels.get("deployment", ""), pt.t))
                out.append(self._event(pt.t - step, "scale", f"replicas {_fmt(old)} → {_fmt(pt.value)}", resources,
                                       SOURCE_KSM, f"ksm:replicas:{_key(pt.labels)}:{pt.t}",
                                       self._link(self._selector(KSM_REPLICAS, pt.labels))))  # fmt: skip
        if generation is not None:
            for pt, old in self._changes(f"{by} ({generation}{{off}})", window, step, "events_generation"):
                if (pt.labels.get("namespace", ""), pt.labels.get("deployment", ""), pt.t) in scaled:
                    continue  # the replica change is this bump
                if old is not None and pt.value is not None and pt.value < old:
                    continue  # a recreated object starts over; its creation tells it
                resources, _, rev = self._deployment_resources(pt.labels)
                out.append(self._event(pt.t - step, "deploy", f"rolled out generation {_fmt(pt.value)}", resources,
                                       SOURCE_KSM, f"ksm:generation:{_key(pt.labels)}:{pt.t}",
                                       self._link(self._selector(generation, pt.labels)), version=rev))  # fmt: skip
        if KSM_CREATED in present:
            body = self.p.client.get(
                self.p.opts.url,
                "/api/v1/query",
                {"query": f"{by} ({KSM_CREATED})", "time": str(window.end_s)},
                "events_created",
                metrics=1,
            )
            for pt in _points(body):
                if pt.value is None or not (window.start_s <= pt.value < window.end_s):
                    continue
                resources, svc, rev = self._deployment_resources(pt.labels)
                event_id = f"knative:{svc}:{rev}" if svc else f"ksm:created:{_key(pt.labels)}"
                summary = (
                    f"revision {rev} created"
                    if rev
                    else f"deployment {pt.labels.get('deployment', '')} created"
                )
                out.append(self._event(int(pt.value), "deploy", summary, resources, SOURCE_KSM, event_id,
                                       self._link(self._selector(KSM_CREATED, pt.labels)), version=rev))  # fmt: skip
        return out

    def _hpa(self, window: TimeWindow, step: int, present: frozenset[str]) -> list[ChangeEvent] | None:
        families = [(m, what) for m, what in HPA_LIMITS if m in present]
        if not families:
            return None
        out: list[ChangeEvent] = []
        for metric, what in families:
            expr = f"max by (namespace, horizontalpodautoscaler) ({metric}{{off}})"
            for pt, old in self._changes(expr, window, step, "events_hpa"):
                name, ns = pt.labels.get("horizontalpodautoscaler", ""), pt.labels.get("namespace", "")
                resources = (name, f"{ns}/{name}") if ns else (name,)
                out.append(self._event(pt.t - step, "config", f"{what} {_fmt(old)} → {_fmt(pt.value)}", resources,
                                       SOURCE_KSM, f"hpa:{metric}:{_key(pt.labels)}:{pt.t}",
                                       self._link(self._selector(metric, pt.labels))))  # fmt: skip
        return out

    # -- Knative, OpenFaaS --------------------------------------------------------------------------
    def _knative(self, window: TimeWindow, step: int, present: frozenset[str]) -> list[ChangeEvent] | None:
        family = next((f for f in KNATIVE_FAMILIES if f[0] in present), None)
        if family is None:
            return None
        metric, svc_label, rev_label = family
        # after the f-string: max by (svc, rev) (metric{{rev!=""}}{off}); .format() then adds the offset
        expr = f'max by ({svc_label}, {rev_label}) ({metric}{{{{{rev_label}!=""}}}}{{off}})'
        out: list[ChangeEvent] = []
        for pt in self._appears(expr, window, step, "events_knative"):
            svc, rev = pt.labels.get(svc_label, ""), pt.labels.get(rev_label, "")
            if not rev:
                continue
            resources = (svc, rev) if svc else (rev,)
            out.append(self._event(pt.t - step, "deploy", f"revision {rev} created", resources, SOURCE_KNATIVE,
                                   f"knative:{svc or None}:{rev}", self._link(self._selector(metric, pt.labels)),
                                   version=rev))  # fmt: skip
        return out

    def _openfaas(self, window: TimeWindow, step: int, present: frozenset[str]) -> list[ChangeEvent] | None:
        if OPENFAAS_REPLICAS not in present:
            return None
        expr = f"max by (function_name) ({OPENFAAS_REPLICAS}{{off}})"
        out: list[ChangeEvent] = []
        for pt, old in self._changes(expr, window, step, "events_openfaas_replicas"):
            fn = pt.labels.get("function_name", "")
            out.append(self._event(pt.t - step, "scale", f"replicas {_fmt(old)} → {_fmt(pt.value)}", (fn,),
                                   SOURCE_OPENFAAS, f"openfaas:replicas:{fn}:{pt.t}",
                                   self._link(self._selector(OPENFAAS_REPLICAS, pt.labels))))  # fmt: skip
        for pt in self._appears(expr, window, step, "events_openfaas_new"):
            fn = pt.labels.get("function_name", "")
            out.append(self._event(pt.t - step, "deploy", f"function {fn} deployed", (fn,), SOURCE_OPENFAAS,
                                   f"openfaas:deployed:{fn}:{pt.t}",
                                   self._link(self._selector(OPENFAAS_REPLICAS, pt.labels))))  # fmt: skip
        return out

    # -- alerts -------------------------------------------------------------------------------------
    def _alerts(self, window: TimeWindow, step: int, present: frozenset[str]) -> list[ChangeEvent] | None:
        if ALERTS in present:
            expr = 'ALERTS{{alertstate="firing"}}{off}'
            out: list[ChangeEvent] = []
            rules = f"{self.p.opts.url}/alerts"
            for pt in self._range(
                f'ALERTS{{alertstate="firing"}} unless ALERTS{{alertstate="firing"}} offset {step}s',
                window, step, "events_alerts_fired",
            ):  # fmt: skip
                out.append(self._alert_event(pt, pt.t - step, "firing", rules))
            for pt in self._ends(expr, window, step, "events_alerts_resolved"):
                out.append(self._alert_event(pt, pt.t - step, "resolved", rules))
            return out
        am = self.p.opts.alertmanager_url
        if not am:
            return None
        body = self.p.client.get(am, "/api/v2/alerts", {"active": "true"}, "events_alertmanager")
        out = []  # the Alertmanager's view
        for item in body if isinstance(body, list) else []:
            if not isinstance(item, Mapping):
                continue
            labels = {str(k): str(v) for k, v in (item.get("labels") or {}).items()}
            started = alerts._time(item.get("startsAt"))
            if started is None:
                continue
            pt = Point(labels, int(started.timestamp()), None)
            link = str(item.get("generatorURL") or "") or None
            event = self._alert_event(
                pt, int(started.timestamp()), "firing", link, source=SOURCE_ALERTMANAGER
            )
            out.append(event)
        return out

    def _alert_event(
        self, pt: Point, at: int, state: str, link: str | None, source: str = SOURCE_ALERTS
    ) -> ChangeEvent:
        name = pt.labels.get("alertname", "alert")
        resource = alerts._resource(pt.labels)
        severity = pt.labels.get("severity", "")
        summary = f"{name} {state}" + (f" ({severity})" if severity and state == "firing" else "")
        resources = (resource, name) if resource else (name,)
        return self._event(at, "alarm-state", summary, resources, source,
                           f"alert:{name}:{_key(pt.labels)}:{state}:{at}", link)  # fmt: skip

    # -- helpers ------------------------------------------------------------------------------------
    @staticmethod
    def _selector(metric: str, labels: Mapping[str, str]) -> str:
        from srvmon.providers.prometheus.promql import quote

        inner = ",".join(f"{k}={quote(v)}" for k, v in sorted(labels.items()) if k != _SIDE)
        return f"{metric}{{{inner}}}"

    def _event(
        self,
        at: int,
        kind: EventKind,
        summary: str,
        resources: tuple[str, ...],
        source: str,
        event_id: str,
        link: str | None,
        version: str | None = None,
    ) -> ChangeEvent:
        return ChangeEvent(
            time=datetime.fromtimestamp(at, UTC),
            kind=kind,
            summary=summary,
            resources=tuple(r for r in resources if r),
            link=link,
            source=source,
            id=event_id,
            version=version,
        )
