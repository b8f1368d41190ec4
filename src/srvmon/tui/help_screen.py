"""The `?` help screen: the keys of the screen it was opened on (read from that screen's active bindings)."""

from __future__ import annotations

from collections.abc import Sequence

from rich.table import Table
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static


class HelpScreen(ModalScreen[None]):
    """A modal listing keys; Escape, q or ? closes it."""

    BINDINGS = [
        Binding("escape,q,question_mark", "dismiss", "Close"),
    ]
    DEFAULT_CSS = """
    HelpScreen { align: center middle; }
    HelpScreen > VerticalScroll {
        width: 110; max-width: 100%; height: auto; max-height: 90%;
        border: round $accent; background: $surface; padding: 0 1;
    }
    """

    def __init__(self, rows: Sequence[tuple[str, str]], *, title: str = "srvmon keys") -> None:
        super().__init__()
        self.rows = list(rows)
        self.title_text = title

    def compose(self) -> ComposeResult:
        table = Table(show_header=True, box=None, expand=True, header_style="bold")
        table.add_column("key", no_wrap=True, style="bold")
        table.add_column("what it does")
        for key, text in self.rows:
            table.add_row(key, text)
        with VerticalScroll() as scroll:
            scroll.border_title = f"{self.title_text} — Esc to close"
            yield Static(table)

    async def action_dismiss(self, result: None = None) -> None:
        self.dismiss(None)
