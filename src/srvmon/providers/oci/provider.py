"""OciProvider: Oracle Cloud Infrastructure Functions through OCI Monitoring (MQL metrics, alarm statuses)."""

from __future__ import annotations

import threading
from collections.abc import Sequence
from typing import Any, ClassVar

from srvmon.clock import Clock
from srvmon.model import Alarm, Health, Limit, MetricQuery, QueryResult, TimeWindow
from srvmon.providers.base import Provider, ProviderError, ProviderOptions

from . import mql
from .client import OciClient
from .metrics import MetricsFetcher
from .options import OciOptions


class OciProvider(Provider):
    """OCI Functions (signed REST to OCI Monitoring; API key or instance principal)."""

    type_name: ClassVar[str] = "oci"
    description: ClassVar[str] = "Oracle Cloud Infrastructure Functions via OCI Monitoring (MQL) and alarms"
    Options: ClassVar[type[ProviderOptions]] = OciOptions
    default_preset: ClassVar[str | None] = "oci-functions"

    def __init__(
        self, name: str, options: ProviderOptions, clock: Clock | None = None, **client_kw: Any
    ) -> None:
        """`client_kw` go to OciClient (tests inject sleep, monotonic and wall clocks)."""
        super().__init__(name, options, clock)
        self.opts = options = self.typed_options(OciOptions)
        self._client_kw = client_kw
        self._client: OciClient | None = None
        self._lock = threading.Lock()

    @property
    def client(self) -> OciClient:
        with self._lock:
            if self._client is None:
                self._client = OciClient(self.opts, self.counter, **self._client_kw)
            return self._client

    def unavailable(self) -> dict[str, str]:
        if self.opts.total_concurrency_mb or self.opts.provisioned_concurrency_mb:
            return {}
        return {
            "limits": "set total_concurrency_mb / provisioned_concurrency_mb (the tenancy's Functions limits)"
        }

    @classmethod
    def validate_query(cls, query: str | dict[str, Any] | None, stat: str | None) -> str | None:
        return mql.validate(query, stat)

    def query(self, queries: Sequence[MetricQuery], window: TimeWindow) -> dict[str, QueryResult]:
        return MetricsFetcher(self.client, self.opts, self.clock).run(queries, window)

    def alarms(self) -> list[Alarm]:
        from .alarms import list_alarms

        return list_alarms(self.client, self.opts)

    def limits(self) -> list[Limit]:
        """`total_concurrency` / `provisioned_concurrency`: allocated memory (MB) against the tenancy's limits."""
        wanted = [
            ("total_concurrency", "AllocatedTotalConcurrency", self.opts.total_concurrency_mb),
            (
                "provisioned_concurrency",
                "AllocatedProvisionedConcurrency",
                self.opts.provisioned_concurrency_mb,
            ),
        ]
        if not any(ceiling for _, _, ceiling in wanted):
            raise ProviderError(
                "no concurrency limits configured: set total_concurrency_mb (and provisioned_concurrency_mb) to the "
                "total-concurrency-mb limit shown under Governance > Limits, Quotas and Usage > Functions"
            )
        fetcher = MetricsFetcher(self.client, self.opts, self.clock)
        out = []
        for name, metric, ceiling in wanted:
            if ceiling:
                used = fetcher.latest(metric)
                out.append(Limit(name, used or 0.0, float(ceiling), resource=self.opts.region, unit="MB"))
        return out

    def check(self) -> Health:
        from .check import run_check

        try:
            return run_check(self.client, self.opts, self.clock)
        except Exception as exc:  # a check reports, never raises
            return Health(ok=False, message=f"{type(exc).__name__}: {exc}")

    def close(self) -> None:
        with self._lock:
            if self._client is not None:
                self._client.close()
                self._client = None
