"""KeyBar: the one-line key footer of every screen, drawn from the screen's active bindings.

It shows what Textual's Footer shows (each shown binding once per action, disabled ones dim, the command
palette key on the right) as one widget that repaints when the bindings change. Textual's Footer builds a
widget per key and rebuilds them all on every focus or screen change, which was most of the board's
start-up restyling and a part of every key that moves focus. A click on a key presses it.
"""

from __future__ import annotations

from typing import NamedTuple

from rich.cells import cell_len
from rich.text import Text
from textual import events
from textual.screen import Screen
from textual.widget import Widget

ELLIPSIS = "…"
#: The key that lists the screen's keys: never dropped for want of room.
HELP_KEY = "question_mark"


class KeyHint(NamedTuple):
    key: str  # the key to press (as Textual names it), for a click
    display: str  # how the key is shown
    description: str
    enabled: bool


class KeyBar(Widget):
    """The screen's key hints in one line."""

    COMPONENT_CLASSES = {"key-bar--key", "key-bar--description", "key-bar--palette"}
    DEFAULT_CSS = """
    KeyBar {
        dock: bottom; height: 1; width: 1fr;
        color: $footer-foreground; background: $footer-background;
    }
    KeyBar > .key-bar--key {
        color: $footer-key-foreground; background: $footer-key-background; text-style: bold;
    }
    KeyBar > .key-bar--description {
        color: $footer-description-foreground; background: $footer-description-background;
    }
    KeyBar > .key-bar--palette { color: $foreground 20%; }
    """

    def __init__(self, *, id: str | None = None, classes: str | None = None) -> None:
        super().__init__(id=id, classes=classes)
        self._spans: list[tuple[int, int, str]] = []  # (start, end, key) of each hint, for clicks

    def on_mount(self) -> None:
        self.screen.bindings_updated_signal.subscribe(self, self._bindings_changed)

    def _bindings_changed(self, screen: Screen[object]) -> None:
        if screen is self.screen:
            self.refresh()

    def hints(self) -> tuple[list[KeyHint], KeyHint | None]:
        """The shown bindings of this screen, one per action, and the command palette's (or None)."""
        app = self.app
        palette_key = app.COMMAND_PALETTE_BINDING if app.ENABLE_COMMAND_PALETTE else None
        shown: list[KeyHint] = []
        seen: set[str] = set()
        palette: KeyHint | None = None
        for key, active in self.screen.active_bindings.items():
            binding = active.binding
            hint = KeyHint(key, app.get_key_display(binding), binding.description, active.enabled)
            if key == palette_key:
                palette = hint
            elif binding.show and binding.action not in seen:
                seen.add(binding.action)
                shown.append(hint)
        return shown, palette

    def render(self) -> Text:
        width = self.size.width
        key_style = self.get_component_rich_style("key-bar--key")
        desc_style = self.get_component_rich_style("key-bar--description")
        shown, palette = self.hints()

        def piece(hint: KeyHint) -> Text:
            text = Text()
            text.append(f" {hint.display} ", key_style)
            text.append(f"{hint.description} ", desc_style)
            if not hint.enabled:
                text.stylize("dim")
            return text

        tail = Text()
        if palette is not None:
            tail.append("▏", self.get_component_rich_style("key-bar--palette"))
            tail.append(f"{palette.display} ", key_style)
            tail.append(f"{palette.description} ", desc_style)
        # `?` (this screen's keys) always shows: the hints that do not fit are dropped before it
        pinned = [h for h in shown if h.key == HELP_KEY]
        pinned_len = sum(piece(h).cell_len for h in pinned)
        room = max(0, width - tail.cell_len)
        line = Text(no_wrap=True, overflow="ellipsis")
        spans: list[tuple[int, int, str]] = []

        def add(hint: KeyHint, text: Text) -> None:
            if hint.enabled:
                spans.append((line.cell_len, line.cell_len + text.cell_len, hint.key))
            line.append_text(text)

        for hint in (h for h in shown if h.key != HELP_KEY):
            text = piece(hint)
            if line.cell_len + text.cell_len + pinned_len > room:
                if line.cell_len + cell_len(ELLIPSIS) + pinned_len <= room:
                    line.append(ELLIPSIS)
                break
            add(hint, text)
        for hint in pinned:
            add(hint, piece(hint))
        if palette is not None and width >= tail.cell_len + line.cell_len:
            line.pad_right(room - line.cell_len)
            spans.append((line.cell_len, width, palette.key))
            line.append_text(tail)
        self._spans = spans
        return line

    def on_click(self, event: events.Click) -> None:
        for start, end, key in self._spans:
            if start <= event.x < end:
                event.stop()
                self.app.simulate_key(key)
                return
