"""The record detail screen: fields, pretty JSON, the invocation's lines, console link, OSC 52 copy."""

from __future__ import annotations

import json
import re
from types import SimpleNamespace
from typing import Any

import pytest
from textual.pilot import Pilot

from srvmon.clock import FrozenClock
from srvmon.model import LogRecord
from srvmon.tui.record_screen import RecordScreen, record_dict, safe_link

pytestmark = pytest.mark.anyio
SIZE = (120, 40)


def screen_text(app: Any) -> str:
    return "\n".join("".join(seg.text for seg in strip) for strip in app.screen._compositor.render_strips())


async def settle(app: Any, pilot: Pilot[None]) -> None:
    await app.workers.wait_for_complete()
    await pilot.pause()


def invocation(kit: SimpleNamespace, rid: str = "9f1c-aa") -> list[LogRecord]:
    t = kit.NOW.timestamp() - 60
    lines = [
        f"START RequestId: {rid} Version: $LATEST",
        f"2026-11-22T03:59:00.100Z\t{rid}\tERROR\tInvoke Error \x1b[31m[bold]boom[/]",
        f"END RequestId: {rid}",
        f"REPORT RequestId: {rid}\tDuration: 120.00 ms\tBilled Duration: 120 ms\tMemory Size: 128 MB\t"
        "Max Memory Used: 60 MB",
    ]
    out = [LogRecord(t + i * 0.1, "checkout-api", m, request_id=rid) for i, m in enumerate(lines)]
    out.append(LogRecord(t, "checkout-api", "START RequestId: other", request_id="other"))
    return out


async def test_shows_fields_and_pretty_json(kit: SimpleNamespace, clock: FrozenClock) -> None:
    record = LogRecord(
        kit.NOW.timestamp() - 3,
        "checkout-api",
        json.dumps({"level": "error", "msg": "payment [red]declined[/]", "order": {"id": 42}}),
        level="ERROR",
        status=502,
        duration_ms=812.5,
        request_id="abc-123",
        fields={"stream": "2026/11/22/[$LATEST]abcdef"},
    )
    provider = kit.FakeLogsProvider([record])
    app = kit.Host()
    async with app.run_test(size=SIZE) as pilot:
        await app.push_screen(RecordScreen(provider, record, clock))
        await pilot.pause()
        text = screen_text(app)
        assert "time  2026-11-22T03:59:57.000Z" in text
        assert "resource  checkout-api" in text and "status  502" in text and "duration  812.5 ms" in text
        assert "request id  abc-123" in text
        assert '"stream": "2026/11/22/[$LATEST]abcdef"' in text
        assert '  "msg": "payment [red]declined[/]",' in text  # pretty-printed, markup literal
        assert '    "id": 42' in text


async def test_invocation_lines_for_the_request(kit: SimpleNamespace, clock: FrozenClock) -> None:
    records = invocation(kit)
    provider = kit.FakeLogsProvider(records)
    app = kit.Host()
    async with app.run_test(size=SIZE) as pilot:
        await app.push_screen(RecordScreen(provider, records[1], clock))
        await pilot.press("i")
        await settle(app, pilot)
        query = provider.calls[-1]
        assert query.request_id == "9f1c-aa" and query.resources == ("checkout-api",)
        assert query.window.start.timestamp() == records[1].timestamp - 900  # 15 min before the record
        assert query.window.end == kit.NOW  # ... up to now (15 min after would be in the future)
        screen = app.screen
        assert isinstance(screen, RecordScreen) and screen.invocation is not None
        assert [r.message.split()[0] for r in screen.invocation] == [
            "START",
            "2026-11-22T03:59:00.100Z",
            "END",
            "REPORT",
        ]
        text = screen_text(app)
        assert "invocation 9f1c-aa" in text and "4 line(s)" in text
        assert "Invoke Error ␛[31m[bold]boom[/]" in text
        assert "\x1b" not in text


async def test_no_request_id_notifies(kit: SimpleNamespace, clock: FrozenClock) -> None:
    record = LogRecord(kit.NOW.timestamp(), "fn", "plain line")
    provider = kit.FakeLogsProvider([record])
    app = kit.Host()
    async with app.run_test(size=SIZE) as pilot:
        await app.push_screen(RecordScreen(provider, record, clock))
        await pilot.press("i")
        await settle(app, pilot)
        assert provider.calls == []
        assert any("no request id" in n.message for n in app._notifications)


