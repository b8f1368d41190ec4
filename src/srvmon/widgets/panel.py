"""The panel frame: title with status symbol, state (loading / stale / error / no data), and its body."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from datetime import datetime, tzinfo
from typing import Any

from rich.text import Text
from textual.app import ComposeResult
from textual.message import Message
from textual.widget import Widget

from srvmon.model import PanelSnapshot, Thresholds
from srvmon.widgets.alarms import AlarmList
from srvmon.widgets.base import PanelBody, clean
from srvmon.widgets.cost import CostView
from srvmon.widgets.gauge import GaugeView
from srvmon.widgets.health import HealthChips
from srvmon.widgets.line import TextLine
from srvmon.widgets.logs import LogList
from srvmon.widgets.stat import StatView
from srvmon.widgets.timeseries import TimeseriesView
from srvmon.widgets.toplist import TopList
from srvmon.widgets.units import STATUS_SYMBOL, fmt_age

BODIES: dict[str, type[PanelBody]] = {
    "timeseries": TimeseriesView,
    "stat": StatView,
    "toplist": TopList,
    "gauge": GaugeView,
    "alarms": AlarmList,
    "cost": CostView,
    "health": HealthChips,
    "logs": LogList,
}

STATES = ("loading", "ok", "stale", "error", "nodata")
_MANAGED_CLASSES = frozenset(
    [f"-{s}" for s in ("ok", "warn", "crit", "nodata", "error")]
    + [f"-state-{s}" for s in STATES]
    + ["-show-message"]
)


def panel_state(panel: PanelSnapshot | None) -> str:
    """loading (nothing yet), stale (old value kept), error (nothing to show), nodata, or ok."""
    if panel is None:
        return "loading"
    if panel.stale:
        return "stale"
    if panel.status == "error":
        return "error"
    if panel.status == "nodata":
        return "nodata"
    return "ok"


class PanelFrame(Widget, can_focus=True):
    """A focusable bordered panel. Enter posts DrillDown; its status shows by symbol and border colour."""

    DEFAULT_CSS = """
    PanelFrame {
        border: round $foreground 30%;
        border-title-align: left;
        border-subtitle-align: right;
        height: 1fr;
        width: 1fr;
        padding: 0 1;
        background: $surface;
    }
    PanelFrame:focus { border: round $accent; }
    PanelFrame.-warn { border: round $warning; }
    PanelFrame.-crit, PanelFrame.-error { border: round $error; }
    PanelFrame.-warn:focus, PanelFrame.-crit:focus, PanelFrame.-error:focus { border: double $accent; }
    PanelFrame > .message {
        height: 1fr; width: 1fr; content-align: center middle; display: none;
        text-wrap: wrap; text-overflow: fold;
    }
    PanelFrame.-show-message > .message { display: block; }
    PanelFrame.-show-message > PanelBody { display: none; }
    """

    class DrillDown(Message):
        """Enter on a panel (or its selected row/series): open the logs behind it."""

        def __init__(self, frame: PanelFrame, row: Mapping[str, Any] | None) -> None:
            super().__init__()
            self.frame = frame
            """The panel frame the drill-down started from."""
            self.row = row
            """The selected row or series ({'labels': ...}), or None for the whole panel."""

    def __init__(
        self,
        panel_id: str,
        title: str,
        kind: str,
        *,
        tz: tzinfo | None = None,
        description: str = "",
        threshold_on: str = "value",
    ) -> None:
        # born in the loading state, so mounting styles it once (no restyle from on_mount)
        super().__init__(id=f"panel-{panel_id}", classes="-state-loading -show-message")
        self.panel_id = panel_id
        self.title = title
        self.kind = kind
        self.tz = tz
        self.description = description
        self.threshold_on = threshold_on
        self._display: tuple[PanelSnapshot, PanelSnapshot] | None = None
        self.panel: PanelSnapshot | None = None
        self.now: datetime | None = None
        self.compare = True
        self.body: PanelBody = BODIES.get(kind, StatView)(tz=tz)
        self.state = "loading"
        #: What the border shows now (symbol + title, subtitle): setting a border title always repaints
        #: the whole frame, so it is only set when this changes.
        self._chrome: tuple[str, str | None] | None = None

    def compose(self) -> ComposeResult:
        yield TextLine(Text("loading…"), classes="message")
        yield self.body

    def on_mount(self) -> None:
        self._update_chrome()

    def show(self, panel: PanelSnapshot, now: datetime | None = None) -> None:
        """New data for this panel (state, status and body)."""
        if panel == self.panel and (not panel.stale or now == self.now):
            return  # nothing this panel shows changed: no repaint
        self.panel = panel
        self.now = now
        self.state = panel_state(panel)
        if panel.status != "error" or panel.stale:
            self.body.show(self.display_panel(panel))
        self._update_chrome()

    def display_panel(self, panel: PanelSnapshot) -> PanelSnapshot:
        """The panel as the body draws it (the same object for the same input, so pre-builds match)."""
        if self.threshold_on != "delta_pct":
            return panel
        cached = self._display
        if cached is not None and cached[0] is panel:
            return cached[1]
        # thresholds on the % change vs last week are not levels on the value axis
        shown = replace(panel, thresholds=Thresholds())
        self._display = (panel, shown)
        return shown

    def prebuild(self, panel: PanelSnapshot) -> None:
        """Worker thread: let the body render its next picture before the snapshot is applied."""
        if panel == self.panel:
            return  # unchanged: show() will not repaint it
        if panel.status != "error" or panel.stale:
            self.body.prebuild(self.display_panel(panel))

    def set_compare(self, on: bool) -> None:
        self.compare = on
        if isinstance(self.body, TimeseriesView):
            self.body.set_compare(on)

    def _update_chrome(self) -> None:
        p = self.panel
        status = p.status if p is not None else "nodata"
        if p is not None and p.stale:
            status = p.status if p.status != "error" else "error"
        message = self._message()
        wanted = {f"-state-{self.state}"}
        if p is not None:
            wanted.add(f"-{status}")
        if message is not None:
            wanted.add("-show-message")
        managed = _MANAGED_CLASSES
        current = set(self.classes) & managed
        if current != wanted:
            # one restyle for the whole change (each set_class would restyle the subtree again)
            removes, adds = current - wanted, wanted - current
            if adds:
                self.remove_class(*removes, update=False)
                self.add_class(*adds)
            else:
                self.remove_class(*removes)
        symbol = STATUS_SYMBOL.get(status, "") if p is not None else "…"
        subtitle = self._subtitle()
        chrome = (symbol, subtitle.plain if subtitle is not None else None)
        if chrome != self._chrome:
            self._chrome = chrome
            title = Text(f"{symbol} ", style="bold")
            title.append(clean(self.title))
            self.border_title = title
            self.border_subtitle = subtitle
        if message is not None:
            self.query_one(".message", TextLine).update(message)

    def _subtitle(self) -> Text | None:
        p = self.panel
        if self.state == "loading":
            return Text("loading…")
        if p is None:
            return None
        if self.state == "stale":
            age = (self.now - p.fetched_at).total_seconds() if self.now and p.fetched_at else None
            reason = clean(p.error or "refresh failed")
            return Text(f"⟳ stale {fmt_age(age)}: {reason[:60]}")
        if self.state == "error":
            return Text("⊘ error")
        if self.state == "nodata":
            return Text("∅ no data")
        return None

    def _message(self) -> Text | None:
        """Text that replaces the body: loading, error without data, no data."""
        p = self.panel
        if self.state == "loading":
            return Text("loading…")
        if p is None:
            return None
        if self.state == "error":
            return Text(f"⊘ {clean(p.error or 'error')}")
        if self.state == "nodata" and self.kind in ("timeseries", "stat", "gauge"):
            return Text("∅ no data in this window")
        return None

    # -- keys routed by the board screen ---------------------------------------------------------
    def drill(self) -> None:
        self.post_message(self.DrillDown(self, self.body.selected()))

    def move_row(self, delta: int) -> bool:
        return self.body.move_cursor(delta)
