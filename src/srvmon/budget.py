"""Per provider instance API budgets (`api_budget = { calls_per_min = N, usd_per_day = X }` in
`[providers.NAME]`): the config model, and the meter that records what each provider spent (from its own
Usage counters) and says how long a refresh must wait to stay within the budget."""

from __future__ import annotations

import math
import threading
from collections import deque
from collections.abc import Mapping
from dataclasses import dataclass

from pydantic import BaseModel, ConfigDict, Field, field_validator

MINUTE_S = 60.0
DAY_S = 86400.0


class ApiBudget(BaseModel):
    """`api_budget = { calls_per_min = 60, usd_per_day = 2.0 }`: what srvmon may spend on this provider."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    calls_per_min: int | None = Field(default=None, ge=1, le=1_000_000)
    """API calls in any 60 s (as the provider counts them); refreshes wait rather than exceed it."""
    usd_per_day: float | None = Field(default=None, gt=0, le=1_000_000)
    """Estimated USD of srvmon's own calls in any 24 h; refreshes wait rather than exceed it."""

    @field_validator("usd_per_day")
    @classmethod
    def _finite(cls, v: float | None) -> float | None:
        if v is not None and not math.isfinite(v):
            raise ValueError("must be a finite number of US dollars, e.g. 5.0")
        return v

    def describe(self) -> str:
        parts = []
        if self.calls_per_min is not None:
            parts.append(f"{self.calls_per_min} calls/min")
        if self.usd_per_day is not None:
            parts.append(f"${self.usd_per_day:g}/day")
        return ", ".join(parts) or "unlimited"


@dataclass(frozen=True, slots=True)
class Spend:
    """What one provider spent in the budget windows at one instant."""

    calls_last_min: int
    usd_last_day: float


class BudgetMeter:
    """Spending per provider over sliding windows (60 s for calls, 24 h for USD). Thread-safe.

    `record` is given the provider's cumulative Usage; the meter keeps the increments, so concurrent
    refreshes never count a call twice."""

    def __init__(self, budgets: Mapping[str, ApiBudget]) -> None:
        self.budgets = {k: v for k, v in budgets.items() if v is not None}
        self._lock = threading.Lock()
        self._seen: dict[str, tuple[int, float]] = {}
        self._calls: dict[str, deque[tuple[float, int]]] = {k: deque() for k in self.budgets}
        self._usd: dict[str, deque[tuple[float, float]]] = {k: deque() for k in self.budgets}

    def __contains__(self, name: object) -> bool:
        return name in self.budgets

    def record(self, name: str, at: float, api_calls: int, usd: float) -> tuple[int, float]:
        """The provider's cumulative counters now; returns the increment since the last record."""
        if name not in self.budgets:
            return 0, 0.0
        with self._lock:
            seen_calls, seen_usd = self._seen.get(name, (api_calls, usd))
            self._seen[name] = (api_calls, usd)
            calls, spent = max(0, api_calls - seen_calls), max(0.0, usd - seen_usd)
            if calls:
                self._calls[name].append((at, calls))
            if spent:
                self._usd[name].append((at, spent))
            return calls, spent

    def start(self, name: str, api_calls: int, usd: float) -> None:
        """The counters before any call is attributed (a provider that already spent before)."""
        with self._lock:
            self._seen.setdefault(name, (api_calls, usd))

    def _trim(self, name: str, now: float) -> None:
        calls, usd = self._calls[name], self._usd[name]
        while calls and calls[0][0] <= now - MINUTE_S:
            calls.popleft()
        while usd and usd[0][0] <= now - DAY_S:
            usd.popleft()

    def spend(self, name: str, now: float) -> Spend:
        if name not in self.budgets:
            return Spend(0, 0.0)
        with self._lock:
            self._trim(name, now)
            return Spend(sum(c for _, c in self._calls[name]), sum(u for _, u in self._usd[name]))

    def wait_s(self, name: str, now: float, calls: int, usd: float = 0.0) -> float:
        """Seconds until `calls` more calls (and `usd` more) fit the budget; 0 when they fit now.

        A refresh that costs more than the whole budget alone waits until nothing was spent within the
        window (it can never fit better), so the budget is exceeded only by that single refresh."""
        budget = self.budgets.get(name)
        if budget is None:
            return 0.0
        with self._lock:
            self._trim(name, now)
            wait = 0.0
            if budget.calls_per_min is not None and calls > 0:
                wait = max(wait, _wait(self._calls[name], now, MINUTE_S, budget.calls_per_min, calls))
            if budget.usd_per_day is not None and usd > 0:
                wait = max(wait, _wait(self._usd[name], now, DAY_S, budget.usd_per_day, usd))
            return wait

    def exhausted(self, name: str, now: float) -> str | None:
        """Why no call may be made now (the window is spent), or None."""
        budget = self.budgets.get(name)
        if budget is None:
            return None
        s = self.spend(name, now)
        if budget.calls_per_min is not None and s.calls_last_min >= budget.calls_per_min:
            return f"API budget of {name!r} spent: {s.calls_last_min} calls in the last minute (api_budget {budget.describe()})"
        if budget.usd_per_day is not None and s.usd_last_day >= budget.usd_per_day:
            return f"API budget of {name!r} spent: ${s.usd_last_day:.4f} in the last 24 h (api_budget {budget.describe()})"
        return None


def _wait(events: deque[tuple[float, float]] | deque[tuple[float, int]], now: float, window: float,
          limit: float, want: float) -> float:  # fmt: skip
    used = sum(v for _, v in events)
    if used + want <= limit or not events:
        return 0.0
    # drop the oldest increments until the new ones fit (or nothing is left in the window)
    for at, v in events:
        used -= v
        if used + want <= limit:
            return max(0.0, at + window - now)
    return max(0.0, events[-1][0] + window - now)
