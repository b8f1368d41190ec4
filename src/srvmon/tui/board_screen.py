"""The board screen: header, the panel grid, status bar; runs refreshes in a thread worker."""

from __future__ import annotations

from datetime import datetime, tzinfo
from typing import TYPE_CHECKING, Any

from textual import on, work
from textual.app import ComposeResult
from textual.containers import Grid, Vertical, VerticalScroll
from textual.events import Resize
from textual.screen import Screen
from textual.timer import Timer
from textual.widget import Widget
from textual.widgets import Footer

from srvmon.model import RANGES, Snapshot
from srvmon.tui import layout
from srvmon.tui.board_header import BoardHeader, HintBar, header_text
from srvmon.tui.drilldown import build_log_query
from srvmon.tui.keys import BOARD_KEYS, bindings
from srvmon.tui.messages import FetchFailed, FetchRequest, SnapshotReady
from srvmon.tui.refresher import Scheduler, SnapshotSource
from srvmon.tui.spec import BoardSpec
from srvmon.tui.status_bar import StatusBar, status_text
from srvmon.tui.view import ViewState
from srvmon.widgets.panel import PanelFrame
from srvmon.widgets.toplist import TopList

if TYPE_CHECKING:
    from srvmon.tui.app import SrvmonApp


#: Seconds between status bar repaints (refresh age).
STATUS_TICK_S = 5.0


class Spacer(Widget):
    """An empty grid cell."""

    DEFAULT_CSS = "Spacer { width: 1fr; height: 1fr; }"


class BoardScreen(Screen[None]):
    """One board. Data comes only from SnapshotReady messages; widgets never fetch."""

    BINDINGS = bindings(BOARD_KEYS)  # type: ignore[assignment]
    #: The first panel gets focus as the screen is composed (the default would focus the scroll container
    #: first, then on_mount moved it: two focus changes, each restyling and recomposing the footer).
    AUTO_FOCUS = "PanelFrame"

    def __init__(
        self,
        spec: BoardSpec,
        source: SnapshotSource,
        *,
        tz: tzinfo | None = None,
        hint: str | None = None,
        live_refresh: bool = True,
    ) -> None:
        super().__init__(name=f"board-{spec.name}")
        self.spec = spec
        self.source = source
        self.tz = tz
        self.hint = hint
        self.live_refresh = live_refresh
        self.snapshot: Snapshot | None = None
        self.refreshed_at: datetime | None = None
        self.last_error: str | None = None
        self.scheduler = Scheduler()
        self._timer: Timer | None = None
        self._cells, self._rows = layout.place(spec.panels)
        self._narrow: bool | None = None
        self._chart_frames: list[PanelFrame] = []

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
                    frame = PanelFrame(
                        cell.panel.id,
                        cell.panel.title,
                        cell.panel.kind,
                        tz=self.tz,
                        description=cell.panel.description,
                        threshold_on=cell.panel.threshold_on,
                    )
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
        frames = self.frames()
        #: The panel frames, captured on the UI thread for the worker's pre-builds.
        self._chart_frames = frames
        if frames:
            frames[0].focus()
        for frame in frames:
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
        if narrow:
            frames = self.frames()
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
            for frame in self.frames():
                cell = spans[frame.panel_id]
                frame.styles.column_span = cell.width
                frame.styles.row_span = cell.height
        self.set_class(narrow, "-narrow")
        self._narrow = narrow

    # -- refresh ---------------------------------------------------------------------------------
    def request_fetch(self, force: bool = False) -> None:
        """Fetch now unless a fetch is in flight (then once more right after it)."""
        view = self.srvmon.view
        request = self.scheduler.want(view.range_s, view.end, view.compare, force)
        if request is None:
            return
        if self._timer is not None:
            self._timer.stop()
            self._timer = None
        self._update_status(fetching=True)
        self._fetch(request)

    @work(thread=True, exclusive=True, group="refresh", exit_on_error=False)
    def _fetch(self, request: FetchRequest) -> None:
        try:
            snapshot = self.source.poll(
                range_s=request.range_s, end=request.end, compare=request.compare, force=request.force
            )
        except Exception as exc:  # the app never dies from a provider
            self.post_message(FetchFailed(request, f"{type(exc).__name__}: {exc}"))
        else:
            self.prebuild_charts(snapshot)
            self.post_message(SnapshotReady(request, snapshot))

    def prebuild_charts(self, snapshot: Snapshot) -> None:
        """Off the UI thread: build the chart pictures (and the other panels' screen lines) for `snapshot`
        so applying it is mostly a swap.

        Best effort: anything that fails here is simply built again on the UI thread.
        """
        by_id = {p.id: p for p in snapshot.panels}
        for frame in self._chart_frames:
            panel = by_id.get(frame.panel_id)
            if panel is None or not frame.region.area:
                continue  # scrolled out of view: built if and when it is shown
            try:
                frame.prebuild(panel)
            except Exception:  # noqa: S112 - the UI thread will build it
                continue

    def _after_fetch(self) -> None:
        wanted, force = self.scheduler.take_pending()
        if wanted:
            self.request_fetch(force)
        elif self.live_refresh and self.is_attached:
            self._timer = self.set_timer(self.spec.refresh_s, self._on_timer)

    def _on_timer(self) -> None:
        self._timer = None
        self.request_fetch()

    @on(SnapshotReady)
    def _on_snapshot(self, message: SnapshotReady) -> None:
        if self.scheduler.done(message.request):
            self.apply_snapshot(message.snapshot)
        self._after_fetch()

    @on(FetchFailed)
    def _on_failed(self, message: FetchFailed) -> None:
        if self.scheduler.done(message.request):
            self.last_error = message.error
            self._update_status()
        self._after_fetch()

    def apply_snapshot(self, snapshot: Snapshot) -> None:
        """Show a snapshot: every panel, header and status in one batch (no flicker)."""
        self.snapshot = snapshot
        self.refreshed_at = self.srvmon.clock.now()
        self.last_error = None
        now = self.srvmon.clock.now()
        by_id = {p.id: p for p in snapshot.panels}
        with self.app.batch_update():
            for frame in self.frames():
                panel = by_id.get(frame.panel_id)
                if panel is not None:
                    frame.show(panel, now)
            self._update_header()
            self._update_status()

    def set_compare(self, on: bool) -> None:
        for frame in self.frames():
            frame.set_compare(on)

    def _update_header(self) -> None:
        snap = self.snapshot
        text = header_text(
            snap.title if snap else self.spec.title,
            self.srvmon.view,
            snap.window if snap else None,
            self.tz,
            demo=bool(snap and snap.demo),
            now=self.srvmon.clock.now(),
            boards=len(self.srvmon.boards),
        )
        self.query_one(BoardHeader).update(text)

    def _update_status(self, fetching: bool = False) -> None:
        bar = self.query_one(StatusBar)
        bar.update(
            status_text(
                self.snapshot,
                now=self.srvmon.clock.now(),
                refreshed_at=self.refreshed_at,
                refresh_s=self.spec.refresh_s,
                fetching=fetching,
                error=self.last_error,
            )
        )
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
        self._change_view(view, "last week overlay on" if view.compare else "last week overlay off")

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
        if self.snapshot is None:
            self.notify("no data yet", timeout=2)
            return
        cfg = self.spec.configs.get(frame.panel_id)
        query = build_log_query(
            frame.panel,
            cfg,
            message.row,
            self.snapshot.window,
            default_provider=self.spec.provider,
            kind=frame.kind,
            panel_id=frame.panel_id,
            title=frame.title,
        )
        if query is None:
            self.notify("this panel has no provider to ask for logs", severity="warning")
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
