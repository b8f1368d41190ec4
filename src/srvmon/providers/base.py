"""The provider contract (a small ABC) and the registry of built-in and plugin providers."""

from __future__ import annotations

import importlib
import threading
from abc import ABC, abstractmethod
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from importlib.metadata import entry_points
from typing import TYPE_CHECKING, Any, ClassVar, TypeVar

from pydantic import BaseModel, ConfigDict, Field, field_validator

from srvmon.clock import Clock, SystemClock
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
    Usage,
    parse_seconds,
)

if TYPE_CHECKING:
    from srvmon.variables import VariableContext

ENTRY_POINT_GROUP = "srvmon.providers"

#: Built-in providers, imported only when used so `srvmon --help` stays cheap.
BUILTINS: dict[str, str] = {
    "demo": "srvmon.providers.demo:DemoProvider",
    "aws": "srvmon.providers.aws.provider:AwsProvider",
    "azure": "srvmon.providers.azure:AzureProvider",
    "prometheus": "srvmon.providers.prometheus:PrometheusProvider",
    "cloudflare": "srvmon.providers.cloudflare.provider:CloudflareProvider",
    "gcp": "srvmon.providers.gcp.provider:GcpProvider",
    "alibaba": "srvmon.providers.alibaba.provider:AlibabaProvider",
    "oci": "srvmon.providers.oci.provider:OciProvider",
}


class NotSupported(Exception):
    """The provider does not have this capability (e.g. no logs)."""


class ProviderError(Exception):
    """A provider call failed; the message is shown on the affected panels.

    `throttled` marks API throttling (429, ThrottlingException) so the poller backs off harder;
    `retry_after_s` is the server's own Retry-After, which sets the next attempt when given.
    """

    def __init__(self, message: str, *, throttled: bool = False, retry_after_s: float | None = None) -> None:
        super().__init__(message)
        self.throttled = throttled
        self.retry_after_s = retry_after_s


