"""View-independent provider answers shared by the views of one poll cycle: alarms and limits (the
account's state now) and cost (per window). `srvmon serve` polls several views of a board within
seconds of each other; asking the provider again for the same alarms would only spend the budget."""

from __future__ import annotations

import threading
from collections.abc import Callable, Hashable
from typing import Any

from srvmon.clock import Clock
from srvmon.model import Alarm, CostItem, Limit, TimeWindow
from srvmon.providers.base import Provider
from srvmon.runtime import Runtime

#: An answer is shared for this long (the views of one cycle are polled within a few seconds).
SHARE_S = 20.0


class SharedProvider:
    """Wraps a provider: alarms(), limits() and cost(window) answers are reused for `share_s`; every other
    attribute is the provider's own. Failures are never shared."""

    def __init__(self, inner: Provider, clock: Clock, share_s: float = SHARE_S) -> None:
        self.inner = inner
        self.clock = clock
        self.share_s = share_s
        self._lock = threading.Lock()
        self._answers: dict[Hashable, tuple[float, Any]] = {}

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)

    def _shared(self, key: Hashable, call: Callable[[], Any]) -> Any:
        now = self.clock.now().timestamp()
        with self._lock:
            got = self._answers.get(key)
            if got is not None and 0 <= now - got[0] <= self.share_s:
                return got[1]
        answer = call()
        with self._lock:
            self._answers = {k: v for k, v in self._answers.items() if now - v[0] <= self.share_s}
            self._answers[key] = (now, answer)
        return answer

    def alarms(self) -> list[Alarm]:
        return list(self._shared("alarms", self.inner.alarms))

    def limits(self) -> list[Limit]:
        return list(self._shared("limits", self.inner.limits))

    def cost(self, window: TimeWindow) -> list[CostItem]:
        return list(self._shared(("cost", window), lambda: self.inner.cost(window)))


def share_answers(runtime: Runtime, clock: Clock, share_s: float = SHARE_S) -> None:
    """Put every provider of `runtime` behind a SharedProvider (the runtime still closes the real ones)."""
    for name, provider in list(runtime.providers.items()):
        if not isinstance(provider, SharedProvider):
            runtime.providers[name] = SharedProvider(provider, clock, share_s)  # type: ignore[assignment]
