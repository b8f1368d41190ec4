"""Stat panel body: a big value with its unit, its change vs the compare window, and a sparkline (the full
chart when maximised)."""

from __future__ import annotations

from rich.align import Align
from rich.console import Group, RenderableType
from rich.style import Style
from rich.text import Text
from textual.renderables.digits import Digits as DigitsRenderable

from srvmon.fmt import STATUS_SYMBOL, fmt_delta, fmt_value, sparkline
from srvmon.model import PanelSnapshot
from srvmon.widgets import chart
from srvmon.widgets.base import PanelBody

#: A stat panel this tall and wide (maximised, or full screen) shows its whole chart under the value.
FULL_CHART_LINES = 14
FULL_CHART_COLUMNS = 50


class StatView(PanelBody):
    """Big number coloured by the core's status (plus its symbol), change vs the compare window, sparkline;
    maximised, the value over the full chart (axes, last week, trend, thresholds, change events)."""

    DEFAULT_CSS = """
    StatView { height: 1fr; width: 1fr; content-align: center middle; }
    """

    def _delta(self, p: PanelSnapshot, width: int, style: Style) -> Text | None:
        delta = fmt_delta(p.delta_pct) if self.compare and p.compare is not None else ""
        if not delta:
            return None
        line = Text(delta, style=style if p.status in ("warn", "crit") else self.muted())
        tail = f" vs {p.compare.label}" if p.compare is not None else ""
        if p.compare_value is not None:
            tail += f" ({fmt_value(p.compare_value, p.unit)})"
        if len(delta) + len(tail) > width and p.compare is not None:
            tail = f" vs {p.compare.label}" if len(delta) + len(p.compare.label) + 4 <= width else ""
        line.append(tail, style=self.muted())
        return line

    def render(self) -> RenderableType:
        p = self.panel
        if p is None:
            return Text("")
        width = max(1, self.size.width)
        height = self.size.height
        style = self.status_style(p.status, bold=True)
        symbol = STATUS_SYMBOL.get(p.status, "")
        text = fmt_value(p.value, p.unit)
        delta = self._delta(p, width, style)
        if height >= FULL_CHART_LINES and width >= FULL_CHART_COLUMNS and p.series:
            return self._full(p, width, height, Text(f"{symbol} {text}", style=style), delta)
        if height <= 1:
            line = Text(f"{symbol} {text}", style=style, justify="center", no_wrap=True, overflow="ellipsis")
            if delta is not None:
                line.append("  ")
                line.append_text(delta)
            return line
        number, suffix = split_number(text)
        lines: list[RenderableType] = []
        big = DigitsRenderable.get_width(number)
        if height >= 6 and number and big + 2 <= width:
            lines.append(Align.center(DigitsRenderable(number, style)))
            value_line = Text(f"{symbol} {suffix}".rstrip(), style=style)
        else:
            value_line = Text(f"{symbol} {text}", style=style)
        value_line.justify = "center"
        lines.append(value_line)
        if delta is not None:
            delta.justify = "center"
            lines.append(delta)
        values = [v for _, v in p.series[0].points] if p.series else []
        if values and height >= 3:
            spark = Text(sparkline(values, min(width, 60)), style=self.fg("primary"))
            spark.justify = "center"
            lines.append(spark)
        return Group(*lines)

    def _full(
        self, p: PanelSnapshot, width: int, height: int, value: Text, delta: Text | None
    ) -> RenderableType:
        """The value and its change on one line, then the chart of the whole window."""
        from srvmon.widgets.timeseries import colors_of

        head = Text(no_wrap=True, overflow="ellipsis")
        head.append_text(value)
        if delta is not None:
            head.append("   ")
            head.append_text(delta)
        colors = colors_of(self)
        times = tuple(int(e.time.timestamp()) for e in self.events)
        body = chart.build_text(p, width, height - 2, colors, compare=self.compare, highlight=None, tz=self.tz,
                                events=times)  # fmt: skip
        legend = Text(no_wrap=True, overflow="ellipsis", style=self.muted())
        legend.append(f"{chart.TODAY_MARK} now  ")
        if self.compare and p.compare is not None and any(s.compare_points for s in p.series):
            legend.append(f"{chart.COMPARE_LEGEND} {p.compare.label}  ")
        if p.trend is not None:
            legend.append(f"{chart.TREND_MARK} trend  ")
        if times:
            legend.append(f"{chart.EVENT_MARK} {len(times)} change{'s' if len(times) > 1 else ''}  ")
        if p.thresholds.warn is not None or p.thresholds.crit is not None:
            legend.append(f"{chart.THRESHOLD_MARK} thresholds")
        return Group(head, body, legend)


def split_number(text: str) -> tuple[str, str]:
    """'12.5k req/s' -> ('12.5', 'k req/s'); '$1,234' -> ('$1234', ''); '–' -> ('', '–')."""
    i = 0
    while i < len(text) and text[i] in "0123456789.-$,":
        i += 1
    number = text[:i].replace(",", "")
    if not any(ch.isdigit() for ch in number):
        return "", text
    rest = text[i:].strip()
    words = {"k": "thousand", "M": "million", "G": "billion", "T": "trillion"}
    if rest[:1] in words and (len(rest) == 1 or rest[1] == " "):
        rest = words[rest[0]] + rest[1:]
    return number, rest
