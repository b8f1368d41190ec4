"""Messages the refresh worker posts to the board screen (small dataclasses, one docstring per field)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from textual.message import Message

from srvmon.model import Snapshot


@dataclass(frozen=True)
class FetchRequest:
    """What one refresh asks the snapshot source for."""

    generation: int
    """Bumped whenever the view changes; results of an older generation are dropped."""
    range_s: int
    """Window length in seconds."""
    end: datetime | None
    """Window end, or None for live (now)."""
    compare: bool
    """Fetch the compare (week-ago) overlay too."""
    force: bool = False
    """Bypass any cache in the source (the `r` key)."""


@dataclass
class SnapshotReady(Message):
    """A refresh finished with a snapshot."""

    request: FetchRequest
    """The request this answers."""
    snapshot: Snapshot
    """The new board data."""


@dataclass
class FetchFailed(Message):
    """A refresh failed as a whole (panels keep their last values and are marked stale)."""

    request: FetchRequest
    """The request that failed."""
    error: str
    """Why, shown in the status bar."""


@dataclass
class ViewChanged(Message):
    """The range, window end or compare overlay changed: refetch now."""

    reason: str
    """Short text for the notification (e.g. 'range 1d')."""
