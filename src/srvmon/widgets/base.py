"""The shared base of panel bodies: data in, theme colours, an optional selectable row for drill-down."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import tzinfo
from typing import Any

from rich.style import Style
from textual.color import Color
from textual.widget import Widget

from srvmon.model import PanelSnapshot
from srvmon.widgets.units import STATUS_VAR


def clean(text: Any) -> str:
    """Untrusted text made safe to display (terminal escapes and control characters neutralised)."""
    try:
        from srvmon.sanitize import clean as _clean
    except ImportError:  # pragma: no cover - sanitize ships with the core
        return "".join(ch if ch.isprintable() else "�" for ch in str(text))
    return _clean(str(text))


class PanelBody(Widget):
    """A panel's content. `show(panel)` replaces the data; rendering reads only that data."""

    DEFAULT_CSS = """
    PanelBody { height: 1fr; width: 1fr; text-wrap: nowrap; text-overflow: ellipsis; }
    """

    #: True for bodies whose rows (or series) can be selected with j/k for drill-down.
    selectable = False

    def __init__(self, *, tz: tzinfo | None = None, id: str | None = None, classes: str | None = None) -> None:
        super().__init__(id=id, classes=classes)
        self.tz = tz
        self.panel: PanelSnapshot | None = None
        self.cursor: int | None = None

    def show(self, panel: PanelSnapshot) -> None:
        """Take new data and redraw."""
        self.panel = panel
        count = self.row_count()
        if self.cursor is not None and self.cursor >= count:
            self.cursor = count - 1 if count else None
        self.refresh(layout=False)

    # -- selection (drill-down) ------------------------------------------------------------------
    def row_count(self) -> int:
        return len(self.panel.rows or ()) if self.panel is not None else 0

    def move_cursor(self, delta: int) -> bool:
        """Move the selected row; returns False when there is nothing to select."""
        count = self.row_count()
        if not self.selectable or count == 0:
            return False
        self.cursor = (0 if delta > 0 else count - 1) if self.cursor is None else (self.cursor + delta) % count
        self.refresh()
        return True

    def selected(self) -> Mapping[str, Any] | None:
        """The selected row (toplist/health/alarms/logs row, timeseries series labels) or None."""
        rows = self.panel.rows if self.panel is not None else None
        if self.cursor is None or not rows or self.cursor >= len(rows):
            return None
        return rows[self.cursor]

    # -- colours from the theme ------------------------------------------------------------------
    def theme_color(self, name: str) -> Color:
        """A colour from the app theme's variables ('success', 'warning', 'error', 'primary', ...)."""
        variables = self.app.theme_variables
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
