"""Build a panel's chart as text: a pure function of the panel, a size and colours (no widget, no theme
lookup), on a plotext figure each build owns - so the refresh worker can build it off the UI thread.

Today's lines are solid braille in the series colours; the compare window is dotted in one neutral
colour distinct from every series (visible on dark and light themes, and in monochrome by its dots); the
trend is dashed across the whole window; thresholds are horizontal lines; event times are vertical marks.
"""

from __future__ import annotations

import io
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import tzinfo

from rich.console import Console
from rich.style import Style
from rich.text import Text
from textual.strip import Strip
from textual_plotext import Plot

from srvmon.analysis import minmax_downsample
from srvmon.fmt import fmt_axis, nice_ticks, short_unit, time_labels
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
    #: Epoch seconds of the change events drawn as vertical markers.
    events: tuple[int, ...] = ()


#: The glyphs that carry each line's meaning without colour (NO_COLOR, monochrome prints, SVG).
TODAY_MARK = "━"
COMPARE_MARK = "·"
#: How the legend shows the dotted compare line.
COMPARE_LEGEND = "┈"
TREND_MARK = "╌"
THRESHOLD_MARK = "─"
EVENT_MARK = "┆"
#: The widest unit label written over the y axis.
UNIT_LABEL_W = 8


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
          highlight: int | None, tz: tzinfo | None, events: Sequence[int] = ()) -> list[Strip]:  # fmt: skip
    """The chart of `panel` as `height` lines of `width` cells (Strips: plain data a widget's render_line
    returns as they are, so a chart built on the refresh worker costs the UI thread nothing)."""
    text = build_text(
        panel, width, height, colors, compare=compare, highlight=highlight, tz=tz, events=events
    )
    return to_strips(text, width, height, colors.background)


_CONSOLES = threading.local()


def to_strips(text: Text, width: int, height: int, background: RGB) -> list[Strip]:
    """Rich Text cut into exactly `height` Strips of `width` cells (a console of the calling thread's own)."""
    console = getattr(_CONSOLES, "console", None)
    if console is None:
        console = _CONSOLES.console = Console(file=io.StringIO(), width=max(1, width), color_system="truecolor",
                                              force_terminal=True, legacy_windows=False)  # fmt: skip
    options = console.options.update(width=max(1, width), height=height, no_wrap=True, overflow="crop")
    pad = Style(bgcolor=f"rgb({background[0]},{background[1]},{background[2]})")
    lines = console.render_lines(text, options, style=pad, pad=True)
    return [Strip(line, width) for line in lines[:height]] + [Strip.blank(width, pad)] * (height - len(lines))


