"""What a panel needs from a provider (typed, hashable requests) and what came back (Ok or Failed).

Panel kinds declare Needs in their plan; the poller deduplicates them across panels, batches metric
needs of one provider and window into one `query()` call, runs each provider's calls in that
provider's own pool, and hands every kind a Results mapping from Need to outcome.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Generic, Literal, TypeVar, cast

from srvmon.model import (
    Alarm,
    ChangeEvent,
    CostItem,
    FunctionHealth,
    Limit,
    LogQuery,
    LogResult,
    MetricQuery,
    QueryResult,
    ServiceGraph,
    TimeWindow,
)

T = TypeVar("T")

#: Why a call produced no value.
FailReason = Literal["timeout", "unsupported", "throttled", "error", "skipped", "busy"]


@dataclass(frozen=True, slots=True)
class Failed:
    """A call that produced nothing; `message` is shown on the panels that needed it."""

    message: str
    reason: FailReason = "error"


@dataclass(frozen=True)
class Need(Generic[T]):
    """A request to one provider instance; T is the type of its answer."""

    provider: str


@dataclass(frozen=True)
class MetricNeed(Need[QueryResult]):
    """One metric query over one window (queries of a provider and window are sent together)."""

    window: TimeWindow
    #: Identity of the query (MetricQuery.key()); the query itself is not hashable (dict queries).
    key: str
    query: MetricQuery = field(compare=False, hash=False)

    @classmethod
    def of(cls, query: MetricQuery, window: TimeWindow) -> MetricNeed:
        return cls(query.provider, window, query.key(), query)


@dataclass(frozen=True)
class AlarmsNeed(Need[list[Alarm]]):
    pass


@dataclass(frozen=True)
class LimitsNeed(Need[list[Limit]]):
    pass


@dataclass(frozen=True)
class CostNeed(Need[list[CostItem]]):
    window: TimeWindow


@dataclass(frozen=True)
class HealthNeed(Need[list[FunctionHealth]]):
    window: TimeWindow
    resources: tuple[str, ...] = ()


@dataclass(frozen=True)
class LogsNeed(Need[LogResult]):
    """Log records for one panel (LogQuery holds a mapping, so the panel id is the identity)."""

    panel_id: str
    query: LogQuery = field(compare=False, hash=False)


@dataclass(frozen=True)
class EventsNeed(Need[list[ChangeEvent]]):
    window: TimeWindow
    resources: tuple[str, ...] = ()


@dataclass(frozen=True)
class ServiceGraphNeed(Need[ServiceGraph]):
    """The service map of one window (Provider.service_graph); shared by every panel of that window."""

    window: TimeWindow


class Results:
    """Outcomes by Need; `get` returns the answer, or Failed (also for a need that was never run)."""

    def __init__(self, outcomes: Mapping[Need[Any], Any]) -> None:
        self._outcomes = dict(outcomes)

    def get(self, need: Need[T]) -> T | Failed:
        if need not in self._outcomes:
            return Failed(f"no answer for {type(need).__name__} from {need.provider!r}", "error")
        return cast("T | Failed", self._outcomes[need])

    def __contains__(self, need: object) -> bool:
        return need in self._outcomes
