"""The compact board: one line per panel - status glyph, title, value with unit, change vs the compare
window, sparkline, and what matters for its kind (limit and time to limit, top offender, firing alarms) -
in attention order. It formats what the Snapshot says and decides nothing."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, tzinfo

from rich.style import Style
from rich.text import Text
from textual import events
from textual.message import Message
from textual.widget import Widget

from srvmon import kinds
from srvmon.fmt import (
    STATUS_SYMBOL,
    ellipsize,
    fmt_age,
    fmt_delta,
    fmt_duration,
    fmt_money,
    fmt_value,
    sparkline,
)
from srvmon.model import (
    AlarmRow,
    EventRow,
    HealthRow,
    LogRow,
    PanelHead,
    PanelSnapshot,
    ShareRow,
    ToplistRow,
)
from srvmon.widgets.base import Themed, clean, note_text
from srvmon.widgets.events import GLYPH as EVENT_GLYPH


def _value_parts(p: PanelSnapshot, compare: bool) -> tuple[str, str, str]:
    """(value, delta, detail) for one panel, as srvmon.fmt formats the Snapshot's own numbers."""
    rows = p.rows or ()
    delta = fmt_delta(p.delta_pct) if compare and p.compare is not None else ""
    kind = p.kind
    if kind == "gauge" and p.limit is not None and p.limit.limit:
        lim = p.limit
        top = next((r.name for r in rows if isinstance(r, ShareRow)), lim.resource)
        detail = f"{fmt_value(lim.used, p.unit)} / {fmt_value(lim.limit, p.unit)}"
        if lim.time_to_limit_s is not None:
            detail += f" · full in {fmt_duration(lim.time_to_limit_s)}"
        if top:
            detail += f" · {clean(top)}"
        return fmt_value(lim.used / lim.limit * 100, "%"), delta, detail
    if kind == "toplist":
        first = next((r for r in rows if isinstance(r, ToplistRow)), None)
        if first is None:
            return "–", "", "no rows"
        d = fmt_delta(first.delta_pct) if compare and p.compare is not None else ""
        return fmt_value(first.value, p.unit), d, f"#1 {clean(first.name or first.resource)}"
    if kind == "alarms":
        alarms = [r for r in rows if isinstance(r, AlarmRow)]
        firing = [r for r in alarms if r.state == "ALARM"]
        nodata = [r for r in alarms if r.state == "INSUFFICIENT_DATA"]
        if not firing and not nodata:
            return f"{len(alarms)} OK", "", "all alarms OK" if alarms else "no alarms defined"
        names = ", ".join(clean(r.name) for r in (firing or nodata)[:3])
        return (f"{len(firing)} ALARM" if firing else f"{len(nodata)} NODATA"), "", names
    if kind == "cost":
        cost = p.cost
        detail = ""
        if cost is not None:
            detail = f"forecast {fmt_value(cost.forecast, '$')}"
            if fmt_delta(cost.wow_pct):
                detail += f" · WoW {fmt_delta(cost.wow_pct)}"
        return f"MTD {fmt_money(p.value)}" if p.value is not None else "–", fmt_delta(p.delta_pct), detail
    if kind == "health":
        health = [r for r in rows if isinstance(r, HealthRow)]
        bad = [r for r in health if r.status != "ok"]
        if not bad:
            return f"{len(health)} ok", "", "no function needs attention" if health else "no invocations"
        worst = bad[0]
        chips = [
            label
            for label, status in (
                (f"cold {fmt_value(worst.cold_start_pct, '%')}", worst.cold_status),
                (f"timeouts {worst.timeouts}", worst.timeouts_status),
                (f"OOM {worst.oom}", worst.oom_status),
                (f"dur {fmt_value(worst.p99_timeout_pct, '%')}", worst.duration_status),
            )
            if status != "ok"
        ]
        return f"{len(bad)}/{len(health)} bad", "", f"{clean(worst.function)} {' '.join(chips)}".strip()
    if kind == "logs":
        logs = [r for r in rows if isinstance(r, LogRow)]
        if not logs:
            return "0 records", "", "no matching records"
        r = logs[0]
        status = f" {r.status}" if r.status is not None else ""
        return f"{len(logs)} recent", "", f"{clean(r.resource)}{status} {clean(r.message)}"
    if kind == "events":
        changes = [r for r in rows if isinstance(r, EventRow)]
        if not changes:
            return "0 changes", "", "no changes in this window"
        e = changes[0]
        where = f"{clean(e.resources[0])} " if e.resources else ""
        return f"{len(changes)} changes", "", f"{EVENT_GLYPH.get(e.kind, '•')} {where}{clean(e.summary)}"
    if kind == "text":
        note = clean(p.notes[0]).strip().splitlines()[0] if p.notes and p.notes[0].strip() else ""
        return "", "", note.lstrip("# ")
    detail = ""
    if p.limit is not None and p.limit.limit:
        detail = f"{fmt_value(p.limit.used / p.limit.limit * 100, '%')} of limit"
        if p.limit.time_to_limit_s is not None:
            detail += f" · full in {fmt_duration(p.limit.time_to_limit_s)}"
    elif p.notes:
        detail = note_text(p.notes[0], p.title)
    return fmt_value(p.value, p.unit), delta, detail


