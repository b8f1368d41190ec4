"""The GraphQL query budget: Cloudflare allows 300 queries per 5 minutes per user; srvmon stays under it.

A sliding 5-minute window of spent queries, shared by every provider instance that uses the same user's
token (keyed by endpoint and a hash of the token, never the token itself), plus a "blocked until" set
when Cloudflare itself says the budget is depleted (429 with Retry-After, or a rate-limit error in a
200 GraphQL body). A request is refused *before* it is sent when it would overspend.
"""

from __future__ import annotations

import hashlib
import threading
from collections import deque
from dataclasses import dataclass, field

#: Cloudflare's window for the GraphQL user quota.
WINDOW_S = 300.0


@dataclass
class _Shared:
    lock: threading.Lock = field(default_factory=threading.Lock)
    spent: deque[tuple[float, int]] = field(default_factory=deque)  # (epoch s, queries)
    blocked_until: float = 0.0
    blocked_why: str = ""


_REGISTRY: dict[str, _Shared] = {}
_REGISTRY_LOCK = threading.Lock()


def _shared(key: str) -> _Shared:
    with _REGISTRY_LOCK:
        return _REGISTRY.setdefault(key, _Shared())


def budget_key(endpoint: str, token: str) -> str:
    """Identity of one Cloudflare user's quota: the endpoint and a digest of the token."""
    return endpoint + "#" + hashlib.sha256(token.encode()).hexdigest()[:16]


@dataclass(frozen=True, slots=True)
class Refusal:
    """Why a request was not sent, and when to try again (seconds from now)."""

    message: str
    retry_after_s: float


class QueryBudget:
    """At most `limit` GraphQL queries per WINDOW_S for one user; thread-safe."""

    def __init__(self, key: str, limit: int) -> None:
        self.key = key
        self.limit = limit
        self._s = _shared(key)

    def _expire(self, now: float) -> None:
        while self._s.spent and self._s.spent[0][0] <= now - WINDOW_S:
            self._s.spent.popleft()

    def used(self, now: float) -> int:
        with self._s.lock:
            self._expire(now)
            return sum(n for _, n in self._s.spent)

    def left(self, now: float) -> int:
        return max(0, self.limit - self.used(now))

    def acquire(self, n: int, now: float) -> Refusal | None:
        """Spend `n` queries now, or say why not (blocked by Cloudflare, or over the budget)."""
        with self._s.lock:
            if now < self._s.blocked_until:
                wait = self._s.blocked_until - now
                return Refusal(f"{self._s.blocked_why}; srvmon waits {wait:.0f}s before asking again", wait)
            self._expire(now)
            used = sum(k for _, k in self._s.spent)
            if used + n > self.limit:
                wait = self._wait_for(used + n - self.limit, now)
                return Refusal(
                    f"Cloudflare GraphQL budget: {used} of {self.limit} queries spent in the last 5 min "
                    f"(Cloudflare allows 300 per user); {n} more would overspend, next in {wait:.0f}s "
                    "(raise query_budget, refresh less often, or show fewer panels)",
                    wait,
                )
            self._s.spent.append((now, n))
            return None

    def _wait_for(self, excess: int, now: float) -> float:
        freed = 0
        for at, k in self._s.spent:
            freed += k
            if freed >= excess:
                return max(1.0, at + WINDOW_S - now)
        return WINDOW_S

    def block(self, seconds: float, why: str, now: float) -> None:
        """Cloudflare said stop: send nothing for `seconds` (the longest block wins)."""
        with self._s.lock:
            until = now + max(1.0, seconds)
            if until > self._s.blocked_until:
                self._s.blocked_until = until
                self._s.blocked_why = why
