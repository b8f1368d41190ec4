"""The board at every size: the fitted grid, the compact layout (one line per panel, attention order, Enter
opens the panel full screen, Enter again drills down), the wall (kiosk) and its --on-crit hook, change
events (`E`, Enter to the logs around one) and board variables (`v`)."""

from __future__ import annotations

import sys
from dataclasses import replace
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from textual.command import CommandPalette
from tui_fakes import NOW, FakeProvider, build_app, make_board, real_snapshot, screen_text, settle, static_app

from srvmon.clock import FrozenClock
from srvmon.config import Board, parse_config
from srvmon.config import load_config as load_config_file
from srvmon.fmt import STATUS_SYMBOL
from srvmon.model import Snapshot
from srvmon.poll import Poller
from srvmon.runtime import Runtime
from srvmon.schema import PanelCfg
from srvmon.tui.alerts import CritWatch, newly_critical
from srvmon.tui.app import BoardView, SrvmonApp, create_app
from srvmon.tui.board_screen import BoardScreen
from srvmon.tui.events_screen import EventsScreen
from srvmon.tui.layout import ATTENTION, state_of
from srvmon.tui.logs_screen import LogsScreen
from srvmon.tui.panel_screen import PanelScreen
from srvmon.tui.wall import Wall
from srvmon.widgets.compact import CompactList
from srvmon.widgets.panel import PanelFrame
from srvmon.widgets.stat import StatView

pytestmark = pytest.mark.anyio

DEMO = '[providers.demo]\ntype = "demo"\n[[boards]]\nname = "s"\npreset = "serverless"\n'


def board(app: Any) -> BoardScreen:
    screen = app.board_screen
    assert isinstance(screen, BoardScreen)
    return screen


def many_stats(n: int) -> Board:
    panels = tuple(
        PanelCfg(
            id=f"p{i:02d}",
            title=f"Panel {i:02d}",
            kind="stat",
            provider="fake",
            query=f"q{i}",
            reduce="last",
            thresholds={"warn": 60, "crit": 90} if i % 5 == 0 else {},
            position={"row": i // 6, "col": (i % 6) * 2, "width": 2, "height": 1},
        )  # fmt: skip
        for i in range(n)
    )
    return Board(name="many", title="Many", provider="fake", refresh_s=60, range="4h", panels=panels)


async def test_compact_at_80x24_fits_twenty_panels_in_attention_order() -> None:
    app = build_app(boards=[many_stats(24)])
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        screen = board(app)
        assert screen.mode == "compact" and not screen.frames()
        compact = screen.query_one("#compact", CompactList)
        snap = screen.snapshot
        assert snap is not None
        ranks = [ATTENTION[state_of(snap.panel(h.id))] for h in compact.heads]
        assert ranks == sorted(ranks)  # critical, warning, failing, no data, healthy
        text = screen_text(app)
        visible = [h for h in compact.heads if h.title in text]
        assert len(visible) >= 20
        for head in visible:  # one line each: glyph, title, value as the JSON says
            line = compact.line_of(head.id).plain
            assert line.startswith(STATUS_SYMBOL[snap.panel(head.id).status]) and head.title in line


async def test_compact_enter_opens_the_panel_full_screen_and_enter_again_drills_down() -> None:
    app = build_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        compact = board(app).query_one("#compact", CompactList)
        assert compact.has_focus
        target = next(i for i, h in enumerate(compact.heads) if h.id == "errors_5xx")
        for _ in range(target + 1):
            await pilot.press("down")
        assert compact.selected() == "errors_5xx"
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, PanelScreen)
        body = app.screen.frame.body
        assert isinstance(body, StatView)
        text = screen_text(app)
        assert "Backend errors 5xx" in text and "┤" in text and "now" in text  # the full chart, with axes
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, LogsScreen)
        query = app.test_provider.log_queries[-1]
        assert query.status_class == "5xx"
        await pilot.press("q")  # q in a sub-screen goes back, it does not quit
        await pilot.pause()
        assert isinstance(app.screen, PanelScreen)
        await pilot.press("escape")
        await pilot.pause()
        assert isinstance(app.screen, BoardScreen) and app.is_running


async def test_resizing_switches_between_compact_and_the_fitted_grid() -> None:
    app = build_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        assert board(app).mode == "compact"
        await pilot.resize_terminal(160, 40)
        await pilot.pause()
        await pilot.pause()
        screen = board(app)
        assert screen.mode == "grid" and len(screen.frames()) == 12
        scroll = screen.query_one("#board-scroll")
        assert scroll.max_scroll_y == 0  # fitted: nothing below the screen
        assert all(f.panel is not None for f in screen.frames())  # the snapshot was shown in the new body
        await pilot.press("l")  # the layout key forces compact
        await pilot.pause()
        await pilot.pause()
        assert screen.mode == "compact"


