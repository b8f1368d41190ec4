"""Gauge panel body: used / limit as a % bar, the fullest resource, and the time to limit from the trend."""

from __future__ import annotations

from rich.console import Group, RenderableType
from rich.text import Text

from srvmon.fmt import STATUS_SYMBOL, bar, fmt_duration, fmt_value
from srvmon.model import ShareRow
from srvmon.widgets.base import PanelBody, clean


class GaugeView(PanelBody):
    """'73% ✓' headline, a bar coloured by status, 'used / limit', and 'full in 3h' when growing."""

    def render(self) -> RenderableType:
        p = self.panel
        if p is None:
            return Text("")
        width = max(4, self.size.width - 2)
        style = self.status_style(p.status, bold=True)
        lim = p.limit
        if lim is None or not lim.limit:
            return Text(f"{STATUS_SYMBOL.get(p.status, '')} {fmt_value(p.value, p.unit)}", style=style)
        pct = lim.used / lim.limit * 100
        head = Text(
            f"{STATUS_SYMBOL.get(p.status, '')} {fmt_value(pct, '%')}",
            style=style,
            no_wrap=True,
            overflow="ellipsis",
        )
        head.append(" of limit", style=self.muted())
        top = [r for r in p.rows or () if isinstance(r, ShareRow)]
        who = top[0].name if top else lim.resource
        if who:
            head.append(f" · {clean(who)}", style=self.muted())
        gauge = Text(" ")
        fill = bar(pct / 100, width).rstrip()
        gauge.append(fill, style=style)
        gauge.append("░" * (width - len(fill)), style=self.muted())
        used = Text(
            f" {fmt_value(lim.used, p.unit)} / {fmt_value(lim.limit, p.unit)}",
            style=self.muted(),
            no_wrap=True,
            overflow="ellipsis",
        )
        if lim.time_to_limit_s is not None:
            ttl = Text(f" full in {fmt_duration(lim.time_to_limit_s)}", style=self.fg("warning"))
        else:
            ttl = Text(" not trending to the limit", style=self.muted())
        lines: list[RenderableType] = [head, gauge, used, ttl]
        if self.size.height >= 6:
            lines.insert(0, Text(""))
        return Group(*lines)
