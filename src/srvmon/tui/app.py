"""The Textual app: wiring only (boards, sources, view state, screens); `create_app` is the factory."""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, tzinfo
from pathlib import Path
from typing import Any

from textual.app import App
from textual.binding import Binding

from srvmon.clock import Clock, SystemClock
from srvmon.export import write_atomic
from srvmon.model import LogQuery, parse_duration
from srvmon.tui.board_screen import BoardScreen
from srvmon.tui.commands import SrvmonCommands
from srvmon.tui.help_screen import HelpScreen
from srvmon.tui.keys import APP_KEYS, bindings
from srvmon.tui.refresher import PrefetchedSource, SnapshotSource
from srvmon.tui.spec import BoardSpec, from_board
from srvmon.tui.view import ViewState

SourceFactory = Callable[[BoardSpec], SnapshotSource]


def zone(name: str | None) -> tzinfo | None:
    """Settings timezone -> tzinfo ('local' -> None, meaning the system's local zone)."""
    if not name or name == "local":
        return None
    if name == "UTC":
        return UTC
    from zoneinfo import ZoneInfo

    return ZoneInfo(name)


class SrvmonApp(App[None]):
    """The screenboard. Everything it shows comes from snapshot sources built by `source_factory`."""

    TITLE = "srvmon"
    CSS_PATH = "board.tcss"
    COMMANDS = App.COMMANDS | {SrvmonCommands}
    BINDINGS = [*bindings(APP_KEYS), Binding("ctrl+p", "command_palette", "Commands", show=False)]

    def __init__(
        self,
        boards: Sequence[BoardSpec],
        source_factory: SourceFactory,
        *,
        providers: Mapping[str, Any] | None = None,
        clock: Clock | None = None,
        board: str | None = None,
        range_: str | None = None,
        refresh_s: float | None = None,
        hint: str | None = None,
        tz: tzinfo | None = None,
        theme: str | None = None,
        export_dir: Path | None = None,
        live_refresh: bool = True,
        prefetch: bool = False,
    ) -> None:
        super().__init__()
        if not boards:
            raise ValueError("no boards to show")
        self.boards = list(boards)
        self.source_factory = source_factory
        self.providers = dict(providers or {})
        self.clock: Clock = clock or SystemClock()
        self.hint = hint
        self.tz = tz
        self.export_dir = export_dir
        self.live_refresh = live_refresh
        self.refresh_override = refresh_s
        self.current = next((b for b in self.boards if b.name == board), self.boards[0])
        self.view = ViewState.named(range_ or self.current.range)
        self._sources: dict[str, SnapshotSource] = {}
        #: Headless export: no key footer, no notifications.
        self.export_mode = False
        if theme and theme in self.available_themes:
            self.theme = theme
        if prefetch:
            # the first fetch runs while Textual starts up, not after the screen is mounted
            first = self.source_factory(self.current)
            self._sources[self.current.name] = PrefetchedSource(
                first, range_s=self.view.range_s, compare=self.view.compare
            )

    # -- screens ---------------------------------------------------------------------------------
    def _screen_for(self, spec: BoardSpec) -> BoardScreen:
        if self.refresh_override:
            from dataclasses import replace

            spec = replace(spec, refresh_s=self.refresh_override)
        source = self._sources.get(spec.name)
        if source is None:
            source = self._sources[spec.name] = self.source_factory(spec)
        return BoardScreen(spec, source, tz=self.tz, hint=self.hint, live_refresh=self.live_refresh)

    def on_mount(self) -> None:
        self.push_screen(self._screen_for(self.current))

    def on_unmount(self) -> None:
        for source in self._sources.values():
            with contextlib.suppress(Exception):  # closing must never mask the exit
                source.close()

    @property
    def board_screen(self) -> BoardScreen | None:
        for screen in reversed(self.screen_stack):
            if isinstance(screen, BoardScreen):
                return screen
        return None

    def switch_board(self, name: str) -> None:
        spec = next((b for b in self.boards if b.name == name), None)
        if spec is None:
            self.notify(f"no board named {name!r}", severity="error")
            return
        self.current = spec
        self.switch_screen(self._screen_for(spec))

    def choose_board(self) -> None:
        if len(self.boards) < 2:
            self.notify("only one board is configured", timeout=3)
            return
        from textual.command import CommandListItem, SimpleCommand

        commands: list[CommandListItem] = [
            SimpleCommand(f"Board: {b.title}", (lambda n=b.name: self.switch_board(n)), f"board {b.name}")
            for b in self.boards
        ]
        self.search_commands(commands, placeholder="Switch to board…")

    # -- commands shared by keys and the palette -------------------------------------------------
    def set_range(self, name: str) -> None:
        if (screen := self.board_screen) is not None:
            screen.action_range(name)

    def toggle_compare(self) -> None:
        if (screen := self.board_screen) is not None:
            screen.action_toggle_compare()

    def refresh_now(self) -> None:
        if (screen := self.board_screen) is not None:
            screen.action_refresh()

    def export_screen(self) -> Path:
        """Write an SVG of the current screen atomically; the path is shown in a notification."""
        now = self.clock.now()
        directory = self.export_dir or Path.cwd()
        path = directory / f"srvmon-{self.current.name}-{now:%Y%m%d-%H%M%S}.svg"
        try:
            write_atomic(path, self.export_screenshot(title=f"srvmon {self.current.title}"))
        except OSError as exc:
            self.notify(f"export failed: {exc}", severity="error")
            return path
        self.notify(f"saved {path}", title="SVG export", timeout=6)
        return path

    def open_logs(self, query: LogQuery) -> None:
        """The drill-down hook: the logs screen for `query`, when the logs screen is installed."""
        provider = self.providers.get(query.provider)
        if provider is None:
            self.notify(f"provider {query.provider!r} is not available for logs", severity="warning")
            return
        try:
            from srvmon.tui.logs_screen import LogsScreen  # written by the drill-down part
        except ImportError:
            where = ", ".join(query.resources) or "all resources"
            self.notify(f"logs view not available (would show {query.provider}: {where})", severity="warning")
            return
        self.push_screen(LogsScreen(provider, query, self.clock))

    def action_help(self) -> None:
        if not isinstance(self.screen, HelpScreen):
            self.push_screen(HelpScreen())


def create_app(
    loaded: Any,
    providers: Mapping[str, Any],
    clock: Clock,
    *,
    board: str | None = None,
    range_: str | None = None,
    refresh_s: float | None = None,
) -> SrvmonApp:
    """Build the app from a srvmon.config.LoadedConfig (boards, settings, hint) and built providers."""
    from srvmon.poll import Poller

    settings = loaded.settings
    timeout_s = float(parse_duration(settings.timeout))
    boards_by_name = {b.name: b for b in loaded.boards}

    def source_factory(spec: BoardSpec) -> SnapshotSource:
        return Poller(boards_by_name[spec.name], dict(providers), clock, timeout_s=timeout_s)  # type: ignore[return-value]

    return SrvmonApp(
        [from_board(b) for b in loaded.boards],
        source_factory,
        providers=providers,
        clock=clock,
        board=board,
        range_=range_ or None,
        refresh_s=refresh_s,
        hint=getattr(loaded, "hint", None),
        tz=zone(settings.timezone),
        theme=settings.theme,
        prefetch=True,
    )
