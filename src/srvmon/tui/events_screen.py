"""The change events on a panel's resources in the board window (`E`): newest first; Enter opens the logs
of the event's resources from a few minutes before to a few minutes after."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import tzinfo
from typing import TYPE_CHECKING, ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import BindingType
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import OptionList, Static
from textual.widgets.option_list import Option

from srvmon.drill import event_query
from srvmon.model import ChangeEvent
from srvmon.tui.key_bar import KeyBar
from srvmon.tui.keys import EVENTS_KEYS, bindings
from srvmon.tui.record_screen import safe_link
from srvmon.widgets.base import clean
from srvmon.widgets.events import GLYPH

if TYPE_CHECKING:
    from srvmon.tui.app import SrvmonApp


def event_line(e: ChangeEvent, tz: tzinfo | None) -> Text:
    """'01 Dec 09:10 ⇪ deploy  checkout-api  deployed v2.14.0 …  by ci/deploy-pipeline' (inert text)."""
    line = Text(no_wrap=True, overflow="ellipsis")
    line.append(f"{e.time.astimezone(tz):%d %b %H:%M}", style="dim")
    line.append(f" {GLYPH.get(e.kind, '•')} {e.kind:<11} ", style="bold")
    if e.resources:
        more = f" +{len(e.resources) - 1}" if len(e.resources) > 1 else ""
        line.append(f"{clean(e.resources[0])}{more}  ")
    line.append(clean(e.summary))
    if e.version:
        line.append(f" ({clean(e.version)})")
    if e.actor:
        line.append(f"  by {clean(e.actor)}", style="dim")
    return line


class EventsScreen(ModalScreen[None]):
    """A modal list of change events (newest first)."""

    BINDINGS: ClassVar[list[BindingType]] = bindings(EVENTS_KEYS)  # type: ignore[assignment]
    DEFAULT_CSS = """
    EventsScreen { align: center middle; }
    EventsScreen > Vertical {
        width: 96%; max-width: 160; height: auto; max-height: 80%;
        border: round $accent; background: $surface; padding: 0 1;
    }
    EventsScreen OptionList { height: auto; max-height: 30; border: none; }
    EventsScreen .empty, EventsScreen .link { height: auto; color: $foreground-muted; }
    """

    def __init__(self, title: str, events: Sequence[ChangeEvent], *, tz: tzinfo | None = None) -> None:
        super().__init__()
        self.title_text = title
        self.events = sorted(events, key=lambda e: e.time, reverse=True)
        self.tz = tz

    @property
    def srvmon(self) -> SrvmonApp:
        return self.app  # type: ignore[return-value]

    def compose(self) -> ComposeResult:
        with Vertical() as box:
            box.border_title = f"changes · {clean(self.title_text)}"
            if self.events:
                yield OptionList(
                    *[Option(event_line(e, self.tz), id=str(i)) for i, e in enumerate(self.events)]
                )
            else:
                yield Static("no change events on this panel's resources in the window", classes="empty")
            yield Static("", classes="link")
        yield KeyBar()

    def on_mount(self) -> None:
        for options in self.query(OptionList):
            options.highlighted = 0
            options.focus()

    def selected(self) -> ChangeEvent | None:
        for options in self.query(OptionList):
            if options.highlighted is not None:
                return self.events[options.highlighted]
        return None

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        self.action_open()

    def action_open(self) -> None:
        chosen = self.selected()
        if chosen is None:
            return
        self.dismiss(None)
        self.srvmon.open_logs(event_query(chosen))

    def action_link(self) -> None:
        chosen = self.selected()
        link = safe_link(chosen.link) if chosen is not None else None
        self.query_one(".link", Static).update(Text(link or "this event has no console link"))

    def action_back(self) -> None:
        self.dismiss(None)
