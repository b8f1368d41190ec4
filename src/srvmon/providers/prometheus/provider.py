"""PrometheusProvider: PromQL panels, alerting rules / Alertmanager alarms, replica capacity and Loki logs."""

from __future__ import annotations

import threading
from collections.abc import Collection, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING, Any, ClassVar

from srvmon.clock import Clock
from srvmon.model import (
    Alarm,
    ChangeEvent,
    Health,
    Limit,
    LogQuery,
    LogResult,
    MetricQuery,
    QueryResult,
    TimeWindow,
)
from srvmon.providers.base import NotSupported, Provider, ProviderError, ProviderOptions
from srvmon.providers.prometheus import alerts, detect, loki, promql
from srvmon.providers.prometheus.client import PromClient, QueryError
from srvmon.providers.prometheus.options import PrometheusOptions

if TYPE_CHECKING:
    from srvmon.variables import VariableContext

#: How long the server's metric-name list (used to pick query candidates) is trusted.
NAMES_TTL_S = 300
#: Replica gauges tried, in order, for the `max_scale` limit when `replicas_query` is unset.
REPLICA_CANDIDATES = [
    "max by (function_name) (gateway_service_count)",
    "max by (kn_service_name) (kn_revision_pods_count)",
    "max by (service_name) (autoscaler_actual_pods)",
    "max by (service_name) (actual_pods)",
]


