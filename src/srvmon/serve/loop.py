"""The serve loop: polls every board's default view and each view viewers demand, within each provider's
API budget, while this process holds the leases of the board's providers; writes each Snapshot (the
schema-1 JSON) to the store, and its own status for `srvmon status`. Headless: no Textual here."""

from __future__ import annotations

import contextlib
import logging
import os
import socket
import threading
import time
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from srvmon.clock import Clock
from srvmon.config import Board
from srvmon.fetchcache import FetchCache
from srvmon.model import RANGES, Snapshot, range_label
from srvmon.poll import Poller
from srvmon.runtime import Runtime
from srvmon.serve.shared import SHARE_S, share_answers
from srvmon.store import POLLER, Store, ViewKey
from srvmon.store.base import snapshot_text

log = logging.getLogger("srvmon.serve")

#: The loop looks for new demands at least this often.
MAX_IDLE_S = 0.25
#: A status record lives this long unless rewritten (a dead poller disappears from `srvmon status`).
STATUS_TTL_S = 30.0
#: Snapshots of views nobody looked at for this long are removed from the store.
RETENTION_S = 3600.0
#: Costs of a view's recent refreshes kept to estimate the next one (the largest is used).
COST_HISTORY = 30


@dataclass
class Watch:
    """One view the loop keeps fresh: its key, its own Poller (stale panels per view), its cadence."""

    key: ViewKey
    board: Board
    poller: Poller
    default: bool
    due: float
    last_poll: float | None = None
    #: When the view's snapshot in the store was written (by us or a previous leader).
    last_written: float | None = None
    demanded_until: float = 0.0
    force_at: float | None = None
    #: provider -> (calls, usd) of recent refreshes.
    costs: dict[str, deque[tuple[int, float]]] = field(default_factory=dict)
    #: Seconds the budget made the last due refresh wait (0 when none).
    held_s: float = 0.0
    held_by: str | None = None
    last_duration_s: float | None = None
    #: The seq of our last write and when it finished (wall clock: viewers compare it with theirs).
    last_seq: int | None = None
    finished_at: float | None = None
    last_error: str | None = None
    polls: int = 0

    @property
    def refresh_s(self) -> float:
        return float(self.board.refresh_s)


def default_key(board: Board) -> ViewKey:
    return ViewKey(board.name, RANGES[board.range], None, True)


