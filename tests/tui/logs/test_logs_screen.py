"""The logs screen driven by Pilot: load, filter (local/provider), errors, status, window, follow, back."""

from __future__ import annotations

import json
import re
from datetime import timedelta
from types import SimpleNamespace
from typing import Any

import pytest
from textual.pilot import Pilot
from textual.screen import Screen
from textual.widgets import OptionList, SelectionList

from srvmon.clock import FrozenClock
from srvmon.model import LogQuery, LogRecord, TimeWindow
from srvmon.providers.base import ProviderError
from srvmon.tui.logs_screen import LogsScreen, StatusChooser, split_filter_text
from srvmon.tui.record_screen import RecordScreen

SIZE = (120, 30)
pytestmark = pytest.mark.anyio


def screen_text(app: Any) -> str:
    return "\n".join("".join(seg.text for seg in strip) for strip in app.screen._compositor.render_strips())


def header(screen: LogsScreen) -> str:
    title = screen.query_one("#logs-title").render()
    status = screen.query_one("#logs-status").render()
    return f"{title}\n{status}"


async def settle(app: Any, pilot: Pilot[None]) -> None:
    await app.workers.wait_for_complete()
    await pilot.pause()


async def open_logs(
    app: Any, pilot: Pilot[None], provider: Any, clock: FrozenClock, **query: object
) -> LogsScreen:
    now = clock.now()
    window = TimeWindow(now - timedelta(hours=1), now, 60)
    screen = LogsScreen(provider, LogQuery(provider=provider.name, window=window, **query), clock)  # type: ignore[arg-type]
    await app.push_screen(screen)
    await settle(app, pilot)
    return screen


async def test_opens_with_records_newest_first(kit: SimpleNamespace, clock: FrozenClock) -> None:
    provider = kit.FakeLogsProvider(kit.make_records(50))
    app = kit.Host()
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_logs(app, pilot, provider, clock)
        table = screen.table
        assert [r.request_id for r in table.rows[:3]] == ["req-49", "req-48", "req-47"]
        text = screen_text(app)
        assert "2026-11-22 03:00–04:00 UTC (1h)" in text
        assert "no filter  50 of 50 records" in text
        assert "TIME (UTC)" in text and "RESOURCE" in text and "MESSAGE" in text
        lines = text.splitlines()
        row = next(line for line in lines if "request 49 ok" in line)
        assert row.startswith("03:59:59.000 fn-1") and " 200 " in row and "49.0ms" in row
        assert len(provider.calls) == 1 and provider.calls[0].window.duration_s == 3600


async def test_filter_keystrokes_filter_locally_then_enter_refetches(
    kit: SimpleNamespace, clock: FrozenClock
) -> None:
    provider = kit.FakeLogsProvider(kit.make_records(100))
    app = kit.Host()
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_logs(app, pilot, provider, clock)
        await pilot.press("slash", *"FAILED")
        await pilot.pause()
        assert len(screen.table.rows) == 10
        assert "text 'FAILED'  — filtered locally  10 of 100 records" in header(screen)
        assert len(provider.calls) == 1  # keystrokes never call the provider
        await pilot.press("enter")
        await settle(app, pilot)
        assert len(provider.calls) == 2 and provider.calls[1].text == "FAILED"
        assert "filtered locally" in header(screen)  # this provider does not filter
        assert all("failed" in r.message for r in screen.table.rows)


async def test_provider_side_filter_is_labelled(kit: SimpleNamespace, clock: FrozenClock) -> None:
    provider = kit.FakeLogsProvider(kit.make_records(100), filters=True)
    app = kit.Host()
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_logs(app, pilot, provider, clock, errors_only=True)
        assert "errors only  — filtered by provider  10 of 10 records" in header(screen)
        await pilot.press("e")  # errors off: refetched without the filter
        await settle(app, pilot)
        assert provider.calls[-1].errors_only is False
        assert "no filter  100 of 100 records" in header(screen)
        await pilot.press("slash", *"request 4")
        await pilot.pause()
        assert "text 'request 4'  — filtered locally  11 of 100 records" in header(screen)
        await pilot.press("enter")
        await settle(app, pilot)
        assert provider.calls[-1].text == "request 4"
        assert "text 'request 4'  — filtered by provider  11 of 11 records" in header(screen)


