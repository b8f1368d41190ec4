"""Pilot tests for every key binding of the board (frozen clock, fake provider, real Poller)."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from textual.command import CommandPalette
from tui_fakes import NOW, build_app, make_board, screen_text, settle

from srvmon.model import RANGES, PanelSeries
from srvmon.tui.board_screen import BoardScreen
from srvmon.tui.commands import SrvmonCommands
from srvmon.tui.help_screen import HelpScreen
from srvmon.tui.keys import APP_KEYS, BOARD_KEYS, display_key
from srvmon.widgets.panel import PanelFrame
from srvmon.widgets.timeseries import TimeseriesChart, TimeseriesView
from srvmon.widgets.toplist import TopList

pytestmark = pytest.mark.anyio


def calls(app: Any) -> list[dict[str, Any]]:
    return app.test_sources["main"].calls


def board(app: Any) -> BoardScreen:
    screen = app.screen
    assert isinstance(screen, BoardScreen)
    return screen


def frame(app: Any, panel_id: str) -> PanelFrame:
    return board(app).query_one(f"#panel-{panel_id}", PanelFrame)


async def test_first_frame_shows_every_panel_with_data(tmp_path: Path) -> None:
    app = build_app(tmp=tmp_path)
    async with app.run_test(size=(200, 60)) as pilot:
        await settle(app, pilot)
        frames = board(app).frames()
        assert [f.panel_id for f in frames] == [
            "requests",
            "errors_4xx",
            "errors_5xx",
            "latency",
            "throttles",
            "concurrency",
            "api_calls",
            "alarms",
            "top_functions",
            "health",
            "cost",
            "recent_errors",
        ]
        assert all(f.panel is not None for f in frames)
        assert frame(app, "errors_5xx").panel.status == "crit"  # type: ignore[union-attr]
        assert frame(app, "throttles").state == "nodata"
        assert calls(app) == [{"range_s": RANGES["4h"], "end": None, "compare": True, "force": False}]
        text = screen_text(app)
        assert "srvmon Checkout production" in text
        assert "Fri 20 Nov 10:07 – 14:07" in text  # window in local time (UTC here)
        assert "● LIVE" in text
        assert "✖ Backend errors 5xx" in text  # status by symbol, not only colour
        assert "✓ fake" in text and "calls" in text and "refreshed 0s ago (every 1m)" in text


async def test_t_cycles_ranges_and_refetches() -> None:
    app = build_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(app, pilot)
        seen = []
        for _ in range(6):
            await pilot.press("t")
            await settle(app, pilot)
            seen.append((app.view.range_name, calls(app)[-1]["range_s"]))
        assert seen == [
            ("12h", 43200),
            ("1d", 86400),
            ("1w", 604800),
            ("1mo", 2592000),
            ("1h", 3600),
            ("4h", 14400),
        ]
        assert "[4h]" in screen_text(app)


@pytest.mark.parametrize(
    ("key", "name"), [("1", "1h"), ("2", "4h"), ("3", "12h"), ("4", "1d"), ("5", "1w"), ("6", "1mo")]
)
async def test_digit_keys_pick_a_range(key: str, name: str) -> None:
    app = build_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(app, pilot)
        await pilot.press(key)
        await settle(app, pilot)
        assert app.view.range_name == name
        assert calls(app)[-1]["range_s"] == RANGES[name]
        assert f"[{name}]" in screen_text(app)


async def test_zoom_pan_and_back_to_live() -> None:
    app = build_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(app, pilot)
        await pilot.press("plus")
        await settle(app, pilot)
        assert calls(app)[-1]["range_s"] == 2 * 3600
        assert "[2h]" in screen_text(app)
        await pilot.press("minus", "minus")
        await settle(app, pilot)
        assert app.view.range_s == 8 * 3600
        assert calls(app)[-1]["range_s"] == 8 * 3600
        await pilot.press("less_than_sign")
        await settle(app, pilot)
        assert calls(app)[-1]["end"] == NOW - timedelta(hours=4)
        assert "⏸ paused at 20 Nov 10:07" in screen_text(app)
        await pilot.press("less_than_sign")
        await settle(app, pilot)
        assert calls(app)[-1]["end"] == NOW - timedelta(hours=8)
        await pilot.press("greater_than_sign")
        await settle(app, pilot)
        assert calls(app)[-1]["end"] == NOW - timedelta(hours=4)
        app.clock.advance(board(app).info.refresh_s)  # the live 4h snapshot is a refresh old: fetch again
        await pilot.press("0")
        await settle(app, pilot)
        assert calls(app)[-1] == {"range_s": RANGES["4h"], "end": None, "compare": True, "force": False}
        assert "● LIVE" in screen_text(app)
        await pilot.press("comma", "full_stop")  # the unshifted aliases
        await settle(app, pilot)
        assert app.view.live


async def test_w_toggles_the_compare_overlay() -> None:
    app = build_app()
    async with app.run_test(size=(160, 48)) as pilot:
        await settle(app, pilot)
        chart = board(app).query_one(TimeseriesChart).body
        assert chart.compare and "┈ last week" in screen_text(app)
        assert frame(app, "api_calls").panel.series[0].compare_points  # type: ignore[union-attr]
        await pilot.press("w")
        await settle(app, pilot)
        assert calls(app)[-1]["compare"] is False
        assert not chart.compare
        text = screen_text(app)
        assert "┈ last week" not in text and "no compare" in text
        assert frame(app, "api_calls").panel.series[0].compare_points is None  # type: ignore[union-attr]
        polled = len(calls(app))
        await pilot.press("w")
        await settle(app, pilot)
        assert chart.compare and "┈ last week" in screen_text(app)
        assert frame(app, "api_calls").panel.series[0].compare_points  # type: ignore[union-attr]
        assert len(calls(app)) == polled  # the view shown a moment ago, from RecentViews (no new poll)
        app.clock.advance(board(app).info.refresh_s)
        await pilot.press("w", "w")
        await settle(app, pilot)
        assert calls(app)[-1]["compare"] is True and chart.compare


async def test_a_live_view_shown_within_the_refresh_interval_comes_back_without_polling() -> None:
    app = build_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(app, pilot)
        first = board(app).snapshot
        refresh_s = board(app).info.refresh_s
        await pilot.press("1")
        await settle(app, pilot)
        assert calls(app)[-1]["range_s"] == RANGES["1h"]
        polled = len(calls(app))
        app.clock.advance(refresh_s / 2)
        await pilot.press("2")  # back to 4h, shown half a refresh ago
        await pilot.pause()
        assert len(calls(app)) == polled and board(app).snapshot is first
        text = screen_text(app)
        assert "[4h]" in text and "loading" not in text
        assert f"refreshed {int(refresh_s / 2)}s ago" in text  # its age, not "just now"
        app.clock.advance(refresh_s / 2)  # the 1h snapshot is now a whole refresh old: fetched again
        await pilot.press("1")
        await settle(app, pilot)
        assert len(calls(app)) == polled + 1 and calls(app)[-1]["range_s"] == RANGES["1h"]
        await pilot.press("less_than_sign")  # a paused window is always fetched
        await settle(app, pilot)
        assert calls(app)[-1]["end"] is not None and len(calls(app)) == polled + 2
        await pilot.press("greater_than_sign")  # and live 1h again is the one fetched just before
        await settle(app, pilot)
        assert len(calls(app)) == polled + 2 and app.view.live and "[1h]" in screen_text(app)


async def test_r_refreshes_now_with_force() -> None:
    app = build_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(app, pilot)
        before = len(calls(app))
        windows = len(app.test_provider.windows)
        await pilot.press("r")
        await settle(app, pilot)
        assert len(calls(app)) == before + 1 and calls(app)[-1]["force"] is True
        assert len(app.test_provider.windows) > windows  # the provider really was asked again


async def test_f_maximises_and_restores_the_focused_panel() -> None:
    app = build_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(app, pilot)
        target = frame(app, "api_calls")
        target.focus()
        await pilot.press("f")
        await pilot.pause()
        from srvmon.tui.panel_screen import PanelScreen

        full = app.screen
        assert isinstance(full, PanelScreen) and full.head.id == "api_calls"
        assert full.frame.size.width >= 110 and full.frame.size.height >= 30
        assert full.frame.panel == target.panel  # the same data, full size
        await pilot.press("f")
        await pilot.pause()
        assert app.screen is board(app) and board(app).focused_frame() is target


async def test_question_mark_lists_every_key_and_escape_closes() -> None:
    app = build_app()
    async with app.run_test(size=(120, 60)) as pilot:
        await settle(app, pilot)
        await pilot.press("question_mark")
        await pilot.pause()
        assert isinstance(app.screen, HelpScreen)
        text = screen_text(app)
        for keys, action, _, help_text, _ in BOARD_KEYS + APP_KEYS:
            if action == "open":
                continue  # Enter opens a line on the compact board only; on the grid it drills down
            assert help_text in text, help_text
            assert display_key(keys).split()[0] in text
        assert "ctrl+p" in text and "double click maximises" in text
        assert "compact layout: open the selected panel" not in text  # what Enter does here, only
        await pilot.press("escape")
        await pilot.pause()
        assert isinstance(app.screen, BoardScreen)


async def test_q_quits() -> None:
    app = build_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        await pilot.press("q")
        await pilot.pause()
    assert app.return_code == 0
    assert not app.is_running


async def test_e_exports_an_svg_atomically(tmp_path: Path) -> None:
    app = build_app(tmp=tmp_path)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(app, pilot)
        await pilot.press("e")
        await pilot.pause()
        files = list(tmp_path.iterdir())
        assert [f.name for f in files] == ["srvmon-main-20261120-140730.svg"]
        svg = files[0].read_text()
        assert svg.startswith("<svg") and svg.rstrip().endswith("</svg>")
        assert "Checkout" in svg
        assert any(str(files[0]) in str(n.message) for n in app._notifications)


async def test_b_switches_board_via_the_palette() -> None:
    second = make_board("second", "Second board")
    app = build_app(boards=[make_board(), second])
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(app, pilot)
        assert "(b: boards)" in screen_text(app)
        await pilot.press("b")
        await pilot.pause()
        assert isinstance(app.screen, CommandPalette)
        await pilot.press(*"Second")
        await pilot.pause()
        await pilot.press("enter")
        await settle(app, pilot)
        assert board(app).info.name == "second"
        assert "srvmon Second board" in screen_text(app)
        assert app.test_sources["second"].calls


async def test_b_with_one_board_says_so() -> None:
    app = build_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(app, pilot)
        await pilot.press("b")
        await pilot.pause()
        assert isinstance(app.screen, BoardScreen)
        assert any("only one board" in str(n.message) for n in app._notifications)


async def test_enter_drills_down_with_the_panel_context() -> None:
    app = build_app()
    async with app.run_test(size=(160, 48)) as pilot:
        await settle(app, pilot)
        frame(app, "errors_5xx").focus()
        await pilot.press("enter")
        await settle(app, pilot)
        from srvmon.tui.logs_screen import LogsScreen

        assert isinstance(app.screen, LogsScreen)
        q = app.screen.log_query
        assert q.provider == "fake" and q.status_class == "5xx" and q.errors_only
        assert q.window == board_window(app)
        assert app.test_provider.log_queries[-1].status_class == "5xx"


def board_window(app: Any) -> Any:
    return next(s for s in app.screen_stack if isinstance(s, BoardScreen)).snapshot.window


async def test_enter_on_a_selected_toplist_row_filters_to_that_function() -> None:
    app = build_app()
    seen: list[Any] = []
    app.open_logs = seen.append  # type: ignore[method-assign]
    async with app.run_test(size=(160, 48)) as pilot:
        await settle(app, pilot)
        frame(app, "top_functions").focus()
        await pilot.press("enter")
        assert seen[-1].resources == ()  # whole panel: every function
        await pilot.press("j")
        await pilot.press("enter")
        first = frame(app, "top_functions").panel.rows[0].name  # type: ignore[union-attr]
        assert seen[-1].resources == (first,)
        await pilot.press("j", "k", "k")  # wraps to the last row
        await pilot.press("enter")
        last = frame(app, "top_functions").panel.rows[-1].name  # type: ignore[union-attr]
        assert seen[-1].resources == (last,)
        frame(app, "health").focus()
        await pilot.press("j", "enter")
        assert seen[-1].resources == ("checkout-api",) and seen[-1].errors_only
        frame(app, "api_calls").focus()
        await pilot.press("enter")
        assert seen[-1].resources == ()


async def test_s_cycles_the_toplist_sort() -> None:
    app = build_app()
    async with app.run_test(size=(160, 48)) as pilot:
        await settle(app, pilot)
        top = frame(app, "top_functions")
        top.focus()
        body = top.body
        assert isinstance(body, TopList)
        first = [r.name for r in body.rows()]
        await pilot.press("s")
        await pilot.pause()
        assert [r.name for r in body.rows()] == list(reversed(first))
        assert "sorted by value ↑" in screen_text(app)
        await pilot.press("s", "s")
        await pilot.pause()
        assert [r.name for r in body.rows()] == sorted(first)


async def test_arrows_and_tab_move_focus_between_panels() -> None:
    app = build_app()
    async with app.run_test(size=(140, 40)) as pilot:
        await settle(app, pilot)
        assert board(app).focused_frame() is frame(app, "requests")
        await pilot.press("right")
        assert board(app).focused_frame() is frame(app, "errors_4xx")
        await pilot.press("down")
        assert board(app).focused_frame() is frame(app, "api_calls")
        await pilot.press("right")
        assert board(app).focused_frame() is frame(app, "alarms")
        await pilot.press("down")
        assert board(app).focused_frame() is frame(app, "top_functions")
        await pilot.press("left")
        assert board(app).focused_frame() is frame(app, "api_calls")
        await pilot.press("up")
        assert board(app).focused_frame().panel_id in ("requests", "errors_4xx", "errors_5xx", "latency")
        await pilot.press("tab")
        order = [f.panel_id for f in board(app).frames()]
        assert board(app).focused_frame() is not None
        frame(app, "requests").focus()
        await pilot.press("tab")
        assert board(app).focused_frame().panel_id == order[1]


async def test_mouse_click_focuses_a_panel_and_selects_a_row() -> None:
    app = build_app()
    seen: list[Any] = []
    app.open_logs = seen.append  # type: ignore[method-assign]
    async with app.run_test(size=(140, 40)) as pilot:
        await settle(app, pilot)
        assert await pilot.click("#panel-alarms")
        assert board(app).focused_frame() is frame(app, "alarms")
        body = frame(app, "top_functions").body
        assert await pilot.click(body, offset=(3, 1))  # line 0 is the sort line, line 1 the first row
        assert board(app).focused_frame() is frame(app, "top_functions")
        assert body.cursor == 0
        await pilot.press("enter")
        assert seen[-1].resources == (body.rows()[0].name,)


async def test_ctrl_p_palette_sets_range_and_toggles_compare() -> None:
    app = build_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(app, pilot)
        await pilot.press("ctrl+p")
        await pilot.pause()
        assert isinstance(app.screen, CommandPalette)
        await pilot.press(*"Range: 1d")
        await pilot.pause()
        await pilot.press("enter")
        await settle(app, pilot)
        assert app.view.range_name == "1d" and calls(app)[-1]["range_s"] == 86400
        commands = {title: callback for title, callback, _ in SrvmonCommands(app.screen)._commands()}
        assert {
            "Board: Checkout production",
            "Export SVG of this screen",
            "Toggle last-week overlay",
            "Refresh now",
            "Range: 1mo",
        } <= set(commands)
        commands["Theme: textual-light"]()
        await pilot.pause()
        assert app.theme == "textual-light"


async def test_series_selection_in_a_timeseries(tmp_path: Path) -> None:
    app = build_app()
    async with app.run_test(size=(160, 48)) as pilot:
        await settle(app, pilot)
        ts = frame(app, "api_calls")
        ts.focus()
        await pilot.press("j")
        assert isinstance(ts.body, TimeseriesView)
        selected = ts.body.selected()
        assert isinstance(selected, PanelSeries) and selected.labels == {}


async def test_arrows_move_focus_even_when_a_forced_grid_scrolls() -> None:
    app = build_app(layout="grid")
    async with app.run_test(size=(120, 16)) as pilot:  # the grid's minimum heights need more: it scrolls
        await settle(app, pilot)
        scroll = board(app).query_one("#board-scroll")
        assert board(app).mode == "grid" and scroll.max_scroll_y > 0
        await pilot.press("down", "down", "down")
        await pilot.pause()
        assert board(app).focused_frame() is frame(app, "health")
        assert scroll.scroll_y > 0  # scrolled to keep the focused panel visible
        await pilot.press("up")
        assert board(app).focused_frame().panel_id in ("top_functions", "api_calls")
