"""Injectable clocks: the system clock, and a frozen one for tests and reproducible snapshots."""

from __future__ import annotations

import os
from datetime import UTC, datetime, timedelta
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


def parse_instant(text: str) -> datetime:
    """Parse an RFC 3339 / ISO 8601 instant or epoch seconds; naive times are UTC."""
    text = text.strip()
    try:
        return datetime.fromtimestamp(float(text), UTC)
    except ValueError:
        pass
    dt = datetime.fromisoformat(text.replace("Z", "+00:00"))
    return dt if dt.tzinfo else dt.replace(tzinfo=UTC)


def clock_from_env(now: str | None = None) -> Clock:
    """`--now` wins, then `$SRVMON_NOW`, else the system clock."""
    text = now or os.environ.get("SRVMON_NOW")
    return FrozenClock(parse_instant(text)) if text else SystemClock()
