"""The Textual app: wiring only (boards, sources, view state, screens); `create_app` and `open_saved` build it."""

from __future__ import annotations

import asyncio
import gc
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import tzinfo
from pathlib import Path
from typing import TYPE_CHECKING

from textual.app import App
from textual.binding import Binding
from textual.timer import Timer

from srvmon.clock import Clock, FrozenClock, SystemClock, zone
from srvmon.model import BoardInfo, LogQuery, Snapshot
from srvmon.tui.alerts import CritWatch
from srvmon.tui.board_screen import BoardScreen
from srvmon.tui.commands import SrvmonCommands
from srvmon.tui.help_screen import HelpScreen
from srvmon.tui.keys import APP_KEYS, bindings, help_rows
from srvmon.tui.refresher import PrefetchedSource, SnapshotSource, StaticSource
from srvmon.tui.themes import THEMES
from srvmon.tui.view import ViewState
from srvmon.writer import write_atomic

if TYPE_CHECKING:
    from srvmon.config import Board, LoadedConfig
    from srvmon.runtime import Runtime


#: How long the app waits for the first (prefetched) poll before showing the board in its loading state.
FIRST_FRAME_WAIT_S = 0.8
#: The latest the garbage collector is back on after start-up, first board frame or not.
COLLECTOR_BACK_S = 3.0


def collector_after_start() -> None:
    """After the first board frame. Everything alive now (modules, widgets, the config) lives as long as the
    app: frozen out of the collector's view, a full collection no longer rescans it (a wall screen's refresh
    would otherwise stall ~90 ms now and then with 10k functions). Then the collector is switched back on:
    `srvmon` and `srvmon open` start with it off (cli.main), because each full collection during start-up
    rescans the ~50k objects imports make (two of them cost ~60 ms of a 600 ms start)."""
    gc.freeze()
    gc.enable()


@dataclass(frozen=True)
class BoardView:
    """A board the app can show: how it is laid out, and how to get its snapshots."""

    info: BoardInfo
    source: Callable[[], SnapshotSource]
    #: The configured board (live apps): its variables can be changed with `v`.
    board: Board | None = None

    @property
    def name(self) -> str:
        return self.info.name

    @property
    def title(self) -> str:
        return self.info.title


def default_export_dir() -> Path:
    """The user's documents dir + /srvmon (never the current directory, which may be a git checkout)."""
    import platformdirs

    return Path(platformdirs.user_documents_dir()) / "srvmon"


