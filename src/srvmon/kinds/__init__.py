"""The registry of panel kinds: one entry per kind; schema, poller, exports, TUI and drill-down read it.

Adding a kind is one module (a PanelKind subclass) plus one line in KINDS.
"""

from __future__ import annotations

from typing import Any

from srvmon.kinds.alarms import AlarmsKind
from srvmon.kinds.base import COMMON_FIELDS, PanelKind, Plan, PlanContext
from srvmon.kinds.cost import CostKind
from srvmon.kinds.events import EventsKind
from srvmon.kinds.gauge import GaugeKind
from srvmon.kinds.health import HealthKind
from srvmon.kinds.logs import LogsKind
from srvmon.kinds.servicemap import ServiceMapKind
from srvmon.kinds.stat import StatKind
from srvmon.kinds.text import TextKind
from srvmon.kinds.timeseries import TimeseriesKind
from srvmon.kinds.toplist import ToplistKind

KINDS: dict[str, PanelKind[Any]] = {
    k.name: k
    for k in (
        TimeseriesKind(), StatKind(), ToplistKind(), GaugeKind(), AlarmsKind(), CostKind(), HealthKind(),
        LogsKind(), TextKind(), EventsKind(), ServiceMapKind(),
    )
}  # fmt: skip


class UnknownKind(KeyError):
    pass


def get(name: str) -> PanelKind[Any]:
    try:
        return KINDS[name]
    except KeyError:
        raise UnknownKind(f"unknown panel kind {name!r}; use one of {', '.join(KINDS)}") from None


def names() -> tuple[str, ...]:
    return tuple(KINDS)


def traits(name: str) -> PanelKind[Any] | type[PanelKind[Any]]:
    """A kind's class-level facts (`chart`, `row_types`, `lines`, `sparkline`, `notes_are_content`,
    `drill_errors_when_bad`, ...): the registered kind, or for one this version does not know (a newer
    snapshot's) PanelKind's defaults: no chart, no rows, default lines, a sparkline, notes as remarks."""
    return KINDS.get(name) or PanelKind


def is_metric(name: str) -> bool:
    """True for kinds whose data comes from a metric `query` (with compare and trend)."""
    from srvmon.kinds.metric import MetricKind

    return isinstance(KINDS.get(name), MetricKind)


__all__ = [
    "COMMON_FIELDS",
    "KINDS",
    "PanelKind",
    "Plan",
    "PlanContext",
    "UnknownKind",
    "get",
    "is_metric",
    "names",
    "traits",
]