async def test_regex_mode_and_invalid_regex(kit: SimpleNamespace, clock: FrozenClock) -> None:
    provider = kit.FakeLogsProvider(kit.make_records(100))
    app = kit.Host()
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_logs(app, pilot, provider, clock)
        await pilot.press("r", "slash", *r"request 1\d ")
        await pilot.pause()
        assert sorted(r.request_id for r in screen.table.rows) == sorted(f"req-{i}" for i in range(10, 20))
        assert "regex 'request 1\\\\d '" in header(screen)
        await pilot.press("backspace", *"(")
        await pilot.pause()
        assert "invalid regex" in header(screen)
        assert len(screen.table.rows) == 10  # the last valid filter still applies


async def test_errors_toggle_and_status_chooser(kit: SimpleNamespace, clock: FrozenClock) -> None:
    records = kit.make_records(40) + [
        LogRecord(kit.NOW.timestamp() - 1, "api", "GET /x 404", status=404, request_id="u1")
    ]
    provider = kit.FakeLogsProvider(records)
    app = kit.Host()
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_logs(app, pilot, provider, clock)
        await pilot.press("e")
        await settle(app, pilot)
        assert len(screen.table.rows) == 4 and provider.calls[-1].errors_only
        await pilot.press("e", "s")
        await settle(app, pilot)
        assert isinstance(app.screen, StatusChooser)
        options = app.screen.query_one(OptionList)
        assert [str(options.get_option_at_index(i).prompt) for i in range(options.option_count)] == [
            "any status",
            "2xx",
            "3xx",
            "4xx",
            "5xx",
        ]
        await pilot.press("down", "down", "down", "enter")  # 4xx
        await settle(app, pilot)
        assert app.screen is screen
        assert screen.log_query.status_class == "4xx" and provider.calls[-1].status_class == "4xx"
        assert [r.request_id for r in screen.table.rows] == ["u1"]
        assert "status 4xx" in header(screen)


async def test_window_widen_and_narrow(kit: SimpleNamespace, clock: FrozenClock) -> None:
    provider = kit.FakeLogsProvider(kit.make_records(100, step=120))  # 200 minutes of records
    app = kit.Host()
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_logs(app, pilot, provider, clock)
        assert len(screen.table.rows) == 30
        await pilot.press("left_square_bracket")
        await settle(app, pilot)
        assert provider.calls[-1].window.duration_s == 4 * 3600 and provider.calls[-1].window.end == kit.NOW
        assert len(screen.table.rows) == 100
        assert "(4h)" in header(screen)
        await pilot.press("right_square_bracket", "right_square_bracket")
        await settle(app, pilot)
        assert provider.calls[-1].window.duration_s == 900
        assert "03:45–04:00 UTC (15m)" in header(screen)


async def test_follow_polls_after_newest_without_duplicates(kit: SimpleNamespace, clock: FrozenClock) -> None:
    provider = kit.FakeLogsProvider(kit.make_records(20))
    app = kit.Host()
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_logs(app, pilot, provider, clock)
        screen.follow_interval_s = 3600  # the test drives polls itself
        await pilot.press("f")
        await settle(app, pilot)
        assert "● following" in header(screen)
        assert len(screen.table.rows) == 20  # the first poll only returned what was there
        newest = screen.table.newest_timestamp
        assert provider.calls[-1].window.start.timestamp() == newest
        provider.records += kit.make_records(5, start=kit.NOW.timestamp() + 1)
        for r in provider.records[-5:]:
            object.__setattr__(r, "request_id", "new-" + (r.request_id or ""))
        clock.advance(10)
        screen.poll_now()
        await settle(app, pilot)
        screen.poll_now()  # the same records again: nothing is duplicated
        await settle(app, pilot)
        rows = screen.table.rows
        assert len(rows) == 25 and len({(r.timestamp, r.request_id, r.message) for r in rows}) == 25
        assert rows[0].request_id == "new-req-4"
        assert screen.log_query.window.end == kit.NOW + timedelta(seconds=10)
        await pilot.press("f")
        assert not screen.following and "following" not in header(screen)


