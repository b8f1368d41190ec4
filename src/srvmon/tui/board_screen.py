"""The board screen: header, the panels (a grid fitted to the screen, one line per panel, or the wall),
status bar; refreshes run on a daemon thread and post results."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from dataclasses import replace
from datetime import datetime, tzinfo
from typing import TYPE_CHECKING, Any

from rich.text import Text
from textual import events, on
from textual.app import ComposeResult
from textual.containers import Container, Grid, Vertical, VerticalScroll
from textual.events import Resize
from textual.screen import Screen
from textual.timer import Timer
from textual.widget import Widget

from srvmon.drill import event_query, log_query
from srvmon.model import (
    LAYOUTS,
    RANGES,
    BoardInfo,
    ChangeEvent,
    EventRow,
    PanelSeries,
    Row,
    Snapshot,
    TimeWindow,
)
from srvmon.tui import layout
from srvmon.tui.board_header import BoardHeader, HintBar, header_text
from srvmon.tui.key_bar import KeyBar
from srvmon.tui.keys import BOARD_HELP_EXTRA, BOARD_KEYS, bindings
from srvmon.tui.messages import FetchFailed, SnapshotPartial, SnapshotReady
from srvmon.tui.refresher import Recent, RecentViews, Scheduler, SnapshotSource, in_background
from srvmon.tui.status_bar import StatusBar, status_text
from srvmon.tui.view import ViewState
from srvmon.tui.wall import Wall
from srvmon.widgets import chart
from srvmon.widgets.compact import CompactList
from srvmon.widgets.panel import PanelFrame
from srvmon.widgets.timeseries import TimeseriesView
from srvmon.widgets.toplist import TopList

if TYPE_CHECKING:
    from srvmon.tui.app import SrvmonApp


#: Seconds between status bar repaints (refresh age).
STATUS_TICK_S = 5.0


class Spacer(Widget):
    """An empty grid cell (draws nothing)."""

    DEFAULT_CSS = "Spacer { width: 1fr; height: 1fr; }"

    def render(self) -> str:
        return ""


def event_times(snapshot: Snapshot, ids: tuple[str, ...]) -> tuple[int, ...]:
    """Epoch seconds of the snapshot's events with these ids (a panel's markers)."""
    by_id = {e.id: e for e in snapshot.events}
    return tuple(int(by_id[i].time.timestamp()) for i in ids if i in by_id)


def prepare_charts(snapshot: Snapshot, geometry: dict[str, tuple[Any, ...]]) -> dict[str, Any]:
    """Worker thread: build the charts of `snapshot` for the sizes and colours the UI thread captured.

    Pure: reads only the snapshot and the captured plain data; the UI thread swaps each in if it fits."""
    out: dict[str, Any] = {}
    by_id = {p.id: p for p in snapshot.panels}
    for pid, (width, height, colors, compare, cursor, tz) in geometry.items():
        panel = by_id.get(pid)
        if panel is None or not panel.series:
            continue
        times = event_times(snapshot, panel.events)
        try:
            content = chart.build(panel, width, height, colors, compare=compare, highlight=cursor, tz=tz,
                                  events=times)  # fmt: skip
        except Exception:  # noqa: S112 - best effort: the UI thread builds it
            continue
        out[pid] = (chart.ChartKey(id(panel), width, height, colors, compare, cursor, str(tz), times), panel,
                    content)  # fmt: skip
    return out


class BoardScreen(Screen[None]):
    """One board. Data comes only from SnapshotReady messages; widgets never fetch."""

    BINDINGS = bindings(BOARD_KEYS)  # type: ignore[assignment]
    HELP_EXTRA = BOARD_HELP_EXTRA
    #: The first panel (or the compact list) gets focus as the screen is composed.
    AUTO_FOCUS = "PanelFrame, CompactList"

    def __init__(self, info: BoardInfo, source: SnapshotSource, *, tz: tzinfo | None = None,
                 hint: str | None = None, live_refresh: bool = True, saved: str | None = None,
                 layout_name: str = "auto", wall: bool = False, initial: Snapshot | None = None) -> None:  # fmt: skip
        super().__init__(name=f"board-{info.name}")
        #: A snapshot already there when the screen is built (a saved one, the prefetched first poll): the
        #: board is composed with it, so the first frame is the complete board (no loading state to restyle).
        self.initial = initial
        self.info = info
        self.source = source
        self.tz = tz
        self.hint = hint
        self.live_refresh = live_refresh and saved is None
        #: Where a saved snapshot came from (offline view), else None.
        self.saved = saved
        #: The layout asked for: auto (grid or compact by size), grid or compact; the wall overrides both.
        self.layout_name = layout_name if layout_name in LAYOUTS else "auto"
        self.wall = wall
        self.snapshot: Snapshot | None = None
        self.refreshed_at: datetime | None = None
        self.last_error: str | None = None
        self.scheduler = Scheduler()
        #: Snapshots of the live views shown in the last refresh interval (a range key back is instant).
        self.recent = RecentViews()
        self._timer: Timer | None = None
        self._cells, self._rows = layout.place(info.panels)
        #: What the body shows now: 'grid', 'compact' or 'wall'.
        self.mode = ""
        #: The view the shown snapshot was fetched for (the header marks a newer view as loading).
        self._shown_view: ViewState | None = None
        #: Set while no refresh is in flight (tests and exports await it instead of sleeping).
        self._idle: asyncio.Event | None = None

    async def wait_idle(self) -> None:
        """Return once no refresh is in flight and the last one has been applied."""
        if self._idle is None:
            self._idle = asyncio.Event()
            if self.scheduler.in_flight is None:
                self._idle.set()
        await self._idle.wait()

    @property
    def srvmon(self) -> SrvmonApp:
        return self.app  # type: ignore[return-value]

    # -- composition and layout ------------------------------------------------------------------
    def _chrome_lines(self) -> int:
        hint = 0
        if self.hint:
            hint = min(3, max(1, -(-len(self.hint) // max(20, self.app.size.width - 2))))
        return 2 + hint + (0 if self.srvmon.export_mode or self.wall else 1)

    def _wanted_mode(self, width: int, height: int) -> str:
        if self.wall:
            return "wall"
        return layout.choose(self.layout_name, width, height - self._chrome_lines(), self._cells, self._rows)

    def compose(self) -> ComposeResult:
        with Vertical(id="top"):
            yield BoardHeader(id="header")
            if self.hint:
                yield HintBar(self.hint, id="hint")
        self.mode = self._wanted_mode(self.app.size.width, self.app.size.height)
        with Container(id="board-body"):
            yield self._body(self.mode)
        yield StatusBar(id="status")
        if not self.srvmon.export_mode and not self.wall:
            yield KeyBar()  # a wall (kiosk) has no key hints: `?` still lists the keys

    def _body(self, mode: str) -> Widget:
        if mode == "wall":
            return Wall(self.info.panels, tz=self.tz, id="wall")
        if mode == "compact":
            return VerticalScroll(CompactList(tz=self.tz, id="compact"), id="board-scroll")
        children: list[Widget] = []
        initial = {p.id: p for p in self.initial.panels} if self.initial is not None else {}
        now = self.srvmon.clock.now() if self.initial is not None else None
        for cell in self._cells:
            if cell.panel is None:
                children.append(Spacer(classes="spacer"))
                continue
            frame = PanelFrame(cell.panel, tz=self.tz, panel=initial.get(cell.panel.id), now=now,
                               events=self.events_of(cell.panel.id, self.initial))  # fmt: skip
            frame.styles.column_span = cell.width
            frame.styles.row_span = cell.height
            if cell.panel.description:
                frame.tooltip = cell.panel.description
            children.append(frame)
        return VerticalScroll(Grid(*children, id="board-grid"), id="board-scroll")

    def frames(self) -> list[PanelFrame]:
        return list(self.query_one("#board-body").query(PanelFrame))

    def compact(self) -> CompactList | None:
        found = self.query("#compact")
        return found.first(CompactList) if found else None

    def on_mount(self) -> None:
        self._fit(self.size.width, self.size.height)
        self.set_compare(self.srvmon.view.compare)
        if self.initial is not None:
            self.apply_snapshot(self.initial, view=self.srvmon.view)
            self.initial = None
            self._after_fetch()
        else:
            self._update_header()
            self._update_status()
            self.request_fetch()
        # the "refreshed Ns ago" age ticks; one small repaint every few seconds keeps idle CPU near zero
        self.set_interval(STATUS_TICK_S, self._tick_status)

    def _tick_status(self) -> None:
        if self.scheduler.in_flight is None:
            self._update_status()

    async def on_resize(self, event: Resize) -> None:
        wanted = self._wanted_mode(event.size.width, event.size.height)
        if wanted != self.mode:
            await self.set_mode(wanted)
        self._fit(event.size.width, event.size.height)
        self._update_header()

    async def set_mode(self, mode: str) -> None:
        """Swap the body for another layout and show the current snapshot in it."""
        if mode == self.mode:
            return
        body = self.query_one("#board-body", Container)
        await body.remove_children()
        self.mode = mode
        await body.mount(self._body(mode))
        self._fit(self.size.width, self.size.height)
        self.set_compare(self.srvmon.view.compare)
        if self.snapshot is not None:
            self._show_panels(self.snapshot, None, force=True)
        target = self.query("PanelFrame, CompactList")
        if target and not self.wall:
            target.first().focus()
        self.refresh_bindings()

    def _fit(self, width: int, height: int) -> None:
        """Grid rows fitted to the screen (a forced grid that cannot fit scrolls at its minimum heights)."""
        if self.mode == "wall":
            self.query_one(Wall).fit_lines(height - self._chrome_lines())
        if self.mode != "grid":
            return
        grid = self.query_one("#board-grid", Grid)
        available = max(1, height - self._chrome_lines())
        heights = layout.fit_rows(self._cells, self._rows, available) or layout.min_heights(
            self._cells, self._rows
        )
        grid.styles.grid_size_columns = layout.COLUMNS
        grid.styles.grid_size_rows = max(1, self._rows)
        grid.styles.grid_rows = " ".join(str(h) for h in heights) or "7"

    # -- refresh ---------------------------------------------------------------------------------
    def request_fetch(self, force: bool = False) -> None:
        """Fetch now unless a fetch is in flight (then once more right after it)."""
        view = self.srvmon.view
        request = self.scheduler.want(view.range_s, view.end, view.compare, force, view.label())
        if request is None:
            return
        if self._timer is not None:
            self._timer.stop()
            self._timer = None
        self._update_status(fetching=True)
        if self._idle is not None:
            self._idle.clear()
        geometry = self.geometry()
        source = self.source

        def partial(snap: Snapshot) -> None:  # a slow provider is still running: show what has answered
            self.post_message(SnapshotPartial(request, snap))

        def work() -> tuple[Snapshot, dict[str, Any]]:
            kw: dict[str, Any] = {"progress": partial} if getattr(source, "reports_progress", False) else {}
            snap = source.poll(range_s=request.range_s, end=request.end, compare=request.compare,
                               force=request.force, range_label=request.label, **kw)  # fmt: skip
            return snap, prepare_charts(snap, geometry)

        def done(result: Any, error: BaseException | None) -> None:
            if error is not None:
                self.post_message(FetchFailed(request, f"{type(error).__name__}: {error}"))
            else:
                self.post_message(SnapshotReady(request, result[0], result[1], view))

        # start the (CPU-bound, GIL-holding) fetch once the header saying "loading" is on screen: a key
        # answers at once, the data follows
        self.call_after_refresh(in_background, f"refresh-{self.info.name}", work, done)

    def geometry(self) -> dict[str, tuple[Any, ...]]:
        """UI thread: each visible chart's size, colours and view, as plain data for the worker."""
        out: dict[str, tuple[Any, ...]] = {}
        for frame in self.frames():
            body = frame.body
            if isinstance(body, TimeseriesView) and frame.display and frame.region.area:
                geo = body.geometry()
                if geo is not None:
                    out[frame.panel_id] = (*geo, body.compare, body.cursor, self.tz)
        return out

    def _after_fetch(self) -> None:
        wanted, force = self.scheduler.take_pending()
        if wanted:
            self.request_fetch(force)
            return
        if self.live_refresh and self.is_attached:
            self._timer = self.set_timer(self.info.refresh_s, self._on_timer)
        if self._idle is not None:
            self._idle.set()

    def _on_timer(self) -> None:
        self._timer = None
        self.request_fetch()

    @on(SnapshotReady)
    def _on_snapshot(self, message: SnapshotReady) -> None:
        if self.scheduler.done(message.request):
            self.apply_snapshot(message.snapshot, message.prepared, view=message.view)
        self._after_fetch()

    @on(SnapshotPartial)
    def _on_partial(self, message: SnapshotPartial) -> None:
        """Panels of the providers that answered, while another provider of this refresh is still running."""
        if (
            self.scheduler.in_flight is not message.request
            or message.request.generation != self.scheduler.generation
        ):
            return
        by_id = {p.id: p for p in self.snapshot.panels} if self.snapshot is not None else {}
        by_id.update({p.id: p for p in message.snapshot.panels})
        base = self.snapshot or message.snapshot
        merged = replace(base, panels=tuple(by_id[h.id] for h in self.info.panels if h.id in by_id))
        with self.app.batch_update():
            self._show_panels(merged, None, now=self.srvmon.clock.now())

    @on(FetchFailed)
    def _on_failed(self, message: FetchFailed) -> None:
        if self.scheduler.done(message.request):
            self.last_error = message.error
            self._update_status()
        self._after_fetch()

    def events_of(self, panel_id: str, snapshot: Snapshot | None = None) -> tuple[ChangeEvent, ...]:
        """The change events on a panel's resources in the shown snapshot (or `snapshot`), oldest first."""
        snap = snapshot or self.snapshot
        if snap is None:
            return ()
        ids = next((p.events for p in snap.panels if p.id == panel_id), ())
        by_id = {e.id: e for e in snap.events}
        return tuple(by_id[i] for i in ids if i in by_id)

    def apply_snapshot(self, snapshot: Snapshot, prepared: Mapping[str, Any] | None = None, *,
                       view: ViewState | None = None, refreshed_at: datetime | None = None) -> None:  # fmt: skip
        """Show a snapshot: every panel, header and status in one batch (no flicker)."""
        previous = self.snapshot
        self.snapshot = snapshot
        self._shown_view = view or self.srvmon.view
        now = self.srvmon.clock.now()
        self.refreshed_at = refreshed_at or now
        if self._shown_view.live and self.saved is None:
            shown = self._shown_view
            self.recent.remember(shown.range_s, shown.compare, Recent(snapshot, prepared, self.refreshed_at))
        self.last_error = None
        with self.app.batch_update():
            self._show_panels(snapshot, prepared, now=now)
            self._update_header()
            self._update_status()
        self.srvmon.panels_changed(self, previous, snapshot)

    def _show_panels(self, snapshot: Snapshot, prepared: Mapping[str, Any] | None, *, now: datetime | None = None,
                     force: bool = False) -> None:  # fmt: skip
        now = now or self.refreshed_at
        by_id = {p.id: p for p in snapshot.panels}
        events = {p.id: self.events_of(p.id) for p in snapshot.panels}
        for frame in self.frames():
            panel = by_id.get(frame.panel_id)
            if panel is None:
                continue
            got = (prepared or {}).get(frame.panel_id)
            if got is not None and isinstance(frame.body, TimeseriesView):
                frame.body.chart.prepared = got
            frame.show(panel, now, events[frame.panel_id])
        compact = self.compact()
        if compact is not None:
            compact.show(layout.by_attention(self.info.panels, by_id), by_id, now)
        if self.mode == "wall":
            self.query_one(Wall).show_panels(by_id, now)
        from srvmon.tui.panel_screen import PanelScreen

        for screen in self.app.screen_stack:
            if isinstance(screen, PanelScreen) and screen.board is self and screen.head.id in by_id:
                screen.show(by_id[screen.head.id], now, events[screen.head.id])

    def set_compare(self, on: bool) -> None:
        for frame in self.frames():
            frame.set_compare(on)
        compact = self.compact()
        if compact is not None:
            compact.set_compare(on)

    def header_line(self) -> Text:
        """The header for the current view: the window asked for at once, marked loading until it arrives."""
        snap = self.snapshot
        view = self.srvmon.view
        now = self.srvmon.clock.now()
        pending = snap is None or self._shown_view != view
        window = (
            snap.window
            if snap is not None and not pending
            else TimeWindow.ending_at(view.end or now, view.range_s)
        )
        compare = snap.compare if snap is not None and not pending else ("1w" if view.compare else None)
        if pending and view.compare and view.range_s >= 28 * 86400:
            compare = "4w"
        return header_text(
            snap.title if snap else self.info.title, view.label(), window, self.tz,
            demo=bool(snap and snap.demo), now=now, live=view.live, paused_at=view.end, compare=compare,
            boards=len(self.srvmon.boards), loading=pending and self.saved is None,
            saved_at=snap.generated_at if snap is not None and self.saved is not None else None,
            wall=self.mode == "wall", width=self.size.width or self.app.size.width,
        )  # fmt: skip

    def _update_header(self) -> None:
        self.query_one(BoardHeader).update(self.header_line())

    def _update_status(self, fetching: bool = False) -> None:
        bar = self.query_one(StatusBar)
        bar.update(status_text(self.snapshot, now=self.srvmon.clock.now(), refreshed_at=self.refreshed_at,
                               refresh_s=self.info.refresh_s, fetching=fetching and self.saved is None,
                               error=self.last_error, saved=self.saved))  # fmt: skip
        bar.set_class(bool(self.last_error), "-error")

    # -- actions ---------------------------------------------------------------------------------
    def _change_view(self, view: ViewState, note: str) -> None:
        """A new window: the header shows it at once (marked loading), then the data follows. `note` is
        not toasted: the header already says it, and a toast costs a restyle on every key."""
        self.srvmon.view = view
        self.scheduler.bump()
        self._update_header()
        self.set_compare(view.compare)
        if not self._show_recent(view):
            self.request_fetch()

    def _show_recent(self, view: ViewState) -> bool:
        """Flipping back to a live view shown within the refresh interval: show that snapshot at once (the
        status bar keeps its age) and refresh when it falls due, as the live board would have."""
        if not view.live or self.saved is not None or self.scheduler.in_flight is not None:
            return False
        now = self.srvmon.clock.now()
        entry = self.recent.fresh(view.range_s, view.compare, now, self.info.refresh_s)
        if entry is None:
            return False
        self.apply_snapshot(entry.snapshot, entry.prepared, view=view, refreshed_at=entry.at)
        if self._timer is not None:
            self._timer.stop()
            self._timer = None
        if self.live_refresh and self.is_attached:
            due = self.info.refresh_s - (now - entry.at).total_seconds()
            self._timer = self.set_timer(max(0.0, due), self._on_timer)
        return True

    def action_cycle_range(self) -> None:
        view = self.srvmon.view.cycle()
        self._change_view(view, f"range {view.label()}")

    def action_range(self, name: str) -> None:
        if name in RANGES:
            self._change_view(self.srvmon.view.with_range(name), f"range {name}")

    def action_zoom(self, factor: float) -> None:
        view = self.srvmon.view.zoom(factor)
        self._change_view(view, f"window {view.label()}")

    def action_pan(self, fraction: float) -> None:
        view = self.srvmon.view.pan(fraction, self.srvmon.clock.now())
        self._change_view(view, "live" if view.live else "paused: 0 returns to live")

    def action_live(self) -> None:
        self._change_view(self.srvmon.view.to_live(), "live")

    def action_toggle_compare(self) -> None:
        view = self.srvmon.view.toggle_compare()
        self._change_view(view, "compare overlay on" if view.compare else "compare overlay off")

    def action_refresh(self) -> None:
        self.request_fetch(force=True)

    def focused_frame(self) -> PanelFrame | None:
        node = self.focused
        while node is not None and not isinstance(node, PanelFrame):
            node = node.parent  # type: ignore[assignment]
        return node

    def focused_panel_id(self) -> str | None:
        frame = self.focused_frame()
        if frame is not None:
            return frame.panel_id
        compact = self.compact()
        return compact.selected() if compact is not None and self.focused is compact else None

    def action_maximize(self) -> None:
        """The focused panel full screen (`f` or Esc there comes back). A screen of its own rather than
        Textual's maximize: that restyles every widget of the board (~60 ms on the demo) each way."""
        if self.maximized is not None:
            self.minimize()
            return
        pid = self.focused_panel_id()
        if pid is not None:
            self.open_panel(pid)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """Enter drills down on the grid and the wall, opens the selected line on the compact board."""
        if action == "drill":
            return self.mode != "compact"
        if action == "open":
            return self.mode == "compact"
        return True

    def action_open(self) -> None:
        compact = self.compact()
        pid = compact.selected() if compact is not None else None
        if pid is None:
            self.notify("select a line first (↑/↓ or j/k)", timeout=2)
        else:
            self.open_panel(pid)

    def action_drill(self) -> None:
        frame = self.focused_frame()
        if frame is not None:
            frame.drill()

    def open_panel(self, panel_id: str) -> None:
        """The panel full screen (chart with axes, or every row); Enter there drills down."""
        from srvmon.tui.panel_screen import PanelScreen

        head = next((h for h in self.info.panels if h.id == panel_id), None)
        if head is not None:
            self.app.push_screen(PanelScreen(self, head, tz=self.tz))

    @on(CompactList.Open)
    def _on_open(self, message: CompactList.Open) -> None:
        self.open_panel(message.panel_id)

    def action_row(self, delta: int) -> None:
        compact = self.compact()
        if compact is not None and self.focused is compact:
            compact.move(delta)
            return
        frame = self.focused_frame()
        if frame is not None and not frame.move_row(delta):
            self.notify("this panel has no rows to select", timeout=2)

    def action_sort(self) -> None:
        frame = self.focused_frame()
        if frame is not None and isinstance(frame.body, TopList):
            self.notify(f"sorted by {frame.body.cycle_sort()}", timeout=2)

    def action_focus_dir(self, direction: str) -> None:
        compact = self.compact()
        if compact is not None and self.mode == "compact":
            if direction in ("up", "down"):
                compact.focus()
                compact.move(1 if direction == "down" else -1)
            return
        if self.maximized is not None:
            return  # one panel fills the screen: f or Escape first
        frames = [f for f in self.frames() if f.display]
        current = self.focused_frame()
        if current is None:
            if frames:
                frames[0].focus()
            return
        target = nearest(current, frames, direction)
        if target is not None:
            target.focus()
            target.scroll_visible()

    def action_events(self) -> None:
        pid = self.focused_panel_id()
        if pid is None:
            self.notify("focus a panel first", timeout=2)
            return
        self.show_events(pid)

    def show_events(self, panel_id: str) -> None:
        from srvmon.tui.events_screen import EventsScreen

        head = next((h for h in self.info.panels if h.id == panel_id), None)
        if head is None:
            return
        if self.snapshot is None:
            self.notify("no data yet", timeout=2)
            return
        self.app.push_screen(EventsScreen(head.title, self.events_of(panel_id), tz=self.tz))

    def action_variables(self) -> None:
        self.srvmon.pick_variable(self.info.name)

    def action_layout(self) -> None:
        if self.wall:
            self.notify("the wall has its own layout (start without --wall for grid/compact)", timeout=3)
            return
        self.layout_name = "compact" if self.mode == "grid" else "grid"
        self.run_worker(self.set_mode(self.layout_name), exclusive=True, group="layout")
        self.notify(f"layout {self.layout_name}", timeout=2)

    def action_traces(self) -> None:
        """The X-Ray traces behind the focused panel (and its selected row), when its provider reads traces."""
        from srvmon.traces import trace_query

        frame = self.focused_frame()
        if frame is None or frame.panel is None:
            self.notify("no data yet", timeout=2)
            return
        query = trace_query(frame.panel, frame.body.selected())
        runtime = self.srvmon.runtime
        provider = runtime.get(query.provider) if query is not None and runtime is not None else None
        if query is None or provider is None or "traces" not in provider.capabilities:
            why = "a saved snapshot has no live provider" if self.saved else "its provider reads no traces"
            self.notify(f"no traces for this panel: {why}", severity="warning", timeout=4)
            return
        from srvmon.tui.trace_screen import TraceScreen

        self.app.push_screen(TraceScreen(provider, query=query))

    def action_export(self) -> None:
        self.srvmon.export_screen()

    def action_boards(self) -> None:
        self.srvmon.choose_board()

    def on_click(self, event: events.Click) -> None:
        """A double click on a panel maximises it (or restores it)."""
        if event.chain < 2 or self.mode != "grid":
            return
        node = event.widget
        while node is not None and not isinstance(node, PanelFrame):
            node = node.parent  # type: ignore[assignment]
        if node is not None:
            node.focus()
            self.open_panel(node.panel_id)

    @on(PanelFrame.DrillDown)
    def _on_drill(self, message: PanelFrame.DrillDown) -> None:
        self.drill(message.frame, message.row)

    def drill(self, frame: PanelFrame, row: Row | PanelSeries | None) -> None:
        """Enter on a panel or its row: the logs behind it (an event: the logs around it)."""
        if isinstance(row, EventRow):
            self.srvmon.open_logs(event_query(row))
            return
        if frame.panel is None:
            self.notify("no data yet", timeout=2)
            return
        query = log_query(frame.panel, row)
        if query is None:
            self.notify("this panel has no logs to drill into", severity="warning")
            return
        self.srvmon.open_logs(query)


def nearest(current: Any, frames: list[PanelFrame], direction: str) -> PanelFrame | None:
    """The frame in `direction` with the smallest edge gap, preferring ones that overlap on the other axis."""
    r = current.virtual_region
    best: tuple[float, float, PanelFrame] | None = None
    for f in frames:
        if f is current:
            continue
        q = f.virtual_region
        if direction == "left":
            gap, lo, hi, a, b = r.x - q.right, q.y, q.bottom, r.y, r.bottom
        elif direction == "right":
            gap, lo, hi, a, b = q.x - r.right, q.y, q.bottom, r.y, r.bottom
        elif direction == "up":
            gap, lo, hi, a, b = r.y - q.bottom, q.x, q.right, r.x, r.right
        else:
            gap, lo, hi, a, b = q.y - r.bottom, q.x, q.right, r.x, r.right
        if gap < 0:
            continue
        offset = 0 if lo < b and a < hi else min(abs(lo - b), abs(a - hi))
        align = abs(lo - a)  # top edges (left/right) or left edges (up/down) lined up
        key = (gap + offset * 2, align)
        if best is None or key < best[:2]:
            best = (key[0], key[1], f)
    return best[2] if best else None
