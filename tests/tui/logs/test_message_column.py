"""The MESSAGE column: a JSON message shows its human message (or a key=value summary), plain text
stays as it is, everything is sanitised; the fixed columns give way at 80 columns."""

from __future__ import annotations

import json
from datetime import timedelta
from types import SimpleNamespace
from typing import Any

import pytest
from rich.cells import cell_len
from textual.pilot import Pilot

import srvmon.widgets.log_table as log_table
from srvmon.clock import FrozenClock
from srvmon.logtext import display_message
from srvmon.model import LogQuery, LogRecord, TimeWindow
from srvmon.tui.logs_screen import LogsScreen
from srvmon.tui.record_screen import RecordScreen
from srvmon.widgets.log_table import _fit, format_duration

pytestmark = pytest.mark.anyio
RID = "ba080d5e-0000-4000-ac85-f4ab87736a70"


def screen_lines(app: Any) -> list[str]:
    return ["".join(seg.text for seg in strip) for strip in app.screen._compositor.render_strips()]


def row_of(lines: list[str], time: str) -> str:
    return next(line for line in lines if line.startswith(time))


def message_cell(line: str, table: Any) -> str:
    """The MESSAGE cell of a rendered row (every column before it is fixed-width)."""
    start = sum(c.width + 1 for c in table.columns()[:-1])
    return line[start:].rstrip()


def _records(kit: SimpleNamespace) -> list[LogRecord]:
    t = kit.NOW.timestamp()
    app_line = {
        "timestamp": "2026-11-22T03:59:50.000Z",
        "level": "ERROR",
        "msg": "TypeError: Cannot read properties of undefined (reading 'currency')",
        "requestId": RID,
        "function": "checkout-apply-coupon",
        "status": 502,
        "durationMs": 110.16,
    }
    return [
        LogRecord(
            t - 10,
            "checkout-apply-coupon",
            json.dumps(app_line, separators=(",", ":")),
            level="ERROR",
            status=502,
            duration_ms=110.16,
            request_id=RID,
        ),
        LogRecord(  # Lambda's JSON log format: the error object is the message
            t - 20,
            "checkout-create-order",
            json.dumps(
                {
                    "timestamp": "2026-11-22T03:59:40.000Z",
                    "level": "ERROR",
                    "message": {"errorType": "ValueError", "errorMessage": "bad cart", "stackTrace": ["x"]},
                    "requestId": "r2",
                }
            ),
            level="ERROR",
            request_id="r2",
        ),
        LogRecord(  # no message field: the fields the other columns do not show, as key=value
            t - 30,
            "checkout-get-cart",
            json.dumps({"time": "03:59:30", "level": "info", "user": "alice", "items": 3, "note": "a b"}),
            level="info",
            status=200,
            duration_ms=12.0,
            request_id="r3",
        ),
        LogRecord(  # untrusted text inside the JSON: escapes and markup stay inert
            t - 40,
            "search",
            json.dumps({"msg": "\x1b]0;owned\x07GET /q=[red]x[/]"}),
            level="Warning",
            status=404,
            duration_ms=12_345.0,
            request_id="r4",
        ),
        LogRecord(t - 50, "auth", "plain text: token expires soon", level="INFO", request_id="r5"),
        LogRecord(t - 60, "auth", "{not json at all", request_id="r6"),
    ]


async def open_logs(app: Any, pilot: Pilot[None], provider: Any, clock: FrozenClock) -> LogsScreen:
    now = clock.now()
    query = LogQuery(provider=provider.name, window=TimeWindow(now - timedelta(hours=1), now, 60))
    screen = LogsScreen(provider, query, clock)
    await app.push_screen(screen)
    await app.workers.wait_for_complete()
    await pilot.pause()
    return screen