async def test_enter_opens_record_and_escape_returns_with_board_intact(
    kit: SimpleNamespace, clock: FrozenClock
) -> None:
    provider = kit.FakeLogsProvider(kit.make_records(30))
    app = kit.Host()
    async with app.run_test(size=SIZE) as pilot:
        base = app.screen
        screen = await open_logs(app, pilot, provider, clock)
        await pilot.press("down", "down", "enter")
        await pilot.pause()
        assert isinstance(app.screen, RecordScreen)
        assert app.screen.record.request_id == "req-27"
        await pilot.press("escape")
        await pilot.pause()
        assert app.screen is screen and screen.table.cursor_row == 2
        await pilot.press("escape")
        await pilot.pause()
        assert app.screen is base and isinstance(base, Screen)


async def test_provider_failure_stays_on_screen(kit: SimpleNamespace, clock: FrozenClock) -> None:
    provider = kit.FakeLogsProvider(kit.make_records(10))
    provider.fail = ProviderError("ThrottlingException: Rate exceeded", throttled=True)
    app = kit.Host()
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_logs(app, pilot, provider, clock)
        assert "error: ThrottlingException: Rate exceeded (throttled)" in header(screen)
        assert "fetch failed" in screen_text(app)
        provider.fail = None
        await pilot.press("R")
        await settle(app, pilot)
        assert "10 of 10 records" in header(screen) and "error" not in header(screen)


async def test_untrusted_text_is_shown_literally(kit: SimpleNamespace, clock: FrozenClock) -> None:
    evil = LogRecord(
        kit.NOW.timestamp() - 5,
        "evil\x1b[2J",
        "\x1b]52;c;ZXZpbA==\x07[bold red]boom[/] \x1b]8;;https://x.example\x1b\\link\u202e\tend",
        level="[b]ERROR",
        request_id="e1",
    )
    provider = kit.FakeLogsProvider([evil])
    app = kit.Host()
    async with app.run_test(size=(160, 20)) as pilot:
        await open_logs(app, pilot, provider, clock)
        text = screen_text(app)
        assert "\x1b" not in text and "\x07" not in text
        assert re.search(
            r"␛\]52;c;ZXZpbA==␇\[bold red\]boom\[/\] ␛\]8;;https://x\.example␛\\link\\u202e +end", text
        )
        assert "evil␛[2J" in text
        assert "\t" not in text


async def test_json_fields_become_columns_and_filters(kit: SimpleNamespace, clock: FrozenClock) -> None:
    records = [
        LogRecord(
            kit.NOW.timestamp() - i,
            "api",
            json.dumps({"level": "info", "user": u, "op": "pay"}),
            request_id=f"j{i}",
        )
        for i, u in enumerate(["alice", "bob", "alice", "carol"], start=1)
    ]
    provider = kit.FakeLogsProvider(records)
    app = kit.Host()
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_logs(app, pilot, provider, clock)
        assert screen.table.discover_fields() == ["level", "op", "user"]
        await pilot.press("c")
        await pilot.pause()
        chooser = app.screen.query_one(SelectionList)
        chooser.select("user")
        await pilot.press("enter")
        await pilot.pause()
        assert screen.table.extra_columns == ("user",)
        text = screen_text(app)
        assert "USER" in text
        # MESSAGE summarises the JSON as key=value, leaving out what the USER column shows.
        assert any(line.rstrip().endswith(" alice          level=info op=pay") for line in text.splitlines())
        await pilot.press("slash", *"user=alice")
        await pilot.pause()
        assert [r.request_id for r in screen.table.rows] == ["j1", "j3"]
        assert "user=alice" in header(screen)