def build_text(panel: PanelSnapshot, width: int, height: int, colors: ChartColors, *, compare: bool,
               highlight: int | None, tz: tzinfo | None, events: Sequence[int] = ()) -> Text:  # fmt: skip
    """The chart as Rich Text: events (dashed verticals) under thresholds, the trend (dashed, whole window),
    last week (dotted, neutral) and today's lines (solid braille) on top; the unit over the y axis."""
    if not panel.series or width < 10 or height < 3:
        return Text("")
    plt = Plot()
    plt.plotsize(max(10, width), max(3, height))
    plt.theme("clear")
    plt.canvas_color(colors.background)
    plt.axes_color(colors.background)
    plt.ticks_color(colors.muted)
    columns = max(4, width - Y_LABEL_W - 2)
    today = [minmax_downsample(s.points, columns) for s in panel.series]
    before = [
        minmax_downsample(s.compare_points, columns) if compare and s.compare_points else []
        for s in panel.series
    ]
    all_x = [t for pts in today + before for t, v in pts if v is not None]
    all_y = [v for pts in today + before for _, v in pts if v is not None]
    trend: tuple[list[float], list[float]] | None = None
    times = [t for s in panel.series for t, _ in s.points]
    if panel.trend is not None and times and max(times) > min(times):
        t0, t1 = min(times), max(times)
        ys = [panel.trend.intercept, panel.trend.intercept + panel.trend.slope_per_h * (t1 - t0) / 3600]
        n = max(2, columns // 2)
        trend = ([t0 + (t1 - t0) * k / (n - 1) for k in range(n)],
                 [ys[0] + (ys[1] - ys[0]) * k / (n - 1) for k in range(n)])  # fmt: skip
        all_x += [t0, t1]
        all_y += ys
    if not all_x:
        return Text("")
    x0, x1 = min(all_x), max(all_x)
    lo, hi = y_range(min(all_y), max(all_y))
    th = panel.thresholds
    levels = [
        (level, colour)
        for level, colour in ((th.warn, colors.warn), (th.crit, colors.crit))
        if level is not None and lo <= level <= max(hi * 1.5, lo + 1e-9)
    ]
    for level, _ in levels:
        hi = max(hi, level)
    if hi <= lo:
        hi = lo + 1.0
    yt = nice_ticks(lo, hi, max(2, min(5, height // 3)))
    top = max(yt[-1], hi)
    marks = [t for t in events if x0 <= t <= x1]
    if marks:
        steps = max(2, height * 2)
        column = [yt[0] + (top - yt[0]) * k / (steps - 1) for k in range(steps)]
        for t in marks:
            plt.scatter([t] * steps, column, marker=EVENT_MARK, color=colors.event)
    for level, colour in levels:
        plt.horizontal_line(level, color=colour)
    if trend is not None:
        plt.scatter(trend[0], trend[1], marker=TREND_MARK, color=colors.trend)
    for pts in before:
        for xs, ys in segments(pts):
            plt.plot(xs, ys, marker=COMPARE_MARK, color=colors.compare)
    for i, pts in enumerate(today):
        colour = colors.series[i % len(colors.series)]
        if highlight is not None and i != highlight:
            colour = _blend(colors.background, colour, 0.45)
        for xs, ys in segments(pts):
            plt.plot(xs, ys, marker="braille", color=colour)
    unit = axis_unit(panel.unit)
    labels = [fmt_axis(v, panel.unit) for v in yt]
    if unit:
        labels[0] = labels[0].rjust(len(unit))  # the label column is wide enough for the unit over it
    plt.ylim(yt[0], top)
    plt.yticks(yt, labels)
    span = x1 - x0 or 1
    n = max(2, min(8, columns // 14))
    xt = [x0 + span * k / (n - 1) for k in range(n)]
    plt.xlim(x0, x1)
    plt.xticks(xt, time_labels(xt, tz))
    text = Text.from_ansi(plt.build().rstrip("\n"))
    return label_axis(text, unit, colors.muted) if unit else text


def axis_unit(unit: str) -> str:
    """The unit written over the y axis ('' when the tick labels carry it, like '250ms' or '12%')."""
    u = unit.strip()
    if not u or short_unit(u) or u in ("count", "counts"):
        return ""
    return u if len(u) <= UNIT_LABEL_W else u[: UNIT_LABEL_W - 1] + "…"


def label_axis(text: Text, unit: str, colour: RGB) -> Text:
    """Write `unit` into the blank cells left of the chart's top-left corner (the y label column)."""
    lines = text.split("\n", allow_blank=True)
    if not lines:
        return text
    first = lines[0]
    pad = len(first.plain) - len(first.plain.lstrip(" "))
    if pad < len(unit):
        return text
    label = Text(unit.rjust(pad), style=Style(color=f"rgb({colour[0]},{colour[1]},{colour[2]})"))
    label.append_text(first[pad:])
    lines[0] = label
    return Text("\n").join(lines)


def _blend(a: RGB, b: RGB, amount: float) -> RGB:
    return (round(a[0] + (b[0] - a[0]) * amount), round(a[1] + (b[1] - a[1]) * amount),
            round(a[2] + (b[2] - a[2]) * amount))  # fmt: skip