class ProviderOptions(BaseModel):
    """Base for each provider's option schema. `type` is consumed by the config loader."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class NetworkOptions(ProviderOptions):
    """Options every provider that talks to a server shares: how long one request may take, how much it
    may return. Providers subclass this for their own options."""

    timeout: str = "15s"
    """One request, body included: connecting, waiting and reading (e.g. 10s, 1.5s, 500ms). A slower
    server is cut off here and the panel says so; settings.timeout bounds a whole refresh."""
    max_response_mb: int = Field(default=64, ge=1, le=4096)
    """The largest response body accepted (MiB); a bigger one is refused while it streams."""

    @field_validator("timeout")
    @classmethod
    def _v_timeout(cls, v: str) -> str:
        seconds = parse_seconds(v)
        if seconds > 600:
            raise ValueError(f"timeout {v!r} is longer than 10m; a request that slow should fail instead")
        return v

    @property
    def timeout_s(self) -> float:
        return parse_seconds(self.timeout)

    @property
    def max_response_bytes(self) -> int:
        return self.max_response_mb * 1024 * 1024


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


#: Capability name -> the optional method that provides it. A provider has a capability when its class
#: overrides that method (derived, never declared: a flag could drift from the code).
CAPABILITY_METHODS: dict[str, str] = {
    "logs": "logs",
    "alarms": "alarms",
    "cost": "cost",
    "limits": "limits",
    "health": "function_health",
    "events": "events",
    "servicemap": "service_graph",
    "traces": "traces",
}


OptionsT = TypeVar("OptionsT", bound=ProviderOptions)


class Provider(ABC):
    """A data source (Grafana's data-source shape): metric queries keyed by ref id, plus optional extras.

    Threads: every method except the classmethods is synchronous and is called from the provider's own
    worker pool (srvmon.workers), never from the UI event loop; calls of one instance may run
    concurrently, so instances keep their own state thread-safe. Each call runs under the deadline the
    caller honours (settings.timeout): a call still running at the deadline is abandoned, so clients
    must also set their own connect/read timeouts from `options` so the thread ends soon after.

    Errors: raise ProviderError for a failure the operator should see on the panels (its message is
    shown as is; `throttled=True` makes the caller back off harder); NotSupported when an optional
    capability is unavailable for this instance. Anything else is treated as a provider bug and shown
    as "TypeName: message" on the affected panels; it never takes the board down.

    Names: `type_name` is the config `type` (a class attribute, e.g. "aws"); `name` is this instance's
    name, the NAME of `[providers.NAME]`, used in queries, logs and statuses.
    """

    #: The config `type` this class implements (`type = "aws"`).
    type_name: ClassVar[str]
    #: One line for `srvmon providers`.
    description: ClassVar[str] = ""
    #: The pydantic schema for `[providers.NAME]` options (without `type`).
    Options: ClassVar[type[ProviderOptions]] = ProviderOptions
    #: The preset board shown when a config has this provider and no boards.
    default_preset: ClassVar[str | None] = None
    #: True for simulated data; shown as DEMO wherever it appears.
    is_demo: ClassVar[bool] = False

    def __init__(self, name: str, options: ProviderOptions, clock: Clock | None = None) -> None:
        """`name`: the instance name from the config; `options`: a validated `Options`; `clock`: injected
        time (tests and `--now`). Must not do network I/O: clients connect lazily on the first call."""
        self.name = name
        self.options = options
        self.clock: Clock = clock or SystemClock()
        self.counter = UsageCounter()

    def typed_options(self, cls: type[OptionsT]) -> OptionsT:
        """This instance's options as the provider's own Options class (a TypeError names both if not)."""
        if not isinstance(self.options, cls):
            raise TypeError(f"{type(self).__name__} needs {cls.__name__}, not {type(self.options).__name__}")
        return self.options

    # -- class-level (config time, any thread) ---------------------------------------------------
    @classmethod
    def preset_for(cls, options: ProviderOptions) -> str | None:
        """The preset shown for this instance when the config has no boards (default: `default_preset`)."""
        return cls.default_preset

    @classmethod
    def validate_query(cls, query: str | dict[str, Any] | None, stat: str | None) -> str | None:
        """Config-time check of a panel's provider-specific query: an error message naming the problem, or
        None when it is valid. Pure (no I/O); called while the config is loaded."""
        return None

    # -- board variables (srvmon.variables) --
    @classmethod
    def escape_variable(cls, value: str, context: VariableContext) -> str:
        """The text that replaces one `$name` reference in a panel query: `value` escaped for this
        provider's query language at `context` (inside which literal, at which dict key; `context.all`
        asks for the match-everything form). Raise VariableError when the value cannot be written
        there. Pure. Default: quoted values may not contain their quote or backslashes, unquoted ones
        must be plain tokens, All is refused."""
        from srvmon.variables import default_escape

        return default_escape(value, context)

    def variable_values(self, query: str | dict[str, Any]) -> list[str]:
        """The values a board variable's `query` lists (label values, function names ...), sorted;
        read-only calls, counted in usage. Raises: ProviderError, NotSupported."""
        raise NotSupported(f"{self.type_name} provider cannot list variable values; give `values` instead")

    @classmethod
    def implemented(cls) -> frozenset[str]:
        """Capabilities this class implements: "metrics" plus each optional method it overrides."""
        return frozenset({"metrics"}) | frozenset(
            cap
            for cap, method in CAPABILITY_METHODS.items()
            if getattr(cls, method) is not getattr(Provider, method)
        )

    @property
    def capabilities(self) -> frozenset[str]:
        """What this instance offers: what the class implements, minus what `unavailable()` rules out."""
        return self.implemented() - frozenset(self.unavailable())

    def unavailable(self) -> dict[str, str]:
        """Implemented capabilities this instance cannot offer, with why (derived from its options, e.g.
        no `loki_url` -> {"logs": "..."}). Default: none."""
        return {}

    # -- required --------------------------------------------------------------------------------
    @abstractmethod
    def query(self, queries: Sequence[MetricQuery], window: TimeWindow) -> dict[str, QueryResult]:
        """Run metric queries over one window.

        Args: `queries` (distinct ref ids; `query`/`stat`/`group_by` in this provider's syntax, `limit` a
        top-N hint), `window` (step-aligned; series must use its bucket timestamps, None for gaps).
        Returns: exactly one QueryResult per ref id; one query failing sets that result's `error` and
        leaves the others alone. Raises: ProviderError when the whole call failed (credentials, network)."""

    # -- optional capabilities -------------------------------------------------------------------
    def logs(self, query: LogQuery) -> LogResult:
        """Log records matching `query` (its resources, text, status class, window), newest first, at most
        `query.limit`; `partial`/`warnings` say when the answer is capped or incomplete.
        Raises: ProviderError, NotSupported."""
        raise NotSupported(f"{self.type_name} provider has no logs")

    def alarms(self) -> list[Alarm]:
        """Every alarm/alert rule with its current state (OK, ALARM, INSUFFICIENT_DATA).
        Raises: ProviderError, NotSupported."""
        raise NotSupported(f"{self.type_name} provider has no alarms")

    def cost(self, window: TimeWindow) -> list[CostItem]:
        """Daily cost per service for the days in `window` (daily steps; the caller passes the 1st of last
        month through today, today being partial). Raises: ProviderError, NotSupported."""
        raise NotSupported(f"{self.type_name} provider has no cost data")

    def limits(self) -> list[Limit]:
        """Capacities against their ceilings now (e.g. "account_concurrency"); a limit that cannot be read
        is left out and the reason raised as ProviderError when none can be read. Raises: NotSupported."""
        raise NotSupported(f"{self.type_name} provider has no limits")

    def function_health(self, window: TimeWindow, resources: Sequence[str] = ()) -> list[FunctionHealth]:
        """Per-function failure modes in `window` (cold starts, timeouts, OOM, durations), for `resources`
        or the provider's default set. Raises: ProviderError, NotSupported."""
        raise NotSupported(f"{self.type_name} provider has no function health")

    def events(self, window: TimeWindow, resources: Sequence[str] = ()) -> list[ChangeEvent]:
        """Change events (deploys, config changes, scaling, alarm transitions) in `window`, oldest first,
        for `resources` or all. Read-only calls only, counted in usage. Raises: ProviderError,
        NotSupported."""
        raise NotSupported(f"{self.type_name} provider has no change events")

    def service_graph(self, window: TimeWindow) -> ServiceGraph:
        """The services and call paths seen in `window` with their request counts and response-time
        histograms (a service map, e.g. X-Ray's). Read-only, counted in usage. Raises: ProviderError,
        NotSupported."""
        raise NotSupported(f"{self.type_name} provider has no service map")

    def traces(self, query: TraceQuery) -> TraceList:
        """Trace summaries matching `query`, newest first, at most `query.limit` (a provider that
        implements this also implements `trace`). Raises: ProviderError, NotSupported."""
        raise NotSupported(f"{self.type_name} provider has no traces")

    def trace(self, trace_id: str) -> Trace:
        """One whole trace by id, its spans in waterfall order. Raises: ProviderError (also when no
        trace has that id), NotSupported."""
        raise NotSupported(f"{self.type_name} provider has no traces")

    def resources(self) -> list[str]:
        """Names of resources logs can be asked for (functions, apps); [] when unknown. Never raises."""
        return []

    def check(self) -> Health:
        """Probe credentials, endpoints and read permissions; `ok` is False when any of them fails (with
        the cause and the fix in `message`/`details`). Never raises."""
        return Health(ok=True, message="no check implemented")

    def usage(self) -> Usage:
        """API calls, metrics requested and estimated USD since start (thread-safe)."""
        return self.counter.snapshot()

    def close(self) -> None:
        """Release clients and sockets. Called once, by whoever built the provider, after its last call."""
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
    _REGISTERED[cls.type_name] = cls
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
