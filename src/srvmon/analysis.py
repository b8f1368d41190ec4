"""Pure functions on series: combine, reduce, trend, deltas, thresholds, rankings, time-to-limit, downsampling."""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import TypeGuard, TypeVar

from srvmon.model import CostItem, Series, Status, Thresholds, Trend

T = TypeVar("T")
Value = float | None


def finite(v: Value) -> TypeGuard[float]:
    """True for a present, finite number (narrows `float | None` to `float` for the type checker)."""
    return v is not None and math.isfinite(v)


_finite = finite


def combine(series: Sequence[Series], how: str = "sum") -> tuple[tuple[int, ...], list[Value]]:
    """Point-wise combination of several series (sum/avg/max/min); a bucket with no values is a gap."""
    if not series:
        return (), []
    if len(series) == 1:
        s = series[0]
        isfinite = math.isfinite
        return s.timestamps, [v if v is not None and isfinite(v) else None for v in s.values]
    first = series[0].timestamps
    if all(s.timestamps == first and len(s.values) == len(first) for s in series) and all(
        a < b for a, b in zip(first, first[1:], strict=False)
    ):
        # Aligned, ordered series (one query's answer usually is): combine column by column.
        return first, [reduce_values(col, how) for col in zip(*(s.values for s in series), strict=True)]
    buckets: dict[int, list[float]] = defaultdict(list)
    order: dict[int, None] = {}
    isfinite = math.isfinite
    for s in series:
        for t, v in zip(s.timestamps, s.values, strict=False):
            order.setdefault(t, None)
            if v is not None and isfinite(v):
                buckets[t].append(v)
    ts = tuple(sorted(order))
    return ts, [reduce_values(buckets.get(t, []), how) for t in ts]


def reduce_values(values: Iterable[Value], how: str) -> Value:
    """last/avg/sum/max/min over the present values; None when there are none."""
    isfinite = math.isfinite
    vals = [v for v in values if v is not None and isfinite(v)]
    if not vals:
        return None
    if how == "last":
        return vals[-1]
    if how == "avg":
        return sum(vals) / len(vals)
    if how == "sum":
        return float(sum(vals))
    if how == "max":
        return max(vals)
    if how == "min":
        return min(vals)
    raise ValueError(f"unknown reduction {how!r}")


def transform(values: Sequence[Value], *, step_s: int, per_second: bool, scale: float) -> list[Value]:
    factor = scale / step_s if per_second else scale
    if factor == 1.0:
        return list(values)
    return [None if v is None else v * factor for v in values]


def trend(timestamps: Sequence[int], values: Sequence[Value]) -> Trend | None:
    """Least-squares line through the present points: slope per hour, value at the first timestamp."""
    pts = [(t, v) for t, v in zip(timestamps, values, strict=False) if _finite(v)]
    if len(pts) < 2:
        return None
    t0 = timestamps[0]
    xs = [(t - t0) / 3600.0 for t, _ in pts]
    ys = [float(v) for _, v in pts]
    n = len(xs)
    mx, my = sum(xs) / n, sum(ys) / n
    sxx = sum((x - mx) ** 2 for x in xs)
    if sxx == 0:
        return None
    slope = sum((x - mx) * (y - my) for x, y in zip(xs, ys, strict=True)) / sxx
    return Trend(slope_per_h=slope, intercept=my - slope * mx)


def level_floor(values: Iterable[float]) -> float:
    """The lowest level a line fitted to `values` may show: 0 when none of them is negative (requests,
    errors, latency cannot be), so a slope extrapolated below zero stops there; else no floor."""
    return 0.0 if min(values, default=-math.inf) >= 0 else -math.inf


def trend_value(tr: Trend, t0: int, t: int) -> float:
    return tr.intercept + tr.slope_per_h * (t - t0) / 3600.0


def delta_pct(current: Value, previous: Value) -> Value:
    """% change from previous to current; None when undefined (no data or previous is 0)."""
    if not _finite(current) or not _finite(previous) or previous == 0:
        return None
    return (current - previous) / abs(previous) * 100.0


def moving_average(values: Sequence[Value], window: int) -> list[Value]:
    """Trailing mean over `window` points, skipping gaps; None where the window has no values."""
    out: list[Value] = []
    for i in range(len(values)):
        chunk = [v for v in values[max(0, i - window + 1) : i + 1] if _finite(v)]
        out.append(sum(chunk) / len(chunk) if chunk else None)
    return out


def threshold_status(value: Value, th: Thresholds | None) -> Status:
    """ok / warn / crit by the thresholds (above: higher is worse; below: lower is worse); nodata for None."""
    if not _finite(value):
        return "nodata"
    if th is None:
        return "ok"
    worse: Callable[[float, float], bool] = (
        (lambda v, lim: v >= lim) if th.direction == "above" else (lambda v, lim: v <= lim)
    )
    if th.crit is not None and worse(value, th.crit):
        return "crit"
    if th.warn is not None and worse(value, th.warn):
        return "warn"
    return "ok"


STATUS_ORDER: dict[str, int] = {"ok": 0, "nodata": 1, "warn": 2, "error": 3, "crit": 4}


def worst_status(statuses: Iterable[Status]) -> Status:
    return max(statuses, key=lambda s: STATUS_ORDER[s], default="ok")


def top_n(items: Iterable[T], key: Callable[[T], Value], n: int, order: str = "desc") -> list[T]:
    """The n best items by key (desc = largest first); items whose key is None sort last."""
    present = [(key(i), i) for i in items]
    with_value = [(k, i) for k, i in present if _finite(k)]
    without = [i for k, i in present if not _finite(k)]
    with_value.sort(key=lambda ki: ki[0], reverse=(order == "desc"))
    return ([i for _, i in with_value] + without)[:n]


