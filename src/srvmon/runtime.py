"""The providers of a config at run time: one worker pool and one backoff per provider instance, shared by
every board; each batch of calls runs under the refresh deadline, which the process honours."""

from __future__ import annotations

import contextlib
import math
import threading
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, wait
from dataclasses import dataclass, field
from typing import Any

from srvmon.budget import ApiBudget, BudgetMeter
from srvmon.clock import Clock
from srvmon.needs import Failed
from srvmon.providers.base import NotSupported, Provider, ProviderError
from srvmon.workers import POOL_SIZE, PoolBusy, ProviderPool

BACKOFF_BASE_S = 5.0
BACKOFF_MAX_S = 300.0


@dataclass
class Backoff:
    failures: int = 0
    #: Epoch seconds (on the injected clock) before which the provider is not called again.
    retry_at: float = 0.0
    reason: str = ""


@dataclass(frozen=True)
class Call:
    """One provider call of a refresh."""

    provider: str
    fn: Callable[[], Any]
    #: What it is, for messages ("query", "alarms", "cost"...).
    what: str
    #: An extra a refresh can do without (board-wide change events): its failure is a warning, it does
    #: not make the provider partial or back it off.
    optional: bool = False


@dataclass
class ProviderRun:
    """How one provider's calls of a refresh went."""

    calls: int = 0
    failed: int = 0
    errors: list[str] = field(default_factory=list)
    throttled: bool = False
    retry_after_s: float | None = None
    skipped: bool = False
    #: Failures of optional calls, said as warnings.
    warnings: list[str] = field(default_factory=list)


