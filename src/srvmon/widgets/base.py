"""The shared base of panel bodies: data in, theme colours, an optional selectable row for drill-down."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import tzinfo
from typing import Any

from rich.style import Style
from textual.color import Color
from textual.widget import Widget

from srvmon.fmt import STATUS_VAR
from srvmon.model import ChangeEvent, PanelSeries, PanelSnapshot, Row
from srvmon.sanitize import clean as _clean


def clean(text: Any) -> str:
    """Untrusted text made safe to display (terminal escapes and control characters neutralised)."""
    return _clean(str(text))


def note_text(note: str, title: str) -> str:
    """A panel note as shown beside its panel: cleaned, without the panel's own title in front of it
    ('API Gateway p99 (checkout-api) +199% since …' on the API Gateway p99 panel reads '(checkout-api) +199%
    since …')."""
    text = clean(note)
    head = clean(title)
    if head and text.startswith(head + " ") and len(text) > len(head) + 1:
        return text[len(head) + 1 :]
    return text


class Themed:
    """Colours from the app theme's variables, for widgets that draw Rich text (UI thread only)."""

    def theme_color(self, name: str) -> Color:
        """A colour from the app theme's variables ('success', 'warning', 'error', 'primary', ...)."""
        variables: dict[str, str] = self.app.theme_variables  # type: ignore[attr-defined]  # a Widget's app
        value = variables.get(name) or variables.get("foreground") or "white"
        try:
            return Color.parse(value)
        except Exception:
            return Color.parse(variables.get("foreground", "white"))

    def status_style(self, status: str, *, bold: bool = False) -> Style:
        return Style(color=self.theme_color(STATUS_VAR.get(status, "foreground")).rich_color, bold=bold)

    def fg(self, name: str) -> Style:
        """A foreground style in the theme colour `name`."""
        return Style(color=self.theme_color(name).rich_color)

    def muted(self) -> Style:
        return Style(color=self.theme_color("foreground-muted").rich_color)


class PanelBody(Themed, Widget):
    """A panel's content. `show(panel)` replaces the data; rendering reads only that data (and decides
    nothing: statuses and numbers come from the Snapshot)."""

    DEFAULT_CSS = """
    PanelBody { height: 1fr; width: 1fr; text-wrap: nowrap; text-overflow: ellipsis; }
    """

    #: True for bodies whose rows (or series) can be selected with j/k for drill-down.
    selectable = False

    def __init__(
        self, *, tz: tzinfo | None = None, id: str | None = None, classes: str | None = None
    ) -> None:
        super().__init__(id=id, classes=classes)
        self.tz = tz
        self.panel: PanelSnapshot | None = None
        self.cursor: int | None = None
        #: Compare overlay shown (the `w` key); bodies without an overlay ignore it.
        self.compare = True
        #: The change events on this panel's resources (from Snapshot.events), oldest first.
        self.events: tuple[ChangeEvent, ...] = ()

    def show(self, panel: PanelSnapshot, events: tuple[ChangeEvent, ...] = ()) -> None:
        """Take new data (and the panel's change events) and redraw."""
        self.panel = panel
        self.events = events
        count = self.row_count()
        if self.cursor is not None and self.cursor >= count:
            self.cursor = count - 1 if count else None
        self.refresh(layout=False)

    def set_compare(self, on: bool) -> None:
        if on != self.compare:
            self.compare = on
            self.refresh()

    # -- selection (drill-down) ------------------------------------------------------------------
    def items(self) -> Sequence[Row | PanelSeries]:
        """What j/k selects, in display order (rows, or series for charts)."""
        return tuple(self.panel.rows or ()) if self.panel is not None else ()

    def row_count(self) -> int:
        return len(self.items())

    def move_cursor(self, delta: int) -> bool:
        """Move the selected row; returns False when there is nothing to select."""
        count = self.row_count()
        if not self.selectable or count == 0:
            return False
        self.cursor = (
            (0 if delta > 0 else count - 1) if self.cursor is None else (self.cursor + delta) % count
        )
        self.refresh()
        return True

    def selected(self) -> Row | PanelSeries | None:
        """The selected row (or series) for drill-down, or None."""
        items = self.items()
        if self.cursor is None or self.cursor >= len(items):
            return None
        return items[self.cursor]
