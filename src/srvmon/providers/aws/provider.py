"""AWS provider: Lambda, API Gateway, DynamoDB, SQS, Step Functions metrics, alarms, logs, limits, cost,
X-Ray (service map, traces: xray.py) and RDS / Aurora limits (rds.py).

Config: ``[providers.NAME] type = "aws"`` + the keys of :class:`AwsOptions` (profile, regions, role_arn,
external_id, accounts, endpoint_url, include, exclude, tags, cost_tag ...). srvmon only ever reads.

Panel query syntax (checked by ``AwsProvider.validate_query``):

* short form ``"<service>:<Metric>"`` expanded over discovered resources —
  ``lambda:Invocations|Errors|Throttles|Duration|ConcurrentExecutions``, ``apigw:Count|4xx|5xx|Latency|
  IntegrationLatency`` (REST APIs → ``ApiName`` + ``4XXError``/``5XXError``; HTTP APIs → ``ApiId`` +
  ``4xx``/``5xx``), ``dynamodb:<Metric>``, ``dynamodb:utilization`` (% of provisioned, per table),
  ``sqs:<Metric>``, ``dlq:<Metric>`` (dead-letter queues only), ``states:<Metric>``;
* dict form ``{namespace = "AWS/Lambda", metric = "Duration", dimensions = {FunctionName = "*"},
  stat = "p99"}`` where ``"*"`` expands over discovered resources (or ListMetrics).

``stat``: sum, avg, max, min, count, pNN (default by metric: Sum for counts, Average for durations,
Maximum for concurrency/ages). ``group_by``: ``function``/``api``/``table``/``queue``/``state_machine``
(or the CloudWatch dimension name), ``account``, ``region``. Series labels use the friendly keys, plus
account/region when several are configured. Without ``group_by`` a query is one fleet-wide series
(Lambda: the account-level metric when no name/tag filter is set; others: combined client-side — sums
add, max/min combine, averages and percentiles are weighted by each member's requests (SampleCount,
fetched alongside) and the result's warnings say so).

Every AWS request goes through the bounded transport (transport.py): `timeout` per request, body
included, `max_response_mb` per answer, no retry of a timed-out or unreachable endpoint. Failed API calls
are counted in ``usage().extra["calls_failed"]`` out of ``extra["calls"]``.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
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
    ServiceGraph,
    TimeWindow,
    Trace,
    TraceList,
    TraceQuery,
    parse_duration,
)
from srvmon.providers.aws.options import AwsOptions
from srvmon.providers.base import Provider, ProviderError, ProviderOptions

__all__ = ["AwsOptions", "AwsProvider"]

#: Metrics one wildcard (ListMetrics) expansion may list; more is an error naming the query.
MAX_LISTED_METRICS = 5_000


class AwsProvider(Provider):
    """Reads CloudWatch metrics/alarms/logs, Lambda settings and Cost Explorer through boto3."""

    type_name: ClassVar[str] = "aws"
    description: ClassVar[str] = (
        "AWS Lambda, API Gateway, DynamoDB, SQS, Step Functions, RDS/Aurora (CloudWatch, CE), X-Ray"
    )
    Options: ClassVar[type[ProviderOptions]] = AwsOptions
    default_preset: ClassVar[str | None] = "aws-serverless"

    def __init__(
        self,
        name: str,
        options: ProviderOptions,
        clock: Clock | None = None,
        *,
        session_factory: Any = None,
        cache_dir: Path | None = None,
    ) -> None:
        super().__init__(name, options, clock)
        from srvmon.providers.aws.cost import CostCache, default_cache_dir
        from srvmon.providers.aws.discovery import Discovery
        from srvmon.providers.aws.logs import LogsReader
        from srvmon.providers.aws.metrics import MetricsRunner
        from srvmon.providers.aws.session import Sessions

        self.opts = options = self.typed_options(AwsOptions)
        self.sessions = Sessions(options, session_factory, self.counter)
        self.discovery = Discovery(self.sessions, options, self.counter)
        self.runner = MetricsRunner(self.sessions, self.counter)
        self.logs_reader = LogsReader(self.counter, parse_duration(options.logs_budget))
        directory = cache_dir or (Path(options.cache_dir) if options.cache_dir else default_cache_dir())
        self.cost_cache = CostCache(directory, parse_duration(options.cost_cache_ttl))
        from srvmon.providers.aws.loggroups import LogGroups

        self.log_groups = LogGroups(self.sessions, self.counter, parse_duration(options.discovery_ttl))
        from srvmon.providers.aws.events import EventsReader

        self.events_reader = EventsReader(self.sessions, self.counter, options, self.discovery.inventory)
        from srvmon.providers.aws.rds import RdsReader

        self.rds_reader = RdsReader(self.sessions, self.counter, self.runner,
                                    parse_duration(options.discovery_ttl), options.rds_max_connections)  # fmt: skip

    # -- helpers -----------------------------------------------------------------------------------
    @property
    def _filtered(self) -> bool:
        return bool(self.opts.include or self.opts.exclude or self.opts.tags)

    def _targets(self) -> list[Any]:
        try:
            return self.sessions.targets()
        except Exception as exc:
            raise ProviderError(f"AWS session: {exc}") from exc

    def _list_metrics(
        self, target: Any, namespace: str, metric: str, dims: tuple[tuple[str, str], ...]
    ) -> list[tuple[tuple[str, str], ...]]:
        client = self.sessions.client("cloudwatch", target)
        filters = [{"Name": n, **({} if v == "*" else {"Value": v})} for n, v in dims]
        out = []
        listed = 0
        for page in client.get_paginator("list_metrics").paginate(
            Namespace=namespace,
            MetricName=metric,
            Dimensions=filters,
            PaginationConfig={"MaxItems": MAX_LISTED_METRICS},
        ):
            self.counter.call("ListMetrics")
            for m in page.get("Metrics", []):
                listed += 1
                d = tuple(sorted((x["Name"], x["Value"]) for x in m.get("Dimensions", [])))
                if len(d) == len(dims):
                    out.append(d)
        if listed >= MAX_LISTED_METRICS:
            from srvmon.providers.aws.queries import QueryError

            raise QueryError(
                f"{namespace} {metric}: more than {MAX_LISTED_METRICS:,} metrics match the wildcard"
                " dimensions; fix some dimension values"
            )
        return sorted(set(out))

    # -- metrics -----------------------------------------------------------------------------------
    @classmethod
    def validate_query(cls, query: str | dict[str, Any] | None, stat: str | None) -> str | None:
        from srvmon.providers.aws.queries import QueryError, is_expression, parse, parse_expression

        try:
            if is_expression(query):  # metric math / SEARCH / SELECT (importers)
                parse_expression(query)  # type: ignore[arg-type]
            else:
                parse(query, stat)
        except QueryError as exc:
            return str(exc)
        return None

    def query(self, queries: Sequence[MetricQuery], window: TimeWindow) -> dict[str, QueryResult]:
        from srvmon.providers.aws.metrics import build_result, weight_leaves
        from srvmon.providers.aws.queries import (
            Leaf,
            QueryError,
            expand,
            group_keys,
            is_expression,
            parse,
            period_for,
        )

        targets = self._targets()
        inventory = self.discovery.inventory()
        now = self.clock.now()
        results: dict[str, QueryResult] = {}
        plans: list[tuple[MetricQuery, Any, list[Leaf], tuple[str, ...]]] = []
        insights: list[tuple[MetricQuery, Any, tuple[str, ...]]] = []
        expressions: list[MetricQuery] = []
        for q in queries:
            if is_expression(q.query):  # metric math / SEARCH / SELECT: one call each (run_expression)
                expressions.append(q)
                continue
            try:
                spec = parse(q.query, q.stat)
                group = group_keys(q.group_by, spec)
                if self._use_insights(spec, group, q, window, now):
                    insights.append((q, spec, group))
                    continue
                leaves = expand(
                    spec,
                    inventory,
                    targets,
                    grouped=bool(set(group) - {"account", "region"}),
                    filtered=self._filtered,
                    list_metrics=self._list_metrics,
                )
                plans.append((q, spec, leaves, group))
            except QueryError as exc:
                results[q.ref_id] = QueryResult(q.ref_id, error=str(exc))
            except Exception as exc:  # e.g. ListMetrics denied
                from srvmon.providers.aws.errors import describe, is_throttle

                results[q.ref_id] = QueryResult(
                    q.ref_id, error=describe(exc, "ListMetrics"), throttled=is_throttle(exc)
                )
        all_leaves = [leaf for _, _, leaves, _ in plans for leaf in leaves]
        weights = [w for _, spec, leaves, group in plans for w in weight_leaves(spec, leaves, group)]
        fetched = self.runner.fetch(all_leaves + weights, window, now)
        keys = {leaf.key() for leaf in all_leaves}
        failures = [f for k, f in fetched.errors.items() if k in keys]
        if keys and len(failures) == len(keys) and not insights:
            first = failures[0]
            if first.whole or all(f.throttled for f in failures):
                # the whole call failed (endpoint, credentials, throttling): the provider is down
                waits = [f.retry_after_s for f in failures if f.retry_after_s is not None]
                raise ProviderError(
                    first.message, throttled=first.throttled, retry_after_s=max(waits) if waits else None
                )
        period = period_for(window, now)
        for q, spec, leaves, group in plans:
            results[q.ref_id] = build_result(q, spec, leaves, group, fetched, window, period)
        for q, spec, group in insights:
            results[q.ref_id] = self._insights(q, spec, group, window, now, targets)
        for q in expressions:
            results[q.ref_id] = self._expression(q, window, now, targets)
        if inventory.warnings:
            for ref, r in list(results.items()):
                if r.ok and not r.series:
                    results[ref] = QueryResult(
                        ref, r.series, r.error, r.warnings + inventory.warnings, r.throttled
                    )
        return results

    def _use_insights(
        self, spec: Any, group: tuple[str, ...], q: MetricQuery, window: TimeWindow, now: Any
    ) -> bool:
        """Metrics Insights only when asked for, for one-dimension grouped top-N queries it can express,
        unfiltered (Insights cannot apply srvmon's name filters), within its 2-week lookback."""
        from srvmon.providers.aws.queries import SERVICES

        return (
            self.opts.metrics_mode == "insights"
            and not self._filtered
            and q.limit is not None
            and len(group) == 1
            and spec.service in ("lambda", "dynamodb", "sqs", "states")
            and group[0] == SERVICES[spec.service][3]
            and spec.stat in ("Sum", "Average", "Maximum", "Minimum", "SampleCount")
            and (now - window.start).total_seconds() <= 14 * 86400
        )

    def _insights(
        self,
        q: MetricQuery,
        spec: Any,
        group: tuple[str, ...],
        window: TimeWindow,
        now: Any,
        targets: list[Any],
    ) -> QueryResult:
        from srvmon.providers.aws.errors import describe, is_throttle
        from srvmon.providers.aws.metrics import insights_result
        from srvmon.providers.aws.queries import PRICE_PER_METRIC, SERVICES, insights_query, period_for

        dimension = SERVICES[spec.service][2]
        text = insights_query(spec, dimension, limit=q.limit, order=q.order)
        series: list[Any] = []
        for target in targets:
            client = self.sessions.client("cloudwatch", target)
            self.counter.call("GetMetricData", metrics=q.limit or 0, usd=(q.limit or 0) * PRICE_PER_METRIC)
            try:
                resp = client.get_metric_data(
                    MetricDataQueries=[
                        {
                            "Id": "q0",
                            "Expression": text,
                            "Period": period_for(window, now),
                            "ReturnData": True,
                        }
                    ],
                    StartTime=window.start,
                    EndTime=window.end,
                    ScanBy="TimestampAscending",
                )
            except Exception as exc:
                return QueryResult(q.ref_id, error=describe(exc, "GetMetricData"), throttled=is_throttle(exc))
            series.extend(insights_result(q, resp, window, group[0], target, len(targets) > 1).series)
        from srvmon.providers.aws.metrics import rank

        return QueryResult(q.ref_id, series=tuple(rank(series, q.limit or len(series), q.order)))

    def _expression(self, q: MetricQuery, window: TimeWindow, now: Any, targets: list[Any]) -> QueryResult:
        """An expression query on every target (metrics.run_expression), series merged."""
        from srvmon.providers.aws.metrics import rank, run_expression
        from srvmon.providers.aws.queries import QueryError, parse_expression, period_for

        try:
            spec = parse_expression(q.query)  # type: ignore[arg-type]
        except QueryError as exc:
            return QueryResult(q.ref_id, error=str(exc))
        series: list[Any] = []
        warnings: list[str] = []
        for target in targets:
            client = self.sessions.client("cloudwatch", target)
            r = run_expression(
                client, self.counter, q, spec, window, period_for(window, now), target, len(targets) > 1
            )
            if not r.ok:
                return r
            series.extend(r.series)
            warnings.extend(r.warnings)
        if q.limit is not None:
            series = rank(series, q.limit, q.order)
        return QueryResult(q.ref_id, series=tuple(series), warnings=tuple(warnings))

    # -- board variables (importers) ---------------------------------------------------------------
    @classmethod
    def escape_variable(cls, value: str, context: Any) -> str:
        from srvmon.providers.aws.queries import escape_variable

        return escape_variable(value, context)

    def variable_values(self, query: str | dict[str, Any]) -> list[str]:
        """CloudWatch dashboard variable listings: {search = "{AWS/Lambda,FunctionName} MetricName=\"X\"",
        populate_from = "FunctionName"} -> that dimension's values (ListMetrics, every target)."""
        from srvmon.providers.aws.errors import describe, is_throttle
        from srvmon.providers.aws.queries import QueryError, variable_search

        try:
            namespace, dims, metric, populate = variable_search(query)
        except QueryError as exc:
            raise ProviderError(str(exc)) from exc
        found: set[str] = set()
        for target in self._targets():
            client = self.sessions.client("cloudwatch", target)
            kwargs: dict[str, Any] = {"Namespace": namespace, "Dimensions": [{"Name": d} for d in dims]}
            if metric:
                kwargs["MetricName"] = metric
            try:
                for page in client.get_paginator("list_metrics").paginate(**kwargs):
                    self.counter.call("ListMetrics")
                    for m in page.get("Metrics", []):
                        found.update(d["Value"] for d in m.get("Dimensions", []) if d.get("Name") == populate)
                    if len(found) > 10_000:
                        break
            except Exception as exc:
                raise ProviderError(describe(exc, "ListMetrics"), throttled=is_throttle(exc)) from exc
        return sorted(found)[:10_000]

    # -- other capabilities ------------------------------------------------------------------------
    def resources(self) -> list[str]:
        """Functions logs can be asked for: those with a Lambda log group (one paged DescribeLogGroups per
        target), filtered by include/exclude, and by `tags` through the inventory when set."""
        try:
            by_target = self._all_groups()
        except Exception:  # the contract: never raises; logs() reports the failure itself
            return []
        return sorted({resource_of_group(g) for groups in by_target.values() for g in groups})

    def missing_resources(self, names: Sequence[str]) -> dict[str, list[str]]:
        """The `names` no target has a log group for -> up to 3 close matches each (difflib). One
        DescribeLogGroups per name and target; the full listing only when a name is missing."""
        import difflib

        from srvmon.providers.aws.logs import log_group

        targets = self._targets()
        try:
            missing = [n for n in names if not any(self.log_groups.exists(t, log_group(n)) for t in targets)]
            if not missing:
                return {}
            known = sorted(
                {resource_of_group(g) for t in targets for g in self.log_groups.lambda_groups(t)[0]}
            )
        except ProviderError:
            raise
        except Exception as exc:
            from srvmon.providers.aws.errors import provider_error

            raise provider_error(exc, "DescribeLogGroups") from exc
        return {n: difflib.get_close_matches(n, known, n=3, cutoff=0.6) for n in missing}

    def alarms(self) -> list[Alarm]:
        from srvmon.providers.aws.alarms import fetch_alarms

        return fetch_alarms(self.sessions, self.counter, self._targets())

    def limits(self, names: Sequence[str] = ()) -> list[Limit]:
        """Limits (all, or those `names`: only their calls are made). The list is a LimitList whose
        `unavailable` maps a limit that could not be read to the failed call and why; when none of the
        asked-for `names` can be read, that reason is raised (ProviderError "account_concurrency:
        GetAccountSettings failed: AccessDeniedException: ...")."""
        from srvmon.providers.aws.limits import ALL_LIMITS, LimitList, fetch_limits
        from srvmon.providers.aws.rds import is_rds_limit

        rds_names = [n for n in names if is_rds_limit(n)]
        core_names = [n for n in names if not is_rds_limit(n)]
        with_rds = self.opts.rds and (not names or bool(rds_names))
        if rds_names and not self.opts.rds:
            raise ProviderError(f"{rds_names[0]}: RDS limits are off for this provider (rds = false)")
        targets = self._targets()
        now = self.clock.now()
        out = LimitList()
        failures: list[ProviderError] = []
        if core_names or not names:
            try:
                core = fetch_limits(self.sessions, self.counter, self.runner, self.discovery.inventory, targets,
                                    now, core_names)  # fmt: skip
            except ProviderError as exc:
                if names:
                    raise
                failures.append(exc)
                core = LimitList(unavailable=dict.fromkeys(ALL_LIMITS, str(exc)))
            out.extend(core)
            out.unavailable.update(core.unavailable)
        if with_rds:
            rds = self.rds_reader.limits(targets, now, rds_names)
            out.extend(rds)
            out.unavailable.update(rds.unavailable)
            if rds_names and not rds and rds.unavailable:
                name = rds_names[0]
                raise ProviderError(
                    f"{name}: {rds.unavailable.get(name) or next(iter(rds.unavailable.values()))}"
                )
        if failures and not out:
            raise failures[0]
        return out

    def cost(self, window: TimeWindow) -> list[CostItem]:
        from srvmon.providers.aws.cost import fetch_cost

        return fetch_cost(
            self.sessions,
            self.counter,
            self._targets(),
            window,
            self.clock.now(),
            self.opts.cost_tag,
            self.cost_cache,
            scope=f"{self.name}|{self.sessions.identity()}",
        )

    # -- logs ----------------------------------------------------------------------------------------
    def _all_groups(self) -> dict[Any, list[str]]:
        """Every Lambda log group per target, filtered like discovery (include/exclude, tags)."""
        from srvmon.providers.aws.discovery import name_allowed
        from srvmon.providers.aws.errors import provider_error

        tagged: set[tuple[Any, str]] | None = None
        if self.opts.tags:
            tagged = {(f.target, f.name) for f in self.discovery.inventory().functions()}
        out: dict[Any, list[str]] = {}
        for target in self._targets():
            try:
                groups, _ = self.log_groups.lambda_groups(target)
            except Exception as exc:
                raise provider_error(exc, "DescribeLogGroups") from exc
            kept = [
                g
                for g in groups
                if name_allowed(resource_of_group(g), self.opts.include, self.opts.exclude)
                and (tagged is None or (target, resource_of_group(g)) in tagged)
            ]
            if kept:
                out[target] = kept
        return out

    def _groups_by_target(self, resources: Sequence[str]) -> tuple[dict[Any, list[str]], list[str]]:
        """Log groups to read per target: the named resources' groups where they exist (one
        DescribeLogGroups each, cached), or every Lambda log group; plus warnings (missing names, caps)."""
        from srvmon.providers.aws.errors import provider_error
        from srvmon.providers.aws.logs import log_group

        warnings: list[str] = []
        if not resources:
            out = self._all_groups()
            for target in out:
                if self.log_groups.lambda_groups(target)[1]:
                    warnings.append(f"{target.account}/{target.region}: read the first log groups only (cap)")
            return out, warnings
        out = {}
        targets = self._targets()
        for name in dict.fromkeys(resources):
            group = log_group(name)
            try:
                owners = [t for t in targets if self.log_groups.exists(t, group)]
            except Exception as exc:
                raise provider_error(exc, "DescribeLogGroups") from exc
            if not owners:
                warnings.append(f"no log group {group} (nothing logged by {name!r})")
            for t in owners:
                out.setdefault(t, []).append(group)
        return out, warnings

    def logs(self, query: LogQuery) -> LogResult:
        """The newest `query.limit` matching records (see logs.read_logs); `truncated` when more matched."""
        from srvmon.providers.aws.logs import read_logs

        records: list[Any] = []
        by_target, warnings = self._groups_by_target(query.resources)
        partial = truncated = False
        scanned = 0
        for target, groups in by_target.items():
            client = self.sessions.client("logs", target)
            r = read_logs(self.logs_reader, client, target, groups, query, self.opts.logs_mode)
            records.extend(r.records)
            warnings.extend(r.warnings)
            partial = partial or r.partial
            truncated = truncated or r.truncated
            scanned += r.scanned_bytes
        records.sort(key=lambda rec: rec.timestamp, reverse=True)
        return LogResult(
            tuple(records[: query.limit]),
            filtered_by_provider=True,
            partial=partial,
            truncated=truncated or len(records) > query.limit,
            warnings=tuple(dict.fromkeys(warnings)),
            scanned_bytes=scanned,
        )

    def function_health(self, window: TimeWindow, resources: Sequence[str] = ()) -> list[FunctionHealth]:
        return self.function_health_sample(window, resources)[0]

    def function_health_sample(
        self, window: TimeWindow, resources: Sequence[str] = ()
    ) -> tuple[list[FunctionHealth], str | None]:
        """Health rows mined from the newest log lines (at most `health_lines_cap`), and a note when that
        cap cut the sample ("health summarises 10,000 invocations ...; CloudWatch counted 20,000"),
        else None. Calls: the log groups, the lines, the named functions' settings (or ListFunctions)
        and, only when the sample was cut, one GetMetricData for the Invocations totals."""
        from srvmon.logmine import FunctionConfig, mine_health
        from srvmon.providers.aws.errors import provider_error
        from srvmon.providers.aws.logs import health_lines

        by_target, _ = self._groups_by_target(resources)
        records: list[Any] = []
        cut = False
        configs: dict[str, FunctionConfig] = {}
        for target, groups in by_target.items():
            client = self.sessions.client("logs", target)
            try:
                got = health_lines(
                    self.logs_reader,
                    client,
                    groups,
                    window,
                    target.region,
                    self.opts.logs_mode,
                    self.health_lines_cap,
                )
            except Exception as exc:
                raise provider_error(
                    exc, "StartQuery" if self.opts.logs_mode == "insights" else "FilterLogEvents"
                ) from exc
            records.extend(got.newest.newest_first())
            cut = cut or got.truncated
            names = [resource_of_group(g) for g in groups]
            try:
                functions = self.discovery.functions_of(target, names if resources else None)
            except Exception:
                functions = []  # settings unknown: timeout % and cost use Lambda's defaults
            for f in functions:
                configs[f.name] = FunctionConfig(
                    timeout_s=f.timeout_s or 3.0, memory_mb=f.memory_mb or 128, arch=f.arch
                )
        if len(records) > self.health_lines_cap:
            records = sorted(records, key=lambda r: r.timestamp, reverse=True)[: self.health_lines_cap]
            cut = True
        rows = mine_health(records, configs, price_per_gb_s=self.opts.lambda_price_per_gb_s)
        if not cut:
            return rows, None
        mined = sum(h.invocations for h in rows)
        note = (
            f"health summarises the newest {mined:,} invocations ({len(records):,} log lines, srvmon's cap)"
        )
        total = self._invocations(by_target, [h.function for h in rows], window)
        if total is not None:
            note += f" of {total:,.0f} CloudWatch counted in the window"
        return rows, note

    #: Log lines function health mines at most (the newest); tests lower it.
    health_lines_cap: int = 50_000

    def _invocations(
        self, by_target: dict[Any, list[str]], names: Sequence[str], window: TimeWindow
    ) -> float | None:
        """Sum of the Invocations metric of `names` over `window` (None when it cannot be read)."""
        from srvmon.providers.aws.queries import Leaf

        leaves = [
            Leaf(t, "AWS/Lambda", "Invocations", (("FunctionName", n),), "Sum", ())
            for t, groups in by_target.items()
            for n in names
            if f"/aws/lambda/{n}" in groups
        ]
        if not leaves:
            return None
        fetched = self.runner.fetch(leaves, window, self.clock.now())
        if fetched.errors:
            return None
        return sum(v for vals in fetched.values.values() for v in vals if v is not None)

    def events(self, window: TimeWindow, resources: Sequence[str] = ()) -> list[ChangeEvent]:
        """Deploys, config changes and alarm transitions in `window` (see providers/aws/events.py);
        `self.events_reader.warnings` says why an answer is incomplete."""
        from dataclasses import replace

        found = self.events_reader.read(self._targets(), window, resources, self.clock.now())
        return [replace(e, provider=self.name) for e in found]

    # -- X-Ray (providers/aws/xray.py) ---------------------------------------------------------------
    def unavailable(self) -> dict[str, str]:
        if self.opts.xray:
            return {}
        why = "X-Ray is off for this provider (xray = false)"
        return {"servicemap": why, "traces": why}

    def _xray_on(self) -> None:
        from srvmon.providers.base import NotSupported

        if not self.opts.xray:
            raise NotSupported(f"provider {self.name!r}: X-Ray is off (xray = false)")

    def service_graph(self, window: TimeWindow) -> ServiceGraph:
        """The X-Ray service graph of `window` (GetServiceGraph, paged up to `xray_max_pages`)."""
        from srvmon.providers.aws.xray import fetch_service_graph

        self._xray_on()
        return fetch_service_graph(self.sessions, self.counter, self._targets(), window, self.clock.now(),
                                   group=self.opts.xray_group, max_pages=self.opts.xray_max_pages)  # fmt: skip

    def traces(self, query: TraceQuery) -> TraceList:
        """Trace summaries matching `query` (GetTraceSummaries with an escaped filter expression)."""
        from srvmon.providers.aws.xray import search_traces

        self._xray_on()
        return search_traces(self.sessions, self.counter, self._targets(), query, self.clock.now(),
                             max_pages=self.opts.xray_max_pages)  # fmt: skip

    def trace(self, trace_id: str) -> Trace:
        """One whole trace (BatchGetTraces), its segments and subsegments in waterfall order."""
        from srvmon.providers.aws.xray import fetch_trace

        self._xray_on()
        return fetch_trace(self.sessions, self.counter, self._targets(), trace_id,
                           max_pages=self.opts.xray_max_pages)  # fmt: skip

    def check(self) -> Health:
        from srvmon.providers.aws.check import run_check

        try:
            targets = self._targets()
        except ProviderError as exc:
            fix = "fix: set `profile` to one in ~/.aws/config (`aws configure list-profiles`)"
            return Health(ok=False, message=f"{exc}; {fix}" if "profile" in str(exc) else str(exc))
        return run_check(self.sessions, self.counter, targets, self.clock.now())

    def close(self) -> None:
        self.sessions.close()


def resource_of_group(group: str) -> str:
    from srvmon.providers.aws.logs import resource_of

    return resource_of(group)
