"""Cost panel body: month-to-date, daily bars with last month's same days behind, forecast, WoW delta."""

from __future__ import annotations

from collections.abc import Sequence

from rich.console import RenderableType
from rich.text import Text

from srvmon.model import PanelSnapshot
from srvmon.widgets.base import PanelBody, clean
from srvmon.widgets.units import STATUS_SYMBOL, fmt_delta, fmt_value

_BLOCKS = " ▁▂▃▄▅▆▇█"


def week_over_week(points: Sequence[tuple[int, float | None]]) -> float | None:
    """% change of the last 7 complete days vs the 7 before (today, the last point, is partial)."""
    vals = [v for _, v in sorted(points)[:-1] if v is not None]
    if len(vals) < 14:
        return None
    week, before = sum(vals[-7:]), sum(vals[-14:-7])
    return None if before == 0 else (week - before) / before * 100


def forecast(panel: PanelSnapshot) -> float | None:
    """Month-end forecast: the sum of the per-service forecasts."""
    values = [r.get("forecast") for r in panel.rows or ()]
    nums = [float(v) for v in values if isinstance(v, int | float)]
    return sum(nums) if nums else None


class CostView(PanelBody):
    """Headline MTD / vs last month / forecast / WoW, then daily bars, then the costliest services."""

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
        out = Text(no_wrap=True, overflow="ellipsis")
        out.append(
            f"{STATUS_SYMBOL.get(p.status, '')} MTD {fmt_value(p.value, '$')}",
            style=self.status_style(p.status, bold=True),
        )
        delta = fmt_delta(p.delta_pct)
        if delta:
            out.append(f"  {delta} vs last month ({fmt_value(p.compare_value, '$')})", style=self.muted())
        fc = forecast(p)
        wow = week_over_week(p.series[0].points) if p.series else None
        out.append("\n")
        out.append(f"forecast {fmt_value(fc, '$')}", style=self.fg("primary"))
        out.append(f"  WoW {fmt_delta(wow) or '–'}", style=self.muted())
        rows = list(p.rows or ())
        table_h = min(len(rows), max(0, (height - 3) // 2))
        bars_h = max(0, height - 3 - table_h)
        if bars_h:
            out.append("\n")
            for line in self._bars(bars_h, width):
                out.append_text(line)
                out.append("\n")
            legend = Text("█ this month  ░ last month", style=self.muted())
            out.append_text(legend)
        for row in rows[:table_h]:
            out.append("\n")
            status = str(row.get("status") or "ok")
            out.append(STATUS_SYMBOL.get(status, " "), style=self.status_style(status))
            name_w = max(6, width - 26)
            name = clean(row.get("service", "?"))[:name_w]
            out.append(f" {name:<{name_w}} {fmt_value(row.get('mtd'), '$'):>6}")
            out.append(f" {fmt_delta(row.get('delta_pct')):>6}", style=self.muted())
            out.append(f" →{fmt_value(row.get('forecast'), '$'):>5}", style=self.muted())
        return out
