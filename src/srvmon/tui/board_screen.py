"""The board screen: header, the panel grid, status bar; refreshes run on a daemon thread and post results."""

from __future__ import annotations

import asyncio
from datetime import datetime, tzinfo
from typing import TYPE_CHECKING, Any

from textual import on
from textual.app import ComposeResult
from textual.containers import Grid, Vertical, VerticalScroll
from textual.events import Resize
from textual.screen import Screen
from textual.timer import Timer
from textual.widget import Widget
from textual.widgets import Footer

from srvmon.drill import log_query
from srvmon.model import RANGES, BoardInfo, Snapshot, TimeWindow
from srvmon.tui import layout
from srvmon.tui.board_header import BoardHeader, HintBar, header_text
from srvmon.tui.keys import BOARD_KEYS, bindings
from srvmon.tui.messages import FetchFailed, SnapshotReady
from srvmon.tui.refresher import Scheduler, SnapshotSource, in_background
from srvmon.tui.status_bar import StatusBar, status_text
from srvmon.tui.view import ViewState
from srvmon.widgets import chart
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


def prepare_charts(snapshot: Snapshot, geometry: dict[str, tuple[Any, ...]]) -> dict[str, Any]:
    """Worker thread: build the charts of `snapshot` for the sizes and colours the UI thread captured.

    Pure: reads only the snapshot and the captured plain data; the UI thread swaps each in if it fits."""
    out: dict[str, Any] = {}
    by_id = {p.id: p for p in snapshot.panels}
    for pid, (width, height, colors, compare, cursor, tz) in geometry.items():
        panel = by_id.get(pid)
        if panel is None or not panel.series:
            continue
        try:
            content = chart.build(panel, width, height, colors, compare=compare, highlight=cursor, tz=tz)
        except Exception:  # noqa: S112 - best effort: the UI thread builds it
            continue
        out[pid] = (
            chart.ChartKey(id(panel), width, height, colors, compare, cursor, str(tz)),
            panel,
            content,
        )
    return out


