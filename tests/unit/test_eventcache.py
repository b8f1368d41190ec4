"""The hour cache of ranged event sources and the call pacer: what is still to fetch, what is kept."""

from __future__ import annotations

from datetime import UTC, datetime

from srvmon.model import ChangeEvent
from srvmon.providers.eventcache import HOUR, HourCache, RateLimiter

H0 = 1_795_305_600  # an hour boundary


def ev(t: int, name: str = "x") -> ChangeEvent:
    return ChangeEvent(datetime.fromtimestamp(t, UTC), "deploy", name, (name,), id=f"{name}:{t}")


class Mono:
    def __init__(self) -> None:
        self.t = 0.0
        self.slept: list[float] = []

    def __call__(self) -> float:
        return self.t

    def sleep(self, s: float) -> None:
        self.slept.append(s)
        self.t += s


def test_a_first_fetch_is_one_range_of_whole_settled_hours_and_the_tail() -> None:
    cache = HourCache(settle_s=900, monotonic=Mono())
    now = H0 + 4 * HOUR + 7 * 60  # 04:07: the 03:00 hour ended only 7 min ago, so it is not settled
    assert cache.edge(now) == H0 + 3 * HOUR
    start, end = H0 + 7 * 60, now  # a window starting mid-hour
    assert cache.missing("k", start, end, now) == [(H0, end)]


def test_stored_hours_are_not_asked_again_and_the_tail_only_while_fresh() -> None:
    mono = Mono()
    cache = HourCache(settle_s=900, fresh_s=60, monotonic=mono)
    now = H0 + 4 * HOUR + 7 * 60
    events = [ev(H0 + 600), ev(H0 + 2 * HOUR + 5), ev(H0 + 3 * HOUR + 100)]
    cache.put("k", H0, now, events, now)
    assert cache.missing("k", H0, now, now) == []
    assert cache.get("k", H0, now) == events
    mono.t += 61
    assert cache.missing("k", H0, now, now) == [(H0 + 3 * HOUR, now)]  # only the unsettled tail
    later = now + 30 * 60  # 04:37: the 03:00 hour has settled now, still only fetched as tail
    assert cache.missing("k", H0, later, later) == [(H0 + 3 * HOUR, later)]


def test_a_cut_short_fetch_keeps_only_what_it_covered() -> None:
    cache = HourCache(settle_s=900, monotonic=Mono())
    now = H0 + 6 * HOUR
    # newest first, cut short: complete from 03:30 on -> hours 04:00 and later are stored
    cache.put(
        "k", H0, now, [ev(H0 + 5 * HOUR), ev(H0 + 3 * HOUR + 1800)], now, complete_from_s=H0 + 3 * HOUR + 1800
    )
    assert cache.missing("k", H0, now, now) == [(H0, H0 + 4 * HOUR)]
    assert [e.summary for e in cache.get("k", H0, now)] == ["x"]  # 05:00 kept; 03:30's hour was partial


def test_holes_make_separate_ranges_newest_first() -> None:
    cache = HourCache(settle_s=0, monotonic=Mono())
    now = H0 + 5 * HOUR
    cache.put("k", H0 + 2 * HOUR, H0 + 3 * HOUR, [], now)
    assert cache.missing("k", H0, now, now) == [(H0 + 3 * HOUR, now), (H0, H0 + 2 * HOUR)]


def test_the_pacer_spaces_calls() -> None:
    mono = Mono()
    limiter = RateLimiter(2.0, mono, mono.sleep)
    waits = [limiter.wait() for _ in range(4)]
    assert waits == [0.0, 0.5, 0.5, 0.5] and mono.slept == [0.5, 0.5, 0.5]
    mono.t += 10
    assert limiter.wait() == 0.0  # idle time is not banked into a burst beyond one call
    assert limiter.wait() == 0.5
