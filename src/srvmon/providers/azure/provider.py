"""AzureProvider: Function Apps metrics, App Insights logs, Durable Functions, alerts, cost and limits."""

from __future__ import annotations

import threading
from collections.abc import Sequence
from typing import Any, ClassVar

from srvmon.clock import Clock
from srvmon.model import (
    Alarm,
    ChangeEvent,
    CostItem,
    FunctionHealth,
    Health,
    Limit,
    LogQuery,
    LogResult,
    MetricQuery,
    QueryResult,
    Series,
    TimeWindow,
)
from srvmon.providers.base import NotSupported, Provider, ProviderError, ProviderOptions

from . import query as q
from .options import AzureOptions

#: functionTimeout defaults per plan, seconds (host.json may change them).
DEFAULT_TIMEOUT_S = {"Consumption": 300.0, "Flex": 1800.0, "Premium": 1800.0, "Dedicated": 1800.0}
#: Why a Durable Functions panel has no compare line: the management API only knows the present.
NO_HISTORY = "no history: Durable Functions reports only the present"


class AzureProvider(Provider):
    """Azure Functions: Azure Monitor metrics, Application Insights logs, Durable Functions, alerts, cost."""

    type_name: ClassVar[str] = "azure"
    description: ClassVar[str] = "Azure Functions via Azure Monitor, Application Insights, Durable Functions"
    Options: ClassVar[type[ProviderOptions]] = AzureOptions
    default_preset: ClassVar[str | None] = "azure-functions"

    def __init__(
        self, name: str, options: ProviderOptions, clock: Clock | None = None, *, credential: Any = None
    ) -> None:
        super().__init__(name, options, clock)
        self.opts = options = self.typed_options(AzureOptions)
        self._credential = credential
        self._parts: dict[str, Any] = {}
        self._parts_lock = threading.RLock()  # the poller calls query() for two windows at once

    # -- lazily built parts ----------------------------------------------------------------------
    def _part(self, key: str) -> Any:
        with self._parts_lock:
            if key not in self._parts:
                self._parts[key] = self._build(key)
            return self._parts[key]

    def credential(self) -> Any:
        """The (quiet) token credential: the injected one or the chain the options ask for."""
        from .arm import make_credential
        from .credential import QuietCredential

        with self._parts_lock:
            if not isinstance(self._credential, QuietCredential):
                inner = self._credential if self._credential is not None else make_credential(self.opts)
                self._credential = QuietCredential(inner, self.opts.credential)
            return self._credential

    def _build(self, key: str) -> Any:
        from .arm import ArmClient

        cred, o, c = self.credential(), self.opts, self.counter
        if key == "arm":
            part: Any = ArmClient(o, cred, c)
        elif key == "discovery":
            from .discovery import Discovery

            part = Discovery(self._part("arm"), o, self.clock)
        elif key == "metrics":
            from .metrics import MetricsFetcher

            part = MetricsFetcher(o, cred, c)
        elif key == "logs":
            from .logs import LogsFetcher

            part = LogsFetcher(o, cred, c)
        elif key == "durable":
            from .durable import DurableClient

            part = DurableClient(o, self._part("arm"), c, self.clock)
        elif key == "cost":
            from .cost import CostReader

            part = CostReader(self._part("arm"), o, self.clock)
        elif key == "events":
            from .events import AzureEvents

            part = AzureEvents(self._part("arm"), o, lambda: self._part("discovery").apps())
        else:
            raise KeyError(key)
        return part

    @classmethod
    def validate_query(cls, query: str | dict[str, Any] | None, stat: str | None) -> str | None:
        return q.validate(query, stat)

    # -- metrics ---------------------------------------------------------------------------------
    def query(self, queries: Sequence[MetricQuery], window: TimeWindow) -> dict[str, QueryResult]:
        from .metric_plan import run_queries
        from .metrics import select_apps

        results: dict[str, QueryResult] = {}
        metric_specs: dict[str, tuple[MetricQuery, q.MetricSpec]] = {}
        durable_specs: dict[str, tuple[MetricQuery, q.MetricSpec]] = {}
        for mq in queries:
            try:
                spec = q.parse(mq.query, mq.stat, tuple(mq.group_by))
            except ValueError as exc:
                results[mq.ref_id] = QueryResult(mq.ref_id, error=str(exc))
                continue
            if spec.kind == "kql":  # KQL metric panels run on the logs client (kqlseries.py)
                results[mq.ref_id] = self._kql(mq, spec, window)
                continue
            (durable_specs if spec.kind == "durable" else metric_specs)[mq.ref_id] = (mq, spec)
        if not metric_specs and not durable_specs:
            return results
        apps = self._part("discovery").apps()
        if metric_specs:
            needs_ai = any(spec.target == "app_insights" for _, spec in metric_specs.values())
            components = self._part("discovery").components() if needs_ai else []
            results.update(run_queries(self._part("metrics"), metric_specs, apps, window, components))
        if durable_specs:
            durable_apps = select_apps(apps, self.opts.durable_apps) if self.opts.durable_apps else []
            results.update(self._durable(durable_specs, durable_apps, window))
        return results

    def describes_past(self, window: TimeWindow) -> bool:
        """True for a window that ends well before now (a compare copy): more than two steps and 10 min."""
        age = self.clock.now().timestamp() - window.end_s
        return age > max(2 * window.step_s, 600)

    def _kql(self, mq: MetricQuery, spec: q.MetricSpec, window: TimeWindow) -> QueryResult:
        """A KQL metric panel: the query on the workspace (or App Insights components), rows as series."""
        from .kqlseries import expand, table_series

        text = expand(spec.metric, window)
        try:
            tables, partial, warnings = self._part("logs").run(lambda _schema: text, window)
        except NotSupported as exc:
            return QueryResult(mq.ref_id, error=str(exc))
        except ProviderError as exc:
            if exc.throttled:
                raise
            return QueryResult(mq.ref_id, error=str(exc))
        result = table_series(mq.ref_id, tables, window, mq.group_by)
        if partial or warnings:
            result = QueryResult(
                result.ref_id, result.series, result.error, result.warnings + tuple(warnings)
            )
        return result

    @classmethod
    def escape_variable(cls, value: str, context: Any) -> str:
        from .kqlseries import escape_variable

        return escape_variable(value, context)

    def _durable(
        self, specs: dict[str, tuple[MetricQuery, q.MetricSpec]], apps: Sequence[Any], window: TimeWindow
    ) -> dict[str, QueryResult]:
        """Current orchestration counts, placed on the window's last bucket (they describe 'now').

        A window in the past (the compare copy) gets no series and a NO_HISTORY warning: the API cannot
        say what was running a week ago, and asking it again would only repeat today's figure."""
        from .metrics import select_apps

        if not self.opts.durable_apps:
            msg = "no Durable Functions apps: list them in durable_apps"
            return {ref: QueryResult(ref, error=msg) for ref in specs}
        if not apps:
            msg = f"none of durable_apps {list(self.opts.durable_apps)} is a discovered Function App"
            return {ref: QueryResult(ref, error=msg) for ref in specs}
        if self.describes_past(window):
            return {ref: QueryResult(ref, warnings=(NO_HISTORY,)) for ref in specs}
        statuses = sorted(
            {s.metric for _, s in specs.values() if s.metric in q.DURABLE_STATUSES} | {"Running"}
        )
        try:
            summary = self._part("durable").summary(apps, statuses)
        except ProviderError as exc:
            if exc.throttled:
                raise
            return {ref: QueryResult(ref, error=str(exc)) for ref in specs}
        stamps = tuple(window.timestamps())
        now = self.clock.now()
        out: dict[str, QueryResult] = {}
        for ref, (mq, spec) in specs.items():
            chosen = {a.name for a in select_apps(apps, spec.apps)}
            per_app: dict[str, float] = {}
            for name, s in summary.items():
                if name not in chosen:
                    continue
                if spec.metric == "OldestRunningAge":
                    per_app[name] = (
                        max(0.0, (now - s.oldest_running).total_seconds()) if s.oldest_running else 0.0
                    )
                else:
                    per_app[name] = float(s.counts.get(spec.metric, 0))
            if "app" in mq.group_by:
                groups = {name: v for name, v in per_app.items()}
                series = tuple(_last_bucket({"app": n}, stamps, v) for n, v in sorted(groups.items()))
            else:
                agg = max if spec.metric == "OldestRunningAge" else sum
                series = (_last_bucket({}, stamps, agg(per_app.values()) if per_app else 0.0),)
            out[ref] = QueryResult(ref, series=series)
        return out

    # -- the other capabilities --------------------------------------------------------------------
    def logs(self, query: LogQuery) -> LogResult:
        durable = [r for r in query.resources if r.startswith("durable:")]
        if query.fields.get("source") == "durable" or durable:
            return self._durable_logs(query, [r.split(":", 1)[1] for r in durable])
        return self._part("logs").logs(query)  # type: ignore[no-any-return]

    def _durable_logs(self, query: LogQuery, patterns: list[str]) -> LogResult:
        """Failed orchestrations: resources 'durable:<app pattern>' (or fields source = durable)."""
        from .metrics import select_apps

        apps = (
            select_apps(self._part("discovery").apps(), self.opts.durable_apps)
            if self.opts.durable_apps
            else []
        )
        wanted = [p for p in patterns if p] or [r for r in query.resources if not r.startswith("durable:")]
        apps = select_apps(apps, wanted)
        records = []
        truncated = False
        for app in apps:
            found, more = self._part("durable").failures(app, query.window.start, query.limit)
            records += found
            truncated = truncated or more
        records.sort(key=lambda r: r.timestamp, reverse=True)
        truncated = truncated or len(records) > query.limit
        warnings = (f"newest {query.limit} failed orchestrations shown; more exist",) if truncated else ()
        return LogResult(
            tuple(records[: query.limit]), filtered_by_provider=True, truncated=truncated, warnings=warnings
        )

    def alarms(self) -> list[Alarm]:
        from .alerts import list_alarms

        return list_alarms(self._part("arm"), self.opts)

    def cost(self, window: TimeWindow) -> list[CostItem]:
        return self._part("cost").cost(window)  # type: ignore[no-any-return]

    def limits(self) -> list[Limit]:
        """Instances in use against each app's scale-out ceiling; `instances` is the closest to its limit."""
        from .metric_plan import run_queries

        apps = [a for a in self._part("discovery").apps() if a.max_instances]
        if not apps:
            return []
        window = TimeWindow.ending_at(self.clock.now(), 1800, 300)
        mq = MetricQuery("instances", self.name, "InstanceCount", group_by=("app",))
        res = run_queries(self._part("metrics"), {"instances": (mq, q.parse("InstanceCount"))}, apps, window)
        used: dict[str, float] = {}
        for s in res["instances"].series:
            present = s.present()
            used[s.labels.get("app", "")] = present[-1] if present else 0.0
        limits = [
            Limit(
                f"instances:{a.name}", used.get(a.name, 0.0), float(a.max_instances or 0), a.name, "instances"
            )
            for a in apps
        ]
        top = max(limits, key=lambda lim: lim.used / lim.limit if lim.limit else 0.0)
        return [Limit("instances", top.used, top.limit, top.resource, top.unit), *limits]

    def function_health(self, window: TimeWindow, resources: Sequence[str] = ()) -> list[FunctionHealth]:
        apps = self._part("discovery").apps()
        timeouts = {a.name.lower(): DEFAULT_TIMEOUT_S.get(a.plan, 1800.0) for a in apps}
        return self._part("logs").health(window, resources, timeouts)  # type: ignore[no-any-return]

    def resources(self) -> list[str]:
        return [a.name for a in self._part("discovery").apps()]

    def events(self, window: TimeWindow, resources: Sequence[str] = ()) -> list[ChangeEvent]:
        """Activity Log writes on the Function Apps and alert transitions (see azure/events.py);
        `self.events_reader.warnings` says why an answer is incomplete."""
        from dataclasses import replace

        found = self.events_reader.read(window, resources, self.clock.now())
        return [replace(e, provider=self.name) for e in found]

    @property
    def events_reader(self) -> Any:
        """The change-event reader (azure/events.py AzureEvents); `.warnings` tells a partial answer."""
        return self._part("events")

    def check(self) -> Health:
        """Sign-in and Resource Manager, then one small read each of metrics, logs, alerts and Durable
        Functions (when configured); not ok when any fails, with the cause, the fix and the permission."""
        from . import check as chk
        from .alerts import list_alarms
        from .metrics import select_apps

        now = self.clock.now()
        apps: list[Any] = []

        def discover() -> str:
            apps.extend(self._part("discovery").apps(refresh=True))
            if not apps:
                scope = ", ".join(self.opts.resource_groups) or f"subscription {self.opts.subscription_id}"
                raise ProviderError(
                    f"no Function Apps found in {scope}: check subscription_id, resource_groups and"
                    " name_patterns (the identity sees only what it has Reader on)"
                )
            return f"resource manager: ok ({len(apps)} Function App(s))"

        found = chk.attempt("discovery", discover)
        if not found.ok:
            return chk.report(found, [], [])
        probes = [
            chk.attempt("metrics", lambda: chk.probe_metrics(self._part("metrics"), apps[0], now)),
            chk.attempt("logs", lambda: chk.probe_logs(self._part("logs"), now)),
            chk.attempt(
                "alerts", lambda: chk.probe_alerts(lambda: list_alarms(self._part("arm"), self.opts))
            ),
        ]
        if self.opts.durable_apps:
            durable_apps = select_apps(apps, self.opts.durable_apps)
            probes.append(
                chk.attempt("durable", lambda: chk.probe_durable(self._part("durable"), durable_apps))
            )
        return chk.report(found, apps, probes)

    def close(self) -> None:
        for key in ("metrics", "logs", "durable", "arm"):
            part = self._parts.pop(key, None)
            if part is not None:
                part.close()


def _last_bucket(labels: dict[str, str], stamps: tuple[int, ...], value: float) -> Series:
    values: list[float | None] = [None] * len(stamps)
    if values:
        values[-1] = value
    return Series(labels, stamps, tuple(values))
