"""Timeseries panel body: a PlotextPlot with today solid, the compare window dotted, trend and thresholds."""

from __future__ import annotations

import threading
from collections.abc import Mapping, Sequence
from typing import Any

from rich.style import Style
from rich.text import Text
from textual.app import ComposeResult
from textual.color import Color
from textual.content import Content
from textual.strip import Strip
from textual.visual import Visual
from textual.widget import _RenderCache
from textual_plotext import PlotextPlot

from srvmon.model import PanelSeries, PanelSnapshot
from srvmon.widgets.base import PanelBody, clean
from srvmon.widgets.line import TextLine
from srvmon.widgets.units import fmt_axis, fmt_value, nice_ticks, time_label

Point = tuple[int, float | None]
#: Theme variables used for series colours, in order.
PALETTE = ("primary", "accent", "secondary", "success", "foreground")
Y_LABEL_W = 8


def downsample(points: Sequence[Point], columns: int) -> list[Point]:
    """At most ~2 points per column: each column keeps its min and max (in time order), so peaks survive."""
    if columns <= 0 or len(points) <= 2 * columns:
        return list(points)
    out: list[Point] = []
    n = len(points)
    for c in range(columns):
        chunk = points[c * n // columns : (c + 1) * n // columns]
        present = [p for p in chunk if p[1] is not None]
        if not present:
            if chunk:
                out.append((chunk[0][0], None))
            continue
        lo = min(present, key=lambda p: p[1])  # type: ignore[arg-type, return-value]
        hi = max(present, key=lambda p: p[1])  # type: ignore[arg-type, return-value]
        out.extend(sorted({lo, hi}))
    return out


def segments(points: Sequence[Point]) -> list[tuple[list[int], list[float]]]:
    """Contiguous runs without gaps (None breaks the line)."""
    runs: list[tuple[list[int], list[float]]] = []
    xs: list[int] = []
    ys: list[float] = []
    for t, v in points:
        if v is None:
            if xs:
                runs.append((xs, ys))
            xs, ys = [], []
        else:
            xs.append(t)
            ys.append(v)
    if xs:
        runs.append((xs, ys))
    return runs


def compare_label(panel: PanelSnapshot) -> str:
    """What the dotted line is: month-long panels compare 4 weeks back, the others one week."""
    stamps = [t for s in panel.series for t, _ in s.points]
    span = (max(stamps) - min(stamps)) if stamps else 0
    return "4 weeks earlier" if span > 8 * 86400 else "last week"


def _rgb(color: Color) -> tuple[int, int, int]:
    return (color.r, color.g, color.b)


class TimeseriesChart(PlotextPlot):
    """One chart with its OWN plotext state (`self.plt`), cleared and reused on every redraw (no leak)."""

    DEFAULT_CSS = """
    TimeseriesChart { height: 1fr; width: 1fr; }
    """

    def __init__(self, **kw: Any) -> None:
        super().__init__(**kw)
        self.panel: PanelSnapshot | None = None
        self.compare = True
        self.highlight: int | None = None
        self.tz: Any = None
        #: Guards self.plt: the refresh worker may pre-build the next picture while the UI renders.
        self._lock = threading.Lock()
        self._cached: tuple[tuple[Any, ...], PanelSnapshot | None, Content] | None = None
        self._prebuilt: tuple[tuple[Any, ...], PanelSnapshot, Content] | None = None
        #: The pre-built picture already cut into screen lines (key, panel, content, visual style, strips).
        self._prestrips: tuple[tuple[Any, ...], PanelSnapshot, Content, Any, list[Strip]] | None = None

    def show(self, panel: PanelSnapshot, *, compare: bool, highlight: int | None) -> None:
        self.panel, self.compare, self.highlight = panel, compare, highlight
        self.refresh()

    def color(self, name: str) -> Color:
        v = self.app.theme_variables
        try:
            return Color.parse(v.get(name) or v.get("foreground") or "white")
        except Exception:
            return Color.parse("white")

    def series_color(self, index: int) -> Color:
        return self.color(PALETTE[index % len(PALETTE)])

    def _key(self, panel: PanelSnapshot | None, compare: bool, highlight: int | None) -> tuple[Any, ...]:
        return (id(panel), self.size, compare, highlight, self.app.theme)

    def prebuild(self, panel: PanelSnapshot, compare: bool, highlight: int | None) -> None:
        """Build the picture for `panel` ahead of time (called from the refresh worker thread), so the
        UI thread only swaps it in when the snapshot is applied."""
        if self.size.width <= 0 or self.size.height <= 0:
            return
        key = self._key(panel, compare, highlight)
        with self._lock:
            text = self._build(panel, compare, highlight)
            self._prebuilt = (key, panel, text)
        try:
            # cut into lines here too (what Widget._render_content does), so the UI thread only swaps them in
            style = self.visual_style
            strips = Visual.to_strips(self, text, self.size.width, self.size.height, style)
        except Exception:  # best effort: the UI thread renders it
            return
        with self._lock:
            self._prestrips = (key, panel, text, style, strips)

    def _render_content(self) -> None:
        """Widget._render_content (textual pinned ==8.2.8), using the worker's pre-cut lines when they are
        for exactly this picture, size and style; otherwise the normal path."""
        with self._lock:
            pre, self._prestrips = self._prestrips, None
        key = self._key(self.panel, self.compare, self.highlight)
        if (
            pre is not None
            and pre[0] == key
            and pre[1] is self.panel
            and self.text_selection is None
            and pre[3] == self.visual_style
        ):
            with self._lock:
                self._cached = (key, self.panel, pre[2])
                self._prebuilt = None
            self._layout_cache["_render.visual"] = pre[2]
            self._render_cache = _RenderCache(self.size, pre[4])
            self._dirty_regions.clear()
            return
        super()._render_content()

    def render(self):  # type: ignore[no-untyped-def]
        key = self._key(self.panel, self.compare, self.highlight)
        with self._lock:
            cached = self._cached
            if cached is not None and cached[0] == key and cached[1] is self.panel:
                return cached[2]  # focus changes, scrolling, ages: no need to rebuild the plot
            pre = self._prebuilt
            if pre is not None and pre[0] == key and pre[1] is self.panel:
                text = pre[2]
            else:
                text = self._build(self.panel, self.compare, self.highlight)
            self._cached = (key, self.panel, text)
            self._prebuilt = None
            return text

    def _build(self, panel: PanelSnapshot | None, compare: bool, highlight: int | None) -> Content:
        """Draw into this chart's own plot and return the rendered text (what PlotextPlot.render does)."""
        self._draw(panel, compare, highlight)
        width, height = self.size.width, self.size.height
        self.plt.plotsize(width, height)
        self.plt._set_size(width, height)
        self.plt.theme(self._get_plotext_theme_name(self.app.theme))
        # converted to Textual Content here, so a worker pre-build saves the UI thread this step too
        return Content.from_rich_text(Text.from_ansi(self.plt.build()))

    def _draw(self, p: PanelSnapshot | None, compare: bool, highlight: int | None) -> None:
        plt = self.plt
        plt.clear_figure()  # reuse this figure's state: nothing accumulates across refreshes
        if p is None or not p.series:
            return
        width, height = max(10, self.size.width), max(3, self.size.height)
        columns = max(4, width - Y_LABEL_W - 2)
        background = self.color("surface")
        all_x: list[int] = []
        all_y: list[float] = []
        today = [t for s in p.series for t, _ in s.points]
        if p.trend is not None and today and max(today) > min(today):
            # drawn first so the data lines (today over last week) stay on top of it
            t0, t1 = min(today), max(today)
            ys = [p.trend.intercept, p.trend.intercept + p.trend.slope_per_h * (t1 - t0) / 3600]
            plt.plot([t0, t1], ys, marker="-", color=_rgb(self.color("accent")))
            all_x += [t0, t1]
            all_y += ys
        if compare:
            for i, s in enumerate(p.series):
                if not s.compare_points:
                    continue
                dim = background.blend(self.series_color(i), 0.55)
                # the dotted week-ago line needs no peak detail: one point per column
                for xs, ys in segments(downsample(s.compare_points, max(2, columns // 2))):
                    plt.plot(xs, ys, marker="·", color=_rgb(dim))
                    all_x += xs
                    all_y += ys
        for i, s in enumerate(p.series):
            colour = self.series_color(i)
            if highlight is not None and i != highlight:
                colour = background.blend(colour, 0.6)
            for xs, ys in segments(downsample(s.points, columns)):
                plt.plot(xs, ys, marker="braille", color=_rgb(colour))
                all_x += xs
                all_y += ys
        if not all_x:
            return
        x0, x1 = min(all_x), max(all_x)
        lo, hi = min(all_y), max(all_y)
        # a busy line far from zero: scale to the data so today and last week separate visibly
        lo = max(0.0, lo - (hi - lo) * 0.15) if lo > 0 and lo > 0.4 * hi else min(0.0, lo)
        for level, var in ((p.thresholds.warn, "warning"), (p.thresholds.crit, "error")):
            if level is not None and lo <= level <= max(hi * 1.5, lo + 1e-9):
                plt.horizontal_line(level, color=_rgb(self.color(var)))
                hi = max(hi, level)
        if hi <= lo:
            hi = lo + 1.0
        yt = nice_ticks(lo, hi, max(2, min(5, height // 3)))
        plt.ylim(yt[0], max(yt[-1], hi))
        plt.yticks(yt, [fmt_axis(v, p.unit) for v in yt])
        span = x1 - x0 or 1
        n = max(2, min(8, columns // 12))
        xt = [x0 + span * k / (n - 1) for k in range(n)]
        plt.xlim(x0, x1)
        plt.xticks(xt, [time_label(t, span, self.tz) for t in xt])


class TimeseriesView(PanelBody):
    """The chart plus a legend line (series names, last week, trend, thresholds); j/k picks a series."""

    DEFAULT_CSS = """
    TimeseriesView { layout: vertical; }
    TimeseriesView > .legend { height: 1; width: 1fr; }
    """

    selectable = True

    def __init__(self, **kw: Any) -> None:
        super().__init__(**kw)
        self.compare = True

    def compose(self) -> ComposeResult:
        chart = TimeseriesChart()
        chart.tz = self.tz
        yield chart
        yield TextLine(classes="legend")

    def row_count(self) -> int:
        return len(self.panel.series) if self.panel is not None else 0

    def selected(self) -> Mapping[str, Any] | None:
        if self.panel is None or self.cursor is None or self.cursor >= len(self.panel.series):
            return None
        s: PanelSeries = self.panel.series[self.cursor]
        return {"labels": dict(s.labels), "name": ",".join(str(v) for v in s.labels.values())}

    def prebuild(self, panel: PanelSnapshot) -> None:
        """Worker thread: pre-build the chart picture for the panel about to be shown."""
        if self.is_mounted:
            self.query_one(TimeseriesChart).prebuild(panel, self.compare, self.cursor)

    def set_compare(self, on: bool) -> None:
        self.compare = on
        if self.panel is not None:
            self.show(self.panel)

    def show(self, panel: PanelSnapshot) -> None:
        super().show(panel)
        if not self.is_mounted:
            return
        self.query_one(TimeseriesChart).show(panel, compare=self.compare, highlight=self.cursor)
        self.query_one(".legend", TextLine).update(self.legend())

    def move_cursor(self, delta: int) -> bool:
        moved = super().move_cursor(delta)
        if moved and self.panel is not None:
            self.show(self.panel)
        return moved

    def on_mount(self) -> None:
        if self.panel is not None:
            self.show(self.panel)

    def legend(self) -> Text:
        p = self.panel
        out = Text(no_wrap=True, overflow="ellipsis")
        if p is None:
            return out
        chart = self.query_one(TimeseriesChart)
        for i, s in enumerate(p.series):
            name = clean(",".join(str(v) for v in s.labels.values()) or "now")
            item = Text("━ ", style=Style(color=chart.series_color(i).rich_color))
            item.append(name[:28])
            last = next((v for _, v in reversed(s.points) if v is not None), None)
            item.append(f" {fmt_value(last, p.unit)}")
            if self.cursor == i:
                item.stylize("reverse")
            out.append_text(item)
            out.append("  ")
        muted = Style(color=chart.color("foreground-muted").rich_color)
        if self.compare and any(s.compare_points for s in p.series):
            out.append(f"┈ {compare_label(p)}  ", style=muted)
        if p.trend is not None:
            out.append(
                f"- trend {fmt_value(p.trend.slope_per_h, p.unit)}/h  ",
                style=Style(color=chart.color("accent").rich_color),
            )
        if p.thresholds.warn is not None:
            out.append(
                f"─ warn {fmt_value(p.thresholds.warn, p.unit)} ",
                style=Style(color=chart.color("warning").rich_color),
            )
        if p.thresholds.crit is not None:
            out.append(
                f"─ crit {fmt_value(p.thresholds.crit, p.unit)}",
                style=Style(color=chart.color("error").rich_color),
            )
        return out