async def test_wall_puts_panels_needing_attention_first_and_healthy_ones_on_one_line() -> None:
    snap = real_snapshot()
    app = static_app(snap, wall=True)
    async with app.run_test(size=(160, 48)) as pilot:
        await settle(app, pilot)
        wall = board(app).query_one(Wall)
        hot = [p.id for p in snap.panels if state_of(p) in ("crit", "warn", "error", "stale")]
        assert set(wall.hot) == set(hot) and wall.hot
        ranks = [ATTENTION[state_of(snap.panel(i))] for i in wall.hot]
        assert ranks == sorted(ranks)
        frames = wall.frames()
        assert all(frames[i].display for i in wall.hot)
        assert not any(frames[i].display for i in wall.calm)
        assert not any(f.can_focus for f in frames.values())  # no focus ring on a wall
        calm = wall.query_one("#wall-calm", CompactList)
        assert [h.id for h in calm.heads] == wall.calm
        assert "Quit" not in screen_text(app)  # no key footer on a kiosk


class Sequence_:
    """Answers each poll with the next snapshot (then keeps the last)."""

    def __init__(self, *snaps: Snapshot) -> None:
        self.snaps = list(snaps)

    def poll(self, **_: Any) -> Snapshot:
        return self.snaps.pop(0) if len(self.snaps) > 1 else self.snaps[0]

    def close(self) -> None:
        pass


def test_newly_critical_is_a_transition() -> None:
    snap = real_snapshot()
    calm = replace(snap, panels=tuple(replace(p, status="ok") for p in snap.panels))
    crit = [p.id for p in snap.panels if p.status == "crit"]
    assert crit and newly_critical(calm, snap) == crit
    assert newly_critical(None, snap) == []  # starting srvmon is not a transition
    assert newly_critical(snap, snap) == []
    seen: list[tuple[list[str], dict[str, str]]] = []
    watch = CritWatch(
        "notify-send 'srvmon crit'", bell=True, runner=lambda argv, env, report: seen.append((argv, env))
    )

    class App:
        rung = 0

        def bell(self) -> None:
            self.rung += 1

    watch.check(App(), calm, snap)
    assert [a for a, _ in seen] == [["notify-send", "srvmon crit"]] * len(crit)
    assert [e["SRVMON_PANEL"] for _, e in seen] == crit and seen[0][1]["SRVMON_BOARD"] == snap.board


async def test_on_crit_runs_the_command_when_a_panel_turns_critical(tmp_path: Path) -> None:
    import shlex

    snap = real_snapshot()
    calm = replace(snap, panels=tuple(replace(p, status="ok") for p in snap.panels))
    out = tmp_path / "fired.txt"
    code = f"import os; open({str(out)!r}, 'a').write(os.environ['SRVMON_PANEL'] + chr(10))"
    source = Sequence_(calm, snap)
    app = SrvmonApp([BoardView(snap.info(), lambda: source)], clock=FrozenClock(NOW), live_refresh=False,
                    on_crit=shlex.join([sys.executable, "-c", code]))  # fmt: skip
    async with app.run_test(size=(160, 48)) as pilot:
        await settle(app, pilot)
        assert app.crit_watch.fired == []
        board(app).action_refresh()
        await settle(app, pilot)
        crit = [p.id for p in snap.panels if p.status == "crit"]
        assert app.crit_watch.fired == crit
        for thread in app.crit_watch.threads:
            thread.join(timeout=20)
    assert sorted(out.read_text().split()) == sorted(crit)  # one run per panel (in parallel)


def demo_app(**kw: Any) -> tuple[SrvmonApp, Any]:
    clock = FrozenClock(NOW)
    cfg = parse_config(DEMO)
    runtime = Runtime(cfg.build_providers(clock), clock, timeout_s=30)
    return create_app(cfg, runtime, clock, **kw), runtime