class SrvmonApp(App[None]):
    """The screenboard. Everything it shows comes from snapshot sources; drill-down from the runtime."""

    TITLE = "srvmon"
    CSS_PATH = "board.tcss"
    COMMANDS = App.COMMANDS | {SrvmonCommands}
    BINDINGS = [*bindings(APP_KEYS), Binding("ctrl+p", "command_palette", "Commands", show=False)]

    def __init__(self, boards: Sequence[BoardView], *, runtime: Runtime | None = None, clock: Clock | None = None,
                 board: str | None = None, range_: str | None = None, refresh_s: float | None = None,
                 hint: str | None = None, tz: tzinfo | None = None, theme: str | None = None,
                 export_dir: Path | None = None, live_refresh: bool = True, prefetch: bool = False,
                 saved: str | None = None, layout: str = "auto", wall: bool = False,
                 cycle_s: float | None = None, on_crit: str | None = None,
                 loaded: LoadedConfig | None = None) -> None:  # fmt: skip
        super().__init__()
        if not boards:
            raise ValueError("no boards to show")
        for extra in THEMES:
            self.register_theme(extra)
        self.boards = list(boards)
        self.runtime = runtime
        self.clock: Clock = clock or SystemClock()
        self.hint = hint
        self.tz = tz
        self.export_dir = export_dir
        self.live_refresh = live_refresh
        self.refresh_override = refresh_s
        #: The saved snapshot's file (offline view), or None when live.
        self.saved = saved
        #: Layout asked for (auto, grid, compact); the wall (kiosk) mode overrides it.
        self.layout_name = layout
        self.wall = wall
        #: Wall slideshow: seconds each unhealthy panel is shown maximised (None: no slideshow).
        self.cycle_s = cycle_s
        #: The config (live apps), for re-resolving board variables (`v`).
        self.loaded = loaded
        self.crit_watch = CritWatch(on_crit, bell=wall or on_crit is not None)
        self.current = next((b for b in self.boards if b.name == board), self.boards[0])
        self.view = ViewState.named(range_ or self.current.info.range)
        self._sources: dict[str, SnapshotSource] = {}
        self._cycle_timer: Timer | None = None
        self._cycle_index = -1
        self._frozen = False
        #: Headless export: no key footer, no notifications.
        self.export_mode = False
        if theme and theme in self.available_themes:
            self.theme = theme
        elif wall:
            self.theme = "srvmon-high-contrast"
        if prefetch:
            # the first fetch runs while Textual starts up, not after the screen is mounted
            self._sources[self.current.name] = PrefetchedSource(self.current.source(), range_s=self.view.range_s,
                                                                compare=self.view.compare)  # fmt: skip

    # -- screens ---------------------------------------------------------------------------------
    def _screen_for(self, board: BoardView) -> BoardScreen:
        info = board.info
        if self.refresh_override:
            info = replace(info, refresh_s=self.refresh_override)
        source = self._sources.get(board.name)
        if source is None:
            source = self._sources[board.name] = board.source()
        initial = None
        if isinstance(source, StaticSource):
            initial = source.snapshot
        elif isinstance(source, PrefetchedSource):
            initial = source.take()
        return BoardScreen(info, source, tz=self.tz, hint=self.hint, live_refresh=self.live_refresh,
                           saved=self.saved, layout_name=self.layout_name, wall=self.wall,
                           initial=initial)  # fmt: skip

    async def on_mount(self) -> None:
        source = self._sources.get(self.current.name)
        if isinstance(source, PrefetchedSource):
            # the first poll is on its way: give it a moment, so the first frame is the whole board with its
            # data (composed once) rather than a loading board restyled when the data lands
            deadline = time.monotonic() + FIRST_FRAME_WAIT_S
            while not source.ready and time.monotonic() < deadline:
                await asyncio.sleep(0.005)
        self.push_screen(self._screen_for(self.current))
        # the collector comes back on even if the first snapshot is slow to come (cli.main turned it off)
        self.set_timer(COLLECTOR_BACK_S, gc.enable)
        if self.wall and self.cycle_s:
            self._cycle_timer = self.set_interval(self.cycle_s, self._cycle)

    def on_unmount(self) -> None:
        for source in self._sources.values():
            source.close()

    @property
    def board_screen(self) -> BoardScreen | None:
        for screen in reversed(self.screen_stack):
            if isinstance(screen, BoardScreen):
                return screen
        return None

    def switch_board(self, name: str) -> None:
        board = next((b for b in self.boards if b.name == name), None)
        if board is None:
            self.notify(f"no board named {name!r}", severity="error")
            return
        self.current = board
        self.switch_screen(self._screen_for(board))

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

    # -- wall ------------------------------------------------------------------------------------
    def _cycle(self) -> None:
        """Slideshow: maximise the next unhealthy panel; after the last one, the whole wall once."""
        screen = self.board_screen
        if screen is None or self.screen is not screen or screen.mode != "wall":
            return
        from srvmon.tui.wall import Wall

        wall = screen.query_one(Wall)
        hot = wall.hot
        self._cycle_index += 1
        if self._cycle_index >= len(hot):
            self._cycle_index = -1
            screen.minimize()
            return
        screen.maximize(wall.frames()[hot[self._cycle_index]], container=False)

    def panels_changed(self, screen: BoardScreen, previous: Snapshot | None, snapshot: Snapshot) -> None:
        """After each refresh: a panel that newly turned critical rings the bell / runs --on-crit."""
        if not self._frozen:
            self._frozen = True
            self.call_after_refresh(collector_after_start)  # after the first frame is on screen
        if screen.saved is None:
            self.crit_watch.check(self, previous, snapshot)

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
        """Write an SVG of the current screen atomically to the export dir; the path is shown."""
        from srvmon.tui.svg import fix_svg

        now = self.clock.now()
        directory = self.export_dir or default_export_dir()
        path = directory / f"srvmon-{self.current.name}-{now:%Y%m%d-%H%M%S}.svg"
        try:
            directory.mkdir(parents=True, exist_ok=True)
            write_atomic(path, fix_svg(self.export_screenshot(title=f"srvmon {self.current.title}")))
        except OSError as exc:
            self.notify(f"export failed: {exc}", severity="error")
            return path
        self.notify(f"saved {path}", title="SVG export", timeout=6)
        return path

    def open_logs(self, query: LogQuery) -> None:
        """The drill-down: the logs screen for `query`, through the provider's own pool and deadline."""
        provider = self.runtime.get(query.provider) if self.runtime is not None else None
        if provider is None:
            why = (
                "this is a saved snapshot (offline)"
                if self.saved
                else f"provider {query.provider!r} is not available"
            )
            self.notify(f"drill-down needs the live provider {query.provider!r}: {why}; open the board with its "
                        "config to see the logs", severity="warning", timeout=6)  # fmt: skip
            return
        from srvmon.tui.logs_screen import LogsScreen

        self.push_screen(LogsScreen(provider, query, self.clock, runtime=self.runtime))

    def pick_variable(self, board_name: str) -> None:
        """`v`: choose one of the board's variables, then a value (listed in a worker thread)."""
        from srvmon.tui.variables import VariablePicker

        view = next((b for b in self.boards if b.name == board_name), None)
        if view is None or view.board is None or self.loaded is None:
            self.notify("board variables need the live config (not a saved snapshot)", timeout=3)
            return
        if not view.board.variables:
            self.notify("this board has no variables ([boards.variables.NAME] in the config)", timeout=3)
            return
        VariablePicker(self, view.board).start()

    def set_variable(self, board_name: str, name: str, value: str) -> None:
        """Re-resolve the board for `name` = `value` and show it with a fresh source."""
        from srvmon.config import ConfigError, resolve_variables

        assert self.loaded is not None
        try:
            loaded = resolve_variables(self.loaded, {name: value}, board_name)
        except ConfigError as exc:
            self.notify(str(exc), severity="error", timeout=8)
            return
        self.loaded = loaded
        board = loaded.board(board_name)
        old = next(b for b in self.boards if b.name == board_name)
        make = old.source
        if self.runtime is not None:
            from srvmon.poll import Poller

            runtime, clock = self.runtime, self.clock

            def make() -> SnapshotSource:
                return Poller(board, runtime, clock)

        new = BoardView(board.info(), make, board)
        self.boards = [new if b.name == board_name else b for b in self.boards]
        previous = self._sources.pop(board_name, None)
        if previous is not None:
            previous.close()
        self.notify(f"{name} = {value}", timeout=3)
        if self.current.name == board_name:
            self.current = new
            self.switch_screen(self._screen_for(new))

    def action_help(self) -> None:
        if isinstance(self.screen, HelpScreen):
            return
        name = getattr(self.screen, "help_title", None) or type(self.screen).__name__.replace("Screen", "")
        self.push_screen(HelpScreen(help_rows(self.screen), title=f"srvmon keys · {name}"))