class Runtime:
    """Owns the provider instances (and closes them); `run()` is thread-safe and never waits past its deadline."""

    def __init__(self, providers: Mapping[str, Provider], clock: Clock, *, timeout_s: float = 20.0,
                 pool_size: int = POOL_SIZE, budgets: Mapping[str, ApiBudget | None] | None = None) -> None:  # fmt: skip
        self.providers = dict(providers)
        self.clock = clock
        self.timeout_s = timeout_s
        # -- API budgets (srvmon.budget): what each provider spent, from its own Usage counters --------
        self.meter = BudgetMeter(
            {k: v for k, v in (budgets or {}).items() if v is not None and k in self.providers}
        )
        for name in self.meter.budgets:
            self._record_usage(name, start=True)
        # -- end API budgets --------------------------------------------------------------------------
        self._pools = {name: ProviderPool(name, pool_size) for name in self.providers}
        self._backoff: dict[str, Backoff] = {name: Backoff() for name in self.providers}
        self._lock = threading.Lock()
        self._closed = False

    def __contains__(self, name: object) -> bool:
        return name in self.providers

    def __iter__(self) -> Iterator[str]:
        return iter(self.providers)

    def get(self, name: str) -> Provider | None:
        return self.providers.get(name)

    def pool(self, name: str) -> ProviderPool:
        return self._pools[name]

    def run(self, calls: Sequence[Call], *, force: bool = False,
            progress: Callable[[frozenset[str], list[Any]], None] | None = None) -> tuple[list[Any], dict[str, ProviderRun]]:  # fmt: skip
        """Run `calls` (each on its provider's pool) until done or the deadline; outcomes in order: the value,
        or Failed. Also returns per-provider accounting, and updates each provider's backoff.

        `progress(done, outcomes)` is called (on the caller's thread) each time more providers have all their
        calls answered while others are still running: `done` names them, `outcomes` holds their answers
        (None for calls still running). A slow provider then never holds back what the others answered."""
        now_s = self.clock.now().timestamp()
        outcomes: list[Any] = [None] * len(calls)
        runs: dict[str, ProviderRun] = {}
        futures: dict[int, Future[Any]] = {}
        for i, c in enumerate(calls):
            run = runs.setdefault(c.provider, ProviderRun())
            run.calls += 0 if c.optional else 1
            if c.provider not in self.providers:
                outcomes[i] = Failed(f"provider {c.provider!r} is not configured", "error")
                continue
            with self._lock:
                bo = self._backoff[c.provider]
                waiting = not force and bo.failures and now_s < bo.retry_at
                reason, retry_at = bo.reason, bo.retry_at
            if waiting:
                outcomes[i] = Failed(f"{reason} (retrying in {math.ceil(retry_at - now_s)}s)", "skipped")
                run.skipped = True
                continue
            spent = self.meter.exhausted(c.provider, now_s) if c.provider in self.meter else None
            if spent:  # API budget (srvmon.budget): the window is spent, so no call is made at all
                outcomes[i] = Failed(f"{spent}; waiting for the budget", "skipped")
                run.skipped = True
                continue
            try:
                futures[i] = self._pools[c.provider].submit(c.fn)
            except (PoolBusy, RuntimeError) as exc:
                outcomes[i] = Failed(f"{exc}; not calling again until they finish", "busy")
        if futures and progress is None:
            wait(futures.values(), timeout=self.timeout_s)
        elif futures and progress is not None:
            self._wait_reporting(calls, futures, outcomes, runs, progress)
        for i, fut in futures.items():
            outcomes[i] = self._outcome(fut, calls[i], runs[calls[i].provider])
        for i, c in enumerate(calls):
            got = outcomes[i]
            if isinstance(got, Failed) and got.reason != "unsupported":
                run = runs[c.provider]
                if c.optional:
                    run.warnings.append(f"{c.what}: {got.message}")
                    continue
                run.failed += 1
                if got.message not in run.errors:
                    run.errors.append(got.message)
        self._update_backoff(runs, now_s)
        for name in runs:
            if name in self.meter:  # API budget (srvmon.budget): what this run spent
                self._record_usage(name)
        return outcomes, runs

    def _wait_reporting(self, calls: Sequence[Call], futures: dict[int, Future[Any]], outcomes: list[Any],
                        runs: dict[str, ProviderRun],
                        progress: Callable[[frozenset[str], list[Any]], None]) -> None:  # fmt: skip
        """Wait to the deadline, calling `progress` whenever another provider has all its calls answered."""
        deadline = time.monotonic() + self.timeout_s
        by_provider: dict[str, list[int]] = {}
        for i, c in enumerate(calls):
            by_provider.setdefault(c.provider, []).append(i)
        reported: frozenset[str] = frozenset()
        pending = set(futures.values())
        while pending:
            left = deadline - time.monotonic()
            if left <= 0:
                return
            _, pending = wait(pending, timeout=left, return_when=FIRST_COMPLETED)
            done = frozenset(name for name, idx in by_provider.items()
                             if all(i not in futures or futures[i].done() for i in idx))  # fmt: skip
            if pending and done - reported:
                reported = done
                partial = list(outcomes)
                for name in done:
                    for i in by_provider[name]:
                        if i in futures:
                            partial[i] = self._outcome(futures[i], calls[i], ProviderRun())
                progress(done, partial)

    def _record_usage(self, name: str, *, start: bool = False) -> None:
        """API budget (srvmon.budget): hand the provider's cumulative Usage to the meter."""
        provider = self.providers[name]
        try:
            u = provider.usage()
        except Exception:  # noqa: BLE001 - a provider whose usage() fails is metered as spending nothing
            return
        if start:
            self.meter.start(name, u.api_calls, u.estimated_cost_usd)
        else:
            self.meter.record(name, self.clock.now().timestamp(), u.api_calls, u.estimated_cost_usd)

    def call(self, name: str, fn: Callable[[], Any], what: str) -> Any:
        """One call on `name`'s pool under the deadline (blocking: for a background thread). Raises
        NotSupported or ProviderError with the reason (timed out, busy, failed)."""
        (got,), _ = self.run([Call(name, fn, what)], force=True)
        if isinstance(got, Failed):
            if got.reason == "unsupported":
                raise NotSupported(got.message)
            raise ProviderError(got.message, throttled=got.reason == "throttled")
        return got

    def _outcome(self, fut: Future[Any], call: Call, run: ProviderRun) -> Any:
        if not fut.done():
            fut.cancel()  # not started yet: it never will; running: abandoned (its thread ends on its own)
            return Failed(f"{call.what} timed out after {self.timeout_s:g}s", "timeout")
        exc = fut.exception()
        if exc is None:
            return fut.result()
        if isinstance(exc, NotSupported):
            return Failed(str(exc), "unsupported")
        if isinstance(exc, ProviderError):
            if exc.throttled:
                run.throttled = True
                if exc.retry_after_s is not None:
                    run.retry_after_s = max(run.retry_after_s or 0.0, exc.retry_after_s)
            return Failed(str(exc), "throttled" if exc.throttled else "error")
        return Failed(f"{type(exc).__name__}: {exc}", "error")  # a provider bug stays on its panels

    def _update_backoff(self, runs: Mapping[str, ProviderRun], now_s: float) -> None:
        """Back a provider off when all its calls failed or it was throttled; a clean run resets it.
        Retry-After, when the server gave one, sets the next attempt."""
        with self._lock:
            for name, run in runs.items():
                if name not in self._backoff or run.skipped:
                    continue
                bo = self._backoff[name]
                down = run.calls > 0 and run.failed == run.calls
                if down or run.throttled:
                    bo.failures += 1
                    delay = min(
                        BACKOFF_MAX_S, BACKOFF_BASE_S * 2 ** (bo.failures - 1) * (2 if run.throttled else 1)
                    )
                    if run.retry_after_s is not None:
                        delay = run.retry_after_s
                    bo.retry_at = now_s + delay
                    bo.reason = run.errors[0] if run.errors else "failed"
                elif run.failed == 0:
                    self._backoff[name] = Backoff()

    def close(self, *, providers: bool = True) -> None:
        """Close every pool (and provider, unless told not to) once; never waits for a stuck call."""
        with self._lock:
            if self._closed:
                return
            self._closed = True
        for pool in self._pools.values():
            pool.close()
        for p in self.providers.values() if providers else ():
            with contextlib.suppress(Exception):  # closing must never mask the exit
                p.close()
