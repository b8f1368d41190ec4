"""Client-side pacing for cloud APIs with published rate limits: a token bucket and retry with backoff.

`RateLimiter` keeps a client under a vendor's calls-per-second limit (Alibaba CloudMonitor: 50/s per
operation; OCI Monitoring: 10 TPS per tenancy) so srvmon is not the reason the account is throttled.
`Retry` re-sends a call the server throttled (or failed with a transient 5xx) after an exponential
backoff, honouring the server's Retry-After, and gives up when the wait would pass the call's deadline:
the ProviderError then carries `throttled=True` so the poller backs off harder.

Both take injectable `clock`/`sleep` so tests observe the waits instead of sleeping.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TypeVar

from srvmon.providers.base import ProviderError

T = TypeVar("T")

#: Statuses worth one more try: the server (or a proxy) failed transiently.
TRANSIENT_STATUSES = frozenset({500, 502, 503, 504})


class RateLimiter:
    """A thread-safe token bucket: `rate_per_s` tokens a second, at most `burst` saved up."""

    def __init__(
        self,
        rate_per_s: float,
        burst: int | None = None,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        if rate_per_s <= 0:
            raise ValueError("rate_per_s must be > 0")
        self.rate = float(rate_per_s)
        self.burst = float(burst if burst is not None else max(1, int(rate_per_s)))
        self._clock = clock
        self._sleep = sleep
        self._tokens = self.burst
        self._stamp = clock()
        self._lock = threading.Lock()

    def acquire(self, deadline: float | None = None) -> None:
        """Take one token, waiting for it when the bucket is empty.

        `deadline` is a `clock()` value: a wait that would pass it raises ProviderError(throttled=True)
        instead of blocking (the caller's own time budget is the limit)."""
        while True:
            with self._lock:
                now = self._clock()
                self._tokens = min(self.burst, self._tokens + (now - self._stamp) * self.rate)
                self._stamp = now
                if self._tokens >= 1.0 - 1e-9:  # tolerance: float refills land a hair under 1
                    self._tokens = max(0.0, self._tokens - 1.0)
                    return
                wait = (1.0 - self._tokens) / self.rate
            if deadline is not None and now + wait > deadline:
                raise ProviderError(
                    f"client-side rate limit ({self.rate:g} calls/s) reached: no call slot before the deadline",
                    throttled=True,
                )
            self._sleep(wait)


def is_retryable(exc: ProviderError) -> bool:
    """Throttling, or a transient server failure (5xx) on a call that did reach the server."""
    if exc.throttled:
        return True
    status = getattr(exc, "status", None)
    return status in TRANSIENT_STATUSES


@dataclass
class Retry:
    """Retries `is_retryable` failures: waits base_s, 2*base_s, 4*base_s... (or the server's Retry-After)."""

    retries: int = 2
    """Extra attempts after the first."""
    base_s: float = 0.5
    """The first wait; each further wait doubles."""
    max_s: float = 8.0
    """The longest single wait srvmon makes inline (a longer Retry-After is left to the poller)."""
    clock: Callable[[], float] = time.monotonic
    sleep: Callable[[float], None] = time.sleep
    waits: list[float] = field(default_factory=list)
    """Every wait made (for usage and tests); trimmed to the last 100."""

    def call(self, fn: Callable[[], T], *, deadline: float | None = None) -> T:
        """Run `fn`; retry it while it raises a retryable ProviderError and the wait fits before `deadline`."""
        attempt = 0
        while True:
            try:
                return fn()
            except ProviderError as exc:
                if attempt >= self.retries or not is_retryable(exc):
                    raise
                wait = exc.retry_after_s if exc.retry_after_s is not None else self.base_s * 2**attempt
                if wait > self.max_s or (deadline is not None and self.clock() + wait > deadline):
                    raise
                self.waits.append(wait)
                del self.waits[:-100]
                self.sleep(wait)
                attempt += 1
