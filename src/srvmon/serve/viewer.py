"""A read-only viewer on a store (`srvmon attach`, and every ssh session): the same TUI (SrvmonApp, one
BoardView per board of the catalog) fed by StoreSource, which reads snapshots and records demands. It
holds no credential and builds no provider; a watcher thread wakes the board when its view is written."""

from __future__ import annotations

import contextlib
import functools
import os
import threading
import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, tzinfo
from pathlib import Path
from typing import Any

from rich.text import Text
from textual.css.query import NoMatches

from srvmon.clock import Clock, SystemClock
from srvmon.fmt import fmt_age
from srvmon.model import RANGES, BoardInfo, Snapshot, range_label
from srvmon.store import POLLER, VIEWER, Store, Stored, ViewKey
from srvmon.tui import app as tui_app
from srvmon.tui.app import BoardView, SrvmonApp
from srvmon.tui.board_header import HintBar
from srvmon.tui.messages import SnapshotReady

#: How long a viewer waits for the poller to serve a view it lacks before saying so.
DEMAND_WAIT_S = 30.0
#: A viewer renews the demand of the view it shows at most this often (demands live 30 s or more).
DEMAND_RENEW_S = 10.0
#: Seconds between a viewer's status heartbeats (and hint bar updates).
HEARTBEAT_S = 2.0
VIEWER_TTL_S = 20.0


class NotServedYet(Exception):
    """The poller has not written the view this viewer asked for (yet)."""


@dataclass
class Viewer:
    """What one viewer process looks at, shared by its sources (UI side) and its watcher thread."""

    store: Store
    clock: Clock
    id: str = field(default_factory=lambda: uuid.uuid4().hex[:12])
    #: Who is looking (the ssh key fingerprint, or the local user), for `srvmon status`.
    origin: str = ""
    current: ViewKey | None = None
    #: The view asked for but not written yet (the hint bar says "fetching").
    pending: ViewKey | None = None
    #: The newest snapshot on screen (applied by the board screen) and when (wall clock).
    shown_seq: int = 0
    shown_at: float | None = None
    #: id(Snapshot) -> its seq, for the snapshots the sources handed out lately.
    seqs: dict[int, int] = field(default_factory=dict)
    started_at: float = field(default_factory=time.time)

    def status(self) -> dict[str, Any]:
        key = self.current
        return {"id": self.id, "origin": self.origin, "pid": os.getpid(), "started_at": self.started_at,
                "board": key.board if key else None, "range": range_label(key.range_s) if key else None,
                "live": key.live if key else None, "compare": key.compare if key else None,
                "shown_seq": self.shown_seq, "shown_at": self.shown_at,
                "fetching": range_label(self.pending.range_s) if self.pending else None}  # fmt: skip


class StoreSource:
    """A SnapshotSource on the store: the latest snapshot of the view, else a demand and a wait."""

    def __init__(self, viewer: Viewer, info: BoardInfo, *, wait_s: float = DEMAND_WAIT_S) -> None:
        self.viewer = viewer
        self.info = info
        self.wait_s = wait_s
        self._decoded: tuple[int, Snapshot] | None = None
        self._asked: tuple[ViewKey | None, float] = (None, 0.0)

    def poll(self, *, range_s: int | None = None, end: datetime | None = None, compare: bool = True,
             force: bool = False, range_label: str | None = None) -> Snapshot:  # fmt: skip
        v = self.viewer
        key = ViewKey.of(self.info.name, range_s or RANGES.get(self.info.range, RANGES["4h"]), end, compare)
        v.current = key
        now = v.clock.now().timestamp()
        if force or key != self._asked[0] or time.monotonic() - self._asked[1] >= DEMAND_RENEW_S:
            v.store.demand(key, v.id, now, force=force)  # a write: renewed only now and then, not per refresh
            self._asked = (key, time.monotonic())
        got = v.store.latest(key)
        if got is not None and not force:
            return self._show(got)
        v.pending = key
        after = got.seq if got is not None else 0
        deadline = time.monotonic() + self.wait_s
        renew = time.monotonic() + 5.0
        try:
            while time.monotonic() < deadline:
                time.sleep(0.1)  # a one-row read while the poller fetches (bounded by the deadline)
                fresh = v.store.latest(key)
                if fresh is not None and fresh.seq > after:
                    return self._show(fresh)
                if time.monotonic() >= renew:  # keep the demand alive while waiting
                    v.store.demand(key, v.id, v.clock.now().timestamp())
                    renew = time.monotonic() + 5.0
        finally:
            if v.pending == key:
                v.pending = None
        if got is not None:  # a forced refresh the poller could not do in time: show what there is
            return self._show(got)
        raise NotServedYet(f"the poller has not served {self.info.name} {range_label or key.range_s}s yet"
                           f"{poller_hint(v.store, v.clock.now().timestamp())}")  # fmt: skip

    def _show(self, got: Stored) -> Snapshot:
        if self._decoded is None or self._decoded[0] != got.seq:
            self._decoded = (got.seq, got.snapshot())
            seqs = self.viewer.seqs
            seqs[id(self._decoded[1])] = got.seq
            while len(seqs) > 16:
                del seqs[next(iter(seqs))]
        return self._decoded[1]

    def close(self) -> None:
        pass


def poller_hint(store: Store, now: float) -> str:
    """'; no srvmon serve is running on STORE' when no poller status is live, else ''."""
    try:
        if not store.statuses(POLLER, now):
            return f"; no `srvmon serve` is running on {store.url}"
    except Exception as exc:  # noqa: BLE001 - the hint must never hide the real message
        return f"; the store cannot be read: {exc}"
    return ""


