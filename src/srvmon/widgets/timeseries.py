"""Timeseries panel body: the chart (srvmon.widgets.chart) and a legend naming every series; j/k picks one."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from rich.style import Style
from rich.text import Text
from textual.app import ComposeResult
from textual.content import Content
from textual.widget import Widget

from srvmon.fmt import ellipsize, fmt_value, short_unit
from srvmon.model import PanelSeries, PanelSnapshot, Row
from srvmon.widgets import chart
from srvmon.widgets.base import PanelBody, clean
from srvmon.widgets.line import TextLine

#: Theme variables used for series colours, in order.
PALETTE = ("primary", "success", "secondary", "warning", "accent")


def colors_of(widget: PanelBody) -> chart.ChartColors:
    """The chart colours from the app theme (UI thread only)."""

    def rgb(name: str) -> chart.RGB:
        c = widget.theme_color(name)
        return (c.r, c.g, c.b)

    bg = widget.theme_color("surface")
    fg = widget.theme_color("foreground")
    neutral = bg.blend(fg, 0.6)
    return chart.ChartColors(
        series=tuple(rgb(n) for n in PALETTE), compare=(neutral.r, neutral.g, neutral.b), trend=rgb("accent"),
        warn=rgb("warning"), crit=rgb("error"), event=rgb("secondary"), background=(bg.r, bg.g, bg.b),
        foreground=(fg.r, fg.g, fg.b), muted=rgb("foreground-muted"),
    )  # fmt: skip


class TimeseriesChart(Widget):
    """The chart area: renders the built chart; a chart prepared by the refresh worker for exactly this
    panel, size, colours and view is swapped in instead of building it again."""

    DEFAULT_CSS = "TimeseriesChart { height: 1fr; width: 1fr; }"

    def __init__(self, body: TimeseriesView) -> None:
        super().__init__()
        self.body = body
        self._built: tuple[chart.ChartKey, PanelSnapshot, Content] | None = None
        #: Set by the board screen: a chart the refresh worker built (key, panel, content).
        self.prepared: tuple[chart.ChartKey, PanelSnapshot, Content] | None = None

    def key(self, panel: PanelSnapshot, width: int, height: int, colors: chart.ChartColors) -> chart.ChartKey:
        body = self.body
        return chart.ChartKey(id(panel), width, height, colors, body.compare, body.cursor, str(body.tz))

    def render(self) -> Content:
        body = self.body
        panel = body.panel
        if panel is None:
            return Content("")
        colors = body.colors()
        key = self.key(panel, self.size.width, self.size.height, colors)
        for got in (self._built, self.prepared):
            if got is not None and got[1] is panel and got[0] == key:
                self._built, self.prepared = got, None
                return got[2]
        content = chart.build(panel, key.width, key.height, colors, compare=body.compare, highlight=body.cursor,
                              tz=body.tz, events=body.event_times())  # fmt: skip
        self._built = (key, panel, content)
        return content


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

    def colors(self) -> chart.ChartColors:
        theme = self.app.theme
        if self._colors is None or self._colors[0] != theme:
            self._colors = (theme, colors_of(self))
        return self._colors[1]

    def event_times(self) -> Sequence[int]:
        return ()

    def items(self) -> Sequence[Row | PanelSeries]:
        return tuple(self.panel.series) if self.panel is not None else ()

    def geometry(self) -> tuple[int, int, chart.ChartColors] | None:
        """The chart's size and colours now (UI thread), for the worker to prepare the next chart with."""
        if not self.is_mounted or self.chart.size.width <= 0:
            return None
        return (self.chart.size.width, self.chart.size.height, self.colors())

    def show(self, panel: PanelSnapshot) -> None:
        super().show(panel)
        if self.is_mounted:
            self.chart.refresh()
            self.query_one(".legend", TextLine).update(self.legend())

    def refresh_all(self) -> None:
        if self.panel is not None:
            self.show(self.panel)

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
        """Every series named (middle-ellipsis) as room allows, '+N' for the rest (j/k cycles through them),
        then what the dotted line, the trend and the threshold lines are (short forms on narrow panels)."""
        p = self.panel
        out = Text(no_wrap=True, overflow="ellipsis")
        if p is None:
            return out
        colors = self.colors()
        width = max(20, self.size.width)
        short = width < 70
        tail = self._tail(p, colors, short)
        room = width - tail.cell_len
        if p.unit and not short_unit(p.unit) and not short:
            out.append(f"{clean(p.unit)}: ", style=self.muted())
            room -= len(clean(p.unit)) + 2
        shown = 0
        used = 0
        count = len(p.series)
        start = self.cursor if self.cursor is not None and self.cursor < count else 0
        order = list(range(start, count)) + list(range(0, start))
        for n, i in enumerate(order):
            s = p.series[i]
            last = next((v for _, v in reversed(s.points) if v is not None), None)
            value = fmt_value(last, short_unit(p.unit))
            rest = count - n - 1
            more = len(f"+{rest}") + 2 if rest else 0
            budget = room - used - len(value) - 5 - more
            name = clean(s.name() or "now")
            if budget < min(6, len(name)) and shown:
                break
            item = Text("━ ", style=Style(color=_rich(colors.series[i % len(colors.series)])))
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

    def _tail(self, p: PanelSnapshot, colors: chart.ChartColors, short: bool) -> Text:
        tail = Text(no_wrap=True)
        if self.compare and p.compare is not None and any(s.compare_points for s in p.series):
            label = p.compare.code if short else p.compare.label
            tail.append(f"┈ {label}  ", style=Style(color=_rich(colors.compare)))
        if p.trend is not None:
            slope = "" if short else f" {fmt_value(p.trend.slope_per_h, p.unit)}/h"
            tail.append(f"╌ trend{slope}  ", style=Style(color=_rich(colors.trend)))
        if not short:
            if p.thresholds.warn is not None:
                tail.append(
                    f"─ warn {fmt_value(p.thresholds.warn, p.unit)} ", style=Style(color=_rich(colors.warn))
                )
            if p.thresholds.crit is not None:
                tail.append(
                    f"─ crit {fmt_value(p.thresholds.crit, p.unit)}", style=Style(color=_rich(colors.crit))
                )
        return tail


def _rich(rgb: chart.RGB) -> str:
    return f"rgb({rgb[0]},{rgb[1]},{rgb[2]})"
