"""One panel full screen (opened from the compact board): the chart with axes, last week, trend,
thresholds and change markers, or every row of a table; its notes in full; Enter drills down."""

from __future__ import annotations

from datetime import datetime, tzinfo
from typing import TYPE_CHECKING, ClassVar

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import BindingType
from textual.screen import Screen

from srvmon.model import ChangeEvent, PanelHead, PanelSnapshot
from srvmon.tui.board_header import BoardHeader
from srvmon.tui.key_bar import KeyBar
from srvmon.tui.keys import PANEL_KEYS, bindings
from srvmon.widgets.base import clean
from srvmon.widgets.line import TextLine
from srvmon.widgets.panel import PanelFrame
from srvmon.widgets.toplist import TopList

if TYPE_CHECKING:
    from srvmon.tui.board_screen import BoardScreen


class PanelScreen(Screen[None]):
    """A panel of a board screen, full size; it follows the board's refreshes until closed."""

    BINDINGS: ClassVar[list[BindingType]] = bindings(PANEL_KEYS)  # type: ignore[assignment]
    DEFAULT_CSS = """
    PanelScreen { background: $background; }
    PanelScreen > PanelFrame { height: 1fr; }
    PanelScreen > .notes { height: auto; max-height: 4; color: $foreground-muted; padding: 0 1;
                           text-wrap: wrap; }
    """

    def __init__(self, board: BoardScreen, head: PanelHead, *, tz: tzinfo | None = None) -> None:
        super().__init__(name=f"panel-{head.id}")
        self.board = board
        self.head = head
        self.tz = tz
        self.frame = PanelFrame(head, tz=tz)

    def compose(self) -> ComposeResult:
        yield BoardHeader(id="header")
        yield self.frame
        yield TextLine(classes="notes")
        yield KeyBar()

    def on_mount(self) -> None:
        self.query_one(BoardHeader).update(self.board.header_line())
        self.frame.set_compare(self.board.srvmon.view.compare)
        self.frame.focus()
        snap = self.board.snapshot
        if snap is not None:
            self.show(
                snap.panel(self.head.id), self.board.srvmon.clock.now(), self.board.events_of(self.head.id)
            )

    def show(self, panel: PanelSnapshot, now: datetime | None, events: tuple[ChangeEvent, ...]) -> None:
        """New data for the panel (the board screen calls it on every refresh)."""
        self.frame.show(panel, now, events)
        notes = self.frame.notes()
        if len(" · ".join(notes)) <= self.frame.size.width - 8:
            notes = []  # the frame's subtitle shows them whole already
        line = self.query_one(".notes", TextLine)
        line.styles.height = len(notes) if notes else 0
        line.update(Text("\n".join(f"ⓘ {n}" for n in notes)))
        self.query_one(BoardHeader).update(self.board.header_line())

    # -- keys ------------------------------------------------------------------------------------
    def action_back(self) -> None:
        self.dismiss(None)

    def action_drill(self) -> None:
        self.frame.drill()

    def action_row(self, delta: int) -> None:
        if not self.frame.move_row(delta):
            self.notify("this panel has no rows to select", timeout=2)

    def action_sort(self) -> None:
        if isinstance(self.frame.body, TopList):
            self.notify(f"sorted by {self.frame.body.cycle_sort()}", timeout=2)

    def action_toggle_compare(self) -> None:
        self.board.action_toggle_compare()
        self.frame.set_compare(self.board.srvmon.view.compare)

    def action_events(self) -> None:
        self.board.show_events(self.head.id)

    def action_export(self) -> None:
        self.board.srvmon.export_screen()

    @on(PanelFrame.DrillDown)
    def _on_drill(self, message: PanelFrame.DrillDown) -> None:
        message.stop()
        self.board.drill(message.frame, message.row)

    def title_text(self) -> str:
        return clean(self.head.title)
