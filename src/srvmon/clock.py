"""Injectable clocks: the system clock, and a frozen one for tests and reproducible snapshots."""

from __future__ import annotations

import math
import os
from datetime import UTC, datetime, timedelta, tzinfo
from typing import Protocol


class Clock(Protocol):
    def now(self) -> datetime:
        """The current time, timezone-aware UTC."""
        ...


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(UTC)


class FrozenClock:
    """A clock that only moves when told to (tests, `--now`, `SRVMON_NOW`)."""

    def __init__(self, at: datetime) -> None:
        if at.tzinfo is None:
            at = at.replace(tzinfo=UTC)
        self._at = at.astimezone(UTC)

    def now(self) -> datetime:
        return self._at

    def advance(self, seconds: float) -> None:
        self._at += timedelta(seconds=seconds)

    def set(self, at: datetime) -> None:
        self._at = at.astimezone(UTC)


#: Instants srvmon accepts for --now / $SRVMON_NOW (windows reach back months from them).
EARLIEST = datetime(2000, 1, 1, tzinfo=UTC)
LATEST = datetime(2200, 1, 1, tzinfo=UTC)


def parse_instant(text: str) -> datetime:
    """Parse an RFC 3339 / ISO 8601 instant or epoch seconds; naive times are UTC. ValueError says why."""
    text = text.strip()
    try:
        seconds = float(text)
    except ValueError:
        try:
            dt = datetime.fromisoformat(text.replace("Z", "+00:00"))
        except ValueError:
            raise ValueError(f"{text!r} is not a time") from None
        dt = dt if dt.tzinfo else dt.replace(tzinfo=UTC)
    else:
        if not math.isfinite(seconds):
            raise ValueError(f"{text!r} is not a finite number of seconds")
        if not EARLIEST.timestamp() <= seconds <= LATEST.timestamp():
            raise ValueError(f"{text!r} is outside {EARLIEST:%Y} to {LATEST:%Y}")
        dt = datetime.fromtimestamp(seconds, UTC)
    if not EARLIEST <= dt <= LATEST:
        raise ValueError(f"{text!r} is outside {EARLIEST:%Y} to {LATEST:%Y}")
    return dt.astimezone(UTC)


def zone(name: str | None) -> tzinfo | None:
    """Settings timezone -> tzinfo ('local' -> None, meaning the system's local zone)."""
    if not name or name == "local":
        return None
    if name == "UTC":
        return UTC
    from zoneinfo import ZoneInfo

    return ZoneInfo(name)


def clock_from_env(now: str | None = None) -> Clock:
    """`--now` wins, then `$SRVMON_NOW`, else the system clock."""
    text = now or os.environ.get("SRVMON_NOW")
    return FrozenClock(parse_instant(text)) if text else SystemClock()
