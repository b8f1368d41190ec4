"""DemoProvider: the simulated serverless account srvmon opens when there is no config (see __init__)."""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from pydantic import Field, field_validator

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
    TimeWindow,
)
from srvmon.providers.base import Provider, ProviderOptions
from srvmon.providers.demo import account, catalog, logsearch, metrics
from srvmon.providers.demo.fleet import Fleet, Function, Incidents, build_fleet, incidents_at
from srvmon.providers.demo.rhythm import rhythm

if TYPE_CHECKING:
    from srvmon.variables import VariableContext

#: Without `resources`, logs and health look at the busiest functions (like a Logs Insights query,
#: which takes a bounded number of log groups) plus the ones in an incident.
DEFAULT_LOG_FUNCTIONS = 50


class DemoOptions(ProviderOptions):
    """`[providers.NAME] type = "demo"`: the simulated fleet's shape."""

    seed: int = 42
    """Seed of the simulation: the same seed and clock give the same numbers, logs and names."""
    functions: int = Field(default=40, ge=1, le=10_000)
    """How many Lambda functions the fleet has (up to 10,000, for benchmarks)."""
    services: list[str] = Field(
        default_factory=lambda: ["checkout", "catalog", "auth", "notify"], min_length=1, max_length=50
    )
    """Service names; each gets an API and a share of the functions."""
    account_concurrency: int = Field(default=1000, ge=1, le=1_000_000)
    """The account's Lambda concurrent-executions limit."""

    @field_validator("services")
    @classmethod
    def _names(cls, v: list[str]) -> list[str]:
        for name in v:
            if not re.fullmatch(r"[a-z][a-z0-9-]{0,30}", name):
                raise ValueError(f"service name {name!r} must be lowercase letters, digits and '-' (max 31)")
        if len(set(v)) != len(v):
            raise ValueError("service names must be unique")
        return v


