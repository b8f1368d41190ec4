"""In-memory cache of settled CloudWatch datapoints (windows ending ≥ SETTLE_S ago never change again).

Week-ago compare windows slide by one step per refresh; fetching them with a forward horizon and serving
the next refreshes from here makes a steady 60 s refresh pay only for the windows that still move."""

from __future__ import annotations

import math
import threading
from array import array
from collections import OrderedDict
from collections.abc import Hashable, Sequence
from datetime import datetime

from srvmon.model import TimeWindow

#: A bucket ending this long before now is settled: CloudWatch will not change it any more.
SETTLE_S = 600
#: Entries (one per MetricStat and step) kept; least recently used ones are dropped beyond this.
MAX_ENTRIES = 50_000


def horizon_s(step_s: int) -> int:
    """How far past a settled window its fetch reaches (1 h, or 12 steps for coarse windows)."""
    return max(3600, 12 * step_s)


def is_settled(window: TimeWindow, now: datetime) -> bool:
    return now.timestamp() - window.end_s >= SETTLE_S


def extended(window: TimeWindow, now: datetime) -> TimeWindow:
    """The window to fetch for a settled `window`: the same start, reaching forward to the horizon but
    never past the settled edge."""
    step = window.step_s
    edge = int(now.timestamp() - SETTLE_S) // step * step
    end_s = max(window.end_s, min(window.end_s + horizon_s(step), edge))
    return TimeWindow(window.start, datetime.fromtimestamp(end_s, window.start.tzinfo), step)


class SettledCache:
    """key -> (start_s, step, values as doubles with NaN for gaps); thread-safe, LRU-bounded."""

    def __init__(self, max_entries: int = MAX_ENTRIES) -> None:
        self._lock = threading.Lock()
        self._max = max_entries
        self._data: OrderedDict[tuple[Hashable, int], tuple[int, array[float]]] = OrderedDict()

    def get(self, key: Hashable, window: TimeWindow) -> tuple[float | None, ...] | None:
        with self._lock:
            entry = self._data.get((key, window.step_s))
            if entry is None:
                return None
            start, values = entry
            first = (window.start_s - start) // window.step_s
            if (
                window.start_s < start
                or (window.start_s - start) % window.step_s
                or first + window.points > len(values)
            ):
                return None
            self._data.move_to_end((key, window.step_s))
            return tuple(None if math.isnan(v) else v for v in values[first : first + window.points])

    def put(self, key: Hashable, window: TimeWindow, values: Sequence[float | None]) -> None:
        packed = array("d", (math.nan if v is None else v for v in values))
        with self._lock:
            self._data[(key, window.step_s)] = (window.start_s, packed)
            self._data.move_to_end((key, window.step_s))
            while len(self._data) > self._max:
                self._data.popitem(last=False)

    def __len__(self) -> int:
        return len(self._data)