def time_to_limit(current: Value, limit: float, slope_per_h: float | None) -> float | None:
    """Seconds until `current` reaches `limit` on the trend; 0 when already there; None when never."""
    if not _finite(current) or limit is None:
        return None
    if current >= limit:
        return 0.0
    if slope_per_h is None or slope_per_h <= 0:
        return None
    return (limit - current) / slope_per_h * 3600.0


def downsample(points: Sequence[tuple[int, Value]], target: int) -> list[tuple[int, Value]]:
    """Reduce to about `target` points by max-pooling buckets, so spikes survive."""
    if target <= 0 or len(points) <= target:
        return list(points)
    size = math.ceil(len(points) / target)
    out: list[tuple[int, Value]] = []
    for i in range(0, len(points), size):
        chunk = points[i : i + size]
        vals = [v for _, v in chunk if _finite(v)]
        out.append((chunk[0][0], max(vals) if vals else None))
    return out


def minmax_downsample(points: Sequence[tuple[int, Value]], columns: int) -> list[tuple[int, Value]]:
    """At most ~2 points per column: each column keeps its min and max (in time order), so peaks survive."""
    if columns <= 0 or len(points) <= 2 * columns:
        return list(points)
    out: list[tuple[int, Value]] = []
    n = len(points)
    for c in range(columns):
        chunk = points[c * n // columns : (c + 1) * n // columns]
        present = [(t, v) for t, v in chunk if finite(v)]
        if not present:
            if chunk:
                out.append((chunk[0][0], None))
            continue
        lo = min(present, key=lambda p: p[1])
        hi = max(present, key=lambda p: p[1])
        out.extend(sorted({lo, hi}))
    return out


# ---- cost ---------------------------------------------------------------------------------------
#
# The month-to-date rule (docs/rules.md): days are UTC days, as Cost Explorer and Cost Management bill
# them. Month-to-date includes today's partial day, as the AWS and Azure consoles do, and is compared
# with the same part of last month: its days 1 .. (today's day - 1) in full plus the same fraction of
# its day `today.day`, clamped to last month's length (on 31 March, all of February). Week over week is
# the last 7 complete days against the 7 before. The forecast needs one complete day of the month.


def month_start(d: date) -> date:
    return d.replace(day=1)


def prev_month_start(d: date) -> date:
    return (month_start(d) - timedelta(days=1)).replace(day=1)


def days_in_month(d: date) -> int:
    nxt = (month_start(d) + timedelta(days=32)).replace(day=1)
    return (nxt - month_start(d)).days


@dataclass(frozen=True, slots=True)
class CostCalendar:
    """The days a cost panel compares at one instant (UTC)."""

    today: date
    #: Fraction of today elapsed (0..1).
    fraction: float
    month_start: date
    prev_month_start: date

    @classmethod
    def at(cls, now: datetime) -> CostCalendar:
        utc = now.astimezone(UTC)
        today = utc.date()
        midnight = datetime(today.year, today.month, today.day, tzinfo=UTC)
        return cls(
            today, (utc - midnight).total_seconds() / 86400.0, month_start(today), prev_month_start(today)
        )

    @property
    def days_elapsed(self) -> float:
        return (self.today.day - 1) + self.fraction

    @property
    def prev_len(self) -> int:
        return days_in_month(self.prev_month_start)

    def prev_weight(self, d: date) -> float:
        """How much of last month's day `d` counts in "the same part of last month" (0, a fraction, 1)."""
        if not self.prev_month_start <= d < self.month_start:
            return 0.0
        n = self.today.day
        if n > self.prev_len or d.day < n:
            return 1.0
        return self.fraction if d.day == n else 0.0

    def window_end(self) -> date:
        """The last day a provider is asked for (today, inclusive)."""
        return self.today


@dataclass(frozen=True, slots=True)
class CostFigures:
    mtd: float
    last_month_same_days: float
    delta_pct: float | None
    wow_pct: float | None
    forecast: float | None


def cost_figures(days: dict[date, float], cal: CostCalendar) -> CostFigures:
    """One service's (or the total's) figures from its daily amounts."""
    mtd = sum(a for d, a in days.items() if cal.month_start <= d <= cal.today)
    prev = sum(a * cal.prev_weight(d) for d, a in days.items())
    t = cal.today
    week = sum(a for d, a in days.items() if t - timedelta(days=7) <= d < t)
    before = sum(a for d, a in days.items() if t - timedelta(days=14) <= d < t - timedelta(days=7))
    forecast = None
    if t.day >= 2 and cal.days_elapsed > 0:
        forecast = mtd / cal.days_elapsed * days_in_month(t)
    return CostFigures(round(mtd, 2), round(prev, 2), _round(delta_pct(mtd, prev)),
                       _round(delta_pct(week, before)), None if forecast is None else round(forecast, 2))  # fmt: skip


def cost_by_service(items: Iterable[CostItem]) -> dict[str, dict[date, float]]:
    """Daily amounts per service (forecast items left out)."""
    by_service: dict[str, dict[date, float]] = defaultdict(lambda: defaultdict(float))
    for it in items:
        if not it.forecast and finite(it.amount_usd):
            by_service[it.service][it.day] += it.amount_usd
    return {k: dict(v) for k, v in by_service.items()}


def cost_daily(by_service: dict[str, dict[date, float]]) -> dict[date, float]:
    out: dict[date, float] = defaultdict(float)
    for days in by_service.values():
        for d, a in days.items():
            out[d] += a
    return dict(out)


def _round(v: Value, nd: int = 2) -> Value:
    return None if v is None else round(v, nd)
