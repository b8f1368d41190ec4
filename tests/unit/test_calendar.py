"""Calendar suite: every day of a leap year (2028) and a non-leap year (2026), at 00:30 and 23:30, in UTC and
in zones east (Asia/Tokyo) and west (America/Los_Angeles) of UTC - cost windows, month-to-date compares,
compare windows and time-axis labels. Pure functions: the whole suite runs in a few seconds."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from srvmon import analysis as an
from srvmon.fmt import time_labels
from srvmon.kinds.cost import cost_window
from srvmon.model import RANGES, TimeWindow

ZONES = [UTC, ZoneInfo("Asia/Tokyo"), ZoneInfo("America/Los_Angeles")]
YEARS = [2026, 2028]


def instants(year: int) -> list[datetime]:
    out = []
    d = date(year, 1, 1)
    while d.year == year:
        for tz in ZONES:
            for t in (time(0, 30), time(23, 30)):
                out.append(datetime.combine(d, t, tz))
        d += timedelta(days=1)
    return out


@pytest.mark.parametrize("year", YEARS)
def test_cost_calendar_on_every_day(year: int) -> None:
    for now in instants(year):
        cal = an.CostCalendar.at(now)
        utc = now.astimezone(UTC)
        today = utc.date()
        assert cal.today == today and cal.month_start == today.replace(day=1)
        assert 0 <= cal.fraction < 1 and cal.days_elapsed == pytest.approx(today.day - 1 + cal.fraction)
        # last month starts on the 1st and ends the day before this month starts
        assert cal.prev_month_start.day == 1 and cal.prev_month_start < cal.month_start
        assert (cal.month_start - timedelta(days=1)).replace(day=1) == cal.prev_month_start
        # the provider window covers last month's 1st through today (inclusive), in whole UTC days
        w = cost_window(cal)
        assert w.start == datetime.combine(cal.prev_month_start, time(0), UTC)
        assert w.end == datetime.combine(today + timedelta(days=1), time(0), UTC) and w.step_s == 86400
        # "the same part of last month": weights are 1 for the days before today's day-of-month, the
        # elapsed fraction for that day, 0 after; clamped to last month's length (31 March: all February)
        weights = {
            cal.prev_month_start + timedelta(days=k): cal.prev_weight(
                cal.prev_month_start + timedelta(days=k)
            )
            for k in range(cal.prev_len)
        }
        n = today.day
        expected = min(n - 1, cal.prev_len) + (cal.fraction if n <= cal.prev_len else 0.0)
        assert sum(weights.values()) == pytest.approx(expected)
        assert all(w in (0.0, 1.0, cal.fraction) for w in weights.values())
        assert (
            cal.prev_weight(today) == 0.0 and cal.prev_weight(cal.prev_month_start - timedelta(days=1)) == 0.0
        )


@pytest.mark.parametrize("year", YEARS)
def test_month_to_date_compares_like_with_like(year: int) -> None:
    """A flat 10/day spend reads 0% month over month on every day, and the forecast is the month's total."""
    for now in instants(year):
        cal = an.CostCalendar.at(now)
        days: dict[date, float] = {}
        d = cal.prev_month_start
        while d <= cal.today:
            days[d] = 10.0 * (cal.fraction if d == cal.today else 1.0)  # today so far
            d += timedelta(days=1)
        f = an.cost_figures(days, cal)
        assert f.mtd == pytest.approx(10 * cal.days_elapsed, abs=0.01)
        if cal.today.day <= cal.prev_len and cal.days_elapsed > 0:
            assert f.last_month_same_days == pytest.approx(10 * cal.days_elapsed, abs=0.01)
            assert f.delta_pct == pytest.approx(0.0, abs=0.1)
        if cal.today.day >= 2:
            assert f.forecast == pytest.approx(10 * an.days_in_month(cal.today), rel=1e-3)
        else:
            assert f.forecast is None  # no full day yet: no forecast to turn a panel red


def test_31_march_compares_all_of_february() -> None:
    """The issue's case: on 31 March, 1-2 March must not count as February's days."""
    now = datetime(2026, 3, 31, 12, 0, tzinfo=UTC)
    cal = an.CostCalendar.at(now)
    feb = {date(2026, 2, d): 10.0 for d in range(1, 29)}
    march = {date(2026, 3, d): 13.4 for d in range(1, 32)}
    f = an.cost_figures({**feb, **march}, cal)
    assert f.last_month_same_days == 280.0  # all of February, nothing of March
    assert f.mtd == pytest.approx(13.4 * 31)
    assert f.delta_pct == pytest.approx((13.4 * 31 - 280) / 280 * 100, abs=0.01)  # +48%


@pytest.mark.parametrize("year", YEARS)
def test_compare_windows_keep_their_length_and_weekday(year: int) -> None:
    for now in instants(year)[::7]:
        for name, span in RANGES.items():
            w = TimeWindow.ending_at(now, span)
            days = 28 if span >= 28 * 86400 else 7
            c = w.shifted(days)
            assert c.duration_s == w.duration_s and c.step_s == w.step_s
            assert (w.start - c.start) == timedelta(days=days)
            assert c.start.astimezone(UTC).weekday() == w.start.astimezone(UTC).weekday()
            assert (
                w.end <= now.astimezone(UTC) and (now.astimezone(UTC) - w.end).total_seconds() < w.step_s
            ), name


@pytest.mark.parametrize("year", YEARS)
def test_axis_labels_are_monotonic_dated_and_unique(year: int) -> None:
    for now in instants(year)[::5]:
        for tz in ZONES:
            for span in (3600, 4 * 3600, 86400, 7 * 86400, 30 * 86400):
                w = TimeWindow.ending_at(now, span)
                n = 6
                ticks = [w.start_s + (w.end_s - w.start_s) * k / (n - 1) for k in range(n)]
                labels = time_labels(ticks, tz)
                shown = [label for label in labels if label]
                assert len(shown) == len(set(shown)), (span, tz, labels)
                # the date is there whenever the window crosses midnight in that zone
                first = datetime.fromtimestamp(ticks[0], tz).date()
                last = datetime.fromtimestamp(ticks[-1], tz).date()
                if first != last:
                    assert all(not label or not label[0].isdigit() or " " in label for label in labels), (
                        labels
                    )
                # labels follow time: the parsed order of the shown ones is the tick order
                stamps = [t for t, label in zip(ticks, labels, strict=True) if label]
                assert stamps == sorted(stamps)
