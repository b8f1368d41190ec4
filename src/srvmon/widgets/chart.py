"""Build a panel's chart: a pure function of the panel, a size and colours (no widget, no theme lookup, no
global state), drawn cell by cell - so the refresh worker can build it off the UI thread, and a picture
exported at any --size is the same whatever terminal (or none) the process runs in.

Today's lines are solid braille in the series colours; the compare window is dotted (·) in one neutral
colour distinct from every series (visible on dark and light themes, and in monochrome by its dots); the
trend is dashed (╌) across the whole window; thresholds are horizontal lines (─) in the warn/crit colours;
change events are dashed verticals (┆). Later layers overwrite earlier ones: events, thresholds, trend,
last week, today.

(plotext, used before, caps every figure at the size of the terminal the process runs in - 80x24 when
there is none - and only private API lifts that: an SVG at 200x60 got 80-column charts.)
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import tzinfo

from rich.segment import Segment
from rich.style import Style
from rich.text import Text
from textual.strip import Strip

from srvmon.analysis import level_floor, minmax_downsample
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


#: Braille dot bits by (column 0-1, row 0-3 from the top) in a cell (U+2800 + bits).
_DOTS = ((0x01, 0x02, 0x04, 0x40), (0x08, 0x10, 0x20, 0x80))
Cell = tuple[str, RGB | None]


class Canvas:
    """A grid of cells (character, colour) with a braille layer for the plot area."""

    def __init__(self, width: int, height: int) -> None:
        self.width, self.height = width, height
        self.cells: list[list[Cell]] = [[(" ", None)] * width for _ in range(height)]

    def put(self, x: int, y: int, text: str, colour: RGB | None) -> None:
        for i, ch in enumerate(text):
            if 0 <= y < self.height and 0 <= x + i < self.width:
                self.cells[y][x + i] = (ch, colour)

    def runs(self, row: list[Cell]) -> list[tuple[str, RGB | None]]:
        """The row as runs of one colour: a Segment or span per run, not per cell (a terminal is sent one
        colour code per run, so a blank plot row costs a few bytes, not a code per cell)."""
        out: list[tuple[str, RGB | None]] = []
        run: list[str] = []
        current: RGB | None = None
        for ch, colour in row:
            if colour != current and run:
                out.append(("".join(run), current))
                run = []
            current = colour
            run.append(ch)
        if run:
            out.append(("".join(run), current))
        return out

    def strips(self, background: RGB) -> list[Strip]:
        bg = Style(bgcolor=_rich(background))
        styles: dict[RGB | None, Style] = {}
        return [
            Strip([Segment(text, _style(styles, colour, bg)) for text, colour in self.runs(row)], self.width)
            for row in self.cells
        ]

    def text(self, background: RGB) -> Text:
        out = Text(no_wrap=True, overflow="crop")
        bg = _rich(background)
        for n, row in enumerate(self.cells):
            for text, colour in self.runs(row):
                out.append(text, style=f"{_rich(colour)} on {bg}" if colour else f"on {bg}")
            if n < self.height - 1:
                out.append("\n")
        return out


def _style(cache: dict[RGB | None, Style], colour: RGB | None, bg: Style) -> Style:
    got = cache.get(colour)
    if got is None:
        got = cache[colour] = bg + Style(color=_rich(colour)) if colour else bg
    return got


def _rich(rgb: RGB) -> str:
    return f"rgb({rgb[0]},{rgb[1]},{rgb[2]})"


class Plot:
    """The plot area of a Canvas: data coordinates to dots (2x4 per cell) and cells."""

    def __init__(self, canvas: Canvas, left: int, top: int, width: int, height: int,
                 x0: float, x1: float, y0: float, y1: float) -> None:  # fmt: skip
        self.canvas, self.left, self.top, self.w, self.h = canvas, left, top, width, height
        self.x0, self.x1, self.y0, self.y1 = x0, x1, y0, y1
        self.dots: dict[tuple[int, int], tuple[int, RGB]] = {}

    def dot_x(self, t: float) -> int:
        return round((t - self.x0) / ((self.x1 - self.x0) or 1) * (self.w * 2 - 1))

    def dot_y(self, v: float) -> int:
        """Dot row from the top."""
        return round((self.y1 - v) / ((self.y1 - self.y0) or 1) * (self.h * 4 - 1))

    def cell_x(self, t: float) -> int:
        return min(self.w - 1, max(0, self.dot_x(t) // 2))

    def cell_y(self, v: float) -> int:
        return min(self.h - 1, max(0, self.dot_y(v) // 4))

    def mark(self, cx: int, cy: int, ch: str, colour: RGB) -> None:
        if 0 <= cx < self.w and 0 <= cy < self.h:
            self.canvas.put(self.left + cx, self.top + cy, ch, colour)
            self.dots.pop((cx, cy), None)

    def line(self, points: Sequence[tuple[float, float]], colour: RGB) -> None:
        """Braille dots along the polyline (Bresenham between consecutive points, in dot space)."""
        prev: tuple[int, int] | None = None
        for t, v in points:
            p = (self.dot_x(t), self.dot_y(v))
            if prev is None:
                self._dot(*p, colour)
            else:
                (xa, ya), (xb, yb) = prev, p
                dx, dy = abs(xb - xa), -abs(yb - ya)
                sx, sy = (1 if xa < xb else -1), (1 if ya < yb else -1)
                err = dx + dy
                while True:
                    self._dot(xa, ya, colour)
                    if (xa, ya) == (xb, yb):
                        break
                    e2 = 2 * err
                    if e2 >= dy:
                        err += dy
                        xa += sx
                    if e2 <= dx:
                        err += dx
                        ya += sy
            prev = p

    def _dot(self, x: int, y: int, colour: RGB) -> None:
        if not (0 <= x < self.w * 2 and 0 <= y < self.h * 4):
            return
        cell = (x // 2, y // 4)
        bits, _ = self.dots.get(cell, (0, colour))
        self.dots[cell] = (bits | _DOTS[x % 2][y % 4], colour)

    def flush(self) -> None:
        """Write the braille layer over the cells."""
        for (cx, cy), (bits, colour) in self.dots.items():
            self.canvas.put(self.left + cx, self.top + cy, chr(0x2800 + bits), colour)
        self.dots.clear()


def build(panel: PanelSnapshot, width: int, height: int, colors: ChartColors, *, compare: bool,
          highlight: int | None, tz: tzinfo | None, events: Sequence[int] = ()) -> list[Strip]:  # fmt: skip
    """The chart of `panel` as `height` Strips of `width` cells (plain data a widget's render_line returns
    as they are, so a chart built on the refresh worker costs the UI thread nothing)."""
    canvas = draw(panel, width, height, colors, compare=compare, highlight=highlight, tz=tz, events=events)
    if canvas is None:
        return [Strip.blank(width, Style(bgcolor=_rich(colors.background)))] * max(0, height)
    return canvas.strips(colors.background)


def build_text(panel: PanelSnapshot, width: int, height: int, colors: ChartColors, *, compare: bool,
               highlight: int | None, tz: tzinfo | None, events: Sequence[int] = ()) -> Text:  # fmt: skip
    """The same chart as Rich Text (for bodies that compose it with other lines)."""
    canvas = draw(panel, width, height, colors, compare=compare, highlight=highlight, tz=tz, events=events)
    return canvas.text(colors.background) if canvas is not None else Text("")


def draw(panel: PanelSnapshot, width: int, height: int, colors: ChartColors, *, compare: bool,
         highlight: int | None, tz: tzinfo | None, events: Sequence[int] = ()) -> Canvas | None:  # fmt: skip
    """Axes with the unit over the y labels, then the layers; None when there is nothing to draw."""
    if not panel.series or width < 12 or height < 4:
        return None
    columns = max(4, width - Y_LABEL_W - 2)
    today = [minmax_downsample(s.points, columns) for s in panel.series]
    before = [
        minmax_downsample(s.compare_points, columns) if compare and s.compare_points else []
        for s in panel.series
    ]
    xs = [t for pts in today + before for t, v in pts if v is not None and math.isfinite(v)]
    ys = [v for pts in today + before for _, v in pts if v is not None and math.isfinite(v)]
    times = [t for s in panel.series for t, _ in s.points]
    trend: tuple[float, float, float, float] | None = None
    if panel.trend is not None and times and max(times) > min(times):
        t0, t1 = min(times), max(times)
        v0 = panel.trend.intercept
        v1 = v0 + panel.trend.slope_per_h * (t1 - t0) / 3600
        if math.isfinite(v0) and math.isfinite(v1):
            trend = (t0, v0, t1, v1)
            xs += [t0, t1]
            # The trend does not take a never-negative axis below zero: its line is cut off at the edge.
            floor = level_floor(ys)
            ys += [max(floor, v0), max(floor, v1)]
    if not xs:
        return None
    x0, x1 = min(xs), max(xs)
    lo, hi = y_range(min(ys), max(ys))
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
    plot_h = height - 3  # the top frame, the bottom axis and the time labels
    yt = nice_ticks(lo, hi, max(2, min(5, plot_h // 2 + 1)))
    y0, y1 = yt[0], max(yt[-1], hi)
    unit = axis_unit(panel.unit)
    labels = [fmt_axis(v, panel.unit) for v in yt]
    label_w = max([len(x) for x in labels] + [len(unit)])
    plot_w = width - label_w - 2
    if plot_w < 4 or plot_h < 1:
        return None
    canvas = Canvas(width, height)
    left = label_w + 1
    muted, frame = colors.muted, colors.muted
    plot = Plot(canvas, left, 1, plot_w, plot_h, x0, x1, y0, y1)
    # frame and axes
    canvas.put(0, 0, unit.rjust(label_w), muted)
    canvas.put(label_w, 0, "┌" + "─" * plot_w + "┐", frame)
    ticks_at = {plot.cell_y(v): label for v, label in zip(yt, labels, strict=True)}
    for r in range(plot_h):
        label = ticks_at.get(r)
        if label is not None:
            canvas.put(0, 1 + r, label.rjust(label_w), muted)
        canvas.put(label_w, 1 + r, "┤" if label is not None else "│", frame)
        canvas.put(left + plot_w, 1 + r, "│", frame)
    n = max(2, min(8, plot_w // 14))
    xt = [x0 + (x1 - x0) * k / (n - 1) for k in range(n)]
    bottom = ["─"] * plot_w
    for t in xt:
        bottom[plot.cell_x(t)] = "┬"
    canvas.put(label_w, 1 + plot_h, "└" + "".join(bottom) + "┘", frame)
    texts = time_labels(xt, tz)
    taken = -1
    for k, (t, text) in enumerate(zip(xt, texts, strict=True)):
        if not text:
            continue
        at = left + plot.cell_x(t) - len(text) // 2
        if k == n - 1:
            at = min(at, width - len(text))
        at = max(at, taken + 1, 0)
        if at + len(text) <= width:
            canvas.put(at, 2 + plot_h, text, muted)
            taken = at + len(text)
    # layers
    for t in events:
        if x0 <= t <= x1:
            cx = plot.cell_x(t)
            for r in range(plot_h):
                plot.mark(cx, r, EVENT_MARK, colors.event)
    for level, colour in levels:
        row = plot.cell_y(level)
        for cx in range(plot_w):
            plot.mark(cx, row, THRESHOLD_MARK, colour)
    if trend is not None:
        ta, va, tb, vb = trend
        for cx in range(plot_w):
            tx = x0 + (x1 - x0) * (cx + 0.5) / plot_w
            if ta <= tx <= tb:
                value = va + (vb - va) * (tx - ta) / ((tb - ta) or 1)
                if y0 <= value <= y1:  # where it leaves the axis (below zero), it leaves the plot
                    plot.mark(cx, plot.cell_y(value), TREND_MARK, colors.trend)
    for pts in before:
        seen: set[int] = set()
        for t, v in pts:
            if v is None or not math.isfinite(v):
                continue
            cx = plot.cell_x(t)
            if cx not in seen:  # one dot per column: a dotted line
                seen.add(cx)
                plot.mark(cx, plot.cell_y(v), COMPARE_MARK, colors.compare)
    for i, pts in enumerate(today):
        colour = colors.series[i % len(colors.series)]
        if highlight is not None and i != highlight:
            colour = _blend(colors.background, colour, 0.45)
        for xs_, ys_ in segments([(t, v if v is not None and math.isfinite(v) else None) for t, v in pts]):
            plot.line(list(zip(xs_, ys_, strict=True)), colour)
    if highlight is not None and 0 <= highlight < len(today):  # the selected series on top
        colour = colors.series[highlight % len(colors.series)]
        for xs_, ys_ in segments(today[highlight]):
            plot.line(list(zip(xs_, ys_, strict=True)), colour)
    plot.flush()
    return canvas


def axis_unit(unit: str) -> str:
    """The unit written over the y axis ('' when the tick labels carry it, like '250ms' or '12%')."""
    u = unit.strip()
    if not u or short_unit(u) or u in ("count", "counts"):
        return ""
    return u if len(u) <= UNIT_LABEL_W else u[: UNIT_LABEL_W - 1] + "…"


def _blend(a: RGB, b: RGB, amount: float) -> RGB:
    return (round(a[0] + (b[0] - a[0]) * amount), round(a[1] + (b[1] - a[1]) * amount),
            round(a[2] + (b[2] - a[2]) * amount))  # fmt: skip
