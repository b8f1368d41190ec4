"""LogTable alone: newest first, de-duplication, cursor kept on merge, only visible rows rendered."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from textual.app import App, ComposeResult

from srvmon.model import LogRecord
from srvmon.widgets.log_table import LogTable, record_key

pytestmark = pytest.mark.anyio


class CountingTable(LogTable):
    lines_rendered = 0

    def render_line(self, y: int):  # type: ignore[no-untyped-def]
        CountingTable.lines_rendered += 1
        return super().render_line(y)


class TableApp(App[None]):
    def compose(self) -> ComposeResult:
        yield CountingTable(id="t")


async def test_newest_first_and_no_duplicates(kit: SimpleNamespace) -> None:
    records = kit.make_records(10)
    app = TableApp()
    async with app.run_test(size=(100, 20)) as pilot:
        table = app.query_one(CountingTable)
        table.set_records(list(reversed(records)) + records[:3])  # duplicates dropped
        await pilot.pause()
        assert [r.request_id for r in table.rows] == [f"req-{i}" for i in range(9, -1, -1)]
        # Follow: two new, one old again; the cursor stays on its record.
        table.cursor_row = 3
        on = table.cursor_record
        newer = kit.make_records(2, start=kit.NOW.timestamp() + 5)
        newer = [
            LogRecord(r.timestamp, r.resource, r.message, request_id="n" + (r.request_id or ""))
            for r in newer
        ]
        assert table.add_records([*newer, records[5]]) == 2
        assert table.add_records(newer) == 0
        assert table.rows[0].request_id == "nreq-1" and len(table.rows) == 12
        assert table.cursor_record is on and table.cursor_row == 5
        assert len({record_key(r) for r in table.rows}) == 12
        # An older record arriving late is placed in time order.
        late = LogRecord(records[4].timestamp + 0.5, "fn-x", "late", request_id="late")
        assert table.add_records([late]) == 1
        ids = [r.request_id for r in table.rows]
        assert ids.index("late") == ids.index("req-5") + 1
        assert table.cursor_record is on


async def test_renders_only_visible_rows_at_100k(kit: SimpleNamespace) -> None:
    app = TableApp()
    async with app.run_test(size=(100, 20)) as pilot:
        table = app.query_one(CountingTable)
        table.set_records(kit.make_records(100_000))
        await pilot.pause()
        CountingTable.lines_rendered = 0
        table.action_page(1)
        table.action_page(1)
        await pilot.pause()
        app.screen._compositor.render_strips()
        assert 0 < CountingTable.lines_rendered <= 4 * 20
        # 20 lines: header + 19 rows; a page is 18 rows, so row 36 is the last visible one.
        assert table.cursor_row == 36 and table.scroll_offset.y == 36 - 19 + 1
        table.action_last()
        await pilot.pause()
        text = "\n".join("".join(s.text for s in strip) for strip in app.screen._compositor.render_strips())
        assert "request 0 failed upstream" in text  # the oldest row is reachable at the bottom
        assert table.virtual_size.height == 100_001


async def test_filter_and_selection_message(kit: SimpleNamespace) -> None:
    selected: list[LogRecord] = []

    class SelectApp(TableApp):
        def on_log_table_selected(self, event: LogTable.Selected) -> None:
            selected.append(event.record)

    app = SelectApp()
    async with app.run_test(size=(100, 20)) as pilot:
        table = app.query_one(CountingTable)
        table.set_records(kit.make_records(100))
        table.set_filter(lambda r: r.status == 503)
        await pilot.pause()
        assert len(table.rows) == 10 and len(table.records) == 100
        table.focus()
        await pilot.press("down", "enter")
        await pilot.pause()
        assert [r.request_id for r in selected] == ["req-80"]
        table.set_filter(None)
        assert len(table.rows) == 100


async def test_click_selects_and_double_click_opens(kit: SimpleNamespace) -> None:
    selected: list[LogRecord] = []

    class SelectApp(TableApp):
        def on_log_table_selected(self, event: LogTable.Selected) -> None:
            selected.append(event.record)

    app = SelectApp()
    async with app.run_test(size=(100, 20)) as pilot:
        table = app.query_one(CountingTable)
        table.set_records(kit.make_records(30))
        await pilot.pause()
        await pilot.click(CountingTable, offset=(5, 3))  # line 3 = row 2 (line 0 is the header)
        await pilot.pause()
        assert table.cursor_row == 2 and selected == []
        await pilot.click(CountingTable, offset=(5, 0))  # the header selects nothing
        assert table.cursor_row == 2
        await pilot.click(CountingTable, offset=(5, 5), times=2)
        await pilot.pause()
        assert table.cursor_row == 4 and [r.request_id for r in selected] == ["req-25"]


async def test_follow_keeps_at_most_max_records(kit: SimpleNamespace) -> None:
    app = TableApp()
    async with app.run_test(size=(100, 20)) as pilot:
        table = app.query_one(CountingTable)
        table.max_records = 50
        table.set_filter(lambda r: r.status == 503)  # every 10th record
        table.set_records(kit.make_records(40))
        await pilot.pause()
        for batch in range(5):  # 5 x 20 newer records arrive
            newer = kit.make_records(20, start=kit.NOW.timestamp() + 100 * (batch + 1))
            newer = [
                LogRecord(r.timestamp, r.resource, r.message, status=r.status, request_id=f"b{batch}-{i}")
                for i, r in enumerate(newer)
            ]
            table.add_records(newer)
        assert len(table.records) == 50 and len(table._keys) == 50
        assert table.records[0].request_id == "b4-19" and table.records[-1].request_id == "b2-10"
        assert [r.request_id for r in table.rows] == ["b4-10", "b4-0", "b3-10", "b3-0", "b2-10"]
        assert table.virtual_size.height == 6
        # A dropped record arriving again is accepted as new (it is no longer held).
        old = kit.make_records(1)[0]
        assert table.add_records([old]) == 1 and len(table.records) == 50


async def test_huge_messages_render_fast(kit: SimpleNamespace) -> None:
    import time

    big = "x" * 1_000_000 + "\x1b[31m"
    records = [LogRecord(kit.NOW.timestamp() - i, "fn", f"{i} {big}", request_id=str(i)) for i in range(40)]
    app = TableApp()
    async with app.run_test(size=(100, 20)) as pilot:
        table = app.query_one(CountingTable)
        table.set_records(records)
        await pilot.pause()
        start = time.process_time()
        lines = [table.render_line(y).text for y in range(20)]
        assert time.process_time() - start < 0.5
        assert lines[1].startswith(table.cell(records[0], "time")) and "0 xxxx" in lines[1]
        assert all(len(line) == 100 for line in lines)
