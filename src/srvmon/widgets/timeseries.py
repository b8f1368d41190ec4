"""Timeseries panel body: the chart (srvmon.widgets.chart) and a legend naming every series; j/k picks one."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from rich.style import Style
from rich.text import Text
from textual.app import ComposeResult
from textual.strip import Strip
from textual.widget import Widget

from srvmon.fmt import ellipsize, fmt_value, short_unit
from srvmon.model import ChangeEvent, PanelSeries, PanelSnapshot, Row
from srvmon.widgets import chart
from srvmon.widgets.base import PanelBody, clean
from srvmon.widgets.line import TextLine

#: Theme variables used for series colours, in order (never the warning/error colours: those mean severity).
PALETTE = ("primary", "secondary", "success")
#: A series name is never cut below this many cells in the legend: fewer names, '+N' for the rest.
LEGEND_NAME_MIN = 12


def colors_of(widget: PanelBody) -> chart.ChartColors:
    """The chart colours from the app theme (UI thread only)."""

    def rgb(name: str) -> chart.RGB:
        c = widget.theme_color(name)
        return (c.r, c.g, c.b)

    bg = widget.theme_color("surface")
    fg = widget.theme_color("foreground")
    neutral = bg.blend(fg, 0.6)
    base = [widget.theme_color(n) for n in PALETTE]
    # two more distinct hues for busy charts: the first two blended towards the foreground
    palette = [*base, base[0].blend(fg, 0.45), base[1].blend(fg, 0.45)]
    return chart.ChartColors(
        series=tuple((c.r, c.g, c.b) for c in palette), compare=(neutral.r, neutral.g, neutral.b),
        trend=rgb("accent"), warn=rgb("warning"), crit=rgb("error"), event=(fg.r, fg.g, fg.b),
        background=(bg.r, bg.g, bg.b), foreground=(fg.r, fg.g, fg.b), muted=rgb("foreground-muted"),
    )  # fmt: skip


class TimeseriesChart(Widget):
    """The chart area (Textual's line API: render_line returns the built chart's Strips); a chart prepared
    by the refresh worker for exactly this panel, size, colours and view is swapped in instead of building
    it again."""

    DEFAULT_CSS = "TimeseriesChart { height: 1fr; width: 1fr; }"

    def __init__(self, body: TimeseriesView) -> None:
        super().__init__()
        self.body = body
        self._built: tuple[chart.ChartKey, PanelSnapshot, list[Strip]] | None = None
        #: Set by the board screen: a chart the refresh worker built (key, panel, strips).
        self.prepared: tuple[chart.ChartKey, PanelSnapshot, list[Strip]] | None = None

    def key(self, panel: PanelSnapshot, width: int, height: int, colors: chart.ChartColors) -> chart.ChartKey:
        body = self.body
        return chart.ChartKey(id(panel), width, height, colors, body.compare, body.cursor, str(body.tz),
                              body.event_times())  # fmt: skip

    def strips(self) -> list[Strip]:
        """The chart for the panel, size and view now (built here only when nothing prepared matches)."""
        body = self.body
        panel = body.panel
        width, height = self.size.width, self.size.height
        if panel is None or width <= 0 or height <= 0:
            return []
        colors = body.chart_colors()
        key = self.key(panel, width, height, colors)
        for got in (self._built, self.prepared):
            if got is not None and got[1] is panel and got[0] == key:
                self._built, self.prepared = got, None
                return got[2]
        strips = chart.build(panel, width, height, colors, compare=body.compare, highlight=body.cursor,
                             tz=body.tz, events=key.events)  # fmt: skip
        self._built = (key, panel, strips)
        return strips

    def render_line(self, y: int) -> Strip:
        strips = self.strips()
        if 0 <= y < len(strips):
            return strips[y]
        return Strip.blank(self.size.width, self.visual_style.rich_style)


class TimeseriesView(PanelBody):
    """The chart plus a legend line (every series named, last week, trend, thresholds)."""

    DEFAULT_CSS = """
    TimeseriesView { layout: vertical; }
    TimeseriesView > .legend { height: 1; width: 1fr; }
    """

    selectable = True

    def __init__(self, **kw: Any) -> None:
        super().__init__(**kw)
        self.chart = TimeseriesChart(self)
        self._colors: tuple[str, chart.ChartColors] | None = None

    def compose(self) -> ComposeResult:
        yield self.chart
        yield TextLine(classes="legend")

    def chart_colors(self) -> chart.ChartColors:
        theme = self.app.theme
        if self._colors is None or self._colors[0] != theme:
            self._colors = (theme, colors_of(self))
        return self._colors[1]

    def event_times(self) -> tuple[int, ...]:
        """Epoch seconds of the change events on this panel's resources (drawn as dashed verticals)."""
        return tuple(int(e.time.timestamp()) for e in self.events)

    def items(self) -> Sequence[Row | PanelSeries]:
        return tuple(self.panel.series) if self.panel is not None else ()

    def geometry(self) -> tuple[int, int, chart.ChartColors] | None:
        """The chart's size and colours now (UI thread), for the worker to prepare the next chart with."""
        if not self.is_mounted or self.chart.size.width <= 0:
            return None
        return (self.chart.size.width, self.chart.size.height, self.chart_colors())

    def show(self, panel: PanelSnapshot, events: tuple[ChangeEvent, ...] = ()) -> None:
        super().show(panel, events)
        if self.is_mounted:
            self.chart.refresh()
            self.query_one(".legend", TextLine).update(self.legend())

    def refresh_all(self) -> None:
        if self.panel is not None:
            self.show(self.panel, self.events)

    def set_compare(self, on: bool) -> None:
        if on != self.compare:
            self.compare = on
            self.refresh_all()

    def move_cursor(self, delta: int) -> bool:
        moved = super().move_cursor(delta)
        if moved:
            self.refresh_all()
        return moved

    def on_mount(self) -> None:
        self.refresh_all()

    def on_resize(self) -> None:
        # the legend fits its names to the width: redo it when the width is known or changes
        if self.panel is not None:
            self.query_one(".legend", TextLine).update(self.legend())

    def legend(self) -> Text:
        """Every series named (middle-ellipsis, never below a readable width) as room allows, highest last
        value first (or from the j/k selection), '+N' for the rest (j/k cycles through them), then what the
        dotted line, the trend, the threshold lines and the event markers are (short forms when narrow)."""
        p = self.panel
        out = Text(no_wrap=True, overflow="ellipsis")
        if p is None:
            return out
        colors = self.chart_colors()
        width = max(20, self.size.width)
        short = width < 70
        order = self.legend_order()
        first = p.series[order[0]] if order else None
        need = 0
        if first is not None:
            last0 = next((v for _, v in reversed(first.points) if v is not None), None)
            need = min(LEGEND_NAME_MIN, len(clean(first.name() or "now"))) + len(fmt_value(last0)) + 8
        # the first series keeps a readable name: the legend's tail gets shorter (then goes) before it does
        for level in (1 if short else 0, 1, 2, 3):
            tail = self._tail(p, colors, level)
            if width - tail.cell_len >= need:
                break
        room = width - tail.cell_len
        count = len(p.series)
        shown = 0
        used = 0
        for n, i in enumerate(order):
            s = p.series[i]
            last = next((v for _, v in reversed(s.points) if v is not None), None)
            value = fmt_value(last, short_unit(p.unit) if not short else "")
            rest = count - n - 1
            more = len(f"+{rest}") + 2 if rest else 0
            budget = room - used - len(value) - 5 - more
            name = clean(s.name() or "now")
            if budget < min(LEGEND_NAME_MIN, len(name)) and shown:
                break
            item = Text(
                f"{chart.TODAY_MARK} ", style=Style(color=_rich(colors.series[i % len(colors.series)]))
            )
            item.append(ellipsize(name, max(3, min(32, budget))))
            item.append(f" {value}")
            if self.cursor == i:
                item.stylize("reverse")
            out.append_text(item)
            out.append("  ")
            used += item.cell_len + 2
            shown += 1
        if shown < count:
            out.append(f"+{count - shown}  ", style=self.muted())
        out.append_text(tail)
        return out

    def legend_order(self) -> list[int]:
        """Series indexes in legend order: from the selected one on, else highest last value first."""
        p = self.panel
        if p is None:
            return []
        count = len(p.series)
        if self.cursor is not None and self.cursor < count:
            return list(range(self.cursor, count)) + list(range(0, self.cursor))

        def last(i: int) -> float:
            v = next((v for _, v in reversed(p.series[i].points) if v is not None), None)
            return v if v is not None else float("-inf")

        return sorted(range(count), key=lambda i: (-last(i), i))

    def _tail(self, p: PanelSnapshot, colors: chart.ChartColors, level: int) -> Text:
        """What the other lines are: 0 in full, 1 short, 2 the compare line only, 3 nothing."""
        tail = Text(no_wrap=True)
        short = level >= 1
        if level >= 3:
            return tail
        if self.compare and p.compare is not None and any(s.compare_points for s in p.series):
            label = p.compare.code if short else p.compare.label
            tail.append(f"{chart.COMPARE_LEGEND} {label}  ", style=Style(color=_rich(colors.compare)))
        if level >= 2:
            return tail
        if p.trend is not None:
            slope = "" if short else f" {fmt_value(p.trend.slope_per_h, p.unit)}/h"
            tail.append(f"{chart.TREND_MARK} trend{slope}  ", style=Style(color=_rich(colors.trend)))
        if self.events:
            last = self.events[-1]
            what = f"{len(self.events)} changes" if len(self.events) > 1 else last.kind
            when = "" if short else f" {last.time.astimezone(self.tz):%H:%M}"
            tail.append(f"{chart.EVENT_MARK} {what}{when}  ", style=Style(color=_rich(colors.event)))
        if not short:
            if p.thresholds.warn is not None:
                tail.append(f"{chart.THRESHOLD_MARK} warn {fmt_value(p.thresholds.warn, p.unit)} ",
                            style=Style(color=_rich(colors.warn)))  # fmt: skip
            if p.thresholds.crit is not None:
                tail.append(f"{chart.THRESHOLD_MARK} crit {fmt_value(p.thresholds.crit, p.unit)}",
                            style=Style(color=_rich(colors.crit)))  # fmt: skip
        return tail


def _rich(rgb: chart.RGB) -> str:
    return f"rgb({rgb[0]},{rgb[1]},{rgb[2]})"