async def test_message_column_at_80_columns(kit: SimpleNamespace, clock: FrozenClock) -> None:
    provider = kit.FakeLogsProvider(_records(kit))
    app = kit.Host()
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_logs(app, pilot, provider, clock)
        table = screen.table
        lines = screen_lines(app)
        assert all(cell_len(line) == 80 for line in lines)
        header = next(line for line in lines if "MESSAGE" in line)
        assert header.startswith("TIME (UTC)   RESOURCE") and " DUR MESSAGE" in header
        widths = {c.key: c.width for c in table.columns()}
        assert widths["message"] >= 32 and widths["resource"] < len("checkout-apply-coupon")

        first = row_of(lines, "03:59:50.000")
        # RESOURCE loses its middle (with an ellipsis); DURATION is compact.
        assert first.startswith("03:59:50.000 check…pply-coupon ERROR 502  110ms ")
        msg = message_cell(first, table)
        assert msg.startswith("TypeError: Cannot read propert") and msg.endswith("…")
        assert cell_len(msg) == widths["message"]
        assert "{" not in msg and "timestamp" not in msg

        assert message_cell(row_of(lines, "03:59:40.000"), table) == "ValueError: bad cart"
        # key=value: time/level/status/duration are in their own columns, so left out.
        assert message_cell(row_of(lines, "03:59:30.000"), table) == 'user=alice items=3 note="a b"'
        warn = row_of(lines, "03:59:20.000")
        assert " Warn  404  12.3s " in warn  # "Warning" fits LEVEL's five cells
        assert message_cell(warn, table) == "␛]0;owned␇GET /q=[red]x[/]"
        assert message_cell(row_of(lines, "03:59:10.000"), table) == "plain text: token expires soon"
        assert message_cell(row_of(lines, "03:59:00.000"), table) == "{not json at all"
        assert "\x1b" not in "".join(lines) and "\x07" not in "".join(lines)

        # The raw JSON stays searchable and its fields filterable.
        await pilot.press("slash", *"requestId")
        await pilot.pause()
        assert [r.request_id for r in table.rows] == [RID, "r2"]
        await pilot.press("ctrl+u", *"user=alice")
        await pilot.pause()
        assert [r.request_id for r in table.rows] == ["r3"]


async def test_wide_terminal_keeps_full_columns(kit: SimpleNamespace, clock: FrozenClock) -> None:
    provider = kit.FakeLogsProvider(_records(kit))
    app = kit.Host()
    async with app.run_test(size=(200, 30)) as pilot:
        await open_logs(app, pilot, provider, clock)
        lines = screen_lines(app)
        header = next(line for line in lines if "MESSAGE" in line)
        assert header.startswith("TIME (UTC)   RESOURCE              LEVEL STS DURATION MESSAGE")
        first = row_of(lines, "03:59:50.000")
        assert first.startswith(
            "03:59:50.000 checkout-apply-coupon ERROR 502    110ms TypeError: Cannot read"
        )
        assert "(reading 'currency')" in first and "…" not in first


async def test_narrow_terminal_drops_milliseconds_then_shrinks_resource(
    kit: SimpleNamespace, clock: FrozenClock
) -> None:
    provider = kit.FakeLogsProvider(_records(kit))
    app = kit.Host()
    async with app.run_test(size=(64, 20)) as pilot:
        screen = await open_logs(app, pilot, provider, clock)
        lines = screen_lines(app)
        widths = {c.key: c.width for c in screen.table.columns()}
        assert widths["time"] == 8 and widths["message"] >= 20
        assert next(line for line in lines if "MESSAGE" in line).startswith("TIME     RESOURCE")
        assert row_of(lines, "03:59:50 ").startswith("03:59:50 ")