def create_app(loaded: LoadedConfig, runtime: Runtime, clock: Clock, *, board: str | None = None,
               range_: str | None = None, refresh_s: float | None = None, layout: str | None = None,
               wall: bool = False, cycle_s: float | None = None, on_crit: str | None = None) -> SrvmonApp:  # fmt: skip
    """The live app for a loaded config: one Poller per board, all on the shared runtime."""
    from srvmon.poll import Poller

    def source_for(b: Board) -> Callable[[], SnapshotSource]:
        return lambda: Poller(b, runtime, clock)

    settings = loaded.settings
    export_dir = Path(settings.export_dir).expanduser() if settings.export_dir else None
    theme = settings.theme if "theme" in settings.model_fields_set or not wall else None
    return SrvmonApp(
        [BoardView(b.info(), source_for(b), b) for b in loaded.boards],
        runtime=runtime, clock=clock, board=board, range_=range_ or None, refresh_s=refresh_s,
        hint=loaded.hint, tz=zone(settings.timezone), theme=theme, prefetch=True,
        export_dir=export_dir, layout=layout or settings.layout, wall=wall, cycle_s=cycle_s, on_crit=on_crit,
        loaded=loaded,
    )  # fmt: skip


def open_saved(snapshot: Snapshot, *, source: str, tz: tzinfo | None = None, theme: str | None = None,
               export: bool = False, layout: str = "auto", wall: bool = False) -> SrvmonApp:  # fmt: skip
    """An app showing one saved snapshot, offline: no provider is called, the clock stays at its time."""
    static = StaticSource(snapshot)
    app = SrvmonApp([BoardView(snapshot.info(), lambda: static)], clock=FrozenClock(snapshot.generated_at),
                    range_=snapshot.range, tz=tz, theme=theme, live_refresh=False,
                    saved=None if export else source, layout=layout, wall=wall)  # fmt: skip
    app.view = ViewState.named(snapshot.range if snapshot.range in ViewState.names() else "4h",
                               compare=snapshot.compare is not None)  # fmt: skip
    if snapshot.range not in ViewState.names():
        app.view = app.view.spanning(snapshot.window.duration_s, snapshot.range)
    return app
