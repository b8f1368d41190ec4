"""Unit tests for the TUI's pure parts: formatting, downsampling, grid placement, view state, scheduling, drill-down."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from tui_fakes import NOW

from srvmon.analysis import minmax_downsample as downsample
from srvmon.drill import log_query
from srvmon.fmt import (
    bar,
    ellipsize,
    fmt_age,
    fmt_axis,
    fmt_delta,
    fmt_value,
    nice_ticks,
    sparkline,
    time_label,
    time_labels,
)
from srvmon.kinds.health import rate
from srvmon.model import (
    DrillTarget,
    FunctionHealth,
    HealthRow,
    LogQuery,
    LogRow,
    PanelPosition,
    PanelSeries,
    PanelSnapshot,
    TimeWindow,
    ToplistRow,
    Trend,
)
from srvmon.model import PanelHead as PanelSpec
from srvmon.tui.layout import COLUMNS, choose, fit_rows, place
from srvmon.tui.refresher import Scheduler
from srvmon.tui.view import ViewState
from srvmon.widgets.chart import TREND_MARK, Canvas, ChartColors, draw, segments
from srvmon.widgets.stat import split_number


def test_fmt_value_is_unit_aware() -> None:
    assert fmt_value(123.4, "ms") == "123 ms"
    assert fmt_value(1534, "ms") == "1.53 s"
    assert fmt_value(12.5, "%") == "12.5%"
    assert fmt_value(1234.5, "$") == "$1,234"
    assert fmt_value(12.345, "$") == "$12.35"
    assert fmt_value(-5, "$") == "-$5.00"
    assert fmt_value(2.5e6, "$") == "$2.5M"
    assert fmt_value(1e308, "") == "1e+308"  # never hundreds of digits
    assert fmt_value(3400, "req/s") == "3.4k req/s"
    assert fmt_value(2_500_000, "") == "2.5M"
    assert fmt_value(7, "count") == "7"
    assert fmt_value(3 * 1024**3, "B") == "3 GiB"
    assert fmt_value(None, "ms") == "–"
    assert fmt_value(float("nan"), "ms") == "–"
    assert fmt_value(5400, "s") == "1.5h"
    assert fmt_axis(1500, "ms") == "1.5s"
    assert fmt_axis(2000, "req/s") == "2k"


def test_deltas_ages_ticks_labels() -> None:
    assert fmt_delta(12.345) == "↑12%"
    assert fmt_delta(-3.4) == "↓3.4%"
    assert fmt_delta(0.0) == "→0%"
    assert fmt_delta(None) == "" and fmt_delta(float("nan")) == ""
    assert [fmt_age(s) for s in (5, 300, 7260, 40000, 200000)] == ["5s", "5m", "2h01m", "11h", "2d"]
    assert nice_ticks(0, 97, 5) == [0, 25, 50, 75, 100]
    assert nice_ticks(0.0, 0.0, 3)[0] == 0.0
    t = NOW.timestamp()
    assert time_label(t, 4 * 3600, UTC) == "14:07"
    assert time_label(t, 7 * 86400, UTC) == "Fri 20 14h"
    assert time_label(t, 30 * 86400, UTC) == "20 Nov"
    # a 1-day window crosses midnight: every label carries the weekday, labels are in order, none repeats
    day = [t - 86400 + k * 86400 / 7 for k in range(8)]
    labels = time_labels(day, UTC)
    assert all(label.split()[0] in ("Thu", "Fri") for label in labels) and len(set(labels)) == len(labels)


def test_sparkline_and_bar() -> None:
    assert sparkline([0, 1, 2, 3, 4, 5, 6, 7], 8) == "▁▂▃▄▅▆▇█"
    assert sparkline([1, None, 1], 3) == "▄ ▄"
    assert sparkline([], 4) == "    "
    assert sparkline([0, 10] * 50, 10) == "▄" * 10  # each cell shows its bucket's peak: all equal
    assert sparkline([0, 0, 0, 0, 0, 9, 0, 0, 0, 0], 5) == "▁▁█▁▁"
    assert bar(0.5, 4) == "██  "
    assert bar(1.5, 3) == "███"
    assert bar(0.0, 2) == "  "


def test_downsample_keeps_peaks_and_time_order() -> None:
    pts = [(i, float(i % 10)) for i in range(1000)]
    pts[503] = (503, 500.0)
    out = downsample(pts, 50)
    assert len(out) <= 100
    assert (503, 500.0) in out
    assert [t for t, _ in out] == sorted(t for t, _ in out)
    assert min(v for _, v in out if v is not None) == 0.0
    assert downsample(pts[:10], 50) == pts[:10]
    gappy = [(i, None if 40 <= i < 60 else 1.0) for i in range(100)]
    assert (40, None) in downsample(gappy, 10) or any(v is None for _, v in downsample(gappy, 10))


def test_segments_break_on_gaps() -> None:
    assert segments([(0, 1.0), (1, None), (2, 2.0), (3, 3.0)]) == [([0], [1.0]), ([2, 3], [2.0, 3.0])]
    assert segments([(0, None)]) == []


def test_a_chart_row_is_one_styled_run_per_colour_not_one_per_cell() -> None:
    # The terminal is sent a colour code per run: a maximised stat chart sent one per cell (422 KB a frame
    # at 120x40 in tmux), now one per run (91 KB).
    canvas = Canvas(12, 2)
    canvas.put(3, 0, "\u28ff\u28ff", (255, 0, 0))
    canvas.put(8, 0, "\u2801", (0, 0, 255))
    assert canvas.runs(canvas.cells[0]) == [
        ("   ", None), ("\u28ff\u28ff", (255, 0, 0)), ("   ", None), ("\u2801", (0, 0, 255)), ("   ", None),
    ]  # fmt: skip
    assert canvas.runs(canvas.cells[1]) == [(" " * 12, None)]
    text = canvas.text((0, 0, 0))
    assert text.plain == "   \u28ff\u28ff   \u2801   \n" + " " * 12
    assert len(text.spans) == 6
    assert [strip.cell_length for strip in canvas.strips((0, 0, 0))] == [12, 12]
    assert [len(list(strip)) for strip in canvas.strips((0, 0, 0))] == [5, 1]


def _axis_labels(panel: PanelSnapshot) -> list[str]:
    grey = (128, 128, 128)
    colors = ChartColors((grey,), grey, grey, grey, grey, grey, (0, 0, 0), grey, grey)
    canvas = draw(panel, 60, 14, colors, compare=False, highlight=None, tz=UTC)
    assert canvas is not None
    return ["".join(ch for ch, _ in row[:6]).strip() for row in canvas.cells[1:12]]


def test_a_trend_below_zero_does_not_take_a_count_axis_below_zero() -> None:
    # A month of requests climbing from 0 to 30k had a trend starting at -10k: the axis went to -20k.
    points = tuple((i * 3600, float(i * 1000)) for i in range(31))
    series = (PanelSeries({"fn": "checkout"}, points),)
    climbing = PanelSnapshot("r", "Requests", "timeseries", "ok", unit="count", series=series,
                             trend=Trend(slope_per_h=1000.0, intercept=-10_000.0))  # fmt: skip
    labels = [x for x in _axis_labels(climbing) if x]
    assert labels and not any(x.startswith("-") for x in labels), labels
    # ... and the part of the trend below zero is not drawn along the bottom row either.
    grey = (128, 128, 128)
    canvas = draw(climbing, 60, 14, ChartColors((grey,), grey, grey, grey, grey, grey, (0, 0, 0), grey, grey),
                  compare=False, highlight=None, tz=UTC)  # fmt: skip
    assert canvas is not None
    bottom = "".join(ch for ch, _ in canvas.cells[11])
    assert TREND_MARK not in bottom[: len(bottom) // 4], bottom
    # Data that does go below zero keeps its trend's whole range on the axis.
    signed = tuple((t, v - 5000.0) for t, v in points)
    falling = PanelSnapshot("d", "Delta", "timeseries", "ok", series=(PanelSeries({}, signed),),
                            trend=Trend(slope_per_h=1000.0, intercept=-20_000.0))  # fmt: skip
    assert any(x.startswith("-20") for x in _axis_labels(falling))


def test_split_number_for_big_digits() -> None:
    assert split_number("12.5k req/s") == ("12.5", "thousand req/s")
    assert split_number("123 ms") == ("123", "ms")
    assert split_number("$1.2M") == ("$1.2", "million")
    assert split_number("–") == ("", "–")
    assert split_number("12.5%") == ("12.5", "%")


def test_health_ratings_are_the_core_rule() -> None:
    def h(timeout_pct: float | None, cold: float | None = 1.0, oom: int = 0, timeouts: int = 0) -> HealthRow:
        return rate(
            FunctionHealth("f", 100, 1, cold, 100.0, timeouts, oom, 10.0, 20.0, timeout_pct, 1.0, 0.1)
        )

    assert h(79.9).duration_status == "ok" and h(79.9).status == "ok"
    assert h(80.0).duration_status == "warn" and h(80.0).status == "warn"
    assert h(96.0).duration_status == "crit" and h(96.0).status == "crit"
    assert h(10.0, oom=1).oom_status == "crit" and h(10.0).timeouts_status == "ok"
    assert h(10.0, cold=12.0).cold_status == "warn" and h(10.0, cold=None).cold_status == "nodata"


def test_ellipsize_keeps_names_distinct() -> None:
    names = ["checkout-create-order", "checkout-get-cart", "checkout-list-orders", "checkout-apply-coupon"]
    cut = [ellipsize(n, 12) for n in names]
    assert len(set(cut)) == 4 and all(len(c) == 12 and "…" in c for c in cut)
    assert ellipsize("short", 12) == "short"


def spec(pid: str, row: int, col: int, width: int = 4, height: int = 1, kind: str = "stat") -> PanelSpec:
    return PanelSpec(pid, pid, kind, PanelPosition(row, col, width, height))


def test_place_reproduces_positions_with_spacers_in_row_major_order() -> None:
    cells, rows = place([spec("b", 0, 6, 6, 2), spec("a", 0, 0, 4), spec("c", 1, 0, 2)])
    assert rows == 2
    kinds = [(c.panel.id if c.panel else ".", c.col, c.row) for c in cells]
    assert kinds == [
        ("a", 0, 0),
        (".", 4, 0),
        (".", 5, 0),
        ("b", 6, 0),
        ("c", 0, 1),
        (".", 2, 1),
        (".", 3, 1),
        (".", 4, 1),
        (".", 5, 1),
    ]
    # simulate Textual's auto-placement: every child lands where the position says
    taken: set[tuple[int, int]] = set()
    coord = 0
    for cell in cells:
        while True:
            c, r = coord % COLUMNS, coord // COLUMNS
            span = {(c + i, r + j) for i in range(cell.width) for j in range(cell.height)}
            if not span & taken:
                break
            coord += 1
        assert (c, r) == (cell.col, cell.row)
        taken |= span
        coord += 1


def test_place_never_drops_overlapping_or_unpositioned_panels() -> None:
    cells, rows = place([spec("a", 0, 0, 6), spec("clash", 0, 2, 4), PanelSpec("free", "free", "stat")])
    ids = [c.panel.id for c in cells if c.panel]
    assert ids == ["a", "clash", "free"]
    clash = next(c for c in cells if c.panel and c.panel.id == "clash")
    assert clash.row == 1 and rows == 2


def test_row_heights_fill_the_screen_and_compact_when_they_cannot() -> None:
    cells, rows = place([spec("s", 0, 0, 6), spec("t", 1, 0, 12, 2, kind="timeseries")])
    assert fit_rows(cells, rows, 40) is not None and sum(fit_rows(cells, rows, 40)) == 40  # type: ignore[arg-type]
    heights = fit_rows(cells, rows, 20)
    assert heights == [
        7,
        7,
        6,
    ]  # toward what each row wants (a stat 8 lines, a chart 14 over 2 rows), then evenly
    assert fit_rows(cells, rows, 11) == [3, 4, 4]  # the minimum: the stat row gives up its big digits first
    assert fit_rows(cells, rows, 8) is None  # 3 + 4 + 4 lines at least
    assert choose("auto", 80, 40, cells, rows) == "compact"  # narrower than the grid's 100 columns
    assert choose("auto", 120, 40, cells, rows) == "grid"
    assert choose("auto", 120, 8, cells, rows) == "compact"
    assert choose("grid", 80, 8, cells, rows) == "grid"


def test_view_state_ranges_zoom_pan_live() -> None:
    v = ViewState.named("4h")
    assert v.cycle().range_name == "12h"
    assert ViewState.named("1mo").cycle().range_name == "1h"
    z = v.zoom(0.5)
    assert z.range_s == 7200 and z.label() == "2h"
    assert v.zoom(0.001).range_s == 900 and v.zoom(0.001).label() == "15m"
    p = v.pan(-0.5, NOW)
    assert p.end == NOW - timedelta(hours=2) and not p.live
    assert p.pan(0.5, NOW).live
    assert p.pan(0.5, NOW + timedelta(minutes=5)).live  # the clock moved on while paused: still one press
    assert not p.pan(0.25, NOW).live
    assert z.pan(-1, NOW).to_live() == ViewState("4h", 14400, None, True)
    assert not v.toggle_compare().compare


def test_scheduler_never_overlaps() -> None:
    s = Scheduler()
    first = s.want(3600, None, True)
    assert first is not None
    assert s.want(3600, None, True, force=True) is None
    assert s.want(7200, None, True) is None
    assert s.done(first) is True
    assert s.take_pending() == (True, True)
    assert s.take_pending() == (False, False)
    second = s.want(7200, None, True)
    assert second is not None
    s.bump()
    assert s.done(second) is False  # the view changed meanwhile: drop this result


def test_drill_down_query_from_the_panel_and_its_row() -> None:
    window = TimeWindow.ending_at(NOW, 4 * 3600)
    target = DrillTarget("aws", window, errors_only=True, status_class="5xx")
    ps = PanelSnapshot("errors_5xx", "Backend errors", "stat", "crit", provider="aws", drill=target)
    assert log_query(ps) == LogQuery(provider="aws", window=window, errors_only=True, status_class="5xx")
    day = TimeWindow.ending_at(NOW, 86400)
    top = PanelSnapshot("top", "Top", "toplist", "ok", drill=DrillTarget("logs", day, text="timeout"))
    row = ToplistRow("checkout", "checkout", 1.0, None, None, "ok", {"function": "checkout"})
    q2 = log_query(top, row)
    assert q2 is not None
    assert (q2.provider, q2.resources, q2.text, q2.errors_only) == ("logs", ("checkout",), "timeout", False)
    assert q2.window == day
    series = PanelSeries({"function": "auth"}, ())
    assert log_query(top, series).resources == ("auth",)  # type: ignore[union-attr]
    logs = PanelSnapshot("l", "Recent errors", "logs", "ok", drill=DrillTarget("x", window, errors_only=True))
    lq = log_query(logs, LogRow(NOW, "auth", "boom", request_id="r-1"))
    assert lq is not None and lq.request_id == "r-1" and lq.resources == ("auth",)
    assert log_query(PanelSnapshot("x", "x", "stat", "ok")) is None  # no drill-down target: no query


def test_prefetched_source_serves_the_first_poll_once() -> None:
    from tui_fakes import real_snapshot

    from srvmon.tui.refresher import PrefetchedSource

    snap = real_snapshot()

    class Counting:
        def __init__(self) -> None:
            self.calls: list[tuple[int | None, bool, bool]] = []

        def poll(
            self,
            *,
            range_s: int | None = None,
            end: datetime | None = None,
            compare: bool = True,
            force: bool = False,
            range_label: str | None = None,
        ) -> object:
            self.calls.append((range_s, compare, force))
            return snap

        def close(self) -> None:
            self.calls.append((None, False, False))

    inner = Counting()
    src = PrefetchedSource(inner, range_s=14400, compare=True)  # type: ignore[arg-type]
    assert src.poll(range_s=14400, compare=True) is snap
    assert inner.calls == [(14400, True, False)]  # answered by the prefetch
    src.poll(range_s=14400, compare=True)
    assert len(inner.calls) == 2  # later polls are real
    other = PrefetchedSource(Counting(), range_s=3600, compare=True)  # type: ignore[arg-type]
    other.poll(range_s=14400, compare=False)  # the view changed before the first poll: fetch again
    assert other.inner.calls == [(3600, True, False), (14400, False, False)]  # type: ignore[attr-defined]
