"""The logs header says what it shows: the window it was asked for (dates whenever it spans days), and when
the records were capped or only partly read; its help lists its own keys; q goes back."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, timedelta
from types import SimpleNamespace
from typing import Any

import pytest
from textual.pilot import Pilot

from srvmon.clock import FrozenClock
from srvmon.model import LogQuery, LogResult, TimeWindow
from srvmon.tui.logs_screen import LogsScreen, window_span

pytestmark = pytest.mark.anyio


def header(screen: LogsScreen) -> str:
    return f"{screen.query_one('#logs-title').render()}\n{screen.query_one('#logs-status').render()}"


async def settle(app: Any, pilot: Pilot[None]) -> None:
    await app.workers.wait_for_complete()
    for _ in range(3):
        await pilot.pause()


def test_window_span_carries_both_dates_across_days(kit: SimpleNamespace) -> None:
    now = kit.NOW
    day = TimeWindow(now - timedelta(days=1), now, 300)
    assert window_span(day, UTC) == "2026-11-21 04:00 – 2026-11-22 04:00 UTC"  # not '04:00–04:00'
    hour = TimeWindow(now - timedelta(hours=1), now, 60)
    assert window_span(hour, UTC) == "2026-11-22 03:00–04:00 UTC"


async def test_header_shows_the_day_window_and_says_when_records_are_capped(kit: SimpleNamespace) -> None:
    provider = kit.FakeLogsProvider(kit.make_records(50))
    inner = provider.logs

    def capped(query: LogQuery) -> LogResult:
        return replace(inner(query), truncated=True, partial=True)

    provider.logs = capped  # type: ignore[method-assign]
    clock = FrozenClock(kit.NOW)
    window = TimeWindow(kit.NOW - timedelta(days=1), kit.NOW, 300)
    app = kit.Host()
    async with app.run_test(size=(160, 30)) as pilot:
        screen = LogsScreen(provider, LogQuery(provider="fake", window=window, limit=50), clock)
        await app.push_screen(screen)
        await settle(app, pilot)
        text = header(screen)
        assert "2026-11-21 04:00 – 2026-11-22 04:00 UTC (1d)" in text
        assert "capped: the newest 50 (50 at most" in text
        assert "partial: the provider did not read every source in time" in text
        await pilot.press("q")  # back, not quit
        await pilot.pause()
        assert app.is_running and app.screen is not screen


async def test_help_on_the_logs_screen_lists_the_logs_keys() -> None:
    from tui_fakes import build_app
    from tui_fakes import settle as board_settle

    from srvmon.tui.help_screen import HelpScreen

    app = build_app()
    async with app.run_test(size=(140, 45)) as pilot:
        await board_settle(app, pilot)
        app.board_screen.query_one("#panel-errors_5xx").focus()  # type: ignore[union-attr]
        await pilot.press("enter")
        await settle(app, pilot)
        assert isinstance(app.screen, LogsScreen)
        await pilot.press("question_mark")
        await pilot.pause()
        assert isinstance(app.screen, HelpScreen)
        rows = dict(app.screen.rows)
        assert rows["e"] == "errors only (on/off)" and rows["f"].startswith("follow")
        assert rows["Esc q"] == "close the filter box, or back to the board"
        text = " ".join(f"{k} {v}" for k, v in app.screen.rows)
        assert "export an SVG" not in text and "maximise" not in text  # not the board's keys
        from srvmon.tui.keys import NAMES

        logs = app.screen_stack[-2]
        in_footer = {NAMES.get(k, k) for k, a in logs.active_bindings.items() if a.binding.show}
        in_help = {k for keys, _ in app.screen.rows for k in keys.split()}
        assert in_footer <= in_help  # the footer and the help agree
