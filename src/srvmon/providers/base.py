"""The provider contract (a small ABC) and the registry of built-in and plugin providers."""

from __future__ import annotations

import importlib
import threading
from abc import ABC, abstractmethod
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from importlib.metadata import entry_points
from typing import Any, ClassVar

from pydantic import BaseModel, ConfigDict

from srvmon.clock import Clock, SystemClock
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
    Usage,
)

ENTRY_POINT_GROUP = "srvmon.providers"

#: Built-in providers, imported only when used so `srvmon --help` stays cheap.
BUILTINS: dict[str, str] = {
    "demo": "srvmon.providers.demo:DemoProvider",
    "aws": "srvmon.providers.aws:AwsProvider",
    "azure": "srvmon.providers.azure:AzureProvider",
    "prometheus": "srvmon.providers.prometheus:PrometheusProvider",
}


class NotSupported(Exception):
    """The provider does not have this capability (e.g. no logs)."""


class ProviderError(Exception):
    """A provider call failed; the message is shown on the affected panels.

    `throttled` marks API throttling (429, ThrottlingException) so the poller backs off harder.
    """

    def __init__(self, message: str, *, throttled: bool = False) -> None:
        super().__init__(message)
        self.throttled = throttled


class ProviderOptions(BaseModel):
    """Base for each provider's option schema. `type` is consumed by the config loader."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class UsageCounter:
    """Thread-safe counters behind Provider.usage(): API calls by operation, metrics, USD."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._ops: Counter[str] = Counter()
        self._metrics = 0
        self._usd = 0.0
        self._extra: dict[str, float] = {}

    def call(self, operation: str, *, metrics: int = 0, usd: float = 0.0, n: int = 1) -> None:
        with self._lock:
            self._ops[operation] += n
            self._metrics += metrics
            self._usd += usd

    def add(self, key: str, amount: float) -> None:
        """Extra named figures, e.g. 'logs_gb_scanned'."""
        with self._lock:
            self._extra[key] = self._extra.get(key, 0) + amount

    def snapshot(self) -> Usage:
        with self._lock:
            return Usage(
                api_calls=sum(self._ops.values()),
                metrics_requested=self._metrics,
                estimated_cost_usd=round(self._usd, 6),
                by_operation=dict(self._ops),
                extra=dict(self._extra),
            )


class Provider(ABC):
    """A data source. All methods are synchronous and are called from worker threads.

    `query` must answer every ref_id, each result succeeding or failing on its own; raising
    ProviderError fails the whole call (every panel of this provider shows the reason, stale).
    """

    #: Type name used in config (`type = "aws"`).
    name: ClassVar[str]
    description: ClassVar[str] = ""
    #: Subset of {"metrics", "logs", "alarms", "cost", "limits", "health"}.
    capabilities: ClassVar[frozenset[str]] = frozenset({"metrics"})
    #: The pydantic schema for `[providers.NAME]` options (without `type`).
    Options: ClassVar[type[ProviderOptions]] = ProviderOptions
    #: The preset board shown when a config has this provider and no boards.
    default_preset: ClassVar[str | None] = None
    #: True for simulated data; shown as DEMO wherever it appears.
    is_demo: ClassVar[bool] = False

    def __init__(self, instance: str, options: ProviderOptions, clock: Clock | None = None) -> None:
        self.instance = instance
        self.options = options
        self.clock: Clock = clock or SystemClock()
        self.counter = UsageCounter()

    @classmethod
    def preset_for(cls, options: ProviderOptions) -> str | None:
        """The preset shown for this instance when the config has no boards (default: `default_preset`)."""
        return cls.default_preset

    # -- required --------------------------------------------------------------------------------
    @abstractmethod
    def query(self, queries: Sequence[MetricQuery], window: TimeWindow) -> dict[str, QueryResult]:
        """Run metric queries over one window; one QueryResult per ref_id."""

    # -- optional capabilities -------------------------------------------------------------------
    @classmethod
    def validate_query(cls, query: str | dict[str, Any] | None, stat: str | None) -> str | None:
        """Config-time check of a panel's provider-specific query: an error message, or None."""
        return None

    def logs(self, query: LogQuery) -> LogResult:
        raise NotSupported(f"{self.name} provider has no logs")

    def alarms(self) -> list[Alarm]:
        raise NotSupported(f"{self.name} provider has no alarms")

    def cost(self, window: TimeWindow) -> list[CostItem]:
        """Daily cost per service covering `window` (callers pass last month's start to now)."""
        raise NotSupported(f"{self.name} provider has no cost data")

    def limits(self) -> list[Limit]:
        raise NotSupported(f"{self.name} provider has no limits")

    def function_health(self, window: TimeWindow, resources: Sequence[str] = ()) -> list[FunctionHealth]:
        raise NotSupported(f"{self.name} provider has no function health")

    def resources(self) -> list[str]:
        """Names of resources logs can be asked for (functions, apps); [] when unknown."""
        return []

    def check(self) -> Health:
        return Health(ok=True, message="no check implemented")

    def usage(self) -> Usage:
        return self.counter.snapshot()

    def close(self) -> None:
        """Release clients/sockets (default: nothing to release)."""
        return None


# ---- registry ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class ProviderInfo:
    name: str
    source: str  # "built-in" or the distribution/entry point value
    target: str
    description: str = ""
    error: str | None = None


class UnknownProviderType(Exception):
    pass


_REGISTERED: dict[str, type[Provider]] = {}


def register_provider(cls: type[Provider]) -> type[Provider]:
    """Register a provider class in-process (embedding, tests); usable as a class decorator."""
    _REGISTERED[cls.name] = cls
    return cls


def _plugin_targets() -> dict[str, str]:
    return {ep.name: ep.value for ep in entry_points(group=ENTRY_POINT_GROUP)}


def _import_target(target: str) -> type[Provider]:
    module_name, _, attr = target.partition(":")
    module = importlib.import_module(module_name)
    cls = getattr(module, attr)
    if not (isinstance(cls, type) and issubclass(cls, Provider)):
        raise TypeError(f"{target} is not a srvmon Provider subclass")
    return cls


def installed_types() -> list[str]:
    return sorted(set(BUILTINS) | set(_plugin_targets()) | set(_REGISTERED))


def load_provider_class(type_name: str) -> type[Provider]:
    """Import the provider class for `type_name`; UnknownProviderType lists what is installed."""
    if type_name in _REGISTERED:
        return _REGISTERED[type_name]
    target = BUILTINS.get(type_name) or _plugin_targets().get(type_name)
    if target is None:
        raise UnknownProviderType(
            f"unknown provider type {type_name!r}; installed: {', '.join(installed_types())}"
        )
    return _import_target(target)


def list_providers() -> list[ProviderInfo]:
    """Every installed provider; one that fails to import is listed with its error."""
    out: list[ProviderInfo] = []
    sources = [(n, t, "built-in") for n, t in BUILTINS.items()]
    sources += [(n, t, "plugin") for n, t in _plugin_targets().items() if n not in BUILTINS]
    for name, target, source in sources:
        try:
            cls = _import_target(target)
            out.append(ProviderInfo(name, source, target, cls.description))
        except Exception as exc:  # a broken plugin is reported, never fatal
            out.append(ProviderInfo(name, source, target, error=f"{type(exc).__name__}: {exc}"))
    return out
