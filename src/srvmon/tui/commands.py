"""Command palette (Ctrl+P) provider: switch board, set range, theme, export, compare, refresh."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import TYPE_CHECKING

from textual.command import DiscoveryHit, Hit, Hits, Provider

from srvmon.tui.view import RANGE_NAMES

if TYPE_CHECKING:
    from srvmon.tui.app import SrvmonApp


class SrvmonCommands(Provider):
    """Board, range, theme and export commands."""

    def _commands(self) -> list[tuple[str, Callable[[], object], str]]:
        app: SrvmonApp = self.app  # type: ignore[assignment]
        out: list[tuple[str, Callable[[], object], str]] = []
        for spec in app.boards:
            out.append(
                (f"Board: {spec.title}", partial(app.switch_board, spec.name), f"show board {spec.name}")
            )
        for name in RANGE_NAMES:
            out.append((f"Range: {name}", partial(app.set_range, name), f"show the last {name}"))
        out.append(("Export SVG of this screen", app.export_screen, "write an SVG file (path shown)"))
        out.append(("Toggle last-week overlay", app.toggle_compare, "compare overlay on/off"))
        out.append(("Refresh now", app.refresh_now, "fetch the board again"))
        for theme in sorted(app.available_themes):
            out.append(
                (f"Theme: {theme}", partial(setattr, app, "theme", theme), f"switch to the {theme} theme")
            )
        return out

    async def discover(self) -> Hits:
        for title, callback, help_text in self._commands():
            if title.startswith("Theme:"):
                continue
            yield DiscoveryHit(title, callback, help=help_text)

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for title, callback, help_text in self._commands():
            score = matcher.match(title)
            if score > 0:
                yield Hit(score, matcher.highlight(title), callback, help=help_text)