async def test_change_events_marked_on_charts_listed_with_E_and_enter_opens_their_logs() -> None:
    app, runtime = demo_app()
    app.tz = None
    try:
        async with app.run_test(size=(200, 60)) as pilot:
            await settle(app, pilot)
            screen = board(app)
            snap = screen.snapshot
            assert snap is not None and snap.events
            chart = screen.query_one("#panel-api_p99", PanelFrame)
            assert chart.events and "┆" in screen_text(app)  # the deploy marker on the chart
            chart.focus()
            await pilot.press("E")
            await pilot.pause()
            assert isinstance(app.screen, EventsScreen)
            newest = app.screen.events[0]
            assert newest.time == max(e.time for e in chart.events)
            await pilot.press("enter")
            await pilot.pause()
            assert isinstance(app.screen, LogsScreen)
            q = app.screen.log_query
            assert q.resources == newest.resources and q.provider == newest.provider
            assert q.window.start == newest.time - timedelta(minutes=5)
            assert q.window.end == newest.time + timedelta(minutes=5)
    finally:
        runtime.close()


async def test_v_picks_a_variable_value_and_rebuilds_the_board() -> None:
    text = (
        '[providers.d]\ntype = "demo"\nservices = ["checkout", "auth"]\nfunctions = 4\n[[boards]]\nname = "b"\n'
        '[boards.variables.s]\ndefault = "checkout"\nquery = "services"\n'
        '[[boards.panels]]\nid = "r"\ntitle = "$s rps"\nkind = "stat"\n'
        'query = { metric = "api.requests", where = { service = "$s" } }\n'
        "position = { row = 0, col = 0, width = 4, height = 1 }\n"
    )
    clock = FrozenClock(NOW)
    cfg = parse_config(text)
    runtime = Runtime(cfg.build_providers(clock), clock, timeout_s=30)
    app = create_app(cfg, runtime, clock)
    try:
        async with app.run_test(size=(120, 30)) as pilot:
            await settle(app, pilot)
            assert "checkout rps" in screen_text(app)
            await pilot.press("v")
            for _ in range(100):  # the values are listed on a worker thread
                await pilot.pause(0.01)
                if isinstance(app.screen, CommandPalette):
                    break
            assert isinstance(app.screen, CommandPalette)
            await pilot.press(*"auth", "enter")
            await pilot.pause()
            await settle(app, pilot)
            assert board(app).info.panels[0].title == "auth rps"
            assert "auth rps" in screen_text(app)
            assert app.loaded is not None and app.loaded.board("b").values["s"] == "auth"
    finally:
        runtime.close()


async def test_every_panel_visible_on_screen_when_the_grid_fits() -> None:
    app = build_app(provider=FakeProvider(clock=FrozenClock(NOW)), boards=[make_board()])
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(app, pilot)
        screen = board(app)
        assert screen.mode == "grid"
        height = app.size.height
        for frame in screen.frames():
            region = frame.region
            assert region.area and region.bottom <= height - 2, frame.panel_id  # above status bar + footer


class Gated:
    """A source whose polls wait for `gate` (a slow provider), then answer from `inner`."""

    def __init__(self, inner: Any) -> None:
        import threading

        self.inner = inner
        self.gate = threading.Event()
        self.gate.set()

    def poll(self, **kw: Any) -> Snapshot:
        self.gate.wait(10)
        return self.inner.poll(**kw)

    def close(self) -> None:
        self.inner.close()


async def test_a_range_key_shows_the_new_span_at_once_marked_loading() -> None:
    clock = FrozenClock(NOW)
    runtime = Runtime({"fake": FakeProvider(clock=clock)}, clock, timeout_s=10)
    from srvmon.poll import Poller

    source = Gated(Poller(make_board(), runtime, clock))
    app = SrvmonApp([BoardView(make_board().info(), lambda: source)], runtime=runtime, clock=clock,
                    tz=__import__("datetime").UTC)  # fmt: skip
    async with app.run_test(size=(160, 40)) as pilot:
        await settle(app, pilot)
        source.gate.clear()
        await pilot.press("1")
        await pilot.pause()
        head = str(board(app).query_one("#header").render())
        assert "[1h]" in head and "13:07 – 14:07" in head and "⟳ loading" in head  # before any data
        source.gate.set()
        await settle(app, pilot)
        head = str(board(app).query_one("#header").render())
        assert "[1h]" in head and "loading" not in head
        assert board(app).snapshot is not None and board(app).snapshot.range == "1h"  # type: ignore[union-attr]


