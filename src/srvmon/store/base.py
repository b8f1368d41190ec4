"""The snapshot store contract shared by `srvmon serve` (writes) and its viewers (read, ask): snapshots per
board view as the schema-1 JSON, demands, status records and leases. SQLite and Redis implement it."""

from __future__ import annotations

import json
from abc import ABC, abstractmethod
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from srvmon.model import Snapshot, TimeWindow

#: Status records kinds: one per `srvmon serve` instance, one per connected viewer.
POLLER, VIEWER = "poller", "viewer"


@dataclass(frozen=True, slots=True)
class ViewKey:
    """What a viewer looks at: a board, a window length, a fixed end (None = live) and compare on/off.

    Every viewer with the same key shares one stored snapshot; a paused end is aligned to its step first so
    viewers paused within one bucket share it too."""

    board: str
    range_s: int
    #: Epoch seconds of the (step-aligned) window end, or None for live.
    end_s: int | None = None
    compare: bool = True

    @classmethod
    def of(cls, board: str, range_s: int, end: datetime | None, compare: bool) -> ViewKey:
        end_s = None if end is None else TimeWindow.ending_at(end, range_s).end_s
        return cls(board, int(range_s), end_s, bool(compare))

    @property
    def live(self) -> bool:
        return self.end_s is None

    @property
    def end(self) -> datetime | None:
        return None if self.end_s is None else datetime.fromtimestamp(self.end_s, UTC)

    def order(self) -> tuple[str, int, int, bool]:
        """Sort order: board, range, live before paused, compare on first."""
        return (self.board, self.range_s, -1 if self.end_s is None else self.end_s, not self.compare)

    def text(self) -> str:
        """A stable string form (JSON): store keys and channel messages."""
        return json.dumps([self.board, self.range_s, self.end_s, self.compare], separators=(",", ":"))

    @classmethod
    def parse(cls, text: str) -> ViewKey:
        board, range_s, end_s, compare = json.loads(text)
        return cls(str(board), int(range_s), None if end_s is None else int(end_s), bool(compare))


def snapshot_text(snapshot: Snapshot, version: str) -> str:
    """The schema-1 JSON document of `snapshot` (srvmon.codec), compact: a third of the pretty size and
    three times faster to read back, which every viewer does on every refresh. ASCII-only, so inert."""
    from srvmon.codec import snapshot_dict

    return json.dumps(
        snapshot_dict(snapshot, version), separators=(",", ":"), ensure_ascii=True, allow_nan=False
    )


@dataclass(frozen=True, slots=True)
class Stored:
    """One stored snapshot: its sequence number (grows with every write), when it was written, the JSON."""

    key: ViewKey
    seq: int
    written_at: float
    text: str

    def snapshot(self) -> Snapshot:
        from srvmon.codec import loads

        return loads(self.text)


@dataclass(frozen=True, slots=True)
class Demand:
    """A viewer wants `key` (renewed while it looks at it); `force_at` is its last `r` (refresh now)."""

    key: ViewKey
    viewer: str
    at: float
    force_at: float | None = None


@dataclass(frozen=True, slots=True)
class Lease:
    holder: str
    #: Seconds until it expires unless renewed.
    expires_in: float


class StoreError(Exception):
    """The store cannot be opened or used; the message says which and how to fix it."""


class Store(ABC):
    """Thread-safe. Times are epoch seconds from the caller's clock (Redis leases use the server's clock)."""

    url: str

    # -- boards ---------------------------------------------------------------------------------
    @abstractmethod
    def put_boards(self, doc: Mapping[str, Any]) -> None:
        """The catalog viewers open: every board's layout (srvmon.store.catalog)."""

    @abstractmethod
    def boards(self) -> Mapping[str, Any] | None: ...

    # -- snapshots ------------------------------------------------------------------------------
    @abstractmethod
    def put_snapshot(self, key: ViewKey, text: str, at: float) -> int:
        """Store the latest snapshot of `key` (schema-1 JSON) and notify viewers; returns its seq."""

    @abstractmethod
    def latest(self, key: ViewKey) -> Stored | None: ...

    @abstractmethod
    def head(self) -> int:
        """The seq of the newest write (0 before any)."""

    @abstractmethod
    def changed_since(self, seq: int) -> list[tuple[int, ViewKey]]:
        """Keys written after `seq`, oldest first."""

    @abstractmethod
    def wait_change(self, seq: int, timeout_s: float) -> int:
        """Block until a snapshot newer than `seq` is written or `timeout_s` passes; the current head."""

    @abstractmethod
    def drop_snapshots(self, keep: set[ViewKey] | None, older_than: float) -> int:
        """Remove snapshots written before `older_than` whose key is not in `keep`; how many."""

    # -- series (settled windows of the fetch cache, at the resolutions fetched) -------------------
    @abstractmethod
    def put_series(self, name: str, doc: str, at: float, ttl_s: float) -> None:
        """Keep one cached series entry (JSON) for `ttl_s`: another poller taking over starts from it."""

    @abstractmethod
    def get_series(self, name: str, now: float) -> str | None: ...

    # -- demands --------------------------------------------------------------------------------
    @abstractmethod
    def demand(self, key: ViewKey, viewer: str, at: float, force: bool = False) -> None: ...

    @abstractmethod
    def demands(self, since: float) -> list[Demand]:
        """Demands renewed at or after `since` (older ones are dropped)."""

    # -- status ---------------------------------------------------------------------------------
    @abstractmethod
    def put_status(self, kind: str, ident: str, doc: Mapping[str, Any], at: float, ttl_s: float) -> None: ...

    @abstractmethod
    def statuses(self, kind: str, now: float) -> list[dict[str, Any]]:
        """Unexpired status records of `kind`."""

    @abstractmethod
    def drop_status(self, kind: str, ident: str) -> None: ...

    # -- leases ---------------------------------------------------------------------------------
    @abstractmethod
    def acquire(self, name: str, holder: str, ttl_s: float, now: float) -> bool:
        """Take or renew the lease `name` for `ttl_s`; False while another holder has it."""

    @abstractmethod
    def release(self, name: str, holder: str) -> None: ...

    @abstractmethod
    def lease(self, name: str, now: float) -> Lease | None: ...

    def close(self) -> None:  # noqa: B027 - optional for stores that hold nothing
        """Release connections (idempotent)."""
