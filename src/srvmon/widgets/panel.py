"""The panel frame: title with status symbol, state (loading / stale / error / no data), and its body.

Severity shows as border colour plus the title's symbol; focus shows as the frame's shape (heavy) and a
reversed title - so a focused critical panel still reads critical, and focus is visible in monochrome.
"""

from __future__ import annotations

import importlib
from datetime import datetime, tzinfo
from functools import cache

from rich.text import Text
from textual.app import ComposeResult
from textual.message import Message
from textual.widget import Widget

from srvmon import kinds
from srvmon.fmt import STATUS_SYMBOL, fmt_age
from srvmon.model import ChangeEvent, PanelHead, PanelSeries, PanelSnapshot, Row
from srvmon.widgets.base import PanelBody, clean, note_text
from srvmon.widgets.line import TextLine

STATES = ("loading", "ok", "stale", "error", "nodata")
_MANAGED_CLASSES = frozenset(
    [f"-{s}" for s in ("ok", "warn", "crit", "nodata", "error")]
    + [f"-state-{s}" for s in STATES]
    + ["-show-message"]
)


@cache
def body_class(kind: str) -> type[PanelBody]:
    """The body widget the kind registry names for `kind` (imported here: the core never imports Textual)."""
    path = kinds.get(kind).body if kind in kinds.KINDS else "srvmon.widgets.stat:StatView"
    module, _, name = path.partition(":")
    cls = getattr(importlib.import_module(module), name)
    if not (isinstance(cls, type) and issubclass(cls, PanelBody)):
        raise TypeError(f"{path} is not a PanelBody")
    return cls


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
    """A focusable bordered panel. Enter posts DrillDown."""

    #: Maximisable even when not focusable (the wall's slideshow).
    ALLOW_MAXIMIZE = True

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
    PanelFrame.-warn { border: round $warning; }
    PanelFrame.-crit, PanelFrame.-error { border: round $error; }
    PanelFrame:focus { border: heavy $foreground 70%; border-title-style: reverse bold; }
    PanelFrame.-warn:focus { border: heavy $warning; }
    PanelFrame.-crit:focus, PanelFrame.-error:focus { border: heavy $error; }
    PanelFrame > .message {
        height: 1fr; width: 1fr; content-align: center middle; display: none;
        text-wrap: wrap; text-overflow: fold;
    }
    PanelFrame.-show-message > .message { display: block; }
    PanelFrame.-show-message > PanelBody { display: none; }
    """

    class DrillDown(Message):
        """Enter on a panel (or its selected row/series): open the logs behind it."""

        def __init__(self, frame: PanelFrame, row: Row | PanelSeries | None) -> None:
            super().__init__()
            self.frame = frame
            """The panel frame the drill-down started from."""
            self.row = row
            """The selected row or series, or None for the whole panel."""

    def __init__(self, head: PanelHead, *, tz: tzinfo | None = None, panel: PanelSnapshot | None = None,
                 now: datetime | None = None, events: tuple[ChangeEvent, ...] = ()) -> None:  # fmt: skip
        # born in its final state (the data, when it is already there, else loading), so mounting styles it
        # once: a class change later restyles the whole subtree
        state = panel_state(panel)
        self.head = head
        self.panel_id = head.id
        self.tz = tz
        self.panel: PanelSnapshot | None = panel
        self.now: datetime | None = now
        self.state = state
        self.events: tuple[ChangeEvent, ...] = events
        super().__init__(id=f"panel-{head.id}", classes=" ".join(sorted(self._wanted_classes())))
        self.body: PanelBody = body_class(head.kind)(tz=tz)
        if panel is not None and (panel.status != "error" or panel.stale):
            self.body.show(panel, events)
        #: What the border shows now: setting a border title repaints the whole frame, so only on change.
        self._chrome: tuple[str, str | None] | None = None

    @property
    def kind(self) -> str:
        return self.head.kind

    @property
    def symbol(self) -> str:
        """The status symbol the title shows now ('…' while loading)."""
        return self._chrome[0] if self._chrome is not None else "…"

    @property
    def title(self) -> str:
        return self.head.title

    def compose(self) -> ComposeResult:
        yield TextLine(self._message() or Text("loading…"), classes="message")
        yield self.body

    def on_mount(self) -> None:
        self._update_chrome()

    def show(
        self, panel: PanelSnapshot, now: datetime | None = None, events: tuple[ChangeEvent, ...] = ()
    ) -> None:
        """New data for this panel (state, status, body and the change events on its resources)."""
        if panel == self.panel and events == self.events and (not panel.stale or now == self.now):
            return  # nothing this panel shows changed: no repaint
        self.panel = panel
        self.now = now
        self.events = events
        self.state = panel_state(panel)
        if panel.status != "error" or panel.stale:
            self.body.show(panel, events)
        self._update_chrome()

    def set_compare(self, on: bool) -> None:
        self.body.set_compare(on)

    def _wanted_classes(self) -> set[str]:
        p = self.panel
        wanted = {f"-state-{self.state}"}
        if p is not None:
            wanted.add(f"-{p.status}")
        if self._message() is not None:
            wanted.add("-show-message")
        return wanted

    def _update_chrome(self) -> None:
        p = self.panel
        status = p.status if p is not None else "nodata"
        message = self._message()
        wanted = self._wanted_classes()
        current = set(self.classes) & _MANAGED_CLASSES
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
            title.append(clean(self.head.title))
            self.border_title = title
            self.border_subtitle = subtitle
        if message is not None and self.is_mounted:
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
            return Text("∅ " + (clean(p.notes[0])[:50] if p.value is not None and p.notes else "no data"))
        parts = [*self.notes(), *([p.range] if p.range else [])]
        return Text(" · ".join(parts)) if parts else None

    def notes(self) -> list[str]:
        """The panel's notes as shown (a text panel's note is its body, not a note)."""
        p = self.panel
        if p is None or kinds.traits(self.kind).notes_are_content:
            return []
        return [note_text(n, self.head.title) for n in p.notes]

    def _message(self) -> Text | None:
        """Text that replaces the body: loading, error without data, no data at all."""
        p = self.panel
        if self.state == "loading":
            return Text("loading…")
        if p is None:
            return None
        if self.state == "error":
            return Text(f"⊘ {clean(p.error or 'error')}")
        if self.state == "nodata" and p.value is None and not p.series and not p.rows:
            return Text("∅ no data in this window")
        return None

    # -- keys routed by the board screen ---------------------------------------------------------
    def drill(self) -> None:
        self.post_message(self.DrillDown(self, self.body.selected()))

    def move_row(self, delta: int) -> bool:
        return self.body.move_cursor(delta)
