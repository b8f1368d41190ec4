"""Messages the refresh worker posts to the board screen (small dataclasses, one docstring per field)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from textual.message import Message

from srvmon.model import Snapshot
from srvmon.tui.view import ViewState


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
    label: str = ""
    """The range label the view shows ("4h", or a zoomed "2h")."""


@dataclass
class SnapshotReady(Message):
    """A refresh finished with a snapshot."""

    request: FetchRequest
    """The request this answers."""
    snapshot: Snapshot
    """The new board data."""
    prepared: Mapping[str, Any] = field(default_factory=dict)
    """Panel id -> a chart the worker built ahead (plain data: key, panel, content), swapped in if it fits."""
    view: ViewState | None = None
    """The view the request was made for (the header says 'loading' while a newer one is on its way)."""


@dataclass
class SnapshotPartial(Message):
    """A refresh still running: the panels of the providers that have answered (the others are left out)."""

    request: FetchRequest
    """The request this is part of."""
    snapshot: Snapshot
    """The answered panels only."""


@dataclass
class FetchFailed(Message):
    """A refresh failed as a whole (panels keep their last values and are marked stale)."""

    request: FetchRequest
    """The request that failed."""
    error: str
    """Why, shown in the status bar."""
