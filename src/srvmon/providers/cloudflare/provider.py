"""CloudflareProvider: the provider class wiring options, client, discovery, metrics, logs and check."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, ClassVar

from srvmon.clock import Clock
from srvmon.model import Health, LogQuery, LogResult, MetricQuery, QueryResult, TimeWindow, Usage
from srvmon.providers.base import NotSupported, Provider, ProviderError, ProviderOptions
from srvmon.providers.cloudflare.client import CloudflareClient
from srvmon.providers.cloudflare.discovery import Discovery
from srvmon.providers.cloudflare.metrics import MetricsRunner
from srvmon.providers.cloudflare.options import CloudflareOptions
from srvmon.providers.cloudflare.settings import SettingsCache

__all__ = ["CloudflareOptions", "CloudflareProvider"]


class CloudflareProvider(Provider):
    """Cloudflare Workers of one account: GraphQL Analytics, the Workers scripts list, Workers Logs."""

    type_name: ClassVar[str] = "cloudflare"
    description: ClassVar[str] = "Cloudflare Workers (GraphQL Analytics, sampled), Workers list, Workers Logs"
    Options: ClassVar[type[ProviderOptions]] = CloudflareOptions
    default_preset: ClassVar[str | None] = "cloudflare-workers"

    def __init__(self, name: str, options: ProviderOptions, clock: Clock | None = None) -> None:
        super().__init__(name, options, clock)
        self.opts = options = self.typed_options(CloudflareOptions)
        self.client = CloudflareClient(options, self.counter, self._now)
        self.discovery = Discovery(self.client, options.discovery_ttl_s, self._now)
        self.settings = SettingsCache(self.client, self._now)
        self.runner = MetricsRunner(self.client, self.discovery, self.settings)

    def _now(self) -> float:
        return self.clock.now().timestamp()

    def unavailable(self) -> dict[str, str]:
        return {} if self.opts.logs else {"logs": "logs = false in the config: Workers Logs are not read"}

    @classmethod
    def validate_query(cls, query: str | dict[str, Any] | None, stat: str | None) -> str | None:
        from srvmon.providers.cloudflare.queries import QueryError, parse

        try:
            parse(query, stat)
        except QueryError as exc:
            return str(exc)
        return None

    def query(self, queries: Sequence[MetricQuery], window: TimeWindow) -> dict[str, QueryResult]:
        return self.runner.run(queries, window, self.clock.now())

    def resources(self) -> list[str]:
        try:
            return list(self.discovery.selected())
        except ProviderError:
            return []

    def logs(self, query: LogQuery) -> LogResult:
        from srvmon.providers.cloudflare.logs import read_logs

        if not self.opts.logs:
            raise NotSupported("logs = false for this Cloudflare provider: Workers Logs are not read")
        allowed = list(self.discovery.selected()) if (self.opts.include or self.opts.exclude) else None
        return read_logs(self.client, query, self.clock.now(), allowed)

    def check(self) -> Health:
        from srvmon.providers.cloudflare.check import run_check

        try:
            return run_check(self.client, self.discovery, self.clock.now())
        except Exception as exc:  # check() never raises
            return Health(ok=False, message=f"Cloudflare check failed: {type(exc).__name__}: {exc}")

    def usage(self) -> Usage:
        """Calls by operation; GraphQL queries spent (they are free) and what is left of the budget."""
        u = self.counter.snapshot()
        extra = dict(u.extra)
        left = self.client.budget_left()
        if left is not None:
            extra["graphql_budget_left"] = float(left)
        return Usage(u.api_calls, u.metrics_requested, u.estimated_cost_usd, u.by_operation, extra)

    def close(self) -> None:
        self.client.close()
