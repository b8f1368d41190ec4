"""Caches and pacing for change-event sources that are queried by time range (CloudTrail, Activity Log,
alarm history): settled hours are kept and never asked again, the unsettled tail is reused briefly, and
calls to one endpoint are spaced to its documented rate.

An hour is *settled* once it ended more than `settle_s` ago (the source's delivery delay): nothing new
can appear in it. A window is then fetched as at most a few contiguous ranges (the missing settled
hours joined to the tail), and every hour a complete answer covered is stored.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Hashable
from dataclasses import dataclass

from srvmon.model import ChangeEvent

HOUR = 3600
#: Settled hours kept per key (a 35-day window of one source); older ones are dropped first.
MAX_HOURS = 35 * 24
#: Keys (source x account/region x query) kept; the least recently used go first.
MAX_KEYS = 512


@dataclass
class _Tail:
    fetched_at: float  # monotonic
    start_s: int
    end_s: int
    events: tuple[ChangeEvent, ...]


@dataclass
class _Entry:
    hours: OrderedDict[int, tuple[ChangeEvent, ...]]
    tail: _Tail | None = None


class HourCache:
    """Events of one ranged source per key, by settled hour plus a short-lived tail; thread-safe."""

    def __init__(
        self, settle_s: int, fresh_s: float = 60.0, monotonic: Callable[[], float] = time.monotonic
    ) -> None:
        self.settle_s = settle_s
        self.fresh_s = fresh_s
        self._monotonic = monotonic
        self._lock = threading.Lock()
        self._data: OrderedDict[Hashable, _Entry] = OrderedDict()

    def edge(self, now_s: float) -> int:
        """The start of the first unsettled hour: hours before it are settled."""
        return int(now_s - self.settle_s) // HOUR * HOUR

    def missing(self, key: Hashable, start_s: int, end_s: int, now_s: float) -> list[tuple[int, int]]:
        """Ranges [a, b) still to fetch for [start_s, end_s), newest first; [] when all is cached.

        Settled ranges are whole hours (they may reach a little outside the window, so every hour
        fetched can be stored); the unsettled tail runs to `end_s`."""
        edge = self.edge(now_s)
        with self._lock:
            entry = self._data.get(key)
            hours = entry.hours if entry else {}
            tail = entry.tail if entry else None
            runs: list[list[int]] = []
            h = start_s // HOUR * HOUR
            while h < min(end_s, edge):
                if h not in hours:
                    if runs and runs[-1][1] == h:
                        runs[-1][1] = h + HOUR
                    else:
                        runs.append([h, h + HOUR])
                h += HOUR
            if end_s > edge:
                lo = max(start_s, edge)
                fresh = (
                    tail is not None
                    and self._monotonic() - tail.fetched_at < self.fresh_s
                    and tail.start_s <= lo
                    and tail.end_s >= end_s
                )
                if not fresh:
                    if runs and runs[-1][1] >= lo:
                        runs[-1][1] = end_s
                    else:
                        runs.append([lo, end_s])
        return [(a, b) for a, b in reversed(runs)]  # whole settled hours, so each can be stored

    def put(
        self,
        key: Hashable,
        start_s: int,
        end_s: int,
        events: list[ChangeEvent],
        now_s: float,
        *,
        complete_from_s: int | None = None,
    ) -> None:
        """Store a fetch of [start_s, end_s); only [complete_from_s, end_s) is known complete (default: all)."""
        edge = self.edge(now_s)
        done_from = start_s if complete_from_s is None else max(start_s, complete_from_s)
        with self._lock:
            entry = self._data.get(key)
            if entry is None:
                entry = self._data[key] = _Entry(OrderedDict())
            self._data.move_to_end(key)
            h = -(-done_from // HOUR) * HOUR  # the first whole hour inside the complete part
            while h + HOUR <= min(end_s, edge):
                entry.hours[h] = tuple(e for e in events if h <= e.time.timestamp() < h + HOUR)
                h += HOUR
            entry.hours = OrderedDict(sorted(entry.hours.items()))
            while len(entry.hours) > MAX_HOURS:
                entry.hours.popitem(last=False)
            if end_s > edge and done_from <= max(start_s, edge):
                lo = max(start_s, edge)
                tail_events = tuple(e for e in events if e.time.timestamp() >= lo)
                entry.tail = _Tail(self._monotonic(), lo, end_s, tail_events)
            while len(self._data) > MAX_KEYS:
                self._data.popitem(last=False)

    def get(self, key: Hashable, start_s: int, end_s: int) -> list[ChangeEvent]:
        """Every cached event of `key` in [start_s, end_s) (settled hours and the tail), oldest first."""
        with self._lock:
            entry = self._data.get(key)
            if entry is None:
                return []
            found: dict[str, ChangeEvent] = {}
            pool = [e for evs in entry.hours.values() for e in evs]
            if entry.tail is not None:
                pool.extend(entry.tail.events)
            for e in pool:
                if start_s <= e.time.timestamp() < end_s:
                    found.setdefault(e.id or f"{e.time.isoformat()}|{e.summary}", e)
        return sorted(found.values(), key=lambda e: (e.time, e.id))


class RateLimiter:
    """Spaces calls to at most `per_s` a second (shared by threads); the wait happens in the caller."""

    def __init__(
        self,
        per_s: float,
        monotonic: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.interval = 1.0 / per_s
        self._monotonic = monotonic
        self._sleep = sleep
        self._lock = threading.Lock()
        self._next = 0.0

    def wait(self) -> float:
        """Block until the next call may go; returns how long it waited."""
        with self._lock:
            now = self._monotonic()
            at = max(now, self._next)
            self._next = at + self.interval
        delay = at - now
        if delay > 0:
            self._sleep(delay)
        return delay
