"""The logs drill-down against the built-in demo provider: provider-side filter, record, invocation."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from srvmon.clock import FrozenClock
from srvmon.logfilter import is_error
from srvmon.logmine import parse_report
from srvmon.model import LogQuery, TimeWindow
from srvmon.providers.demo.provider import DemoOptions, DemoProvider
from srvmon.tui.logs_screen import LogsScreen
from srvmon.tui.record_screen import RecordScreen

pytestmark = pytest.mark.anyio
NOW = datetime(2026, 11, 20, 14, 7, 30, tzinfo=UTC)


async def test_demo_errors_then_invocation() -> None:
    from textual.app import App

    clock = FrozenClock(NOW)
    provider = DemoProvider("demo", DemoOptions(), clock)
    query = LogQuery(provider="demo", window=TimeWindow(NOW - timedelta(hours=1), NOW, 60), errors_only=True)
    app: App[None] = App()
    async with app.run_test(size=(160, 30)) as pilot:
        screen = LogsScreen(provider, query, clock)
        await app.push_screen(screen)
        await app.workers.wait_for_complete()
        await pilot.pause()
        rows = screen.table.rows
        assert rows and all(is_error(r) for r in rows)
        assert [r.timestamp for r in rows] == sorted((r.timestamp for r in rows), reverse=True)
        status = str(screen.query_one("#logs-status").render())
        assert (
            "errors only  — filtered by provider" in status
            and f"{len(rows)} of {len(rows)} records" in status
        )
        assert "DEMO" in str(screen.query_one("#logs-title").render())
        await pilot.press("enter")
        await pilot.pause()
        record_screen = app.screen
        assert isinstance(record_screen, RecordScreen) and record_screen.record is rows[0]
        await pilot.press("i")
        await app.workers.wait_for_complete()
        await pilot.pause()
        lines = record_screen.invocation
        assert lines is not None and len(lines) >= 3
        assert lines[0].message.startswith("START RequestId: " + (rows[0].request_id or "?"))
        assert any(parse_report(r.message) is not None for r in lines)
        assert {r.request_id for r in lines} == {rows[0].request_id}
