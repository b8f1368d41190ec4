"""GcpProvider: Cloud Run and Cloud Functions metrics (Cloud Monitoring PromQL), quotas and instance limits,
alert policies, Cloud Logging drill-down, discovery and an estimated compute cost."""

from __future__ import annotations

import functools
import threading
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any, ClassVar

from srvmon.clock import Clock
from srvmon.model import (
    Alarm,
    CostItem,
    Health,
    Limit,
    LogQuery,
    LogResult,
    MetricQuery,
    QueryResult,
    Series,
    TimeWindow,
)
from srvmon.providers.base import Provider, ProviderError, ProviderOptions
from srvmon.providers.prometheus import promql as pq
from srvmon.providers.prometheus.client import QueryError

from . import promql as gq
from .options import GcpOptions


class GcpProvider(Provider):
    """Google Cloud: Cloud Run services and Cloud Functions (gen1, gen2) in one or more projects."""

    type_name: ClassVar[str] = "gcp"
    description: ClassVar[str] = (
        "Google Cloud Run and Cloud Functions via Cloud Monitoring (PromQL), Logging, quotas"
    )
    Options: ClassVar[type[ProviderOptions]] = GcpOptions
    default_preset: ClassVar[str | None] = "gcp-serverless"

    def __init__(
        self, name: str, options: ProviderOptions, clock: Clock | None = None, *, credentials: Any = None
    ) -> None:
        """`credentials`: a google.auth Credentials object to use instead of the default chain (embedding)."""
        super().__init__(name, options, clock)
        self.opts = options = self.typed_options(GcpOptions)
        self._credentials = credentials
        self._parts: dict[str, Any] = {}
        self._lock = threading.Lock()

    # -- lazily built parts ----------------------------------------------------------------------
    @property
    def api(self) -> Any:
        with self._lock:
            if "api" not in self._parts:
                from .auth import GoogleApi

                self._parts["api"] = GoogleApi(self.opts, self.counter, self._credentials)
            return self._parts["api"]

    @property
    def discovery(self) -> Any:
        api = self.api
        with self._lock:
            if "discovery" not in self._parts:
                from .discovery import Discovery

                self._parts["discovery"] = Discovery(api, self.opts)
            return self._parts["discovery"]

    @classmethod
    def validate_query(cls, query: str | dict[str, Any] | None, stat: str | None) -> str | None:
        return gq.validate(query, stat)

    # -- metrics ---------------------------------------------------------------------------------
    def query(self, queries: Sequence[MetricQuery], window: TimeWindow) -> dict[str, QueryResult]:
        compiled: dict[str, gq.Compiled] = {}
        out: dict[str, QueryResult] = {}
        for mq in queries:
            try:
                compiled[mq.ref_id] = gq.compile_query(mq.query, mq.stat, mq.group_by, self.opts)
            except ValueError as exc:
                out[mq.ref_id] = QueryResult(mq.ref_id, error=str(exc))
        if compiled:
            self.api.auth_headers()  # no credentials: the whole call fails (ProviderError), not each panel
        jobs = [(mq, p) for mq in queries if mq.ref_id in compiled for p in self.opts.metric_projects()]
        answers = self._map(lambda job: self._fetch(compiled[job[0].ref_id], job[1], window), jobs)
        by_ref: dict[str, list[tuple[str, Any]]] = {}
        for (mq, project), answer in zip(jobs, answers, strict=True):
            by_ref.setdefault(mq.ref_id, []).append((project, answer))
        for mq in queries:
            if mq.ref_id in compiled:
                out[mq.ref_id] = self._assemble(mq, compiled[mq.ref_id], by_ref.get(mq.ref_id, []), window)
        return out

    def _map(self, fn: Any, items: Sequence[Any]) -> list[Any]:
        if len(items) > 1 and self.opts.concurrency > 1:
            with ThreadPoolExecutor(max_workers=min(self.opts.concurrency, len(items))) as pool:
                return list(pool.map(fn, items))
        return [fn(i) for i in items]

    def _fetch(self, c: gq.Compiled, project: str, window: TimeWindow) -> Any:
        """The query_range body, or the exception (kept per project so one project cannot fail the rest)."""
        expr = gq.expand(c.expr, window, self.opts)
        try:
            return self.api.prom_get(project, "/api/v1/query_range", {"query": expr, **pq.range_params(window)},
                                     "query_range")  # fmt: skip
        except (QueryError, ProviderError) as exc:
            return exc

    def _assemble(
        self, mq: MetricQuery, c: gq.Compiled, answers: list[tuple[str, Any]], window: TimeWindow
    ) -> QueryResult:
        notes: list[str] = []
        failures = [(p, a) for p, a in answers if isinstance(a, Exception)]
        bodies = [(p, a) for p, a in answers if not isinstance(a, Exception)]
        if not bodies:
            exc = failures[0][1] if failures else ProviderError("no project to query")
            if isinstance(exc, ProviderError) and exc.throttled:
                raise exc
            prefix = f"{failures[0][0]}: " if len(answers) > 1 else ""
            return QueryResult(mq.ref_id, error=prefix + str(exc), throttled=getattr(exc, "throttled", False))
        notes += [f"{p}: {a}" for p, a in failures]
        keep_project = len(bodies) > 1 and (not c.group_by or "project_id" in c.group_by)
        per_project: list[list[Series]] = []
        items: list[Any] = []
        for project, body in bodies:
            notes += pq.server_notes(body)
            raw = pq.matrix_items(body)
            self.counter.add("monitoring_series_read", len(raw))  # reads are free for system metrics
            if keep_project:
                items += [{**i, "metric": {"project_id": project, **(i.get("metric") or {})}} for i in raw]
            else:
                series, align_notes = pq.align(raw, window, c.group_by)
                per_project.append(series)
                notes += align_notes
        if keep_project:
            series, align_notes = pq.align(items, window, c.group_by)
            notes += align_notes
        else:
            series = _merge(per_project, c.merge)
        if c.post == "instances_pct":
            try:
                series = self._instances_pct(series, c.wanted)
            except ProviderError as exc:
                return QueryResult(mq.ref_id, error=f"max instances unknown: {exc}", throttled=exc.throttled)
        if c.rename:
            series = [
                Series({c.rename.get(k, k): v for k, v in s.labels.items()}, s.timestamps, s.values)
                for s in series
            ]
        series = pq.rank(series, mq.limit, mq.order)
        return QueryResult(mq.ref_id, tuple(series), warnings=tuple(notes))

    def _instances_pct(self, series: list[Series], wanted: tuple[str, ...]) -> list[Series]:
        """Each service's instances in % of its max instances (discovery), then the busiest per group."""
        from .discovery import RUN_DEFAULT_MAX_INSTANCES

        ceilings = {(w.project, w.metrics_name): w.max_instances for w in self.discovery.workloads()
                    if w.generation != "gen1"}  # fmt: skip
        groups: dict[tuple[tuple[str, str], ...], list[float | None]] = {}
        stamps: tuple[int, ...] = ()
        for s in series:
            key = (s.labels.get("project_id", ""), s.labels.get("service_name", ""))
            ceiling = float(ceilings.get(key) or RUN_DEFAULT_MAX_INSTANCES)
            labels = tuple((g, s.labels.get(g, "")) for g in wanted)
            pct = [None if v is None else 100.0 * v / ceiling for v in s.values]
            old = groups.get(labels)
            groups[labels] = pct if old is None else [
                b if a is None else a if b is None else max(a, b) for a, b in zip(old, pct, strict=True)]  # fmt: skip
            stamps = s.timestamps
        return [Series(dict(k), stamps, tuple(v)) for k, v in groups.items()]

    def instant(self, expr: str) -> list[tuple[dict[str, str], float]]:
        """An instant query at the clock's now over every metrics project; QueryError/ProviderError if all fail."""
        params = {"query": expr, "time": str(self.clock.now().timestamp())}
        answers = self._map(lambda p: self._instant_one(p, params), self.opts.metric_projects())
        rows: list[tuple[dict[str, str], float]] = []
        errors = [a for a in answers if isinstance(a, Exception)]
        if errors and len(errors) == len(answers):
            raise errors[0]
        for project, a in zip(self.opts.metric_projects(), answers, strict=True):
            if not isinstance(a, Exception):
                rows += [({"project_id": project, **labels}, v) for labels, v in pq.vector_values(a)]
        return rows

    def _instant_in(self, project: str, expr: str) -> list[tuple[dict[str, str], float]]:
        """An instant query at now in one project's metrics; raises QueryError/ProviderError."""
        params = {"query": expr, "time": str(self.clock.now().timestamp())}
        return pq.vector_values(self.api.prom_get(project, "/api/v1/query", params, "query"))

    def _instant_one(self, project: str, params: dict[str, str]) -> Any:
        try:
            return self.api.prom_get(project, "/api/v1/query", params, "query")
        except (QueryError, ProviderError) as exc:
            return exc

    def range_query(self, expr: str, window: TimeWindow, group_by: Sequence[str]) -> list[Series]:
        """A PromQL range query over every metrics project (series tagged with project_id)."""
        mq = MetricQuery("range", self.name, {"promql": expr}, group_by=tuple(group_by))
        c = gq.Compiled(expr, tuple(group_by), {}, "sum")
        res = self._assemble(
            mq, c, [(p, self._fetch(c, p, window)) for p in self.opts.metric_projects()], window
        )
        if res.error:
            raise ProviderError(res.error, throttled=res.throttled)
        return list(res.series)

    # -- limits, alarms, cost ----------------------------------------------------------------------
    def limits(self) -> list[Limit]:
        """`quota` / `quota:<service>/<metric>/<limit>` and `instances` / `instances:<name>`."""
        from .quotas import instance_limits, quota_limits

        out: list[Limit] = []
        errors: list[str] = []
        try:
            out += quota_limits(self.instant, self.opts)
        except (QueryError, ProviderError) as exc:
            errors.append(f"quotas: {exc}")
        try:
            out += instance_limits(self.instant, self.opts, self.discovery.workloads())
        except (QueryError, ProviderError) as exc:
            errors.append(f"instances: {exc}")
        if not out and errors:
            raise ProviderError("; ".join(errors))
        return out

    def alarms(self) -> list[Alarm]:
        from .alerts import policies, to_alarm

        def get(url: str, params: dict[str, str]) -> Any:
            return self.api.request("GET", url, "alertPolicies.list", params=params)

        out: list[Alarm] = []
        errors: list[str] = []
        for project in self.opts.projects:
            try:
                found = list(policies(get, self.opts.monitoring_endpoint, project))
            except ProviderError as exc:
                if exc.throttled:
                    raise
                errors.append(f"{project}: {exc}")
                continue
            where = self.opts.metrics_scope_project or project
            instant = functools.partial(self._instant_in, where)
            out += [to_alarm(p, project, instant) for p in found]
        if errors and len(errors) == len(self.opts.projects):
            raise ProviderError("; ".join(errors))
        return out

    def cost(self, window: TimeWindow) -> list[CostItem]:
        """An ESTIMATE: billable instance time x list price per workload and day (see gcp/cost.py)."""
        from .cost import estimate

        return estimate(self.range_query, self.opts, self.discovery.workloads(), window)

    # -- logs --------------------------------------------------------------------------------------
    def logs(self, query: LogQuery) -> LogResult:
        from . import logs

        gen2: dict[str, str] = {}
        if query.resources:
            try:
                gen2 = {w.name: w.service for w in self.discovery.workloads() if w.service}
            except ProviderError:
                gen2 = {}  # names are used as given
        try:
            flt = logs.build_filter(query, self.opts, gen2)
        except ValueError as exc:
            raise ProviderError(str(exc)) from exc
        return logs.fetch(self.api, self.opts, query, flt)

    def resources(self) -> list[str]:
        try:
            return sorted({w.name for w in self.discovery.workloads()})
        except ProviderError:
            return []

    # -- health ------------------------------------------------------------------------------------
    def check(self) -> Health:
        from .check import check

        return check(self.api, self.opts, self.clock)

    def close(self) -> None:
        api = self._parts.pop("api", None)
        if api is not None:
            api.close()


def _merge(per_project: list[list[Series]], how: str) -> list[Series]:
    """The same series from several projects: summed (counts, rates) or the larger kept (quantiles, %)."""
    if len(per_project) == 1:
        return per_project[0]
    merged: dict[tuple[tuple[str, str], ...], Series] = {}
    for series in per_project:
        for s in series:
            key = tuple(sorted(s.labels.items()))
            old = merged.get(key)
            if old is None:
                merged[key] = s
                continue
            vals = []
            for a, b in zip(old.values, s.values, strict=True):
                if a is None or b is None:
                    vals.append(a if b is None else b)
                else:
                    vals.append(a + b if how == "sum" else max(a, b))
            merged[key] = Series(old.labels, old.timestamps, tuple(vals))
    return list(merged.values())