async def test_console_link_is_osc8_and_plain(kit: SimpleNamespace, clock: FrozenClock) -> None:
    url = "https://console.aws.amazon.com/cloudwatch/home?region=eu-west-1#logsV2:log-groups"
    record = LogRecord(kit.NOW.timestamp(), "fn", "x", request_id="r", link=url)
    app = kit.Host()
    async with app.run_test(size=(200, 40)) as pilot:
        await app.push_screen(RecordScreen(kit.FakeLogsProvider(), record, clock))
        await pilot.press("o")
        await pilot.pause()
        strips = app.screen._compositor.render_strips()
        linked = [seg for strip in strips for seg in strip if seg.style is not None and seg.style.link]
        assert linked and {seg.style.link for seg in linked} == {url}
        assert "open in the cloud console" in "".join(seg.text for seg in linked)
        assert url in screen_text(app)  # printed plainly, to copy over ssh
        ansi = "".join(strip.render(app.console) for strip in strips)
        # What the terminal receives: an OSC 8 hyperlink around the label, closed right after it.
        assert re.search(
            rf"\x1b\]8;id=[^;]*;{re.escape(url)}\x1b\\(\x1b\[[\d;]*m)?open in the cloud console(\x1b\[0m)?\x1b\]8;;\x1b\\",
            ansi,
        )


async def test_hostile_link_is_not_made_a_hyperlink(kit: SimpleNamespace, clock: FrozenClock) -> None:
    record = LogRecord(kit.NOW.timestamp(), "fn", "x", link="https://e.example/\x1b]52;c;eA==\x07")
    app = kit.Host()
    async with app.run_test(size=SIZE) as pilot:
        await app.push_screen(RecordScreen(kit.FakeLogsProvider(), record, clock))
        await pilot.press("o")
        await pilot.pause()
        strips = app.screen._compositor.render_strips()
        assert not [seg for strip in strips for seg in strip if seg.style is not None and seg.style.link]
        ansi = "".join(strip.render(app.console) for strip in strips)
        assert "\x1b]8;" not in ansi and "\x1b]52" not in ansi and "\x07" not in ansi
        text = screen_text(app)
        assert "link is not a plain http(s) URL: https://e.example/␛]52;c;eA==␇" in text
    assert safe_link("javascript:alert(1)") is None
    assert safe_link("https://ok.example/a?b=c") == "https://ok.example/a?b=c"


async def test_copy_record_json_via_osc52(kit: SimpleNamespace, clock: FrozenClock) -> None:
    record = LogRecord(kit.NOW.timestamp(), "fn", "line \x1b[31m", status=500, request_id="r9")
    app = kit.Host()
    async with app.run_test(size=SIZE) as pilot:
        await app.push_screen(RecordScreen(kit.FakeLogsProvider(), record, clock))
        await pilot.press("y")
        await pilot.pause()
        [copied] = app.copied
        assert json.loads(copied) == record_dict(record)
        assert json.loads(copied)["message"] == "line \x1b[31m" and "\x1b" not in copied
        assert any("record JSON copied" in n.message for n in app._notifications)
        await pilot.press("escape")
        await pilot.pause()
        assert not isinstance(app.screen, RecordScreen)


async def test_huge_message_is_shown_truncated_but_copied_whole(
    kit: SimpleNamespace, clock: FrozenClock
) -> None:
    record = LogRecord(kit.NOW.timestamp(), "fn", "y" * 300_000, request_id="big")
    app = kit.Host()
    async with app.run_test(size=SIZE) as pilot:
        await app.push_screen(RecordScreen(kit.FakeLogsProvider(), record, clock))
        await pilot.pause()
        shown = str(app.screen.query_one("#record-message").render())
        assert "y" * 100_000 + "\n… 200,000 more characters" in shown and "y" * 100_001 not in shown
        await pilot.press("y")
        await pilot.pause()
        assert json.loads(app.copied[0])["message"] == "y" * 300_000
