"""Snapshot sources the board polls (the core Poller, or a fixed Snapshot) and the no-overlap scheduler."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from srvmon.model import Snapshot
from srvmon.tui.messages import FetchRequest


class SnapshotSource(Protocol):
    """What the board needs from srvmon.poll.Poller."""

    def poll(
        self,
        range_s: int | None = None,
        end: datetime | None = None,
        compare: bool = True,
        force: bool = False,
    ) -> Snapshot: ...

    def close(self) -> None: ...


class StaticSource:
    """Always answers with the same snapshot (headless export, tests)."""

    def __init__(self, snapshot: Snapshot) -> None:
        self.snapshot = snapshot
        self.calls = 0

    def poll(
        self,
        range_s: int | None = None,
        end: datetime | None = None,
        compare: bool = True,
        force: bool = False,
    ) -> Snapshot:
        self.calls += 1
        return self.snapshot

    def close(self) -> None:
        pass


class PrefetchedSource:
    """Starts the first poll in a thread immediately (while Textual starts up); the first matching
    `poll()` takes that result instead of fetching again. Later polls go straight to the inner source."""

    def __init__(self, inner: SnapshotSource, *, range_s: int, compare: bool) -> None:
        import threading

        self.inner = inner
        self._args = (range_s, compare)
        self._result: Snapshot | None = None
        self._error: BaseException | None = None
        self._used = False
        self._thread = threading.Thread(target=self._run, name="srvmon-prefetch", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        try:
            self._result = self.inner.poll(range_s=self._args[0], end=None, compare=self._args[1])
        except BaseException as exc:  # re-raised in the caller's thread
            self._error = exc

    def poll(
        self,
        range_s: int | None = None,
        end: datetime | None = None,
        compare: bool = True,
        force: bool = False,
    ) -> Snapshot:
        if not self._used:
            self._used = True
            self._thread.join()
            if (range_s, compare) == self._args and end is None and not force:
                if self._error is not None:
                    raise self._error
                assert self._result is not None
                return self._result
        return self.inner.poll(range_s=range_s, end=end, compare=compare, force=force)

    def close(self) -> None:
        self.inner.close()


@dataclass
class Scheduler:
    """Decides when to fetch so refreshes never overlap.

    `want()` asks for a fetch; if one is in flight it is remembered and started when that finishes
    (`done()` returns the follow-up request, or None: then the caller re-arms its interval timer).
    """

    generation: int = 0
    in_flight: FetchRequest | None = None
    pending: bool = False
    pending_force: bool = False

    def bump(self) -> None:
        """The view changed: results of older requests are now stale."""
        self.generation += 1

    def want(
        self, range_s: int, end: datetime | None, compare: bool, force: bool = False
    ) -> FetchRequest | None:
        if self.in_flight is not None:
            self.pending = True
            self.pending_force = self.pending_force or force
            return None
        self.in_flight = FetchRequest(self.generation, range_s, end, compare, force)
        return self.in_flight

    def done(self, request: FetchRequest) -> bool:
        """Mark `request` finished; True when its result is current (should be applied)."""
        if self.in_flight is request:
            self.in_flight = None
        return request.generation == self.generation

    def take_pending(self) -> tuple[bool, bool]:
        """(a follow-up fetch is wanted, forced)."""
        wanted, force = self.pending, self.pending_force
        self.pending = self.pending_force = False
        return wanted, force