class DemoProvider(Provider):
    type_name = "demo"
    description = "Simulated serverless account (API Gateway, Lambda, DynamoDB, SQS, Step Functions)"
    Options = DemoOptions
    default_preset = "serverless"
    is_demo = True

    def __init__(self, name: str, options: ProviderOptions, clock: Clock | None = None) -> None:
        super().__init__(name, options, clock)
        opts = (
            options if isinstance(options, DemoOptions) else DemoOptions.model_validate(options.model_dump())
        )
        self.options = opts
        self.fleet: Fleet = build_fleet(
            opts.seed, opts.functions, tuple(opts.services), opts.account_concurrency
        )
        #: Incidents are placed relative to the clock when the provider starts and stay put afterwards.
        self.incidents: Incidents = incidents_at(self.fleet, self._now_s())

    def _now_s(self) -> int:
        return int(self.clock.now().timestamp())

    # -- metrics --------------------------------------------------------------------------------------
    @classmethod
    def validate_query(cls, query: str | dict[str, Any] | None, stat: str | None) -> str | None:
        try:
            catalog.parse(query, stat)
        except catalog.QueryError as exc:
            return str(exc)
        return None

    # -- board variables --------------------------------------------------------------------------------
    #: Variable listings: `query = "functions"` etc.
    VARIABLE_QUERIES = ("functions", "services", "apis", "tables", "queues", "state_machines")

    @classmethod
    def escape_variable(cls, value: str, context: VariableContext) -> str:
        """Demo queries are data, not a language: a `where` value is used as is (one line); a metric
        name must be a plain token. `where` cannot express All."""
        from srvmon.variables import VariableError, token

        if context.all:
            raise VariableError(f"${context.name}: the demo's `where` has no All (`*`); pick a value")
        if context.key[:1] == ("where",):
            if any(ord(ch) < 32 for ch in value):
                raise VariableError(f"${context.name}: the value must be one line")
            return value
        return token(value, context, "a metric name")

    def variable_values(self, query: str | dict[str, Any]) -> list[str]:
        """`functions`, `services`, `apis`, `tables`, `queues` or `state_machines` of the simulated fleet."""
        from srvmon.providers.base import ProviderError

        self.counter.call("variable_values")
        f = self.fleet
        lists = {
            "functions": [fn.name for fn in f.functions],
            "services": list(f.services),
            "apis": [f.api(s) for s in f.services],
            "tables": [t.name for t in f.tables],
            "queues": [q.name for q in f.queues],
            "state_machines": list(f.machines),
        }
        if not isinstance(query, str) or query.strip() not in lists:
            raise ProviderError(
                f"demo variable query {query!r}: use one of {', '.join(self.VARIABLE_QUERIES)}"
            )
        return sorted(lists[query.strip()])

    def query(self, queries: Sequence[MetricQuery], window: TimeWindow) -> dict[str, QueryResult]:
        self.counter.call("query", metrics=len(queries))
        now_s = self._now_s()
        out: dict[str, QueryResult] = {}
        for q in queries:
            try:
                out[q.ref_id] = metrics.run(self.fleet, self.incidents, q, window, now_s)
            except Exception as exc:  # a simulation bug stays on its panel
                out[q.ref_id] = QueryResult(q.ref_id, error=f"demo: {type(exc).__name__}: {exc}")
        return out

    # -- logs and health --------------------------------------------------------------------------------
    def resources(self) -> list[str]:
        return [fn.name for fn in self.fleet.functions]

    def _functions(self, resources: Sequence[str]) -> tuple[list[Function], tuple[str, ...]]:
        """Resolve function, service or API names; without any, the busiest functions + incident ones."""
        f = self.fleet
        if not resources:
            if len(f.functions) <= DEFAULT_LOG_FUNCTIONS:
                return list(f.functions), ()
            chosen = list(f.by_rank[:DEFAULT_LOG_FUNCTIONS])
            names = {fn.name for fn in chosen}
            chosen += [f.by_name[n] for n in self.incidents.functions() if n not in names]
            return chosen, (
                f"demo: showing the {DEFAULT_LOG_FUNCTIONS} busiest of {len(f.functions)} functions "
                "(and those in an incident); name resources to see others",
            )
        apis = {f.api(s): s for s in f.services}
        out: dict[str, Function] = {}
        unknown: list[str] = []
        for name in resources:
            if name in f.by_name:
                out[name] = f.by_name[name]
            elif name in f.by_service or name in apis:
                out.update((fn.name, fn) for fn in f.by_service[apis.get(name, name)])
            else:
                unknown.append(name)
        warnings = (f"demo: unknown resource(s) {', '.join(map(repr, unknown))}",) if unknown else ()
        return sorted(out.values(), key=lambda fn: fn.index), warnings

    def logs(self, query: LogQuery) -> LogResult:
        self.counter.call("logs")
        functions: list[Function]
        warnings: tuple[str, ...] = ()
        if query.request_id and not query.resources:  # an invocation lookup may name any function
            functions = list(self.fleet.functions)
        else:
            functions, warnings = self._functions(query.resources)
        return logsearch.search(self.fleet, self.incidents, query, functions, self._now_s(), warnings)

    def function_health(self, window: TimeWindow, resources: Sequence[str] = ()) -> list[FunctionHealth]:
        """Health as mining the sampled invocations' REPORT/timeout/OOM lines would give it (logmine's one
        rule, `health_of`), from what those lines would say (`logs.observed`): no line is written only to be
        parsed, and no part of an invocation health does not read (ids, paths, messages) is made."""
        from srvmon.logmine import FunctionConfig, Observed, health_of
        from srvmon.providers.demo import logs

        self.counter.call("health")
        functions, _ = self._functions(resources)
        end = min(window.end_s, self._now_s())
        fleet, inc = self.fleet, self.incidents
        seen: dict[str, list[Observed]] = {}
        for minute in logsearch.health_minutes(window.start_s, end):
            r = rhythm(minute * 60, inc.anchor_s)
            for fn in functions:
                observed = logs.observed(fleet, inc, fn, minute, r)
                if observed:
                    seen.setdefault(fn.name, []).extend(observed)
        by_name = {fn.name: fn for fn in functions}
        return [
            health_of(name, seen[name], FunctionConfig(f.timeout_s, f.memory_mb, f.arch))
            for name, f in sorted(by_name.items())
            if name in seen
        ]

    # -- account ----------------------------------------------------------------------------------------
    def alarms(self) -> list[Alarm]:
        self.counter.call("alarms")
        return account.alarms(self.fleet, self.incidents)

    def cost(self, window: TimeWindow) -> list[CostItem]:
        self.counter.call("cost")
        return account.cost(self.fleet, self.incidents, window, self.clock.now())

    def limits(self) -> list[Limit]:
        self.counter.call("limits")
        return account.limits(self.fleet, self.incidents, self._now_s())

    def events(self, window: TimeWindow, resources: Sequence[str] = ()) -> list[ChangeEvent]:
        """The demo's change events (providers/demo/events.py) in `window`, for `resources` or all."""
        from dataclasses import replace

        from srvmon.changes import names_match
        from srvmon.providers.demo import events

        self.counter.call("events")
        found = events.events(self.fleet, self.incidents, window, self._now_s())
        wanted = [r for r in resources if str(r).strip()]
        if wanted:
            found = [e for e in found if any(names_match(w, r) for w in wanted for r in e.resources)]
        return [replace(e, provider=self.name) for e in found]

    def check(self) -> Health:
        f = self.fleet
        return Health(
            ok=True,
            message=(
                f"demo fleet (simulated data): {len(f.functions)} functions, "
                f"{len(f.services)} services, {len(f.tables)} tables, seed {f.seed}"
            ),
        )
