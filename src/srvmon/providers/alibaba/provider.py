"""AlibabaProvider: Function Compute through CloudMonitor (metrics, alert rules), BSS (cost) and SLS (logs)."""

from __future__ import annotations

import threading
from collections.abc import Sequence
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
    TimeWindow,
)
from srvmon.providers.base import NotSupported, Provider, ProviderError, ProviderOptions

from . import queries as qs
from .client import AliClient
from .metrics import MetricBudget, MetricsFetcher
from .options import AlibabaOptions

LIMIT_NAME = "region_concurrency"


class AlibabaProvider(Provider):
    """Alibaba Cloud Function Compute (signed REST: CloudMonitor, BSS OpenAPI, Log Service)."""

    type_name: ClassVar[str] = "alibaba"
    description: ClassVar[str] = (
        "Alibaba Cloud Function Compute via CloudMonitor, BSS billing and Log Service"
    )
    Options: ClassVar[type[ProviderOptions]] = AlibabaOptions
    default_preset: ClassVar[str | None] = "alibaba-fc"

    def __init__(
        self, name: str, options: ProviderOptions, clock: Clock | None = None, **client_kw: Any
    ) -> None:
        """`client_kw` go to AliClient (tests inject credentials, sleep and wall clock)."""
        super().__init__(name, options, clock)
        self.opts = options = self.typed_options(AlibabaOptions)
        self._client_kw = client_kw
        self._client: AliClient | None = None
        self._cost: Any = None
        self._lock = threading.Lock()
        self.budget = MetricBudget(options.metric_call_budget, self.clock)

    @property
    def client(self) -> AliClient:
        with self._lock:
            if self._client is None:
                self._client = AliClient(self.opts, self.counter, **self._client_kw)
            return self._client

    def unavailable(self) -> dict[str, str]:
        out = {}
        if not self.opts.logs_configured:
            out["logs"] = "set log_project and log_store (the functions' SLS logConfig) to drill into logs"
        if not self.opts.cost:
            out["cost"] = "cost = false in the config"
        return out

    @classmethod
    def validate_query(cls, query: str | dict[str, Any] | None, stat: str | None) -> str | None:
        return qs.validate(query, stat)

    # -- metrics -----------------------------------------------------------------------------------
    def query(self, queries: Sequence[MetricQuery], window: TimeWindow) -> dict[str, QueryResult]:
        fetcher = MetricsFetcher(self.client, self.opts, self.budget, self.clock)
        return fetcher.run(queries, window)

    def limits(self) -> list[Limit]:
        """`region_concurrency`: RegionConcurrentCount (on-demand instances now) against RegionConcurrencyLimit."""
        fetcher = MetricsFetcher(self.client, self.opts, self.budget, self.clock)
        now_ms = int(self.clock.now().timestamp() * 1000)
        used = fetcher.latest("RegionConcurrentCount", now_ms)
        ceiling = fetcher.latest("RegionConcurrencyLimit", now_ms) or self.opts.concurrency_limit
        if ceiling is None:
            raise ProviderError(
                "RegionConcurrencyLimit reported no data in the last 10 minutes; set concurrency_limit "
                "(the region's on-demand instance quota) to show the capacity gauge"
            )
        return [Limit(LIMIT_NAME, used or 0.0, float(ceiling), resource=self.opts.region, unit="instances")]

    # -- alarms, cost, logs ------------------------------------------------------------------------
    def alarms(self) -> list[Alarm]:
        from .alarms import list_alarms

        return list_alarms(self.client, self.opts, self.clock.now())

    def cost(self, window: TimeWindow) -> list[CostItem]:
        if not self.opts.cost:
            raise NotSupported("cost is off for this provider (cost = false)")
        from .cost import CostReader

        client = self.client
        with self._lock:
            if self._cost is None:
                self._cost = CostReader(client, self.opts, self.clock)
            reader = self._cost
        return reader.cost(window)  # type: ignore[no-any-return]

    def logs(self, query: LogQuery) -> LogResult:
        if not self.opts.logs_configured:
            raise NotSupported(
                "no logs: set log_project and log_store to the Log Service project/logstore of the functions' "
                "logConfig (Function Compute console > function > Logging)"
            )
        from .logs import get_logs

        return get_logs(self.client, self.opts, query)

    def resources(self) -> list[str]:
        return [f for f in self.opts.functions if not any(c in f for c in "*?[")]

    def check(self) -> Health:
        from .check import run_check

        try:
            return run_check(self.client, self.opts, self.budget, self.clock)
        except Exception as exc:  # a check reports, never raises
            return Health(ok=False, message=f"{type(exc).__name__}: {exc}")

    def close(self) -> None:
        with self._lock:
            if self._client is not None:
                self._client.close()
                self._client = None
