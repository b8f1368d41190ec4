"""The shared base of panel bodies: data in, theme colours, an optional selectable row for drill-down."""

from __future__ import annotations

import threading
from collections.abc import Mapping
from datetime import tzinfo
from typing import Any

from rich.style import Style
from textual.color import Color
from textual.strip import Strip
from textual.visual import Visual, visualize
from textual.widget import Widget, _RenderCache

from srvmon.model import PanelSnapshot
from srvmon.widgets.units import STATUS_VAR


def clean(text: Any) -> str:
    """Untrusted text made safe to display (terminal escapes and control characters neutralised)."""
    try:
        from srvmon.sanitize import clean as _clean
    except ImportError:  # pragma: no cover - sanitize ships with the core
        return "".join(ch if ch.isprintable() else "�" for ch in str(text))
    return _clean(str(text))


#: In a thread pre-rendering a body: (body, the panel it is about to show). `PanelBody.panel` reads it,
#: so `render()` draws the next panel in that thread while the UI thread still sees the current one.
_prerendering = threading.local()


class PanelBody(Widget):
    """A panel's content. `show(panel)` replaces the data; rendering reads only that data."""

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
        self._panel: PanelSnapshot | None = None
        self.cursor: int | None = None
        self._prelock = threading.Lock()
        #: Lines pre-rendered by the refresh worker: (key, panel, visual style, visual, strips).
        self._prestrips: tuple[tuple[Any, ...], PanelSnapshot, Any, Visual, list[Strip]] | None = None

    @property
    def panel(self) -> PanelSnapshot | None:
        pre = getattr(_prerendering, "body", None)
        if pre is not None and pre[0] is self:
            return pre[1]  # type: ignore[no-any-return]
        return self._panel

    @panel.setter
    def panel(self, panel: PanelSnapshot | None) -> None:
        self._panel = panel

    # -- pre-rendering in the refresh worker -----------------------------------------------------
    def render_state(self) -> tuple[Any, ...]:
        """Widget state besides panel, size, cursor and theme that `render()` depends on."""
        return ()

    def _prerender_key(self, panel: PanelSnapshot | None) -> tuple[Any, ...]:
        return (id(panel), self.size, self.cursor, self.render_state(), self.app.theme)

    def prebuild(self, panel: PanelSnapshot) -> None:
        """Worker thread: render `panel` into screen lines ahead of time, so showing it is only a swap.

        Best effort: when anything differs by the time it is shown, the UI thread renders as usual."""
        if not self.is_mounted or self.size.width <= 0 or self.size.height <= 0:
            return
        key = self._prerender_key(panel)
        _prerendering.body = (self, panel)
        try:
            style = self.visual_style
            visual = visualize(self, self.render(), markup=self._render_markup)
            strips = Visual.to_strips(self, visual, self.size.width, self.size.height, style)
        finally:
            _prerendering.body = None
        with self._prelock:
            self._prestrips = (key, panel, style, visual, strips)

    def _render_content(self) -> None:
        """Widget._render_content (textual pinned ==8.2.8), taking the worker's pre-rendered lines when
        they are for exactly this panel, size, cursor, theme and style; otherwise the normal path."""
        with self._prelock:
            pre, self._prestrips = self._prestrips, None
        panel = self._panel
        if (
            pre is not None
            and pre[1] is panel
            and pre[0] == self._prerender_key(panel)
            and self.text_selection is None
            and pre[2] == self.visual_style
        ):
            self._layout_cache["_render.visual"] = pre[3]
            self._render_cache = _RenderCache(self.size, pre[4])
            self._dirty_regions.clear()
            return
        super()._render_content()

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
        self.cursor = (
            (0 if delta > 0 else count - 1) if self.cursor is None else (self.cursor + delta) % count
        )
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
