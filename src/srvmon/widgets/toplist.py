"""Toplist panel body: a sortable ranking with bars (most-called, worst p99, biggest movers)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from rich.console import RenderableType
from rich.text import Text
from textual import events

from srvmon.widgets.base import PanelBody, clean
from srvmon.widgets.units import STATUS_SYMBOL, fmt_delta, fmt_value

#: Sort orders cycled by `s`: (label, key, descending).
SORTS: tuple[tuple[str, str, bool], ...] = (
    ("value ↓", "value", True),
    ("value ↑", "value", False),
    ("change", "delta_pct", True),
    ("name", "name", False),
)


def _sort_key(row: Mapping[str, Any], key: str) -> Any:
    v = row.get(key)
    if key == "name":
        return str(v or "")
    if key == "delta_pct":
        return abs(v) if isinstance(v, int | float) else -1.0
    return v if isinstance(v, int | float) else float("-inf")


class TopList(PanelBody):
    """Rank, name, bar, value, delta; `s` cycles the sort, j/k or a click selects a row."""

    selectable = True

    def __init__(self, **kw: Any) -> None:
        super().__init__(**kw)
        self.sort_index = 0

    def render_state(self) -> tuple[Any, ...]:
        return (self.sort_index,)

    def cycle_sort(self) -> str:
        self.sort_index = (self.sort_index + 1) % len(SORTS)
        self.refresh()
        return SORTS[self.sort_index][0]

    def rows(self) -> list[Mapping[str, Any]]:
        raw = list(self.panel.rows or ()) if self.panel is not None else []
        _, key, desc = SORTS[self.sort_index]
        if self.sort_index == 0:
            return raw  # the core's own order (its `order`, top N)
        return sorted(raw, key=lambda r: _sort_key(r, key), reverse=desc)

    def selected(self) -> Mapping[str, Any] | None:
        rows = self.rows()
        if self.cursor is None or self.cursor >= len(rows):
            return None
        return rows[self.cursor]

    def _first_visible(self, count: int, height: int) -> int:
        if self.cursor is None or count <= height:
            return 0
        return max(0, min(self.cursor - height + 1, count - height)) if self.cursor >= height else 0

    def on_click(self, event: events.Click) -> None:
        rows = self.rows()
        height = max(1, self.size.height - 1)
        index = self._first_visible(len(rows), height) + event.y - 1
        if 0 <= index < len(rows):
            self.cursor = index
            self.refresh()

    def render(self) -> RenderableType:
        p = self.panel
        if p is None:
            return Text("")
        rows = self.rows()
        width = max(10, self.size.width)
        height = max(1, self.size.height - 1)
        unit = p.unit
        values: list[float] = [float(r["value"]) for r in rows if isinstance(r.get("value"), int | float)]
        top = max((abs(v) for v in values), default=0.0) or 1.0
        short = unit if unit in ("ms", "s", "%", "$", "B") else ""  # other units go in the header line
        value_w = max((len(fmt_value(v, short)) for v in values), default=1)
        delta_w = 7
        bar_w = max(0, min(20, (width - value_w - delta_w - 6) // 3))
        name_w = max(4, width - value_w - delta_w - bar_w - 8)
        out = Text(no_wrap=True, overflow="ellipsis")
        head = f"sorted by {SORTS[self.sort_index][0]}" + (f" · {clean(unit)}" if unit and not short else "")
        out.append(f"{head:<{width}}"[:width] + "\n", style=self.muted())
        start = self._first_visible(len(rows), height)
        for i, row in enumerate(rows[start : start + height], start=start):
            status = str(row.get("status") or "ok")
            sym = STATUS_SYMBOL.get(status, " ")
            name = clean(row.get("name") or row.get("resource") or "?")
            if len(name) > name_w:
                name = name[: name_w - 1] + "…"
            value = row.get("value")
            frac = abs(value) / top if isinstance(value, int | float) else 0.0
            line = Text(no_wrap=True)
            line.append(f"{sym}", style=self.status_style(status))
            line.append(f"{i + 1:>2} {name:<{name_w}} ")
            line.append(("█" * int(round(frac * bar_w))).ljust(bar_w), style=self.fg("primary"))
            line.append(f" {fmt_value(value, short):>{value_w}}", style=self.status_style(status, bold=True))
            delta = fmt_delta(row.get("delta_pct"))
            line.append(f" {delta:>{delta_w}}", style=self.muted())
            if self.cursor == i:
                line.stylize("reverse")
            out.append_text(line)
            out.append("\n")
        if not rows:
            out.append("no rows", style=self.muted())
        out.rstrip()
        return out
