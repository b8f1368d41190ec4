"""Stat panel body: a big value with its unit, its change vs the compare window, and a sparkline."""

from __future__ import annotations

from rich.align import Align
from rich.console import Group, RenderableType
from rich.text import Text
from textual.renderables.digits import Digits as DigitsRenderable

from srvmon.fmt import STATUS_SYMBOL, fmt_delta, fmt_value, sparkline
from srvmon.widgets.base import PanelBody, clean


class StatView(PanelBody):
    """Big number coloured by the core's status (plus its symbol), change vs the compare window, sparkline."""

    DEFAULT_CSS = """
    StatView { height: 1fr; width: 1fr; content-align: center middle; }
    """

    def render(self) -> RenderableType:
        p = self.panel
        if p is None:
            return Text("")
        width = max(1, self.size.width)
        height = self.size.height
        style = self.status_style(p.status, bold=True)
        symbol = STATUS_SYMBOL.get(p.status, "")
        text = fmt_value(p.value, p.unit)
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
        delta = fmt_delta(p.delta_pct) if self.compare else ""
        if delta and height >= 2 and p.compare is not None:
            line = Text(delta, style=style if p.status in ("warn", "crit") else self.muted())
            tail = f" vs {p.compare.label}"
            if p.compare_value is not None:
                tail += f" ({fmt_value(p.compare_value, p.unit)})"
            if len(delta) + len(tail) > width:
                tail = f" vs {p.compare.label}" if len(delta) + len(p.compare.label) + 4 <= width else ""
            line.append(tail, style=self.muted())
            line.justify = "center"
            lines.append(line)
        elif p.notes and height >= 3:
            note = Text(clean(p.notes[0]), style=self.muted(), overflow="ellipsis", no_wrap=True)
            note.justify = "center"
            lines.append(note)
        values = [v for _, v in p.series[0].points] if p.series else []
        if values and height >= 4:
            spark = Text(sparkline(values, min(width, 60)), style=self.fg("primary"))
            spark.justify = "center"
            lines.append(spark)
        return Group(*lines)


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
