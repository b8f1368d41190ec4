"""The board's time view: named range, zoom, pan, live vs paused, compare overlay (pure state)."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from srvmon.model import RANGES, range_label

RANGE_NAMES: tuple[str, ...] = tuple(RANGES)
MIN_RANGE_S = 15 * 60
MAX_RANGE_S = 90 * 86400
#: Panning forward to within this share of a window from now goes live.
LIVE_SNAP = 0.1


@dataclass(frozen=True)
class ViewState:
    """What window the board shows: `range_s` ending at `end` (None = live, following the clock)."""

    range_name: str = "4h"
    range_s: int = RANGES["4h"]
    end: datetime | None = None
    compare: bool = True

    @classmethod
    def named(cls, name: str, compare: bool = True) -> ViewState:
        name = name if name in RANGES else "4h"
        return cls(name, RANGES[name], None, compare)

    @property
    def live(self) -> bool:
        return self.end is None

    def with_range(self, name: str) -> ViewState:
        """A named range (keeps the paused end, if any)."""
        return replace(self, range_name=name, range_s=RANGES[name])

    def cycle(self) -> ViewState:
        i = RANGE_NAMES.index(self.range_name) if self.range_name in RANGE_NAMES else 0
        return self.with_range(RANGE_NAMES[(i + 1) % len(RANGE_NAMES)])

    def zoom(self, factor: float) -> ViewState:
        """factor < 1 zooms in (shorter window), > 1 out; the window keeps its end."""
        span = int(min(MAX_RANGE_S, max(MIN_RANGE_S, self.range_s * factor)))
        return replace(self, range_s=span)

    def pan(self, fraction: float, now: datetime) -> ViewState:
        """Move the window by `fraction` of its length (negative = into the past); reaching now goes live
        in that one press - also when the clock moved on while paused (within LIVE_SNAP of a window)."""
        end = (self.end or now) + timedelta(seconds=self.range_s * fraction)
        if end >= now - timedelta(seconds=max(60.0, self.range_s * LIVE_SNAP)):
            return replace(self, end=None)
        return replace(self, end=end)

    def to_live(self) -> ViewState:
        """Back to live at the named range."""
        return replace(self, end=None, range_s=RANGES.get(self.range_name, self.range_s))

    def toggle_compare(self) -> ViewState:
        return replace(self, compare=not self.compare)

    def label(self) -> str:
        """'4h', or the zoomed span such as '2h' / '45m' (the same label the Snapshot carries)."""
        if RANGES.get(self.range_name) == self.range_s:
            return self.range_name
        return range_label(self.range_s)

    @staticmethod
    def names() -> tuple[str, ...]:
        return RANGE_NAMES

    def spanning(self, seconds: int, name: str) -> ViewState:
        """A view of exactly `seconds` (a saved, zoomed snapshot)."""
        return replace(self, range_name=name, range_s=int(seconds))
