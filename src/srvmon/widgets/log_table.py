"""A virtualised log table: renders only the visible rows, newest first, fast at 100,000 records."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, tzinfo
from typing import Any, ClassVar

from rich.cells import cell_len, get_character_cell_size, set_cell_size
from rich.segment import Segment
from rich.style import Style
from textual import events
from textual.binding import Binding, BindingType
from textual.geometry import Size
from textual.message import Message
from textual.reactive import reactive
from textual.scroll_view import ScrollView
from textual.strip import Strip

from srvmon.fmt import fmt_duration_ms as format_duration
from srvmon.logfilter import ERROR_LEVELS, message_fields
from srvmon.logtext import display_message
from srvmon.model import LogRecord
from srvmon.sanitize import clean

RecordKey = tuple[float, str | None, str]
WARN_LEVELS = frozenset({"warn", "warning"})


def record_key(record: LogRecord) -> RecordKey:
    """Identity used to never show the same record twice: (timestamp, request_id, message)."""
    return (record.timestamp, record.request_id, record.message)


@dataclass(frozen=True)
class Column:
    key: str
    title: str
    width: int
    align_right: bool = False
    #: Too-long text loses its middle ("che…apply-coupon") rather than its end ("checkout-appl…").
    middle: bool = False


#: The message column gets at least this many cells (or 2/5 of the width) before others give way.
MIN_MESSAGE_WIDTH = 32
#: RESOURCE shrinks to this before TIME drops its milliseconds, then to RESOURCE_MIN.
RESOURCE_SOFT_MIN = 12
RESOURCE_MIN = 8


class LogTable(ScrollView, can_focus=True):
    """Log records as rows: time, resource, level, status, duration, [JSON fields...], message.

    Only the rows on screen are rendered (line API), so 100,000 records cost a list, not widgets.
    Every cell is untrusted text and goes through `sanitize.clean`; nothing is parsed as markup.
    """

    DEFAULT_CSS = """
    LogTable {
        height: 1fr;
        overflow-x: hidden;
        overflow-y: auto;
        scrollbar-size-vertical: 1;
        background: $surface;
    }
    LogTable > .log-table--header { text-style: bold; background: $panel; color: $foreground; }
    LogTable > .log-table--cursor { background: $accent 40%; }
    LogTable:focus > .log-table--cursor { background: $accent; color: $text-accent; }
    LogTable > .log-table--muted { color: $foreground-muted; }
    LogTable > .log-table--error { color: $error; }
    LogTable > .log-table--warning { color: $warning; }
    LogTable > .log-table--empty { color: $foreground-muted; text-style: italic; }
    """

    COMPONENT_CLASSES: ClassVar[set[str]] = {
        "log-table--header",
        "log-table--cursor",
        "log-table--muted",
        "log-table--error",
        "log-table--warning",
        "log-table--empty",
    }

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("up,k", "cursor(-1)", "Up", show=False),
        Binding("down,j", "cursor(1)", "Down", show=False),
        Binding("pageup", "page(-1)", "Page up", show=False),
        Binding("pagedown", "page(1)", "Page down", show=False),
        Binding("home,g", "first", "Newest", show=False),
        Binding("end,G", "last", "Oldest", show=False),
        Binding("enter", "select", "Open", show=True),
    ]

    cursor_row: reactive[int] = reactive(0, always_update=True)

    class Selected(Message):
        """Enter (or a click) on a row."""

        def __init__(self, table: LogTable, record: LogRecord, index: int) -> None:
            super().__init__()
            self.table = table
            #: The record under the cursor.
            self.record = record
            #: Its row index (0 = newest shown).
            self.index = index

        @property
        def control(self) -> LogTable:
            return self.table

    def __init__(
        self,
        *,
        tz: tzinfo | None = None,
        empty_text: str = "no log records",
        max_records: int = 200_000,
        name: str | None = None,
        id: str | None = None,
        classes: str | None = None,
    ) -> None:
        super().__init__(name=name, id=id, classes=classes)
        self.tz = tz or UTC
        self.empty_text = empty_text
        #: Follow mode drops the oldest records beyond this many.
        self.max_records = max_records
        self.records: list[LogRecord] = []  # everything held, newest first
        self.rows: list[LogRecord] = []  # what the filter keeps, newest first
        self._keys: set[RecordKey] = set()
        self._predicate: Callable[[LogRecord], bool] | None = None
        self.extra_columns: tuple[str, ...] = ()
        self._fields_cache: dict[int, dict[str, Any]] = {}
        self._long_dates = False
        self._resource_width = 12
        self._field_names: list[str] | None = None
        self._message_cache: dict[int, str] = {}
        self._layout_key: tuple[object, ...] | None = None
        self._layout: list[Column] = []
        self._time_ms = True

    # -- data ------------------------------------------------------------------------------------
    def set_records(
        self, records: Iterable[LogRecord], *, predicate: Callable[[LogRecord], bool] | None | bool = True
    ) -> None:
        """Replace everything shown (duplicates dropped), newest first; the cursor goes to the top.

        `predicate` replaces the filter in the same pass (None = no filter; True = keep the current one).
        """
        if predicate is not True:
            self._predicate = predicate if callable(predicate) else None
        unique: dict[RecordKey, LogRecord] = {}
        for r in records:
            unique.setdefault(record_key(r), r)
        self.records = sorted(unique.values(), key=_ts, reverse=True)
        self._keys = set(unique)
        self._fields_cache.clear()
        self._message_cache.clear()
        self._field_names = None
        self._measure()
        self._refilter(keep_cursor=False)

    def add_records(self, records: Iterable[LogRecord]) -> int:
        """Merge new records (follow mode), never duplicating one already held; returns how many were new.

        The cursor stays on the record it was on (or on the newest row if it was at the top).
        """
        fresh: list[LogRecord] = []
        for r in records:
            key = record_key(r)
            if key not in self._keys:
                self._keys.add(key)
                fresh.append(r)
        if not fresh:
            return 0
        self._field_names = None
        fresh.sort(key=_ts, reverse=True)
        at_top = self.cursor_row == 0
        if not self.records or fresh[-1].timestamp >= self.records[0].timestamp:
            self.records[:0] = fresh
            shown = fresh if self._predicate is None else [r for r in fresh if self._predicate(r)]
            self.rows[:0] = shown
            self._update_size()
            if not at_top and shown:
                self.cursor_row = self.cursor_row + len(shown)
            else:
                self.refresh()
        else:
            self.records = sorted([*self.records, *fresh], key=_ts, reverse=True)
            self._refilter(keep_cursor=True)
        self._trim()
        self._measure()
        return len(fresh)

    def _trim(self) -> None:
        """Keep at most `max_records` (the newest): a screen left following all day must not grow."""
        excess = len(self.records) - self.max_records
        if excess <= 0:
            return
        dropped = self.records[-excess:]
        del self.records[-excess:]
        gone = {id(r) for r in dropped}
        for r in dropped:
            self._keys.discard(record_key(r))
            self._fields_cache.pop(id(r), None)
            self._message_cache.pop(id(r), None)
        while self.rows and id(self.rows[-1]) in gone:
            self.rows.pop()
        if self.cursor_row >= len(self.rows):
            self.cursor_row = len(self.rows) - 1
        self._update_size()

    def set_filter(self, predicate: Callable[[LogRecord], bool] | None, *, narrowing: bool = False) -> None:
        """Show only records the predicate keeps (None = all); re-renders only the visible rows.

        `narrowing=True` promises the new predicate keeps a subset of what the current one kept
        (e.g. one more character typed into a substring filter), so only shown rows are re-tested.
        """
        if narrowing and predicate is not None and self._predicate is not None:
            self._predicate = predicate
            self.rows = [r for r in self.rows if predicate(r)]
            self._update_size()
            self.cursor_row = 0
            if self.is_mounted:
                self.scroll_to(y=0, animate=False, immediate=True)
            return
        self._predicate = predicate
        self._refilter(keep_cursor=False)

    def set_extra_columns(self, names: Sequence[str]) -> None:
        """JSON message fields to show as columns between duration and message."""
        self.extra_columns = tuple(names)
        self._message_cache.clear()  # a JSON summary leaves out the fields shown as columns
        self.refresh()

    def discover_fields(self, sample: int = 500) -> list[str]:
        """Top-level JSON field names seen in the first `sample` JSON messages, most common first."""
        if self._field_names is not None and sample == 500:
            return list(self._field_names)
        counts: dict[str, int] = {}
        seen = 0
        for r in self.records:
            if seen >= sample:
                break
            fields = self.fields_of(r)
            if not fields:
                continue
            seen += 1
            for k in fields:
                counts[k] = counts.get(k, 0) + 1
        names = sorted(counts, key=lambda k: (-counts[k], k))
        if sample == 500:
            self._field_names = names
        return list(names)

    def fields_of(self, record: LogRecord) -> dict[str, Any]:
        """The record's JSON-message fields merged with provider fields (cached per record)."""
        rid = id(record)
        cached = self._fields_cache.get(rid)
        if cached is None:
            cached = dict(message_fields(record.message) or {})
            if record.fields:
                cached.update(record.fields)
            if len(self._fields_cache) > 20_000:
                self._fields_cache.clear()
            self._fields_cache[rid] = cached
        return cached

    @property
    def cursor_record(self) -> LogRecord | None:
        if 0 <= self.cursor_row < len(self.rows):
            return self.rows[self.cursor_row]
        return None

    @property
    def newest_timestamp(self) -> float | None:
        return self.records[0].timestamp if self.records else None

    def _refilter(self, *, keep_cursor: bool) -> None:
        current = self.cursor_record if keep_cursor else None
        pred = self._predicate
        self.rows = list(self.records) if pred is None else [r for r in self.records if pred(r)]
        self._update_size()
        row = 0
        if current is not None:
            try:
                row = self.rows.index(current)
            except ValueError:
                row = 0
        self.cursor_row = row
        if not keep_cursor and self.is_mounted:
            self.scroll_to(y=0, animate=False, immediate=True)

    def _measure(self) -> None:
        sample = self.records[:2000]
        if sample:
            self._long_dates = (sample[0].timestamp - self.records[-1].timestamp) >= 86400
            self._resource_width = max(8, min(24, max(cell_len(_cell_text(r.resource)) for r in sample)))

    def _update_size(self) -> None:
        self.virtual_size = Size(self.size.width, len(self.rows) + 1)
        self.refresh()

    def on_resize(self, event: events.Resize) -> None:
        self._update_size()

    # -- columns & rendering ---------------------------------------------------------------------
    def columns(self) -> list[Column]:
        """The columns for the current width: fixed ones give way so MESSAGE keeps a useful width.

        In order, until MESSAGE has `MIN_MESSAGE_WIDTH` cells (or 2/5 of the width): DURATION
        becomes "DUR" (6 cells), RESOURCE shrinks to 12 (ellipsis in the middle), TIME drops its
        milliseconds, RESOURCE shrinks to 8. Cached per (width, field columns, measurements).
        """
        width = self.scrollable_content_region.width  # without the scrollbar
        key = (width, self.extra_columns, self._long_dates, self._resource_width, self.tz)
        if key == self._layout_key:
            return self._layout
        extras = [Column("field:" + name, name.upper(), 14) for name in self.extra_columns]
        extra_width = sum(c.width + 1 for c in extras)
        time_width = 14 if self._long_dates else 12
        resource = self._resource_width
        duration, duration_title = 8, "DURATION"
        want = max(MIN_MESSAGE_WIDTH, width * 2 // 5)

        def message_width() -> int:
            # Five separators: after time, resource, level, status and duration.
            return width - (time_width + resource + 5 + 3 + duration + 5 + extra_width)

        if message_width() < want:
            duration, duration_title = 6, "DUR"
        if message_width() < want and resource > RESOURCE_SOFT_MIN:
            resource = max(RESOURCE_SOFT_MIN, resource - (want - message_width()))
        time_ms = True
        if message_width() < want and not self._long_dates:
            time_width, time_ms = 8, False
        if message_width() < want and resource > RESOURCE_MIN:
            resource = max(RESOURCE_MIN, resource - (want - message_width()))
        time_title = self._time_title()
        if len(time_title) > time_width:
            time_title = "TIME"
        cols = [
            Column("time", time_title, time_width),
            Column("resource", "RESOURCE", resource, middle=True),
            Column("level", "LEVEL", 5),
            Column("status", "STS", 3, align_right=True),
            Column("duration", duration_title, duration, align_right=True),
            *extras,
            Column("message", "MESSAGE", max(10, message_width())),
        ]
        self._layout_key, self._layout, self._time_ms = key, cols, time_ms
        return cols

    def _time_title(self) -> str:
        if self.tz is UTC:
            return "TIME (UTC)"
        name = self.tz.tzname(datetime.now(self.tz)) or ""
        return f"TIME ({name})" if 0 < len(name) <= 5 else "TIME"

    def cell(self, record: LogRecord, key: str) -> str:
        """The display text of one cell (cleaned; never markup)."""
        if key == "time":
            try:
                dt = datetime.fromtimestamp(record.timestamp, self.tz)
            except (ValueError, OverflowError, OSError, TypeError):
                return "?"
            if self._long_dates:
                return dt.strftime("%m-%d %H:%M:%S")
            if not self._time_ms:
                return dt.strftime("%H:%M:%S")
            return dt.strftime("%H:%M:%S") + f".{dt.microsecond // 1000:03d}"
        if key == "resource":
            return _cell_text(record.resource)
        if key == "level":
            return _short_level(_cell_text(record.level or ""))
        if key == "status":
            return "" if record.status is None else str(record.status)
        if key == "duration":
            return format_duration(record.duration_ms)
        if key == "message":
            return self.message_text(record)
        if key.startswith("field:"):
            value = self.fields_of(record).get(key[6:])
            if value is None:
                return ""
            text = value if isinstance(value, str) else json.dumps(value, default=str)
            return _cell_text(text)
        return ""

    def message_text(self, record: LogRecord) -> str:
        """The MESSAGE cell: a JSON message's human message (or its key=value summary), else the text.

        Cached per record, so a JSON message is parsed once however often its row is drawn.
        """
        rid = id(record)
        text = self._message_cache.get(rid)
        if text is None:
            text = _cell_text(display_message(record, shown=self.extra_columns))
            if len(self._message_cache) > 20_000:
                self._message_cache.clear()
            self._message_cache[rid] = text
        return text

    def row_style(self, record: LogRecord) -> Style | None:
        level = (record.level or "").lower()
        if level in ERROR_LEVELS or (record.status is not None and record.status >= 500):
            return self.get_component_rich_style("log-table--error")
        if level in WARN_LEVELS or (record.status is not None and record.status >= 400):
            return self.get_component_rich_style("log-table--warning")
        return None

    def _line(self, cells: list[tuple[str, Column]], base: Style, muted: Style | None) -> list[Segment]:
        segments: list[Segment] = []
        for i, (text, col) in enumerate(cells):
            if col.align_right:
                text = text[-col.width :] if cell_len(text) > col.width else text
                padded = " " * (col.width - cell_len(text)) + text
            else:
                padded = _fit(text, col.width, middle=col.middle)
            style = base + muted if (muted is not None and i == 0) else base
            segments.append(Segment(padded, style))
            segments.append(Segment(" ", base))
        return segments

    def render_line(self, y: int) -> Strip:
        width = self.size.width
        base = self.rich_style
        cols = self.columns()
        if y == 0:
            header = self.get_component_rich_style("log-table--header")
            return Strip(self._line([(c.title, c) for c in cols], base + header, None)).crop_extend(
                0, width, base + header
            )
        index = self.scroll_offset.y + y - 1
        if index >= len(self.rows):
            if index == 0:
                empty = self.get_component_rich_style("log-table--empty")
                text = set_cell_size(" " + self.empty_text, width)
                return Strip([Segment(text, base + empty)], width)
            return Strip.blank(width, base)
        record = self.rows[index]
        style = base
        level_style = self.row_style(record)
        if level_style is not None:
            style = style + level_style
        if index == self.cursor_row:
            style = style + self.get_component_rich_style("log-table--cursor")
        muted = self.get_component_rich_style("log-table--muted") if index != self.cursor_row else None
        cells = [(self.cell(record, c.key), c) for c in cols]
        return Strip(self._line(cells, style, muted)).crop_extend(0, width, style)

    # -- cursor ------------------------------------------------------------------------------------
    def validate_cursor_row(self, value: int) -> int:
        return max(0, min(value, len(self.rows) - 1)) if self.rows else 0

    def watch_cursor_row(self, old: int, new: int) -> None:
        self._scroll_cursor_visible()
        self.refresh()

    def _scroll_cursor_visible(self) -> None:
        if not self.rows or not self.is_mounted:
            return
        # Viewport line y shows row scroll_y + y - 1; line 0 is the pinned header.
        visible = max(1, self.scrollable_content_region.height - 1)
        top = self.scroll_offset.y
        if self.cursor_row < top:
            self.scroll_to(y=self.cursor_row, animate=False, immediate=True)
        elif self.cursor_row > top + visible - 1:
            self.scroll_to(y=self.cursor_row - visible + 1, animate=False, immediate=True)

    def action_cursor(self, delta: int) -> None:
        self.cursor_row = self.cursor_row + delta

    def action_page(self, direction: int) -> None:
        self.cursor_row = self.cursor_row + direction * max(1, self.scrollable_content_region.height - 2)

    def action_first(self) -> None:
        self.cursor_row = 0

    def action_last(self) -> None:
        self.cursor_row = len(self.rows) - 1

    def action_select(self) -> None:
        record = self.cursor_record
        if record is not None:
            self.post_message(self.Selected(self, record, self.cursor_row))

    def on_click(self, event: events.Click) -> None:
        offset = event.get_content_offset(self)
        if offset is None or offset.y == 0:
            return
        index = self.scroll_offset.y + offset.y - 1
        if 0 <= index < len(self.rows):
            if index == self.cursor_row and event.chain >= 2:
                self.action_select()
            self.cursor_row = index


#: A row shows at most this many characters of a field (a 1 MB message costs no more than a short one).
CELL_CHARS = 1000


def _cell_text(text: str) -> str:
    """One table cell: cleaned, and tabs expanded (a raw tab would move the terminal cursor)."""
    if isinstance(text, str) and len(text) > CELL_CHARS:
        text = text[:CELL_CHARS]
    cleaned = clean(text)
    return cleaned.expandtabs(4) if "\t" in cleaned else cleaned


def _ts(record: LogRecord) -> float:
    return record.timestamp


def _fit(text: str, width: int, *, middle: bool = False) -> str:
    """`text` padded or cut to exactly `width` cells; a cut shows "…" (at the end, or in the middle)."""
    if width <= 0:
        return ""
    if not middle and len(text) > 4 * width + 16:
        text = text[: 4 * width + 16]  # more than can show (even with some zero-width characters)
    size = cell_len(text)
    if size <= width:
        return text + " " * (width - size)
    if width == 1:
        return "…"
    if not middle:
        return set_cell_size(text, width - 1) + "…"
    # Names sharing a prefix ("checkout-…") differ at the end: the end gets two thirds.
    head_cells = (width - 1) // 3
    tail_cells = width - 1 - head_cells
    head = set_cell_size(text, head_cells)
    tail: list[str] = []
    used = 0
    for ch in reversed(text):
        w = get_character_cell_size(ch)
        if used + w > tail_cells:
            break
        tail.append(ch)
        used += w
    return head + "…" + " " * (tail_cells - used) + "".join(reversed(tail))


_LEVEL_SHORT = {
    "warning": "warn",
    "critical": "crit",
    "information": "info",
    "informational": "info",
    "emergency": "emerg",
    "verbose": "verb",
}


def _short_level(level: str) -> str:
    """'Warning' -> 'Warn', 'INFORMATION' -> 'INFO' (LEVEL is 5 cells); other levels unchanged."""
    if len(level) <= 5:
        return level
    short = _LEVEL_SHORT.get(level.lower())
    if short is None:
        return level
    if level.isupper():
        return short.upper()
    return short.capitalize() if level[:1].isupper() else short