class ServeLoop:
    """`tick()` is one scheduling pass (tests drive it with a frozen clock); `run()` repeats it."""

    def __init__(self, boards: Sequence[Board], runtime: Runtime, store: Store, clock: Clock, *,
                 holder: str | None = None, lease_s: float = 15.0, fetch: FetchCache | None = None,
                 demand_ttl_s: float | None = None, version: str = "0",
                 share_s: float | None = SHARE_S) -> None:  # fmt: skip
        self.boards = {b.name: b for b in boards}
        self.runtime = runtime
        # what one poll cycle fetched is shared by its views, never reused by a view's own next refresh
        shortest = min((b.refresh_s for b in boards), default=60)
        fresh = min(share_s or SHARE_S, shortest / 2)
        if fetch is not None:
            fetch.fresh_s = min(fetch.fresh_s, fresh)
        if share_s:  # alarms, limits and cost asked once per poll cycle for all views (srvmon.serve.shared)
            share_answers(runtime, clock, fresh)
        self.store = store
        self.clock = clock
        self.holder = holder or f"{socket.gethostname()}:{os.getpid()}"
        self.lease_s = lease_s
        self.fetch = fetch
        self.version = version
        longest = max((b.refresh_s for b in boards), default=60)
        #: A demand not renewed for this long is dropped (viewers renew on every refresh they show).
        self.demand_ttl_s = demand_ttl_s or max(30.0, 3.0 * longest)
        self.lease_names = sorted({p for b in boards for p in b.providers()}) or ["srvmon"]
        self.held: set[str] = set()
        self.watches: dict[ViewKey, Watch] = {}
        self.started_at = clock.now().timestamp()
        self.extra_status: dict[str, Any] = {}
        self._lock = threading.Lock()
        self._ticks = 0
        self._status_at = float("-inf")
        for b in boards:
            self._watch(default_key(b), default=True, now=self.started_at)

    # -- leases -----------------------------------------------------------------------------------
    def renew_leases(self, now: float | None = None) -> set[str]:
        """Take or renew the leases in name order, stopping at the first one another poller holds (so two
        hosts never hold half a board each), and let go of any after it."""
        now = self.clock.now().timestamp() if now is None else now
        held: set[str] = set()
        blocked = False
        for name in self.lease_names:
            if not blocked and self.store.acquire(name, self.holder, self.lease_s, now):
                held.add(name)
                continue
            blocked = True
            if name in self.held:
                self.store.release(name, self.holder)
        with self._lock:
            gained, lost = held - self.held, self.held - held
            self.held = held
        if gained:
            log.info("leases taken by %s: %s", self.holder, ", ".join(sorted(gained)))
        if lost:
            log.warning("leases lost by %s: %s", self.holder, ", ".join(sorted(lost)))
        return held

    def pollable(self, board: Board) -> bool:
        with self._lock:
            need = board.providers() or (self.lease_names[0],)
            return all(p in self.held for p in need)

    # -- views ------------------------------------------------------------------------------------
    def _watch(self, key: ViewKey, *, default: bool, now: float) -> Watch | None:
        w = self.watches.get(key)
        if w is not None:
            return w
        board = self.boards.get(key.board)
        if board is None or key.range_s <= 0:
            return None
        w = Watch(key, board, Poller(board, self.runtime, self.clock, fetch=self.fetch), default, due=now)
        got = self.store.latest(key)
        w.last_written = got.written_at if got is not None else None
        if got is not None and key.live:  # another poller (or our previous run) wrote it: keep the cadence
            w.due = min(now + w.refresh_s, got.written_at + w.refresh_s)
        elif got is not None:
            w.due = float("inf")  # a paused window is fetched once
        self.watches[key] = w
        return w

    def _take_demands(self, now: float) -> None:
        for d in self.store.demands(since=now - self.demand_ttl_s):
            w = self._watch(d.key, default=False, now=now)
            if w is None:
                continue
            w.demanded_until = max(w.demanded_until, d.at + self.demand_ttl_s)
            if d.force_at is not None and (w.last_poll is None or d.force_at > w.last_poll):
                w.force_at = d.force_at
                w.due = min(w.due, now)
        for key in [k for k, w in self.watches.items() if not w.default and w.demanded_until < now]:
            self.watches.pop(key).poller.close()

    # -- budget -----------------------------------------------------------------------------------
    def _estimate(self, w: Watch, provider: str) -> tuple[int, float]:
        """The next refresh's cost: the most this view cost lately; a view never polled is assumed to cost
        the most any view of this provider cost, and the first refresh of all the whole budget."""
        hist = list(w.costs.get(provider) or ())
        if not hist:
            hist = [c for x in self.watches.values() for c in x.costs.get(provider, ())]
        if not hist:
            budget = self.runtime.meter.budgets.get(provider)
            calls = budget.calls_per_min if budget and budget.calls_per_min else 1
            usd = budget.usd_per_day if budget and budget.usd_per_day else 0.0
            return calls, usd
        return max(c for c, _ in hist), max(u for _, u in hist)

    def _budget_wait(self, w: Watch, now: float) -> tuple[float, str | None]:
        meter = self.runtime.meter
        wait, by = 0.0, None
        for p in w.board.providers():
            if p in meter:
                calls, usd = self._estimate(w, p)
                got = meter.wait_s(p, now, calls, usd)
                if got > wait:
                    wait, by = got, p
        return wait, by

    # -- one pass ---------------------------------------------------------------------------------
    def tick(self, *, renew: bool = True) -> float:
        """Poll what is due (in due order, default views first); seconds until the next thing is due."""
        now = self.clock.now().timestamp()
        if renew:
            self.renew_leases(now)
        self._take_demands(now)
        # the view that waited longest goes first, so a tight budget stretches every view alike
        due = sorted((w for w in self.watches.values() if w.due <= now and self.pollable(w.board)),
                     key=lambda w: (w.force_at is None, w.last_poll or float("-inf"), not w.default,
                                    w.key.order()))  # fmt: skip
        queued: set[str] = set()  # providers whose budget holds an earlier view: later ones queue behind it
        for w in due:
            if queued & set(w.board.providers()):
                continue
            forced = w.force_at is not None
            if not forced and w.key.live:
                got = self.store.latest(w.key)  # someone else (a previous leader) may have polled it
                if got is not None:
                    w.last_written = got.written_at
                if got is not None and got.written_at + w.refresh_s > now and w.last_poll is None:
                    w.due = got.written_at + w.refresh_s
                    continue
            wait, by = self._budget_wait(w, now)
            if wait > 0 and not (forced and by is None):
                if w.held_s == 0:
                    log.info(
                        "budget of %s: %s %s waits %.0fs", by, w.key.board, range_label(w.key.range_s), wait
                    )
                w.held_s, w.held_by = wait, by
                w.due = now + wait
                queued.add(by or "")
                continue
            with contextlib.suppress(Exception):  # logged by poll(); the other views still refresh
                self.poll(w)
            now = self.clock.now().timestamp()
        self._ticks += 1
        if self._ticks % 240 == 1:
            keep = {w.key for w in self.watches.values()}
            self.store.drop_snapshots(keep, older_than=now - RETENTION_S)
        if now - self._status_at >= 1.0 or now < self._status_at:
            self.write_status(now)
        upcoming = [w.due for w in self.watches.values() if self.pollable(w.board)]
        return max(0.0, min([MAX_IDLE_S, *(d - now for d in upcoming)]))

    def poll(self, w: Watch) -> Snapshot:
        """Refresh one view now and store it (the budget was checked by the caller)."""
        start = self.clock.now().timestamp()
        before = {p: self._usage(p) for p in w.board.providers()}
        t0 = time.perf_counter()
        try:
            snap = w.poller.poll(range_s=w.key.range_s, end=w.key.end, compare=w.key.compare,
                                 force=w.force_at is not None, range_label=range_label(w.key.range_s))  # fmt: skip
        except Exception as exc:  # a poller bug must not stop the loop: say so and retry next time
            w.last_error = f"{type(exc).__name__}: {exc}"
            log.exception("poll of %s failed", w.key.text())
            w.due = start + w.refresh_s
            raise
        w.last_duration_s = time.perf_counter() - t0
        for p, (calls, usd) in before.items():
            now_calls, now_usd = self._usage(p)
            w.costs.setdefault(p, deque(maxlen=COST_HISTORY)).append((now_calls - calls, now_usd - usd))
        text = snapshot_text(snap, self.version)
        # stamped with the poll's start (the snapshot's own time), so a standby taking over keeps the cadence
        w.last_seq = self.store.put_snapshot(w.key, text, start)
        w.finished_at = time.time()
        w.last_poll = w.last_written = start
        w.polls += 1
        w.force_at = None
        w.held_s, w.held_by = 0.0, None
        failed = [f"{p.name}: {p.state}" for p in snap.providers if not p.ok]
        w.last_error = "; ".join(failed) or None
        w.due = start + w.refresh_s if w.key.live else float("inf")
        return snap

    def _usage(self, name: str) -> tuple[int, float]:
        p = self.runtime.get(name)
        if p is None:
            return 0, 0.0
        u = p.usage()
        return u.api_calls, u.estimated_cost_usd

    # -- status -----------------------------------------------------------------------------------
    def status_doc(self, now: float) -> dict[str, Any]:
        meter = self.runtime.meter
        budgets = {}
        for name, budget in meter.budgets.items():
            spend = meter.spend(name, now)
            held = [{"board": w.key.board, "range": range_label(w.key.range_s), "wait_s": round(w.held_s, 1)}
                    for w in self.watches.values() if w.held_by == name and w.held_s > 0]  # fmt: skip
            budgets[name] = {"calls_per_min": budget.calls_per_min, "usd_per_day": budget.usd_per_day,
                             "calls_last_min": spend.calls_last_min, "usd_last_day": round(spend.usd_last_day, 6),
                             "held": held}  # fmt: skip
        providers = {}
        for name in self.runtime:
            p = self.runtime.get(name)
            if p is not None:
                u = p.usage()
                providers[name] = {"type": p.type_name, "api_calls": u.api_calls,
                                   "metrics_requested": u.metrics_requested,
                                   "estimated_cost_usd": round(u.estimated_cost_usd, 6)}  # fmt: skip
        views = [{"board": w.key.board, "range": range_label(w.key.range_s), "live": w.key.live,
                  "end_s": w.key.end_s, "compare": w.key.compare, "default": w.default,
                  "last_poll": w.last_poll, "last_written": w.last_written, "last_seq": w.last_seq,
                  "finished_at": w.finished_at, "polls": w.polls, "duration_s": w.last_duration_s,
                  "error": w.last_error, "held_s": round(w.held_s, 1), "held_by": w.held_by,
                  "pollable": self.pollable(w.board)}
                 for w in sorted(self.watches.values(), key=lambda w: w.key.order())]  # fmt: skip
        return {
            "holder": self.holder,
            "pid": os.getpid(),
            "host": socket.gethostname(),
            "version": self.version,
            "started_at": self.started_at,
            "at": now,
            "leases": sorted(self.held),
            "lease_names": self.lease_names,
            "lease_s": self.lease_s,
            "boards": sorted(self.boards),
            "views": views,
            "budgets": budgets,
            "providers": providers,
            "cache": None if self.fetch is None else {**vars(self.fetch.stats), "points": self.fetch.points},
            **self.extra_status,
        }

    def write_status(self, now: float | None = None) -> None:
        now = self.clock.now().timestamp() if now is None else now
        self._status_at = now
        self.store.put_status(POLLER, self.holder, self.status_doc(now), now, STATUS_TTL_S)

    # -- running ----------------------------------------------------------------------------------
    def run(self, stop: threading.Event) -> None:
        """Tick until `stop` is set; leases are renewed on their own thread so a slow poll never loses them."""
        keeper = threading.Thread(target=self._keep_leases, args=(stop,), name="srvmon-leases", daemon=True)
        self.renew_leases()
        keeper.start()
        while not stop.is_set():
            try:
                wait = self.tick(renew=False)
            except Exception:  # logged in poll(); the loop goes on
                wait = 1.0
            stop.wait(wait)

    def _keep_leases(self, stop: threading.Event) -> None:
        while not stop.wait(self.lease_s / 3):
            try:
                self.renew_leases()
            except Exception as exc:  # a store hiccup: keep trying; the lease may lapse meanwhile
                log.warning("lease renewal failed: %s", exc)

    def close(self) -> None:
        for name in list(self.held):
            try:
                self.store.release(name, self.holder)
            except Exception as exc:  # closing must not mask the exit
                log.warning("lease release failed: %s", exc)
        self.held = set()
        try:
            self.store.drop_status(POLLER, self.holder)
        except Exception as exc:
            log.warning("status removal failed: %s", exc)
        for w in self.watches.values():
            w.poller.close()
