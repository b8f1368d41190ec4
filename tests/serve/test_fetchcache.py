"""Incremental fetch: a poller with the cache shows exactly what it shows without, for fewer calls and
metrics; top-N queries are never merged; failures stay failures; memory stays bounded."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

import pytest

from srvmon.clock import FrozenClock
from srvmon.codec import snapshot_dict
from srvmon.config import load_config
from srvmon.fetchcache import FetchCache
from srvmon.model import MetricQuery, QueryResult, Series, TimeWindow
from srvmon.poll import Poller
from srvmon.providers.base import ProviderError

START = datetime(2026, 11, 18, 12, 0, 30, tzinfo=UTC)


def _pair(clock: FrozenClock) -> tuple[Poller, Poller, FetchCache]:
    plain, cached = load_config(demo=True), load_config(demo=True)
    cache = FetchCache(clock)
    return (Poller(plain.boards[0], plain.runtime(clock), clock),
            Poller(cached.boards[0], cached.runtime(clock), clock, fetch=cache), cache)  # fmt: skip


def _usage(p: Poller) -> tuple[int, int]:
    u = p.runtime.get("demo").usage()  # type: ignore[union-attr]
    return u.api_calls, u.metrics_requested


def test_cached_poller_shows_exactly_the_same_board_for_fewer_calls() -> None:
    clock = FrozenClock(START)
    plain, cached, cache = _pair(clock)
    steady: list[tuple[int, int, int, int]] = []
    clock.set(datetime(2026, 11, 18, 12, 24, 30, tzinfo=UTC))
    for i in range(12):  # one-minute refreshes that cross 12:30, where the 1w panels' windows move
        before = (*_usage(plain), *_usage(cached))
        a, b = plain.poll(), cached.poll()
        assert snapshot_dict(a, "x")["panels"] == snapshot_dict(b, "x")["panels"], f"refresh {i} differs"
        after = (*_usage(plain), *_usage(cached))
        if i >= 2:
            steady.append(tuple(x - y for x, y in zip(after, before, strict=True)))  # type: ignore[arg-type]
        clock.advance(60)
    plain_calls = sum(s[0] for s in steady) / len(steady)
    cached_calls = sum(s[2] for s in steady) / len(steady)
    plain_metrics = sum(s[1] for s in steady) / len(steady)
    cached_metrics = sum(s[3] for s in steady) / len(steady)
    assert (
        plain_calls == 12 and plain_metrics == 36
    )  # 6 metric batches + alarms, limits, cost, health, logs, events
    # the board-wide change-events call runs every refresh (providers cache settled hours themselves)
    assert cached_calls <= 9.5 and cached_metrics <= 28, (cached_calls, cached_metrics)
    assert cache.stats.hits > 0 and cache.points < 100_000


def test_two_polls_of_one_poll_cycle_share_the_fetch() -> None:
    """A second view polled right after (1h inside the 4h window) asks only for what the 4h poll could not
    answer: its own top-N queries."""
    clock = FrozenClock(START)
    cfg = load_config(demo=True)
    runtime = cfg.runtime(clock)
    cache = FetchCache(clock)
    p4, p1 = (
        Poller(cfg.boards[0], runtime, clock, fetch=cache),
        Poller(cfg.boards[0], runtime, clock, fetch=cache),
    )
    p4.poll()
    hits = cache.stats.hits
    p1.poll(range_s=3600)
    assert cache.stats.hits > hits


class Recording:
    """A provider stand-in that records the windows asked and answers one dense series per query."""

    def __init__(self) -> None:
        self.asked: list[tuple[int, int, int]] = []
        self.fail: Exception | None = None

    def query(self, queries: Sequence[MetricQuery], window: TimeWindow) -> dict[str, QueryResult]:
        self.asked.append((window.start_s, window.end_s, len(queries)))
        if self.fail is not None:
            raise self.fail
        ts = tuple(window.timestamps())
        return {q.ref_id: QueryResult(q.ref_id, (Series({"q": str(q.query)}, ts, tuple(float(t) for t in ts)),))
                for q in queries}  # fmt: skip


def test_live_tail_only_then_settled_window_once() -> None:
    clock = FrozenClock(START)
    cache = FetchCache(clock)
    prov = Recording()
    q = MetricQuery("a", "p", "requests")
    live = TimeWindow.ending_at(clock.now(), 4 * 3600)
    got = cache.query("p", prov.query, [q], live)
    assert prov.asked == [(live.start_s, live.end_s, 1)]
    assert got["a"].series[0].timestamps == tuple(live.timestamps())
    clock.advance(60)
    live2 = TimeWindow.ending_at(clock.now(), 4 * 3600)
    got = cache.query("p", prov.query, [q], live2)
    # only the buckets that can still change: fetched less than settle_s after they ended
    assert prov.asked[-1] == (live2.end_s - 11 * 60, live2.end_s, 1)
    assert got["a"].series[0].timestamps == tuple(live2.timestamps())
    assert got["a"].series[0].values == tuple(float(t) for t in live2.timestamps())
    week = live2.shifted(7)
    cache.query("p", prov.query, [q], week)
    assert prov.asked[-1] == (week.start_s, week.end_s + 3600, 1)  # settled: reaches an hour ahead
    n = len(prov.asked)
    for _ in range(30):  # the sliding week-ago window is served from there
        clock.advance(60)
        cache.query("p", prov.query, [q], TimeWindow.ending_at(clock.now(), 4 * 3600).shifted(7))
    assert len(prov.asked) == n


def test_top_n_queries_are_never_merged() -> None:
    clock = FrozenClock(START)
    cache = FetchCache(clock)
    prov = Recording()
    top = MetricQuery("t", "p", "requests", group_by=("function",), limit=5)
    w = TimeWindow.ending_at(clock.now(), 4 * 3600)
    cache.query("p", prov.query, [top], w)
    cache.query("p", prov.query, [top], w)  # the same window while fresh: reused
    assert len(prov.asked) == 1
    clock.advance(60)
    w2 = TimeWindow.ending_at(clock.now(), 4 * 3600)
    cache.query("p", prov.query, [top], w2)
    assert prov.asked[-1] == (w2.start_s, w2.end_s, 1)  # the whole window: ranking is the provider's


def test_merged_ride_along_with_a_full_window_call() -> None:
    clock = FrozenClock(START)
    cache = FetchCache(clock)
    prov = Recording()
    plain, top = (
        MetricQuery("a", "p", "requests"),
        MetricQuery("t", "p", "requests", group_by=("f",), limit=3),
    )
    w = TimeWindow.ending_at(clock.now(), 3600)
    cache.query("p", prov.query, [plain, top], w)
    clock.advance(60)
    w2 = TimeWindow.ending_at(clock.now(), 3600)
    cache.query("p", prov.query, [plain, top], w2)
    assert prov.asked[-1] == (w2.start_s, w2.end_s, 2)  # one call, not two


def test_failures_are_not_cached_and_raise_when_every_call_fails() -> None:
    clock = FrozenClock(START)
    cache = FetchCache(clock)
    prov = Recording()
    q = MetricQuery("a", "p", "requests")
    w = TimeWindow.ending_at(clock.now(), 3600)
    prov.fail = ProviderError("throttled", throttled=True, retry_after_s=30)
    with pytest.raises(ProviderError, match="throttled"):  # the runtime's backoff sees the provider's error
        cache.query("p", prov.query, [q], w)
    prov.fail = None
    got = cache.query("p", prov.query, [q], w)
    assert got["a"].ok and prov.asked[-1] == (w.start_s, w.end_s, 1)


def test_memory_is_bounded() -> None:
    clock = FrozenClock(START)
    cache = FetchCache(clock, max_points=5_000)
    prov = Recording()
    for i in range(50):
        cache.query(
            "p", prov.query, [MetricQuery("a", "p", f"m{i}")], TimeWindow.ending_at(clock.now(), 4 * 3600)
        )
    assert cache.points <= 5_000


def test_settled_windows_outlive_the_poller_in_the_store(tmp_path: object) -> None:
    """A poller that takes over (a new cache on the same store) reads the settled week-ago series back
    instead of asking the provider again; the live window it must fetch."""
    from pathlib import Path

    from srvmon.store.sqlite_store import SqliteStore

    store = SqliteStore(Path(str(tmp_path)) / "s.db")
    clock = FrozenClock(START)
    prov = Recording()
    q = MetricQuery("a", "p", "requests")
    week = TimeWindow.ending_at(clock.now(), 4 * 3600).shifted(7)
    first = FetchCache(clock, backing=store).query("p", prov.query, [q], week)
    assert len(prov.asked) == 1
    clock.advance(60)
    later = FetchCache(clock, backing=store)  # the standby, with an empty memory
    week2 = TimeWindow.ending_at(clock.now(), 4 * 3600).shifted(7)
    got = later.query("p", prov.query, [q], week2)
    assert len(prov.asked) == 1 and later.stats.loaded == 1
    assert got["a"].series[0].timestamps == tuple(week2.timestamps())
    assert got["a"].series[0].values[:-1] == first["a"].series[0].values[1:]
    later.query("p", prov.query, [q], TimeWindow.ending_at(clock.now(), 4 * 3600))
    assert len(prov.asked) == 2  # live data is never taken from the store
    store.close()
