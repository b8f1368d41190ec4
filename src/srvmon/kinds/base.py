"""The panel-kind contract: config fields, query plan, assembler, text detail, body widget, drill-down.

A kind is one object registered once (srvmon.kinds.KINDS). The schema asks it which fields a panel of
this kind may set, the poller asks it what to fetch (`plan`) and to turn the answers into a
PanelSnapshot (`assemble`), the txt/md exports ask it for the one-line `detail`, and the TUI imports
its `body` widget by dotted path (the core never imports Textual).
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from math import isfinite
from typing import TYPE_CHECKING, Any, ClassVar, Generic, TypeVar

from srvmon.fmt import Detail, fmt_value
from srvmon.model import (
    RANGES,
    DrillTarget,
    PanelPosition,
    PanelSnapshot,
    Status,
    Thresholds,
    TimeWindow,
)
from srvmon.needs import Failed, Need, Results

if TYPE_CHECKING:
    from srvmon.schema import PanelCfg

#: Fields every kind accepts.
COMMON_FIELDS = frozenset(
    {
        "id",
        "title",
        "kind",
        "provider",
        "unit",
        "range",
        "description",
        "position",
        "drilldown",
    }
)


@dataclass(frozen=True, slots=True)
class PlanContext:
    """What a refresh asks for: the board window, its end, whether compare is on, the clock's now."""

    board_window: TimeWindow
    end: datetime
    compare: bool
    now: datetime

    def window_for(self, cfg: PanelCfg) -> TimeWindow:
        """The panel's own range (e.g. '1mo') ending with the board's window, else the board window."""
        if cfg.range and cfg.range in RANGES:
            return TimeWindow.ending_at(self.end, RANGES[cfg.range])
        return self.board_window


@dataclass(frozen=True)
class Plan:
    """What one panel needs; kinds subclass it to keep typed handles on their own needs."""

    window: TimeWindow

    def needs(self) -> tuple[Need[Any], ...]:
        return ()


P = TypeVar("P", bound=Plan)


class PanelKind(ABC, Generic[P]):
    """One panel kind. Subclasses set the class attributes and implement plan/assemble/detail."""

    #: The `kind = "..."` name.
    name: ClassVar[str]
    #: One line for the docs and `srvmon check`.
    summary: ClassVar[str]
    #: Config fields this kind reads beyond COMMON_FIELDS (any other field set is a config error).
    fields: ClassVar[frozenset[str]] = frozenset()
    #: The TUI body widget, "module:Class" (imported by the widgets layer only).
    body: ClassVar[str]
    #: Enter on this kind opens errors only by default (alarms, health, recent errors).
    drill_errors_only: ClassVar[bool] = False
    #: Enter on this kind opens errors only while the panel is warn or crit (a spiking stat or ranking).
    drill_errors_when_bad: ClassVar[bool] = False
    #: The row types its PanelSnapshot carries (the JSON codec reads rows back as these).
    row_types: ClassVar[tuple[type[Any], ...]] = ()
    #: It draws a time axis: change events are marked on it and "what changed" sentences name it.
    chart: ClassVar[bool] = False
    #: A compact line shows a sparkline of its first series.
    sparkline: ClassVar[bool] = True
    #: Its notes are its content (text panels), not remarks about a value: exports print them as the body.
    notes_are_content: ClassVar[bool] = False
    #: Lines it needs at least and would like (border included) when one grid row high.
    lines: ClassVar[tuple[int, int]] = (3, 8)

    def check(self, cfg: PanelCfg) -> str | None:
        """Config-time check beyond field names: a message, or None."""
        return None

    @abstractmethod
    def plan(self, cfg: PanelCfg, ctx: PlanContext) -> P:
        """What to fetch for this panel."""

    @abstractmethod
    def assemble(self, cfg: PanelCfg, plan: P, results: Results, now: datetime) -> PanelSnapshot:
        """The panel from its answers; raise nothing for bad data (the poller turns exceptions into errors)."""

    def detail(self, panel: PanelSnapshot) -> Detail:
        """What stands out, as text fragments (untrusted ones wrapped in fmt.Data); () when nothing does."""
        if panel.trend is not None:
            return (f"trend {fmt_value(panel.trend.slope_per_h, panel.unit)}/h",)
        return ()

    # -- shared helpers ---------------------------------------------------------------------------
    def drill(self, cfg: PanelCfg, window: TimeWindow, status: Status) -> DrillTarget | None:
        """The log query defaults for Enter on this panel (a selected row narrows them in srvmon.drill)."""
        dd = cfg.drilldown
        provider = (dd.provider if dd and dd.provider else None) or cfg.provider
        if not provider:
            return None
        status_class = (dd.status_class if dd else None) or guess_status_class(cfg.id, cfg.title)
        errors_only = bool(dd and dd.errors_only) or self.drill_errors_only or status_class in ("4xx", "5xx")
        return DrillTarget(
            provider=provider,
            window=window,
            resources=tuple(dd.resources) if dd else (),
            errors_only=errors_only,
            status_class=status_class,
            text=dd.filter if dd else None,
            regex=bool(dd and dd.regex),
        )

    def panel(
        self, cfg: PanelCfg, status: Status, now: datetime, window: TimeWindow, **kw: Any
    ) -> PanelSnapshot:
        """A PanelSnapshot with this panel's identity, drill-down and drawn thresholds filled in."""
        pos = PanelPosition(**cfg.position.model_dump()) if cfg.position else None
        kw.setdefault("thresholds", drawn_thresholds(cfg))
        return PanelSnapshot(
            id=cfg.id,
            title=cfg.title,
            kind=cfg.kind,
            status=status,
            unit=cfg.unit,
            fetched_at=now,
            provider=cfg.provider or "",
            position=pos,
            description=cfg.description,
            drill=self.drill(cfg, window, status),
            range=cfg.range,
            **kw,
        )

    def failed(self, cfg: PanelCfg, why: Failed | str, now: datetime, window: TimeWindow) -> PanelSnapshot:
        """An error panel (the poller keeps a previous good panel instead, marked stale)."""
        message = why.message if isinstance(why, Failed) else why
        return self.panel(cfg, "error", now, window, error=message)


def thresholds(cfg: PanelCfg) -> Thresholds:
    t = cfg.thresholds
    return Thresholds(t.warn, t.crit, t.direction) if t else Thresholds()


def drawn_thresholds(cfg: PanelCfg) -> Thresholds:
    """Thresholds as levels on the value axis; none when they apply to the % change."""
    return thresholds(cfg) if getattr(cfg, "threshold_on", "value") == "value" else Thresholds()


def guess_status_class(panel_id: str, title: str) -> str | None:
    """'5xx'/'4xx' from a panel's id or title (backend errors, fatal -> 5xx; user errors -> 4xx)."""
    text = f"{panel_id} {title}".lower()
    for cls in ("5xx", "4xx"):
        if cls in text:
            return cls
    if "backend error" in text or "fatal" in text:
        return "5xx"
    if "user error" in text:
        return "4xx"
    return None


def r4(v: float | None) -> float | None:
    """Values on the Snapshot are rounded to 4 decimals (and non-finite values become None)."""
    return None if v is None or not isfinite(v) else round(v, 4)


def stale(previous: PanelSnapshot, reason: str) -> PanelSnapshot:
    return replace(previous, stale=True, error=reason)


def note_list(*groups: Sequence[str]) -> tuple[str, ...]:
    """Notes in order, each once."""
    out: list[str] = []
    for group in groups:
        for n in group:
            if n and n not in out:
                out.append(n)
    return tuple(out)