class PrometheusProvider(Provider):
    """Prometheus-compatible servers: self-hosted FaaS (OpenFaaS, Knative, Fn) and any PromQL."""

    type_name: ClassVar[str] = "prometheus"
    description: ClassVar[str] = (
        "Prometheus / Thanos / Mimir (PromQL), Alertmanager, Loki: OpenFaaS, Knative, Fn"
    )
    Options: ClassVar[type[ProviderOptions]] = PrometheusOptions
    default_preset: ClassVar[str | None] = "openfaas"

    @classmethod
    def preset_for(cls, options: ProviderOptions) -> str | None:
        return getattr(options, "preset", cls.default_preset)

    def __init__(self, name: str, options: ProviderOptions, clock: Clock | None = None) -> None:
        super().__init__(name, options, clock)
        self.opts = options = self.typed_options(PrometheusOptions)
        self.client = PromClient(options, self.counter)
        self._seen: dict[str, tuple[float, bool]] = {}  # metric name -> (checked at, exists)
        self._names_lock = threading.Lock()
        from srvmon.providers.prometheus.events import PromEvents

        #: Change events (prometheus/events.py); `.warnings` tells a partial answer.
        self.events_reader = PromEvents(self)

    def unavailable(self) -> dict[str, str]:
        return {} if self.opts.loki_url else {"logs": "no loki_url configured: logs need a Loki server"}

    # -- config-time --------------------------------------------------------------------------------
    @classmethod
    def validate_query(cls, query: str | dict[str, Any] | None, stat: str | None) -> str | None:
        if query is None:
            return "a Prometheus panel needs `query` (PromQL or {promql = ..., fallback = ...})"
        return detect.validate(query)

    # -- board variables ----------------------------------------------------------------------------
    @classmethod
    def escape_variable(cls, value: str, context: VariableContext) -> str:
        return promql.escape_variable(value, context)

    def variable_values(self, query: str | dict[str, Any]) -> list[str]:
        """Grafana-style listings through the label values API (the last day):
        `label_values(label)`, `label_values(selector, label)`, `label_names()`, `metrics(regex)`."""
        import re

        text = query if isinstance(query, str) else str(query.get("query", ""))
        try:
            fn, selector, arg = promql.variable_query(text)
        except ValueError as exc:
            raise ProviderError(str(exc)) from exc
        end = self.clock.now().timestamp()
        params = {"start": str(end - 86400), "end": str(end)}
        if selector:
            params["match[]"] = selector
        path = (
            "/api/v1/labels"
            if fn == "label_names"
            else f"/api/v1/label/{arg if fn == 'label_values' else '__name__'}/values"
        )
        try:
            body = self.client.get(self.opts.url, path, params, "label_values")
        except QueryError as exc:
            raise ProviderError(f"{text}: {exc}") from exc
        data = body.get("data") if isinstance(body, dict) else None
        if not isinstance(data, list):
            raise ProviderError(f"{text}: unexpected answer from {path}")
        values = sorted({str(v) for v in data})
        if fn == "metrics":
            try:
                rx = re.compile(arg or ".*")
            except re.error as exc:
                raise ProviderError(f"{text}: bad regex: {exc}") from exc
            values = [v for v in values if rx.search(v)]
        return values[:10_000]

    # -- detection ----------------------------------------------------------------------------------
    def present(self, names: Collection[str]) -> frozenset[str] | None:
        """Which of `names` exist on the server; None when it will not say.

        Asks /api/v1/label/__name__/values with match[] = just those names (cheap even on a large
        Mimir/Thanos), one fetch at a time; each answer is trusted for NAMES_TTL_S.
        """
        wanted = set(names)
        now = self.clock.now().timestamp()
        with self._names_lock:
            stale = sorted(n for n in wanted if n not in self._seen or now - self._seen[n][0] >= NAMES_TTL_S)
            if stale:
                selector = "{__name__=~" + promql.quote("|".join(promql.regex_escape(n) for n in stale)) + "}"
                try:
                    body = self.client.get(self.opts.url, "/api/v1/label/__name__/values", {"match[]": selector},
                                           "label_values")  # fmt: skip
                except QueryError:
                    return None
                data = body.get("data") if isinstance(body, dict) else None
                if not isinstance(data, list):
                    return None
                found = {str(n) for n in data}
                for n in stale:
                    self._seen[n] = (now, n in found)
            return frozenset(n for n in wanted if self._seen[n][1])

    def resolve(self, query: str | Any) -> str:
        """The PromQL a panel query runs as on this server (first candidate whose metrics exist)."""
        options = detect.candidates(query)
        if len(options) <= 1 or not self.opts.detect:
            if not options:
                raise QueryError("query has no PromQL")
            return options[0]
        referenced = set().union(*(detect.referenced_metrics(o) for o in options))
        return detect.choose(options, self.present(referenced))

    # -- metrics ------------------------------------------------------------------------------------
    def query(self, queries: Sequence[MetricQuery], window: TimeWindow) -> dict[str, QueryResult]:
        if len(queries) > 1 and self.opts.concurrency > 1:
            with ThreadPoolExecutor(max_workers=min(self.opts.concurrency, len(queries))) as pool:
                results = list(pool.map(lambda q: self._one(q, window), queries))
        else:
            results = [self._one(q, window) for q in queries]
        return {r.ref_id: r for r in results}

    def _one(self, q: MetricQuery, window: TimeWindow) -> QueryResult:
        problem = detect.validate(q.query)
        if problem:
            return QueryResult(q.ref_id, error=problem)
        try:
            expr = promql.expand(self.resolve(q.query), window, self.opts.scrape_s)
            params = {"query": expr, **promql.range_params(window)}
            body = self.client.get(self.opts.url, "/api/v1/query_range", params, "query_range", metrics=1)
        except QueryError as exc:
            return QueryResult(q.ref_id, error=str(exc), throttled=exc.throttled)
        try:
            series, notes = promql.matrix_series(body, window, q.group_by)
        except ValueError as exc:
            return QueryResult(q.ref_id, error=str(exc))
        series = promql.rank(series, q.limit, q.order)
        return QueryResult(q.ref_id, tuple(series), warnings=tuple(notes))

    def instant(self, expr: str) -> list[tuple[dict[str, str], float]]:
        """An instant query at the clock's now: (labels, value) per series; QueryError if refused."""
        params = {"query": expr, "time": str(self.clock.now().timestamp())}
        body = self.client.get(self.opts.url, "/api/v1/query", params, "query", metrics=1)
        return promql.vector_values(body)

    # -- alarms, limits -----------------------------------------------------------------------------
    def alarms(self) -> list[Alarm]:
        """Alertmanager's active alerts when `alertmanager_url` is set, else every Prometheus alerting rule."""
        am = self.opts.alertmanager_url
        try:
            if am:
                body = self.client.get(am, "/api/v2/alerts", {"active": "true"}, "alertmanager_alerts")
                return alerts.from_alertmanager(body if isinstance(body, list) else [])
            try:
                body = self.client.get(self.opts.url, "/api/v1/rules", {"type": "alert"}, "rules")
                return alerts.from_rules(body.get("data"), self.opts.url)
            except ProviderError as first:
                try:
                    body = self.client.get(self.opts.url, "/api/v1/alerts", None, "alerts")
                except (ProviderError, QueryError):
                    raise first from None
                return alerts.from_alerts(body.get("data"), self.opts.url)
        except QueryError as exc:
            raise ProviderError(str(exc)) from exc

    def limits(self) -> list[Limit]:
        """`max_scale`: the most-scaled function's replicas against the configured replica ceiling."""
        if self.opts.replicas_query:
            expr = self.opts.replicas_query
        else:
            expr = self.resolve({"promql": REPLICA_CANDIDATES[0], "fallback": REPLICA_CANDIDATES[1:]})
        ceiling = float(self.opts.max_scale)
        try:
            rows = self.instant(expr)
        except QueryError:  # the ceiling is config: a gauge can still use it
            rows = []
        if not rows:
            return [Limit("max_scale", 0.0, ceiling, unit="replicas")]
        labels, used = max(rows, key=lambda r: r[1])
        return [Limit("max_scale", used, ceiling, resource=",".join(labels.values()), unit="replicas")]

    # -- change events ------------------------------------------------------------------------------
    def events(self, window: TimeWindow, resources: Sequence[str] = ()) -> list[ChangeEvent]:
        """Deployments, revisions, scaling, replica limits and alert transitions the server's metrics
        show (see prometheus/events.py), for `resources` or all."""
        from dataclasses import replace

        found = self.events_reader.read(window, resources)
        return [replace(e, provider=self.name) for e in found]

    # -- logs ---------------------------------------------------------------------------------------
    def logs(self, query: LogQuery) -> LogResult:
        if not self.opts.loki_url:
            raise NotSupported("this Prometheus provider has no loki_url; logs are not available")
        try:
            expr = loki.logql(query, self.opts.loki_selector, self.opts.loki_resource_label)
        except ValueError as exc:
            raise ProviderError(str(exc)) from exc
        try:
            body = self.client.get(
                self.opts.loki_url, "/loki/api/v1/query_range", loki.params(query, expr), "loki"
            )
        except QueryError as exc:
            raise ProviderError(f"Loki refused {expr}: {exc}") from exc
        limit = max(1, min(query.limit, loki.MAX_LINES))
        recs = loki.records(body, self.opts.loki_resource_label, limit + 1)
        warnings = [str(w) for w in body.get("warnings") or []] if isinstance(body, dict) else []
        truncated = len(recs) > limit or query.limit > loki.MAX_LINES
        if truncated:
            capped = f" (at most {loki.MAX_LINES:,} per query)" if query.limit > loki.MAX_LINES else ""
            warnings.append(
                f"newest {limit:,} lines shown{capped}; more matched: narrow the query or the range"
            )
        return LogResult(
            tuple(recs[:limit]), filtered_by_provider=True, truncated=truncated, warnings=tuple(warnings)
        )

    def resources(self) -> list[str]:
        if not self.opts.loki_url:
            return []
        label = promql.label_name(self.opts.loki_resource_label)
        try:
            body = self.client.get(
                self.opts.loki_url, f"/loki/api/v1/label/{label}/values", None, "loki_labels"
            )
        except (QueryError, ProviderError):
            return []
        data = body.get("data") if isinstance(body, dict) else None
        return sorted(str(v) for v in data) if isinstance(data, list) else []

    # -- health -------------------------------------------------------------------------------------
    def check(self) -> Health:
        """Prometheus answers (and with which FaaS metrics); Alertmanager and Loki too when configured.
        Any failure (unreachable, too slow, refused credentials, a variable not set) is not ok, with the
        cause and the fix."""
        from srvmon.providers.prometheus.hints import with_hint

        try:
            body = self.client.get(self.opts.url, "/api/v1/status/buildinfo", None, "buildinfo")
            version = (body.get("data") or {}).get("version", "?") if isinstance(body, dict) else "?"
            names = self.present(detect.MARKERS)
        except (ProviderError, QueryError) as exc:
            return Health(ok=False, message=with_hint(exc, self.opts))
        details = [f"{k}: {v or 'not found'}" for k, v in detect.generation(names or ()).items()]
        problems = []
        for what, option, base, path in (
            ("alertmanager", "alertmanager_url", self.opts.alertmanager_url, "/api/v2/status"),
            ("loki", "loki_url", self.opts.loki_url, "/loki/api/v1/labels"),
        ):
            if not base:
                continue
            try:
                self.client.get(base, path, None, f"{what}_check")
                details.append(f"{what}: ok at {base}")
            except (ProviderError, QueryError) as exc:
                details.append(f"{what}: FAILED: {with_hint(exc, self.opts, option)}")
                problems.append(what)
        message = f"Prometheus {version} at {self.opts.url}"
        if problems:
            return Health(
                ok=False, message=f"{message}, but {' and '.join(problems)} failed", details=tuple(details)
            )
        return Health(ok=True, message=message, details=tuple(details))

    def close(self) -> None:
        self.client.close()
