"""Toplist panel body: a sortable ranking with bars (most-called, worst p99, biggest movers)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from rich.console import RenderableType
from rich.text import Text
from textual import events

from srvmon.fmt import STATUS_SYMBOL, ellipsize, fmt_delta, fmt_value, short_unit
from srvmon.model import PanelSeries, Row, ToplistRow
from srvmon.widgets.base import PanelBody, clean

#: A ranked name keeps at least this many cells (bars and the change column give way first).
TOPLIST_NAME_MIN = 16
#: Sort orders cycled by `s`: (label, key, descending).
SORTS: tuple[tuple[str, str, bool], ...] = (
    ("value ↓", "value", True),
    ("value ↑", "value", False),
    ("change", "delta_pct", True),
    ("name", "name", False),
)


def _sort_key(row: ToplistRow, key: str) -> Any:
    if key == "name":
        return row.name
    if key == "delta_pct":
        return abs(row.delta_pct) if row.delta_pct is not None else -1.0
    return row.value if row.value is not None else float("-inf")


class TopList(PanelBody):
    """Rank, name (middle-ellipsis so distinct names stay distinct), bar, value, change; `s` sorts."""

    selectable = True

    def __init__(self, **kw: Any) -> None:
        super().__init__(**kw)
        self.sort_index = 0

    def cycle_sort(self) -> str:
        self.sort_index = (self.sort_index + 1) % len(SORTS)
        self.refresh()
        return SORTS[self.sort_index][0]

    def rows(self) -> list[ToplistRow]:
        raw = (
            [r for r in (self.panel.rows or ()) if isinstance(r, ToplistRow)]
            if self.panel is not None
            else []
        )
        if self.sort_index == 0:
            return raw  # the core's own order (its `order`, top N)
        _, key, desc = SORTS[self.sort_index]
        return sorted(raw, key=lambda r: _sort_key(r, key), reverse=desc)

    def items(self) -> Sequence[Row | PanelSeries]:
        return self.rows()

    def _first_visible(self, count: int, height: int) -> int:
        if self.cursor is None or count <= height:
            return 0
        return max(0, min(self.cursor - height + 1, count - height)) if self.cursor >= height else 0

    def head_lines(self, count: int) -> int:
        """1 when the 'sorted by' line fits (all rows still shown, or room to spare), else 0."""
        return 1 if self.size.height >= min(count + 1, 6) else 0

    def on_click(self, event: events.Click) -> None:
        rows = self.rows()
        head = self.head_lines(len(rows))
        height = max(1, self.size.height - head)
        index = self._first_visible(len(rows), height) + event.y - head
        if 0 <= index < len(rows):
            self.cursor = index
            self.refresh()

    def render(self) -> RenderableType:
        p = self.panel
        if p is None:
            return Text("")
        rows = self.rows()
        width = max(10, self.size.width)
        head_lines = self.head_lines(len(rows))
        height = max(1, self.size.height - head_lines)
        unit = short_unit(p.unit)
        values = [abs(r.value) for r in rows if r.value is not None]
        top = max(values, default=0.0) or 1.0
        value_w = max((len(fmt_value(r.value, unit)) for r in rows), default=1)
        delta_w = 6 if self.compare and p.compare is not None else 0
        bar_w = max(0, min(20, (width - value_w - delta_w - 6) // 4))
        longest = max((len(clean(r.name or r.resource or "?")) for r in rows), default=4)
        # names first: on a narrow panel the bars go, then the change column, before a name is cut short
        if width - value_w - delta_w - bar_w - 6 < min(longest, TOPLIST_NAME_MIN):
            bar_w = 0
        if width - value_w - delta_w - 6 < min(longest, TOPLIST_NAME_MIN):
            delta_w = 0
        # a very narrow panel drops the rank number before cutting names further
        rank = width - value_w - delta_w - bar_w - 6 >= min(longest, 10)
        name_w = max(4, width - value_w - delta_w - bar_w - (6 if rank else 4))
        out = Text(no_wrap=True, overflow="ellipsis")
        head = f"sorted by {SORTS[self.sort_index][0]}" + (
            f" · {clean(p.unit)}" if p.unit and not unit else ""
        )
        if head_lines:
            out.append(f"{head:<{width}}"[:width] + "\n", style=self.muted())
        start = self._first_visible(len(rows), height)
        for i, row in enumerate(rows[start : start + height], start=start):
            name = ellipsize(clean(row.name or row.resource or "?"), name_w)
            frac = abs(row.value) / top if row.value is not None else 0.0
            line = Text(no_wrap=True)
            line.append(STATUS_SYMBOL.get(row.status, " "), style=self.status_style(row.status))
            line.append(f"{i + 1:>2} {name:<{name_w}} " if rank else f" {name:<{name_w}} ")
            if bar_w:
                line.append(("█" * int(round(frac * bar_w))).ljust(bar_w), style=self.fg("primary"))
            line.append(
                f" {fmt_value(row.value, unit):>{value_w}}", style=self.status_style(row.status, bold=True)
            )
            if delta_w:
                line.append(f" {fmt_delta(row.delta_pct):>{delta_w - 1}}", style=self.muted())
            if self.cursor == i:
                line.stylize("reverse")
            out.append_text(line)
            out.append("\n")
        if not rows:
            out.append("no rows", style=self.muted())
        out.rstrip()
        return out
