"""Per-provider worker pools: a fixed set of daemon threads each, so one stuck provider never delays another
and quitting never waits for a stuck call (a daemon thread does not hold the process at exit)."""

from __future__ import annotations

import contextlib
import queue
import threading
from collections.abc import Callable
from concurrent.futures import Future
from typing import Any

#: Threads per provider instance: the calls of one refresh run side by side.
POOL_SIZE = 6
#: Calls queued or running beyond which a provider is "busy" (earlier calls still stuck): new calls are
#: refused instead of piling up, so threads and memory stay bounded however long a server stalls.
MAX_PENDING = 3 * POOL_SIZE


class PoolBusy(Exception):
    """The pool has MAX_PENDING calls waiting or running already."""


class ProviderPool:
    """Runs one provider's calls on its own daemon threads (started on first use)."""

    def __init__(self, name: str, size: int = POOL_SIZE, max_pending: int = MAX_PENDING) -> None:
        self.name = name
        self.size = size
        self.max_pending = max_pending
        self._queue: queue.SimpleQueue[tuple[Future[Any], Callable[[], Any]] | None] = queue.SimpleQueue()
        self._lock = threading.Lock()
        self._threads: list[threading.Thread] = []
        self._pending = 0
        self._closed = False

    @property
    def pending(self) -> int:
        """Calls queued or running now."""
        with self._lock:
            return self._pending

    def submit(self, fn: Callable[[], Any]) -> Future[Any]:
        with self._lock:
            if self._closed:
                raise RuntimeError(f"pool {self.name!r} is closed")
            if self._pending >= self.max_pending:
                raise PoolBusy(f"{self._pending} earlier calls to {self.name!r} are still running")
            self._pending += 1
            if len(self._threads) < min(self.size, self._pending):
                t = threading.Thread(target=self._work, name=f"srvmon-{self.name}-{len(self._threads)}",
                                     daemon=True)  # fmt: skip
                self._threads.append(t)
                t.start()
        fut: Future[Any] = Future()
        self._queue.put((fut, fn))
        return fut

    def _work(self) -> None:
        while True:
            item = self._queue.get()
            if item is None:
                return
            fut, fn = item
            try:
                if fut.set_running_or_notify_cancel():
                    try:
                        fut.set_result(fn())
                    except BaseException as exc:  # delivered to the waiter
                        fut.set_exception(exc)
            finally:
                with self._lock:
                    self._pending -= 1

    def close(self) -> None:
        """Stop accepting calls; idle threads end, stuck ones are left to finish (never waited for)."""
        with self._lock:
            if self._closed:
                return
            self._closed = True
            count = len(self._threads)
        for _ in range(count):
            with contextlib.suppress(Exception):
                self._queue.put(None)

    @property
    def threads(self) -> int:
        with self._lock:
            return len(self._threads)