def hint_text(viewer: Viewer, pollers: Sequence[dict[str, Any]], now: float) -> Text:
    """The viewer's line: read-only, who polls and how long ago, budgets holding this board, fetching."""
    out = Text(no_wrap=True, overflow="ellipsis")
    out.append("read-only viewer", style="bold")
    key = viewer.current
    if not pollers:
        out.append(
            f" · no srvmon serve is running on {viewer.store.url}; showing what it stored", style="bold"
        )
    for doc in pollers:
        if key is not None and key.board not in doc.get("boards", ()):
            continue
        age = now - float(doc.get("at", now))
        out.append(f" · poller {doc.get('holder', '?')}")
        leases = doc.get("leases") or []
        if not leases:
            out.append(" (standing by)")
        elif age > 15:
            out.append(f" (silent for {fmt_age(age)})", style="bold")
        for name, b in (doc.get("budgets") or {}).items():
            held = [h for h in b.get("held", ()) if key is None or h.get("board") == key.board]
            if held:
                limit = ", ".join(x for x in (f"{b['calls_per_min']} calls/min" if b.get("calls_per_min") else "",
                                              f"${b['usd_per_day']:g}/day" if b.get("usd_per_day") else "") if x)  # fmt: skip
                wait = max(float(h.get("wait_s") or 0) for h in held)
                out.append(f" · API budget of {name} ({limit}): refreshes wait {fmt_age(wait)}", style="bold")
    if viewer.pending is not None:
        out.append(f" · fetching {range_label(viewer.pending.range_s)} from the poller…", style="bold")
    return out


class ViewerApp(SrvmonApp):
    """SrvmonApp on a store: a watcher thread asks the board screen to refetch when its view is written."""

    #: The board's own stylesheet (a relative CSS_PATH would resolve next to this module).
    CSS_PATH = str(Path(tui_app.__file__).with_name("board.tcss"))

    def __init__(self, viewer: Viewer, boards: Sequence[BoardView], **kw: Any) -> None:
        # no refresh timer: the watcher refetches when the poller writes this view (one repaint per poll)
        super().__init__(boards, clock=viewer.clock, hint="read-only viewer", live_refresh=False, **kw)
        self.viewer = viewer
        self._stop = threading.Event()
        self._watcher: threading.Thread | None = None

    async def on_mount(self) -> None:  # SrvmonApp.on_mount runs too (Textual dispatches along the MRO)
        self._watcher = threading.Thread(target=self._watch, name="srvmon-viewer-watch", daemon=True)
        self._watcher.start()

    def on_snapshot_ready(self, message: SnapshotReady) -> None:
        """After the board screen applied a snapshot (the message bubbles up from it): what is on screen."""
        seq = self.viewer.seqs.get(id(message.snapshot))
        if seq is not None and seq > self.viewer.shown_seq:
            self.viewer.shown_seq, self.viewer.shown_at = seq, time.time()

    def on_unmount(self) -> None:
        self._stop.set()
        with contextlib.suppress(Exception):
            self.viewer.store.drop_status(VIEWER, self.viewer.id)

    def _watch(self) -> None:
        v = self.viewer
        seq = v.store.head()
        beat = 0.0
        renew = time.monotonic() + DEMAND_RENEW_S
        shown_hint = ""
        while not self._stop.is_set():
            try:
                head = v.store.wait_change(seq, 1.0)
                if head > seq:
                    keys = {k for _, k in v.store.changed_since(seq)}
                    seq = head
                    if v.current in keys:
                        self._call(self._refetch)
                if time.monotonic() >= beat:
                    beat = time.monotonic() + HEARTBEAT_S
                    now = v.clock.now().timestamp()
                    if v.current is not None and time.monotonic() >= renew:  # keep the poller on this view
                        v.store.demand(v.current, v.id, now)
                        renew = time.monotonic() + DEMAND_RENEW_S
                    v.store.put_status(VIEWER, v.id, v.status(), now, VIEWER_TTL_S)
                    text = hint_text(v, v.store.statuses(POLLER, now), now)
                    # repaint only when it changed (idle CPU stays near zero)
                    if text.plain != shown_hint and self._call(functools.partial(self._set_hint, text)):
                        shown_hint = text.plain
            except Exception:  # noqa: BLE001 - a store hiccup: try again in a moment
                self._stop.wait(1.0)

    def _call(self, fn: Callable[[], bool | None]) -> bool:
        """Run `fn` on the UI thread; its result (False when the app is not running)."""
        if self._stop.is_set():
            return False
        try:
            return bool(self.call_from_thread(fn))
        except RuntimeError:  # the app is shutting down
            return False

    def _refetch(self) -> None:
        screen = self.board_screen
        if screen is not None:
            screen.request_fetch()

    def _set_hint(self, text: Text) -> bool:
        screen = self.board_screen
        if screen is None:
            return False
        try:
            screen.query_one(HintBar).update(text)
        except NoMatches:
            return False
        return True


def viewer_app(store: Store, infos: Sequence[BoardInfo], *, board: str | None = None, range_: str | None = None,
               origin: str = "", clock: Clock | None = None, tz: tzinfo | None = None, theme: str | None = None,
               wait_s: float = DEMAND_WAIT_S) -> ViewerApp:  # fmt: skip
    viewer = Viewer(store, clock or SystemClock(), origin=origin)

    def source_for(info: BoardInfo) -> Callable[[], StoreSource]:
        return lambda: StoreSource(viewer, info, wait_s=wait_s)

    return ViewerApp(viewer, [BoardView(i, source_for(i)) for i in infos], board=board, range_=range_, tz=tz,
                     theme=theme)  # fmt: skip