async def test_json_message_is_parsed_once(
    kit: SimpleNamespace, clock: FrozenClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls: list[str] = []
    real = log_table.message_fields

    def counting(message: str) -> Any:
        calls.append(message)
        return real(message)

    from srvmon import logtext

    monkeypatch.setattr(log_table, "message_fields", counting)
    monkeypatch.setattr(logtext, "message_fields", counting)
    provider = kit.FakeLogsProvider(_records(kit)[:1])
    app = kit.Host()
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_logs(app, pilot, provider, clock)
        screen_lines(app)
        assert len(calls) == 1  # the first draw parsed the message
        calls.clear()
        for _ in range(3):
            screen.table.refresh()
            await pilot.pause()
            screen_lines(app)
        assert calls == []  # redraws reuse the cached MESSAGE text


async def test_record_screen_does_not_repeat_message_fields(kit: SimpleNamespace, clock: FrozenClock) -> None:
    payload = {"level": "ERROR", "msg": "boom", "service": "checkout"}
    record = LogRecord(
        kit.NOW.timestamp() - 3,
        "checkout-api",
        json.dumps({"timestamp": "2026-11-22T03:59:57Z", **payload}),
        level="ERROR",
        request_id="abc",
        fields={**payload, "log_stream": "2026/11/22/[$LATEST]ab"},
    )
    app = kit.Host()
    async with app.run_test(size=(80, 30)) as pilot:
        await app.push_screen(RecordScreen(kit.FakeLogsProvider([record]), record, clock))
        await pilot.pause()
        text = "\n".join(screen_lines(app))
        assert '"log_stream": "2026/11/22/[$LATEST]ab"' in text  # only the provider's own field
        assert text.count('"msg": "boom"') == 1 and text.count('"service": "checkout"') == 1
        assert '"timestamp": "2026-11-22T03:59:57Z"' in text  # the full JSON, pretty-printed


def _rec(message: object, **kw: Any) -> LogRecord:
    text = message if isinstance(message, str) else json.dumps(message)
    return LogRecord(0.0, "fn", text, **kw)


@pytest.mark.parametrize(
    ("message", "kw", "shown"),
    [
        ("plain text", {}, "plain text"),
        ({"message": "m", "msg": "not this"}, {}, "m"),
        ({"level": "info", "msg": "pino style"}, {}, "pino style"),
        ({"@message": "cloudwatch"}, {}, "cloudwatch"),
        ({"errorType": "TypeError", "errorMessage": "x is undefined"}, {}, "TypeError: x is undefined"),
        ({"errorType": "Error", "errorMessage": "Error: twice"}, {}, "Error: twice"),
        ({"error": {"name": "DbError", "message": "timeout"}, "user": "u"}, {}, "DbError: timeout"),
        ({"error.message": "flat dotted key"}, {}, "flat dotted key"),
        ({"Message": "any case"}, {}, "any case"),
        ({"msg": "", "text": "first non-empty"}, {}, "first non-empty"),
        ({"message": '{"msg":"json in a string"}'}, {}, "json in a string"),
        ({"message": {"orderId": 7, "total": 3.5}}, {}, "orderId=7 total=3.5"),
        ({"error": {"code": "E1"}, "user": "bob"}, {}, 'user=bob error={"code":"E1"}'),
        (
            {"level": "warn", "status": "failed", "durationMs": 5, "requestId": "r1", "k": "v"},
            {"level": "WARN", "status": 503, "duration_ms": 5.0, "request_id": "r1"},
            "status=failed k=v requestId=r1",  # STS shows 503, not "failed": kept; request id last
        ),
        ({"level": "info", "timestamp": "t"}, {"level": "info"}, "level=info timestamp=t"),
        ("{}", {}, "{}"),
        ("[1, 2]", {}, "[1, 2]"),
        ('  {"msg": "leading blanks"}', {}, "leading blanks"),
    ],
)
def test_display_message(message: object, kw: dict[str, Any], shown: str) -> None:
    assert display_message(_rec(message, **kw)) == shown


def test_display_message_leaves_out_field_columns() -> None:
    record = _rec({"user": "alice", "op": "pay"})
    assert display_message(record, shown=("user",)) == "op=pay"


@pytest.mark.parametrize(
    ("ms", "text"),
    [
        (None, ""),
        (float("nan"), ""),
        (float("inf"), ""),
        (4.25, "4.2ms"),
        (99.94, "99.9ms"),
        (99.96, "100ms"),
        (2455.0, "2455ms"),
        (9999.7, "10.0s"),
        (12_345.0, "12.3s"),
        (900_000.0, "900s"),
    ],
)
def test_format_duration(ms: float | None, text: str) -> None:
    assert format_duration(ms) == text
    assert len(text) <= 6


def test_fit() -> None:
    assert _fit("checkout-apply-coupon", 15, middle=True) == "chec…ply-coupon"
    assert _fit("checkout-apply-coupon", 15) == "checkout-apply…"
    assert _fit("short", 8, middle=True) == "short   "
    assert _fit("日本語のテキスト", 7, middle=True) == "日…スト"
    assert cell_len(_fit("日本語のテキスト", 6)) == 6
    assert _fit("x" * 10_000, 5) == "xxxx…"