async def test_the_day_chart_labels_carry_dates_and_run_forward() -> None:
    import re as _re

    snap = real_snapshot(range_s=86400)
    app = static_app(snap)
    async with app.run_test(size=(160, 48)) as pilot:
        await settle(app, pilot)
        text = screen_text(app)
        head = str(board(app).query_one("#header").render())
        assert "[1d]" in head and "Thu 19 Nov 14:05 – Fri 20 Nov 14:05" in head  # the range asked for
        labels = _re.findall(r"(Thu|Fri) (\d\d:\d\d)", text)
        assert len(labels) >= 3
        keys = [(d == "Fri", t) for d, t in labels[: len(labels) // 2 + 1]]
        assert keys == sorted(keys) and len(set(keys)) == len(keys)  # monotonic, never repeated


async def test_enter_on_an_events_panel_row_opens_the_logs_around_that_change() -> None:
    text = DEMO.replace('preset = "serverless"\n', 'preset = "serverless"\n') + (
        '[[boards.panels]]\nid = "changes"\ntitle = "Changes"\nkind = "events"\n'
        "position = { row = 8, col = 0, width = 12, height = 1 }\n"
    )
    clock = FrozenClock(NOW)
    cfg = parse_config(text)
    runtime = Runtime(cfg.build_providers(clock), clock, timeout_s=30)
    app = create_app(cfg, runtime, clock, layout="grid")
    try:
        async with app.run_test(size=(200, 70)) as pilot:
            await settle(app, pilot)
            frame = board(app).query_one("#panel-changes", PanelFrame)
            rows = frame.panel.rows  # type: ignore[union-attr]
            assert rows and frame.symbol == STATUS_SYMBOL["ok"]
            frame.focus()
            await pilot.press("j", "enter")
            await pilot.pause()
            assert isinstance(app.screen, LogsScreen)
            q = app.screen.log_query
            newest = rows[0]
            assert q.resources == newest.resources  # type: ignore[union-attr]
            assert q.window.start == newest.time - timedelta(minutes=5)  # type: ignore[union-attr]
    finally:
        runtime.close()


async def test_e_writes_to_the_users_export_dir_by_default(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    import platformdirs

    monkeypatch.setattr(platformdirs, "user_documents_dir", lambda: str(tmp_path / "Documents"))
    monkeypatch.chdir(tmp_path)
    app = static_app(real_snapshot())
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(app, pilot)
        await pilot.press("e")
        await pilot.pause()
    written = list((tmp_path / "Documents" / "srvmon").glob("srvmon-*.svg"))
    assert len(written) == 1 and written[0].read_text().startswith("<svg")
    assert not list(tmp_path.glob("*.svg"))  # never the current directory


async def test_double_click_opens_a_panel_full_screen_and_on_a_compact_line() -> None:
    app = build_app()
    async with app.run_test(size=(160, 40)) as pilot:
        await settle(app, pilot)
        await pilot.double_click("#panel-api_calls")
        await pilot.pause()
        assert isinstance(app.screen, PanelScreen) and app.screen.head.id == "api_calls"
        await pilot.press("escape")
        await pilot.pause()
        assert board(app).focused_frame() is board(app).query_one("#panel-api_calls")  # click focused it
    app = build_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        compact = board(app).query_one("#compact", CompactList)
        await pilot.double_click("#compact", offset=(5, 2))
        await pilot.pause()
        assert isinstance(app.screen, PanelScreen) and app.screen.head.id == compact.heads[2].id


async def test_empty_grid_cells_draw_nothing_on_screen_and_in_the_svg() -> None:
    """Issue 18 item 19: the example config's hand-made board leaves grid cells empty; they showed the
    literal text `Spacer.spacer` on screen and in the SVG. They are blank now."""
    from srvmon.tui.export import render_svg
    from srvmon.tui.layout import place
    from srvmon.tui.svg import svg_lines

    loaded = load_config_file(Path(__file__).resolve().parents[2] / "config.example.toml")
    custom = loaded.board("custom")
    cells, _ = place(custom.info().panels)
    assert any(c.panel is None for c in cells)  # the board really has empty cells
    clock = FrozenClock(NOW)
    spec = loaded.providers["demo"]
    runtime = Runtime({"demo": spec.cls("demo", spec.options, clock)}, clock, timeout_s=60)
    try:
        snap = Poller(custom, runtime, clock).poll()
    finally:
        runtime.close()
    app = static_app(snap)
    async with app.run_test(size=(160, 48)) as pilot:
        await settle(app, pilot)
        text = screen_text(app)
        assert snap.panels[0].title in text and "Spacer" not in text and "spacer" not in text
    svg = "\n".join(svg_lines(render_svg(snap, (160, 48)), (160, 48)))
    assert snap.panels[0].title in svg and "Spacer" not in svg and "spacer" not in svg