def test_split_filter_text() -> None:
    assert split_filter_text("user=alice timed out", {"user"}) == ("timed out", {"user": "alice"})
    assert split_filter_text("a=b c", {"user"}) == ("a=b c", {})


async def test_follow_survives_a_query_change_mid_poll(kit: SimpleNamespace, clock: FrozenClock) -> None:
    import threading

    provider = kit.FakeLogsProvider(kit.make_records(20))
    app = kit.Host()
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_logs(app, pilot, provider, clock)
        screen.follow_interval_s = 3600
        provider.gate = threading.Event()
        await pilot.press("f")  # a follow poll starts and is held by the gate
        await pilot.pause()
        assert screen._follow_pending
        await pilot.press("e")  # the query changes: a reload starts
        await pilot.pause()
        provider.gate.set()
        await settle(app, pilot)
        assert screen.following and not screen._follow_pending and screen._follow_timer is not None
        assert len(screen.table.rows) == 2 and screen.log_query.errors_only
        clock.advance(5)
        screen.poll_now()  # following still works afterwards
        await settle(app, pilot)
        assert provider.calls[-1].window.end == kit.NOW + timedelta(seconds=5)


async def test_column_chooser_shows_field_names_literally(kit: SimpleNamespace, clock: FrozenClock) -> None:
    records = [LogRecord(kit.NOW.timestamp() - 1, "api", json.dumps({"[red]k[/]": 1, "\x1b[2Jz": 2}))]
    app = kit.Host()
    async with app.run_test(size=SIZE) as pilot:
        await open_logs(app, pilot, kit.FakeLogsProvider(records), clock)
        await pilot.press("c")
        await pilot.pause()
        options = app.screen.query_one(SelectionList)
        prompts = sorted(str(options.get_option_at_index(i).prompt) for i in range(options.option_count))
        assert prompts == ["[red]k[/]", "␛[2Jz"]
        text = screen_text(app)
        assert "[red]k[/]" in text and "\x1b" not in text


async def test_times_follow_the_board_timezone(kit: SimpleNamespace, clock: FrozenClock) -> None:
    from datetime import timezone

    app = kit.Host()
    app.tz = timezone(timedelta(hours=9), "JST")  # as SrvmonApp.tz
    async with app.run_test(size=SIZE) as pilot:
        await open_logs(app, pilot, kit.FakeLogsProvider(kit.make_records(3)), clock)
        text = screen_text(app)
        assert "2026-11-22 12:00–13:00 JST (1h)" in text
        assert "TIME (JST)" in text
        assert any(line.startswith("12:59:59.000 fn-2") for line in text.splitlines())


async def test_slow_provider_never_blocks_the_screen(kit: SimpleNamespace, clock: FrozenClock) -> None:
    import threading

    provider = kit.FakeLogsProvider(kit.make_records(10))
    provider.gate = threading.Event()  # logs() blocks until released
    app = kit.Host()
    async with app.run_test(size=SIZE) as pilot:
        screen = LogsScreen(provider, hour_query_for(clock, provider), clock)
        await app.push_screen(screen)
        await pilot.pause()
        assert "loading…" in header(screen) and "loading…" in screen.table.render_line(1).text
        await pilot.press("slash", *"req")  # the UI answers while the provider call is in flight
        await pilot.pause()
        assert screen.query_one("#logs-filter").display and screen.log_query.text == "req"
        provider.gate.set()
        await settle(app, pilot)
        assert "10 of 10 records" in header(screen)


def hour_query_for(clock: FrozenClock, provider: Any) -> LogQuery:
    now = clock.now()
    return LogQuery(provider=provider.name, window=TimeWindow(now - timedelta(hours=1), now, 60))
