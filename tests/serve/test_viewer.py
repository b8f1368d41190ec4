"""Viewers on a store: the TUI (SrvmonApp through ViewerApp) shows what the poller wrote, wakes within a
second of a new write, turns a range it lacks into a demand ("fetching") and never builds a provider."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from servehelp import boards_config

from srvmon.clock import FrozenClock
from srvmon.config import load_config
from srvmon.fetchcache import FetchCache
from srvmon.model import RANGES
from srvmon.serve.loop import ServeLoop, default_key
from srvmon.serve.viewer import NotServedYet, StoreSource, Viewer, ViewerApp, viewer_app
from srvmon.store import VIEWER, ViewKey
from srvmon.store.catalog import boards_from, catalog_doc
from srvmon.store.sqlite_store import SqliteStore
from srvmon.tui.board_header import HintBar

pytestmark = pytest.mark.anyio
START = datetime(2026, 11, 18, 12, 0, 5, tzinfo=UTC)


class Served:
    """A serve loop on a frozen clock, ticked by a thread (as `srvmon serve` does) until stopped."""

    def __init__(self, tmp: Path) -> None:
        self.clock = FrozenClock(START)
        self.store = SqliteStore(tmp / "s.db")
        loaded = load_config(boards_config(tmp / "c.toml"))
        self.loop = ServeLoop(loaded.boards, loaded.runtime(self.clock), self.store, self.clock, holder="h1",
                              fetch=FetchCache(self.clock))  # fmt: skip
        self.store.put_boards(catalog_doc([b.info() for b in loaded.boards], server="h1"))
        self.loop.tick()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        def run() -> None:
            while not self._stop.is_set():
                self.loop.tick()
                self._stop.wait(0.05)

        self._thread = threading.Thread(target=run, daemon=True)
        self._thread.start()

    def close(self) -> None:
        self._stop.set()
        if self._thread:
            self._thread.join(10)
        self.loop.close()
        self.store.close()


@pytest.fixture
def served(tmp_path: Path) -> Iterator[Served]:
    s = Served(tmp_path)
    yield s
    s.close()


def test_source_reads_the_latest_and_says_when_nothing_serves_a_view(served: Served) -> None:
    viewer = Viewer(served.store, served.clock)
    info = boards_from(served.store.boards() or {})[0]
    src = StoreSource(viewer, info, wait_s=0.3)
    snap = src.poll(range_s=RANGES[info.range])
    assert snap == served.store.latest(default_key(served.loop.boards[info.name])).snapshot()  # type: ignore[union-attr]
    served.loop.close()  # the poller is gone: a view it never wrote cannot be served
    with pytest.raises(NotServedYet, match="has not served ops"):
        src.poll(range_s=RANGES["12h"])
    assert served.store.demands(since=0)  # ... but it was asked for


def test_a_demanded_range_is_served_by_the_poller(served: Served) -> None:
    served.start()
    viewer = Viewer(served.store, served.clock)
    info = boards_from(served.store.boards() or {})[0]
    snap = StoreSource(viewer, info, wait_s=10).poll(range_s=RANGES["1w"], compare=False)
    assert snap.range == "1w" and snap.compare is None and snap.board == "ops"


async def test_viewer_app_shows_the_board_and_wakes_on_a_new_write(served: Served) -> None:
    infos = boards_from(served.store.boards() or {})
    app = viewer_app(served.store, infos, clock=served.clock)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = app.board_screen
        assert screen is not None
        await _until(pilot, lambda: screen.snapshot is not None, "the first snapshot")
        first = screen.snapshot
        assert first is not None and first.board == "ops" and first.generated_at == START
        assert app.runtime is None  # no provider, no credential: only the store
        served.clock.advance(60)
        served.loop.tick()  # one poll finishes...
        written = time.monotonic()
        await _until(pilot, lambda: screen.snapshot is not first, "the new snapshot")
        assert (
            time.monotonic() - written < 1.5
        )  # ... and the viewer shows it at once (~0.1 s; slack for a busy CI)
        assert screen.snapshot.generated_at == served.clock.now()  # type: ignore[union-attr]
        latest = served.store.latest(default_key(served.loop.boards["ops"]))
        await _until(pilot, lambda: app.viewer.shown_seq == latest.seq, "the shown seq")  # type: ignore[union-attr]
        await _until(pilot, lambda: "poller h1" in str(screen.query_one(HintBar).render()), "the hint")
        statuses = served.store.statuses(VIEWER, served.clock.now().timestamp())
        assert [s["board"] for s in statuses] == ["ops"]


async def test_each_viewer_has_its_own_range_and_waits_fetching(served: Served) -> None:
    infos = boards_from(served.store.boards() or {})
    app = viewer_app(served.store, infos, clock=served.clock, board="api")
    async with app.run_test(size=(120, 40)) as pilot:
        screen = app.board_screen
        assert screen is not None
        await _until(pilot, lambda: screen.snapshot is not None, "the first snapshot")
        assert screen.snapshot.range == "1h"  # type: ignore[union-attr]
        await pilot.press("4")  # 1d: nobody polls it yet
        await _until(pilot, lambda: app.viewer.pending is not None, "the demand")
        assert app.viewer.pending == ViewKey("api", RANGES["1d"], None, True)
        served.start()  # the poller serves the demand
        await _until(pilot, lambda: screen.snapshot is not None and screen.snapshot.range == "1d", "1d")
        assert served.store.latest(ViewKey("api", RANGES["1d"], None, True)) is not None


async def _until(pilot: object, ok: object, what: str, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not ok():  # type: ignore[operator]
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        await pilot.pause(0.02)  # type: ignore[attr-defined]


def test_viewer_app_is_srvmon_app() -> None:
    from srvmon.tui.app import SrvmonApp

    assert issubclass(ViewerApp, SrvmonApp)
