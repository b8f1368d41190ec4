"""Cost panel body: month-to-date, daily bars with last month's same days behind, forecast, week over week."""

from __future__ import annotations

from rich.console import RenderableType
from rich.text import Text

from srvmon.fmt import STATUS_SYMBOL, ellipsize, fmt_delta, fmt_money, fmt_value
from srvmon.model import CostRow
from srvmon.widgets.base import PanelBody, clean

_BLOCKS = " ▁▂▃▄▅▆▇█"


class CostView(PanelBody):
    """Headline MTD / vs last month / forecast / WoW (all from the core), daily bars, costliest services."""

    def _bars(self, height: int, width: int) -> list[Text]:
        p = self.panel
        assert p is not None
        if not p.series or height < 1:
            return []
        cur = dict(p.series[0].points)
        prev = dict(p.series[0].compare_points or ())
        days = sorted(set(cur) | set(prev))[-width:]
        top = max([v for v in list(cur.values()) + list(prev.values()) if v is not None] or [0.0]) or 1.0
        now_style = self.fg("primary")
        prev_style = self.muted()
        lines: list[Text] = []
        for level in range(height, 0, -1):
            line = Text(no_wrap=True)
            for d in days:
                c = (cur.get(d) or 0.0) / top * height
                q = (prev.get(d) or 0.0) / top * height
                if c >= level:
                    line.append("█", style=now_style)
                elif c > level - 1:
                    line.append(_BLOCKS[int((c - level + 1) * 8)], style=now_style)
                elif q >= level - 0.5:
                    line.append("░", style=prev_style)
                else:
                    line.append(" ")
            lines.append(line)
        return lines

    def render(self) -> RenderableType:
        p = self.panel
        if p is None:
            return Text("")
        width = max(10, self.size.width)
        height = self.size.height
        summary = p.cost
        out = Text(no_wrap=True, overflow="ellipsis")
        out.append(f"{STATUS_SYMBOL.get(p.status, '')} MTD {fmt_value(p.value, '$')}",
                   style=self.status_style(p.status, bold=True))  # fmt: skip
        delta = fmt_delta(p.delta_pct)
        if delta:
            out.append(f"  {delta} vs last month ({fmt_value(p.compare_value, '$')})", style=self.muted())
        out.append("\n")
        forecast = summary.forecast if summary else None
        out.append(f"forecast {fmt_value(forecast, '$')}", style=self.fg("primary"))
        wow = fmt_delta(summary.wow_pct) if summary else ""
        if wow:
            out.append(f"  WoW {wow}", style=self.muted())
        if forecast is None and p.notes:
            out.append(f"  {clean(p.notes[-1])}", style=self.muted())
        rows = [r for r in p.rows or () if isinstance(r, CostRow)]
        table_h = min(len(rows), max(0, (height - 3) // 2))
        bars_h = max(0, height - 3 - table_h)
        if bars_h:
            out.append("\n")
            for line in self._bars(bars_h, width):
                out.append_text(line)
                out.append("\n")
            out.append_text(Text("█ this month  ░ last month", style=self.muted()))
        name_w = max(6, width - 26)
        for row in rows[:table_h]:
            out.append("\n")
            out.append(STATUS_SYMBOL.get(row.status, " "), style=self.status_style(row.status))
            out.append(f" {ellipsize(clean(row.service), name_w):<{name_w}} {fmt_money(row.mtd):>7}")
            out.append(f" {fmt_delta(row.delta_pct):>6}", style=self.muted())
            out.append(f" →{fmt_value(row.forecast, '$'):>7}", style=self.muted())
        return out
