"""AWS provider: Lambda, API Gateway, DynamoDB, SQS, Step Functions metrics, alarms, logs, limits, cost.

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
add, max/min combine, averages and percentiles are the unweighted mean of the members).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any, ClassVar

from srvmon.clock import Clock
from srvmon.model import (
    Alarm,
    CostItem,
    FunctionHealth,
    Health,
    Limit,
    LogQuery,
    LogResult,
    MetricQuery,
    QueryResult,
    TimeWindow,
    parse_duration,
)
from srvmon.providers.aws.options import AwsOptions
from srvmon.providers.base import Provider, ProviderError, ProviderOptions

__all__ = ["AwsOptions", "AwsProvider"]


class AwsProvider(Provider):
    """Reads CloudWatch metrics/alarms/logs, Lambda settings and Cost Explorer through boto3."""

    type_name: ClassVar[str] = "aws"
    description: ClassVar[str] = "AWS Lambda, API Gateway, DynamoDB, SQS, Step Functions (CloudWatch, CE)"
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

        assert isinstance(options, AwsOptions)
        self.opts: AwsOptions = options
        self.sessions = Sessions(options, session_factory)
        self.discovery = Discovery(self.sessions, options, self.counter)
        self.runner = MetricsRunner(self.sessions, self.counter)
        self.logs_reader = LogsReader(self.counter, parse_duration(options.logs_budget))
        directory = cache_dir or (Path(options.cache_dir) if options.cache_dir else default_cache_dir())
        self.cost_cache = CostCache(directory, parse_duration(options.cost_cache_ttl))
        self._log_groups: dict[tuple[Any, int], set[str]] = {}

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
        for page in client.get_paginator("list_metrics").paginate(
            Namespace=namespace, MetricName=metric, Dimensions=filters
        ):
            self.counter.call("ListMetrics")
            for m in page.get("Metrics", []):
                d = tuple(sorted((x["Name"], x["Value"]) for x in m.get("Dimensions", [])))
                if len(d) == len(dims):
                    out.append(d)
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
        from srvmon.providers.aws.metrics import build_result
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
        fetched = self.runner.fetch(all_leaves, window, now)
        if all_leaves and len(fetched.errors) == len({leaf.key() for leaf in all_leaves}) and not insights:
            first = next(iter(fetched.errors.values()))
            if first[1]:
                raise ProviderError(first[0], throttled=True)
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
        return sorted({r.name for r in self.discovery.inventory().functions()})

    def alarms(self) -> list[Alarm]:
        from srvmon.providers.aws.alarms import fetch_alarms

        return fetch_alarms(self.sessions, self.counter, self._targets())

    def limits(self) -> list[Limit]:
        from srvmon.providers.aws.limits import fetch_limits

        return fetch_limits(
            self.sessions,
            self.counter,
            self.runner,
            self.discovery.inventory(),
            self._targets(),
            self.clock.now(),
        )

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
        )

    def _existing_groups(self, target: Any) -> set[str]:
        """Lambda log groups that exist (StartQuery fails on a missing one); cached with the inventory."""
        inventory = self.discovery.inventory()
        key = (target, id(inventory))
        if key not in self._log_groups:
            client = self.sessions.client("logs", target)
            found: set[str] = set()
            for page in client.get_paginator("describe_log_groups").paginate(
                logGroupNamePrefix="/aws/lambda/"
            ):
                self.counter.call("DescribeLogGroups")
                found.update(g["logGroupName"] for g in page.get("logGroups", []))
            self._log_groups = {k: v for k, v in self._log_groups.items() if k[1] == id(inventory)}
            self._log_groups[key] = found
        return self._log_groups[key]

    def _groups_by_target(self, resources: Sequence[str]) -> dict[Any, list[str]]:
        """Log groups to read per target: the named resources, or every discovered function's group."""
        from srvmon.providers.aws.errors import describe
        from srvmon.providers.aws.logs import log_group

        targets = self._targets()
        functions = self.discovery.inventory().functions()
        names = list(resources) or sorted({f.name for f in functions})
        out: dict[Any, list[str]] = {}
        for name in names:
            owners = [f.target for f in functions if f.name == name] or [targets[0]]
            for t in owners:
                group = log_group(name)
                try:
                    exists = group in self._existing_groups(t) or not group.startswith("/aws/lambda/")
                except Exception as exc:
                    raise ProviderError(describe(exc, "DescribeLogGroups")) from exc
                if exists:
                    out.setdefault(t, []).append(group)
        return out

    def logs(self, query: LogQuery) -> LogResult:
        from srvmon.providers.aws.logs import read_logs

        records: list[Any] = []
        warnings: list[str] = []
        partial = False
        scanned = 0
        for target, groups in self._groups_by_target(query.resources).items():
            client = self.sessions.client("logs", target)
            r = read_logs(self.logs_reader, client, target, groups, query, self.opts.logs_mode)
            records.extend(r.records)
            warnings.extend(r.warnings)
            partial = partial or r.partial
            scanned += r.scanned_bytes
        records.sort(key=lambda rec: rec.timestamp, reverse=True)
        return LogResult(
            tuple(records[: query.limit]),
            filtered_by_provider=True,
            partial=partial or len(records) > query.limit,
            warnings=tuple(warnings),
            scanned_bytes=scanned,
        )

    def function_health(self, window: TimeWindow, resources: Sequence[str] = ()) -> list[FunctionHealth]:
        from srvmon.logmine import FunctionConfig, mine_health
        from srvmon.providers.aws.errors import describe, is_throttle
        from srvmon.providers.aws.logs import (
            HEALTH_QUERY,
            MAX_ROWS,
            LogsReader,
            filter_events_all,
            rows_to_records,
        )

        configs = {
            f.name: FunctionConfig(timeout_s=f.timeout_s or 3.0, memory_mb=f.memory_mb or 128, arch=f.arch)
            for f in self.discovery.inventory().functions()
        }
        records: list[Any] = []
        reader: LogsReader = self.logs_reader
        for target, groups in self._groups_by_target(resources).items():
            client = self.sessions.client("logs", target)
            try:
                if self.opts.logs_mode == "insights":
                    run = reader.insights(client, groups, window, HEALTH_QUERY, MAX_ROWS)
                    records.extend(rows_to_records(run.rows, groups[0], target.region))
                else:
                    records.extend(filter_events_all(reader, client, groups, window, target.region))
            except Exception as exc:
                raise ProviderError(describe(exc, "StartQuery"), throttled=is_throttle(exc)) from exc
        return mine_health(records, configs, price_per_gb_s=self.opts.lambda_price_per_gb_s)

    def check(self) -> Health:
        from srvmon.providers.aws.check import run_check

        try:
            targets = self._targets()
        except ProviderError as exc:
            return Health(ok=False, message=str(exc))
        return run_check(self.sessions, self.counter, targets, self.clock.now())

    def close(self) -> None:
        self.sessions.close()