def value_width(panels: Sequence[PanelSnapshot | None], compare: bool = True) -> int:
    """The value column's width for these lines (9 to 12 cells)."""
    widths = [len(_value_parts(p, compare)[0]) for p in panels if p is not None and p.status != "error"]
    return max(9, min(12, max(widths, default=9)))


def compact_line(head: PanelHead, p: PanelSnapshot | None, width: int, *, compare: bool = True,
                 now: datetime | None = None, styles: dict[str, Style] | None = None,
                 value_w: int = 9) -> Text:  # fmt: skip
    """One panel as one line of `width` cells: glyph, title, value, delta, sparkline, detail."""
    st = styles or {}
    muted = st.get("muted", Style())
    line = Text(no_wrap=True, overflow="ellipsis", end="")
    title_w = max(10, min(32, width * 3 // 10))
    if p is None:
        line.append("… ", style=muted)
        line.append(ellipsize(clean(head.title), title_w), style=muted)
        line.append("  loading…", style=muted)
        return line
    status_style = st.get(p.status, Style())
    bold = status_style + Style(bold=True)
    if p.status == "error" and not p.stale:
        line.append(f"{STATUS_SYMBOL.get(p.status, '?')} ", style=bold)
        line.append(f"{ellipsize(clean(head.title), title_w):<{title_w}}")
        line.append(f"  ⊘ {clean(p.error or 'error')}", style=status_style)
        return line
    value, delta, detail = _value_parts(p, compare)
    spark_w = max(0, min(20, (width - 40) // 4))
    spark = kinds.traits(p.kind).sparkline
    values = [v for _, v in p.series[0].points] if p.series and spark else []
    fixed = 2 + 1 + max(value_w, len(value)) + 1 + 7 + (spark_w + 1 if values else 0)
    title_w = max(8, min(title_w, width - fixed - 8))
    line.append(f"{STATUS_SYMBOL.get(p.status, '?')} ", style=bold)
    line.append(f"{ellipsize(clean(head.title), title_w):<{title_w}} ")
    line.append(f"{value:>{value_w}}", style=bold)
    line.append(f" {delta:<6} ", style=status_style if p.status in ("warn", "crit") else muted)
    if values:
        line.append(sparkline(values, spark_w), style=st.get("spark", Style()))
        line.append(" ")
    if p.stale:
        age = (now - p.fetched_at).total_seconds() if now and p.fetched_at else None
        line.append(f"⟳ stale {fmt_age(age)} ", style=bold)
    if detail:
        line.append(detail, style=muted)
    return line


class CompactList(Themed, Widget, can_focus=True):
    """The panels as lines in attention order (the caller sorts); j/k or the mouse select one, Enter (or a
    double click) opens it full screen."""

    DEFAULT_CSS = """
    CompactList { height: auto; width: 1fr; padding: 0 1; background: $surface; text-wrap: nowrap;
                  text-overflow: ellipsis; }
    CompactList:focus { background-tint: $foreground 4%; }
    """

    class Open(Message):
        """Enter or a double click on a line: show that panel full screen."""

        def __init__(self, panel_id: str) -> None:
            super().__init__()
            self.panel_id = panel_id
            """The panel to open."""

    def __init__(self, *, tz: tzinfo | None = None, selectable: bool = True, id: str | None = None,
                 classes: str | None = None) -> None:  # fmt: skip
        super().__init__(id=id, classes=classes)
        self.tz = tz
        self.selectable = selectable
        self.heads: list[PanelHead] = []
        self.panels: dict[str, PanelSnapshot] = {}
        self.now: datetime | None = None
        self.compare = True
        #: The selected panel's id (it stays selected when the order changes).
        self.cursor: str | None = None

    def show(
        self, heads: Sequence[PanelHead], panels: dict[str, PanelSnapshot], now: datetime | None
    ) -> None:
        """The lines to draw, in this order."""
        self.heads = list(heads)
        self.panels = panels
        self.now = now
        if self.cursor is not None and all(h.id != self.cursor for h in self.heads):
            self.cursor = None
        self.styles.height = max(1, len(self.heads))
        self.refresh(layout=True)

    def set_compare(self, on: bool) -> None:
        if on != self.compare:
            self.compare = on
            self.refresh()

    def index(self) -> int | None:
        return next((i for i, h in enumerate(self.heads) if h.id == self.cursor), None)

    def move(self, delta: int) -> bool:
        if not self.selectable or not self.heads:
            return False
        i = self.index()
        i = (
            (0 if delta > 0 else len(self.heads) - 1)
            if i is None
            else max(0, min(len(self.heads) - 1, i + delta))
        )
        self.cursor = self.heads[i].id
        self.refresh()
        self.scroll_to_region_of(i)
        return True

    def scroll_to_region_of(self, i: int) -> None:
        from textual.geometry import Region

        parent = self.parent
        if parent is not None and hasattr(parent, "scroll_to_region"):
            parent.scroll_to_region(Region(0, self.virtual_region.y + i, 1, 1), animate=False)

    def selected(self) -> str | None:
        return self.cursor

    def line_of(self, panel_id: str) -> Text:
        """The line a panel shows now (tests read it)."""
        head = next(h for h in self.heads if h.id == panel_id)
        return compact_line(head, self.panels.get(panel_id), max(20, self.size.width), compare=self.compare,
                            now=self.now, styles=self._styles(), value_w=self._value_w())  # fmt: skip

    def _value_w(self) -> int:
        return value_width([self.panels.get(h.id) for h in self.heads], self.compare)

    def _styles(self) -> dict[str, Style]:
        out = {s: self.status_style(s) for s in ("ok", "warn", "crit", "nodata", "error")}
        out["muted"] = self.muted()
        out["spark"] = self.fg("primary")
        return out

    def on_click(self, event: events.Click) -> None:
        if not self.selectable or not (0 <= event.y < len(self.heads)):
            return
        self.cursor = self.heads[event.y].id
        self.refresh()
        if event.chain >= 2:
            self.post_message(self.Open(self.cursor))

    def render(self) -> Text:
        width = max(20, self.size.width)
        styles = self._styles()
        out = Text(no_wrap=True, overflow="ellipsis")
        value_w = self._value_w()
        for n, head in enumerate(self.heads):
            line = compact_line(head, self.panels.get(head.id), width, compare=self.compare, now=self.now,
                                styles=styles, value_w=value_w)  # fmt: skip
            if self.selectable and head.id == self.cursor:
                line.stylize("reverse")
            out.append_text(line)
            if n < len(self.heads) - 1:
                out.append("\n")
        return out
