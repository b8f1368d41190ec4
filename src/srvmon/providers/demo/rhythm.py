"""Traffic rhythm of the demo fleet: daily and weekly shape plus ~3 %/week growth, per bucket start."""

from __future__ import annotations

import math
from functools import lru_cache

WEEK_S = 7 * 86400
#: Week-over-week growth factor.
GROWTH_PER_WEEK = 1.03
#: Weekend traffic relative to weekdays.
WEEKEND = 0.72


def daily(t: int) -> float:
    """0.55..1.45: quiet around 03:00 UTC, busiest around 15:00 UTC."""
    hour = (t % 86400) / 3600.0
    return 1.0 + 0.45 * math.sin(2.0 * math.pi * (hour - 9.0) / 24.0)


def weekly(t: int) -> float:
    """1.0 on weekdays, WEEKEND on Saturday and Sunday (UTC)."""
    weekday = (t // 86400 + 3) % 7  # 1970-01-01 was a Thursday; Monday = 0
    return WEEKEND if weekday >= 5 else 1.0


def growth(t: int, anchor_s: int) -> float:
    """GROWTH_PER_WEEK compounded continuously; 1.0 at the fleet's anchor ("now")."""
    return float(GROWTH_PER_WEEK ** ((t - anchor_s) / WEEK_S))


def rhythm(t: int, anchor_s: int) -> float:
    return daily(t) * weekly(t) * growth(t, anchor_s)


@lru_cache(maxsize=32)  # a poll uses ~7 windows; more only grows RSS as windows slide
def rhythm_array(start_s: int, end_s: int, step_s: int, anchor_s: int) -> tuple[float, ...]:
    """`rhythm` at every bucket start of a window, computed once per window and shared by all series."""
    return tuple(rhythm(t, anchor_s) for t in range(start_s, end_s, step_s))
