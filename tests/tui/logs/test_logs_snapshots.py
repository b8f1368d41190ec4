"""SVG snapshots of the logs screen and the record screen (fake provider, frozen clock, fixed size)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

from textual.app import App

from srvmon.clock import FrozenClock
from srvmon.model import LogQuery, LogRecord, TimeWindow
from srvmon.tui.logs_screen import LogsScreen
from srvmon.tui.record_screen import RecordScreen

NOW = datetime(2026, 11, 22, 4, 0, tzinfo=UTC)


def _records() -> list[LogRecord]:
    t = NOW.timestamp()
    rid = "6d68ca91-49c9-448d-89b8-7ca3e6dc66aa"
    return [
        LogRecord(t - 300, "checkout-api", f"START RequestId: {rid} Version: $LATEST", request_id=rid),
        LogRecord(
            t - 299.9,
            "checkout-api",
            json.dumps(
                {"level": "ERROR", "msg": "payment declined", "order": 42, "user": "[bold]mallory[/]"}
            ),
            level="ERROR",
            status=502,
            duration_ms=812.4,
            request_id=rid,
            link="https://console.aws.amazon.com/cloudwatch/home?region=eu-west-1#logsV2:log-groups",
        ),
        LogRecord(
            t - 299.8,
            "checkout-api",
            f"REPORT RequestId: {rid}\tDuration: 812.40 ms\tBilled Duration: 813 ms\t"
            "Memory Size: 512 MB\tMax Memory Used: 91 MB\tInit Duration: 402.11 ms",
            request_id=rid,
        ),
        LogRecord(
            t - 120,
            "auth",
            "2026-11-22T03:58:00.000Z\tb1\tWARN\ttoken expires soon",
            level="WARN",
            status=401,
            duration_ms=12.0,
            request_id="b1",
        ),
        LogRecord(
            t - 60,
            "auth",
            "2026-11-22T03:59:00.000Z b2 Task timed out after 3.00 seconds",
            level="ERROR",
            duration_ms=3000.0,
            request_id="b2",
        ),
        LogRecord(
            t - 30,
            "search",
            "\x1b]0;owned\x07GET /search?q=[red]x[/] 200",
            level="INFO",
            status=200,
            duration_ms=45.5,
            request_id="c1",
        ),
    ]


class LogsApp(App[None]):
    def __init__(self, provider_cls: Any, record: bool = False) -> None:
        super().__init__()
        self.provider_cls = provider_cls
        self.record = record

    def on_mount(self) -> None:
        provider = self.provider_cls(_records())
        clock = FrozenClock(NOW)
        query = LogQuery(provider="fake", window=TimeWindow(NOW - timedelta(hours=1), NOW, 60))
        if self.record:
            self.push_screen(RecordScreen(provider, _records()[1], clock, query=query))
        else:
            self.push_screen(LogsScreen(provider, query, clock))


async def _settle(pilot: Any) -> None:
    await pilot.pause()
    await pilot.app.workers.wait_for_complete()
    await pilot.pause()
    await pilot.pause()


def test_logs_screen_snapshot(snap_compare: Any, kit: Any) -> None:
    assert snap_compare(LogsApp(kit.FakeLogsProvider), terminal_size=(120, 16), run_before=_settle)


def test_logs_screen_errors_snapshot(snap_compare: Any, kit: Any) -> None:
    async def errors(pilot: Any) -> None:
        await _settle(pilot)
        await pilot.press("e")
        await _settle(pilot)

    assert snap_compare(LogsApp(kit.FakeLogsProvider), terminal_size=(120, 16), run_before=errors)


def test_record_screen_snapshot(snap_compare: Any, kit: Any) -> None:
    async def invocation(pilot: Any) -> None:
        await _settle(pilot)
        await pilot.press("o", "i")
        await _settle(pilot)

    assert snap_compare(
        LogsApp(kit.FakeLogsProvider, record=True), terminal_size=(120, 50), run_before=invocation
    )
