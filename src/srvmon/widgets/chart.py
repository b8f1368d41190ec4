"""Build a panel's chart as text: a pure function of the panel, a size and colours (no widget, no theme
lookup), on a plotext figure each build owns - so the refresh worker can build it off the UI thread.

Today's lines are solid braille in the series colours; the compare window is dotted in one neutral
colour distinct from every series (visible on dark and light themes, and in monochrome by its dots); the
trend is dashed across the whole window; thresholds are horizontal lines; event times are vertical marks.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import tzinfo

from rich.text import Text
from textual.content import Content
from textual_plotext import Plot

from srvmon.analysis import minmax_downsample
from srvmon.fmt import fmt_axis, nice_ticks, time_labels
from srvmon.model import PanelSnapshot

RGB = tuple[int, int, int]
Point = tuple[int, float | None]
#: Columns the y-axis labels take.
Y_LABEL_W = 8


@dataclass(frozen=True, slots=True)
class ChartColors:
    """Colours resolved from the theme on the UI thread (plain data the worker may read)."""

    series: tuple[RGB, ...]
    compare: RGB
    trend: RGB
    warn: RGB
    crit: RGB
    event: RGB
    background: RGB
    foreground: RGB
    muted: RGB


@dataclass(frozen=True, slots=True)
class ChartKey:
    """Everything a built chart depends on: a prepared chart is used only when all of it matches."""

    panel: int  # id() of the PanelSnapshot (immutable: same object, same data)
    width: int
    height: int
    colors: ChartColors
    compare: bool
    highlight: int | None
    tz: str


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


def y_range(lo: float, hi: float) -> tuple[float, float]:
    """A busy line far from zero is scaled to its data (so today and last week separate visibly); else 0-based."""
    if lo > 0 and lo > 0.4 * hi:
        return max(0.0, lo - (hi - lo) * 0.15), hi
    return min(0.0, lo), hi


def build(panel: PanelSnapshot, width: int, height: int, colors: ChartColors, *, compare: bool,
          highlight: int | None, tz: tzinfo | None, events: Sequence[int] = ()) -> Content:  # fmt: skip
    """The chart of `panel` in `width` x `height` cells."""
    plt = Plot()
    plt.plotsize(max(10, width), max(3, height))
    plt.theme("clear")
    plt.canvas_color(colors.background)
    plt.axes_color(colors.background)
    plt.ticks_color(colors.muted)
    if not panel.series or width < 10 or height < 3:
        return Content("")
    columns = max(4, width - Y_LABEL_W - 2)
    all_x: list[int] = []
    all_y: list[float] = []
    today = [t for s in panel.series for t, _ in s.points]
    if panel.trend is not None and today and max(today) > min(today):
        t0, t1 = min(today), max(today)
        ys = [panel.trend.intercept, panel.trend.intercept + panel.trend.slope_per_h * (t1 - t0) / 3600]
        # dashed: short strokes along the line, across the whole window, under the data lines
        n = max(2, columns // 2)
        xs = [t0 + (t1 - t0) * k / (n - 1) for k in range(n)]
        yv = [ys[0] + (ys[1] - ys[0]) * k / (n - 1) for k in range(n)]
        plt.scatter(xs, yv, marker="╌", color=colors.trend)
        all_x += [t0, t1]
        all_y += ys
    if compare:
        for s in panel.series:
            if not s.compare_points:
                continue
            for xs, ys in segments(minmax_downsample(s.compare_points, max(2, columns // 2))):
                plt.plot(xs, ys, marker="·", color=colors.compare)
                all_x += xs
                all_y += ys
    for i, s in enumerate(panel.series):
        colour = colors.series[i % len(colors.series)]
        if highlight is not None and i != highlight:
            colour = _blend(colors.background, colour, 0.45)
        for xs, ys in segments(minmax_downsample(s.points, columns)):
            plt.plot(xs, ys, marker="braille", color=colour)
            all_x += xs
            all_y += ys
    if not all_x:
        return Content("")
    x0, x1 = min(all_x), max(all_x)
    lo, hi = y_range(min(all_y), max(all_y))
    th = panel.thresholds
    for level, colour in ((th.warn, colors.warn), (th.crit, colors.crit)):
        if level is not None and lo <= level <= max(hi * 1.5, lo + 1e-9):
            plt.horizontal_line(level, color=colour)
            hi = max(hi, level)
    for t in events:
        if x0 <= t <= x1:
            plt.vertical_line(t, color=colors.event)
    if hi <= lo:
        hi = lo + 1.0
    yt = nice_ticks(lo, hi, max(2, min(5, height // 3)))
    plt.ylim(yt[0], max(yt[-1], hi))
    plt.yticks(yt, [fmt_axis(v, panel.unit) for v in yt])
    span = x1 - x0 or 1
    n = max(2, min(8, columns // 14))
    xt = [x0 + span * k / (n - 1) for k in range(n)]
    plt.xlim(x0, x1)
    plt.xticks(xt, time_labels(xt, tz))
    return Content.from_rich_text(Text.from_ansi(plt.build()))


def _blend(a: RGB, b: RGB, amount: float) -> RGB:
    return (round(a[0] + (b[0] - a[0]) * amount), round(a[1] + (b[1] - a[1]) * amount),
            round(a[2] + (b[2] - a[2]) * amount))  # fmt: skip
