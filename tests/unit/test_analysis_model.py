"""Pure analysis functions and the time model."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from srvmon import analysis as an
from srvmon.model import Series, Thresholds, TimeWindow, parse_duration


def test_window_alignment_and_shift():
    w = TimeWindow.ending_at(datetime(2026, 11, 18, 12, 3, 29, tzinfo=UTC), 3600)
    assert w.end == datetime(2026, 11, 18, 12, 3, tzinfo=UTC) and w.step_s == 60 and w.points == 60
    assert w.shifted(7).end == datetime(2026, 11, 11, 12, 3, tzinfo=UTC)
    d = TimeWindow.ending_at(datetime(2026, 11, 18, 12, 7, tzinfo=UTC), 86400)
    assert d.step_s == 300 and d.end_s % 300 == 0 and d.points == 288
    assert TimeWindow.ending_at(datetime(2026, 11, 18, tzinfo=UTC), 30 * 86400).step_s == 7200


@pytest.mark.parametrize(
    "text,secs", [("30s", 30), ("5m", 300), ("4h", 14400), ("1w", 604800), ("1mo", 2592000)]
)
def test_parse_duration(text, secs):
    assert parse_duration(text) == secs


@pytest.mark.parametrize(
    "bad", ["", "soon", "5y", "1e400s", "infs", "nans", "-5m", "0s", "99999999999999999d", "0.5s"]
)
def test_parse_duration_rejects(bad):
    with pytest.raises(
        ValueError, match="not a duration|positive, finite|longer than 10 years|shorter than a second"
    ):
        parse_duration(bad)


def test_combine_reduce_gaps():
    a = Series({"f": "a"}, (0, 60, 120), (1.0, None, 3.0))
    b = Series({"f": "b"}, (0, 60, 120), (2.0, None, float("nan")))
    ts, vals = an.combine([a, b], "sum")
    assert ts == (0, 60, 120) and vals == [3.0, None, 3.0]
    assert an.reduce_values(vals, "avg") == 3.0 and an.reduce_values([None], "max") is None
    assert an.combine([a, b], "max")[1] == [2.0, None, 3.0]


def test_combine_unaligned_series_by_timestamp():
    """Series on different or unordered buckets take the by-timestamp path and agree with the aligned one."""
    a = Series({"f": "a"}, (120, 0, 60), (3.0, 1.0, None))
    b = Series({"f": "b"}, (60, 180), (4.0, 5.0))
    assert an.combine([a, b], "sum") == ((0, 60, 120, 180), [1.0, 4.0, 3.0, 5.0])
    aligned = Series({"f": "a"}, (0, 60, 120), (1.0, None, 3.0))
    shifted = Series({"f": "a"}, (0, 60, 120, 180), (1.0, None, 3.0, None))
    assert an.combine([aligned, aligned], "avg") == ((0, 60, 120), [1.0, None, 3.0])
    assert an.combine([aligned, shifted], "avg") == ((0, 60, 120, 180), [1.0, None, 3.0, None])


def test_trend_least_squares():
    ts = list(range(0, 7200, 600))
    tr = an.trend(ts, [10 + 5 * t / 3600 for t in ts])
    assert tr.slope_per_h == pytest.approx(5.0) and tr.intercept == pytest.approx(10.0)
    assert an.trend([0], [1.0]) is None


def test_delta_threshold_ttl():
    assert an.delta_pct(120, 100) == pytest.approx(20.0) and an.delta_pct(5, 0) is None
    th = Thresholds(warn=80, crit=90)
    assert [an.threshold_status(v, th) for v in (50, 80, 95, None)] == ["ok", "warn", "crit", "nodata"]
    below = Thresholds(warn=99.9, crit=99.0, direction="below")
    assert [an.threshold_status(v, below) for v in (100, 99.5, 98)] == ["ok", "warn", "crit"]
    assert an.time_to_limit(500, 1000, 100) == pytest.approx(5 * 3600)
    assert an.time_to_limit(500, 1000, -1) is None and an.time_to_limit(1200, 1000, 1) == 0


def test_top_n_and_moving_average():
    assert an.top_n([3, None, 7, 1], lambda x: x, 2) == [7, 3]
    assert an.top_n([3, None, 7, 1], lambda x: x, 4, "asc") == [1, 3, 7, None]
    assert an.moving_average([1, 3, None, 5], 2) == [1, 2, 3, 5]


def test_downsample_keeps_peaks():
    pts = [(i, 1.0) for i in range(1000)]
    pts[503] = (503, 99.0)
    out = an.downsample(pts, 100)
    assert len(out) == 100 and max(v for _, v in out) == 99.0


def test_cost_figures_mtd_wow_forecast():
    now = datetime(2026, 11, 18, 12, 0, tzinfo=UTC)  # half of the 18th elapsed
    days = {date(2026, 10, d): 10.0 for d in range(1, 32)}
    days.update({date(2026, 11, d): 13.0 if d >= 11 else 10.0 for d in range(1, 19)})
    f = an.cost_figures(days, an.CostCalendar.at(now))
    assert f.mtd == 10 * 10 + 8 * 13  # Nov 1-18, today's partial figure included
    assert f.last_month_same_days == 17.5 * 10  # Oct 1-17 and half of Oct 18
    assert f.wow_pct == pytest.approx(30.0)  # Nov 11-17 vs Nov 4-10
    assert f.forecast == pytest.approx(204 / 17.5 * 30, abs=0.01)