class BoardScreen(Screen[None]):
    """One board. Data comes only from SnapshotReady messages; widgets never fetch."""

    BINDINGS = bindings(BOARD_KEYS)  # type: ignore[assignment]
    #: The first panel gets focus as the screen is composed.
    AUTO_FOCUS = "PanelFrame"

    def __init__(self, info: BoardInfo, source: SnapshotSource, *, tz: tzinfo | None = None,
                 hint: str | None = None, live_refresh: bool = True, saved: str | None = None) -> None:  # fmt: skip
        super().__init__(name=f"board-{info.name}")
        self.info = info
        self.source = source
        self.tz = tz
        self.hint = hint
        self.live_refresh = live_refresh and saved is None
        #: Where a saved snapshot came from (offline view), else None.
        self.saved = saved
        self.snapshot: Snapshot | None = None
        self.refreshed_at: datetime | None = None
        self.last_error: str | None = None
        self.scheduler = Scheduler()
        self._timer: Timer | None = None
        self._cells, self._rows = layout.place(info.panels)
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
    def compose(self) -> ComposeResult:
        with Vertical(id="top"):
            yield BoardHeader(id="header")
            if self.hint:
                yield HintBar(self.hint, id="hint")
        with VerticalScroll(id="board-scroll"), Grid(id="board-grid"):
            for cell in self._cells:
                if cell.panel is None:
                    yield Spacer(classes="spacer")
                else:
                    frame = PanelFrame(cell.panel, tz=self.tz)
                    frame.styles.column_span = cell.width
                    frame.styles.row_span = cell.height
                    if cell.panel.description:
                        frame.tooltip = cell.panel.description
                    yield frame
        yield StatusBar(id="status")
        if not self.srvmon.export_mode:
            yield Footer()

    def frames(self) -> list[PanelFrame]:
        return list(self.query(PanelFrame))

    def on_mount(self) -> None:
        self._apply_layout(self.size.width, self.size.height)
        self._update_header()
        self._update_status()
        for frame in self.frames():
            frame.set_compare(self.srvmon.view.compare)
        self.request_fetch()
        # the "refreshed Ns ago" age ticks; one small repaint every few seconds keeps idle CPU near zero
        self.set_interval(STATUS_TICK_S, self._tick_status)

    def _tick_status(self) -> None:
        if self.scheduler.in_flight is None:
            self._update_status()

    def on_resize(self, event: Resize) -> None:
        self._apply_layout(event.size.width, event.size.height)

    def _apply_layout(self, width: int, height: int) -> None:
        grid = self.query_one("#board-grid", Grid)
        narrow = layout.narrow(width)
        chrome = 3 + (1 if self.hint else 0)
        frames = self.frames()
        if narrow:
            grid.styles.grid_size_columns = 1
            grid.styles.grid_size_rows = max(1, len(frames))
            grid.styles.grid_rows = (
                " ".join(str(layout.narrow_height(c.panel)) for c in self._cells if c.panel is not None)
                or "8"
            )
            for spacer in self.query(Spacer):
                spacer.display = False
            for frame in frames:
                frame.styles.column_span = 1
                frame.styles.row_span = 1
        else:
            grid.styles.grid_size_columns = layout.COLUMNS
            grid.styles.grid_size_rows = max(1, self._rows)
            grid.styles.grid_rows = str(layout.row_height(max(1, height - chrome), self._rows))
            for spacer in self.query(Spacer):
                spacer.display = True
            spans = {c.panel.id: c for c in self._cells if c.panel is not None}
            for frame in frames:
                cell = spans[frame.panel_id]
                frame.styles.column_span = cell.width
                frame.styles.row_span = cell.height
        self.set_class(narrow, "-narrow")

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
        geometry = self._geometry()
        source = self.source

        def work() -> tuple[Snapshot, dict[str, Any]]:
            snap = source.poll(range_s=request.range_s, end=request.end, compare=request.compare,
                               force=request.force, range_label=request.label)  # fmt: skip
            return snap, prepare_charts(snap, geometry)

        def done(result: Any, error: BaseException | None) -> None:
            if error is not None:
                self.post_message(FetchFailed(request, f"{type(error).__name__}: {error}"))
            else:
                self.post_message(SnapshotReady(request, result[0], result[1]))

        in_background(f"refresh-{self.info.name}", work, done)

    def _geometry(self) -> dict[str, tuple[Any, ...]]:
        """UI thread: each visible chart's size, colours and view, as plain data for the worker."""
        out: dict[str, tuple[Any, ...]] = {}
        for frame in self.frames():
            body = frame.body
            if isinstance(body, TimeseriesView) and frame.region.area:
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
            self.apply_snapshot(message.snapshot, message.prepared)
        self._after_fetch()

    @on(FetchFailed)
    def _on_failed(self, message: FetchFailed) -> None:
        if self.scheduler.done(message.request):
            self.last_error = message.error
            self._update_status()
        self._after_fetch()

    def apply_snapshot(self, snapshot: Snapshot, prepared: dict[str, Any] | None = None) -> None:
        """Show a snapshot: every panel, header and status in one batch (no flicker)."""
        self.snapshot = snapshot
        now = self.srvmon.clock.now()
        self.refreshed_at = now
        self.last_error = None
        by_id = {p.id: p for p in snapshot.panels}
        with self.app.batch_update():
            for frame in self.frames():
                panel = by_id.get(frame.panel_id)
                if panel is None:
                    continue
                got = (prepared or {}).get(frame.panel_id)
                if got is not None and isinstance(frame.body, TimeseriesView):
                    frame.body.chart.prepared = got
                frame.show(panel, now)
            self._update_header()
            self._update_status()

    def set_compare(self, on: bool) -> None:
        for frame in self.frames():
            frame.set_compare(on)

    def _update_header(self) -> None:
        snap = self.snapshot
        view = self.srvmon.view
        now = self.srvmon.clock.now()
        pending = snap is None or snap.range != view.label() or (snap.compare is not None) != view.compare
        window = (
            snap.window
            if snap is not None and not pending
            else TimeWindow.ending_at(view.end or now, view.range_s)
        )
        compare = snap.compare if snap is not None and not pending else ("1w" if view.compare else None)
        if pending and view.compare and view.range_s >= 28 * 86400:
            compare = "4w"
        text = header_text(
            snap.title if snap else self.info.title, view.label(), window, self.tz,
            demo=bool(snap and snap.demo), now=now, live=view.live, paused_at=view.end, compare=compare,
            boards=len(self.srvmon.boards), loading=pending and self.saved is None,
            saved_at=snap.generated_at if snap is not None and self.saved is not None else None,
        )  # fmt: skip
        self.query_one(BoardHeader).update(text)

    def _update_status(self, fetching: bool = False) -> None:
        bar = self.query_one(StatusBar)
        bar.update(status_text(self.snapshot, now=self.srvmon.clock.now(), refreshed_at=self.refreshed_at,
                               refresh_s=self.info.refresh_s, fetching=fetching and self.saved is None,
                               error=self.last_error, saved=self.saved))  # fmt: skip
        bar.set_class(bool(self.last_error), "-error")

    # -- actions ---------------------------------------------------------------------------------
    def _change_view(self, view: ViewState, note: str) -> None:
        self.srvmon.view = view
        self.scheduler.bump()
        self._update_header()
        self.set_compare(view.compare)
        self.notify(note, timeout=2)
        self.request_fetch()

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

    def action_maximize(self) -> None:
        if self.maximized is not None:
            self.minimize()
            return
        frame = self.focused_frame()
        if frame is not None:
            self.maximize(frame, container=False)

    def action_drill(self) -> None:
        frame = self.focused_frame()
        if frame is not None:
            frame.drill()

    def action_row(self, delta: int) -> None:
        frame = self.focused_frame()
        if frame is not None and not frame.move_row(delta):
            self.notify("this panel has no rows to select", timeout=2)

    def action_sort(self) -> None:
        frame = self.focused_frame()
        if frame is not None and isinstance(frame.body, TopList):
            self.notify(f"sorted by {frame.body.cycle_sort()}", timeout=2)

    def action_focus_dir(self, direction: str) -> None:
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

    def action_export(self) -> None:
        self.srvmon.export_screen()

    def action_boards(self) -> None:
        self.srvmon.choose_board()

    @on(PanelFrame.DrillDown)
    def _on_drill(self, message: PanelFrame.DrillDown) -> None:
        frame = message.frame
        if frame.panel is None:
            self.notify("no data yet", timeout=2)
            return
        query = log_query(frame.panel, message.row)
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
        centre = abs((lo + hi) / 2 - (a + b) / 2)
        key = (gap + offset * 2, centre)
        if best is None or key < best[:2]:
            best = (key[0], key[1], f)
    return best[2] if best else None
