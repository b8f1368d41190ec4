"""Snapshot sources a board screen shows (the core Poller, a saved Snapshot), the no-overlap scheduler, and
`in_background`: work on a daemon thread that posts its result, so quitting never waits for it."""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from srvmon.model import Snapshot
from srvmon.tui.messages import FetchRequest


class SnapshotSource(Protocol):
    """What a board screen needs: srvmon.poll.Poller, or a fixed snapshot.

    A source whose `reports_progress` is true also takes `progress=callback` in `poll()` and hands over the
    panels of the providers that answered while others are still running (srvmon.poll.Poller does)."""

    def poll(self, *, range_s: int | None = None, end: datetime | None = None, compare: bool = True,
             force: bool = False, range_label: str | None = None) -> Snapshot: ...  # fmt: skip

    def close(self) -> None: ...


class StaticSource:
    """Always answers with the same snapshot (a saved snapshot, headless export, tests)."""

    def __init__(self, snapshot: Snapshot) -> None:
        self.snapshot = snapshot
        self.calls = 0

    def poll(self, *, range_s: int | None = None, end: datetime | None = None, compare: bool = True,
             force: bool = False, range_label: str | None = None) -> Snapshot:  # fmt: skip
        self.calls += 1
        return self.snapshot

    def close(self) -> None:
        pass


class PrefetchedSource:
    """Starts the first poll in a daemon thread at once (while Textual starts up); the first matching
    `poll()` takes that result instead of fetching again. Later polls go straight to the inner source."""

    def __init__(self, inner: SnapshotSource, *, range_s: int, compare: bool) -> None:
        self.inner = inner
        self._args = (range_s, compare)
        self._result: Snapshot | None = None
        self._error: BaseException | None = None
        self._used = False
        self._done = threading.Event()
        self._lock = threading.Lock()
        self._latest: Snapshot | None = None
        self._listener: Callable[[Snapshot], None] | None = None
        threading.Thread(target=self._run, name="srvmon-prefetch", daemon=True).start()

    def _run(self) -> None:
        try:
            kw: dict[str, Any] = {"progress": self._partial} if self.reports_progress else {}
            self._result = self.inner.poll(range_s=self._args[0], end=None, compare=self._args[1], **kw)
        except BaseException as exc:  # re-raised in the caller's thread
            self._error = exc
        finally:
            self._done.set()

    def _partial(self, snapshot: Snapshot) -> None:
        """The prefetch's own progress: kept, and handed to the board once it asks (see poll)."""
        with self._lock:
            self._latest = snapshot
            listener = self._listener
        if listener is not None:
            listener(snapshot)

    def take(self) -> Snapshot | None:
        """The prefetched snapshot if it is ready (it then counts as the first poll), else None."""
        if self._used or not self._done.is_set() or self._error is not None:
            return None
        self._used = True
        return self._result

    @property
    def ready(self) -> bool:
        return self._done.is_set()

    @property
    def reports_progress(self) -> bool:
        return bool(getattr(self.inner, "reports_progress", False))

    def poll(self, *, range_s: int | None = None, end: datetime | None = None, compare: bool = True,
             force: bool = False, range_label: str | None = None,
             progress: Callable[[Snapshot], None] | None = None) -> Snapshot:  # fmt: skip
        if not self._used:
            self._used = True
            if progress is not None:  # what the prefetch has so far, and what it gets while it runs
                with self._lock:
                    self._listener, latest = progress, self._latest
                if latest is not None:
                    progress(latest)
            self._done.wait()
            with self._lock:
                self._listener = None
            if (range_s, compare) == self._args and end is None and not force:
                if self._error is not None:
                    raise self._error
                assert self._result is not None
                return self._result
        if progress is not None and self.reports_progress:
            return self.inner.poll(range_s=range_s, end=end, compare=compare, force=force,  # type: ignore[call-arg]
                                   range_label=range_label, progress=progress)  # fmt: skip
        return self.inner.poll(
            range_s=range_s, end=end, compare=compare, force=force, range_label=range_label
        )

    def close(self) -> None:
        self.inner.close()


def in_background(
    name: str, work: Callable[[], Any], done: Callable[[Any, BaseException | None], None]
) -> None:
    """Run `work` on a daemon thread, then `done(result, error)` on that thread (it should only post a
    message). Daemon: the process never waits for it at exit, so `q` never hangs on a stuck provider."""

    def run() -> None:
        try:
            result = work()
        except Exception as exc:  # reported to the UI, never raised in the thread
            done(None, exc)
        else:
            done(result, None)

    threading.Thread(target=run, name=f"srvmon-{name}", daemon=True).start()


@dataclass
class Scheduler:
    """Decides when to fetch so refreshes never overlap.

    `want()` asks for a fetch; if one is in flight it is remembered and started when that finishes
    (`take_pending()` after `done()`), else the caller re-arms its interval timer.
    """

    generation: int = 0
    in_flight: FetchRequest | None = None
    pending: bool = False
    pending_force: bool = False

    def bump(self) -> None:
        """The view changed: results of older requests are now stale."""
        self.generation += 1

    def want(self, range_s: int, end: datetime | None, compare: bool, force: bool = False,
             label: str = "") -> FetchRequest | None:  # fmt: skip
        if self.in_flight is not None:
            self.pending = True
            self.pending_force = self.pending_force or force
            return None
        self.in_flight = FetchRequest(self.generation, range_s, end, compare, force, label)
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


@dataclass(frozen=True)
class Recent:
    """A live view's last applied snapshot and the charts prepared for it (used only where they still fit)."""

    snapshot: Snapshot
    prepared: Any
    at: datetime


class RecentViews:
    """The last snapshot of each recently shown live view (range and compare), so flipping back to a view
    shows what was on screen moments ago at once instead of polling the providers again. An entry is
    reused only while it is younger than the board's refresh interval (no older than the live board's own
    data would be) and only for a live view (a paused window is always fetched); a few entries at most."""

    def __init__(self, keep: int = 4) -> None:
        self.keep = keep
        self._entries: dict[tuple[int, bool], Recent] = {}

    def remember(self, range_s: int, compare: bool, entry: Recent) -> None:
        key = (range_s, compare)
        self._entries.pop(key, None)
        self._entries[key] = entry
        while len(self._entries) > self.keep:
            del self._entries[next(iter(self._entries))]

    def fresh(self, range_s: int, compare: bool, now: datetime, max_age_s: float) -> Recent | None:
        entry = self._entries.get((range_s, compare))
        if entry is None:
            return None
        age = (now - entry.at).total_seconds()
        return entry if 0 <= age < max_age_s else None
