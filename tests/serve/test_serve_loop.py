"""The serve loop on a frozen clock: default views, demands, paused views, forced refresh, leases and
takeover between two pollers on one store, and API calls that do not depend on how many viewers look."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

from servehelp import boards_config

from srvmon.clock import FrozenClock
from srvmon.codec import loads
from srvmon.config import load_config
from srvmon.fetchcache import FetchCache
from srvmon.model import RANGES
from srvmon.serve.loop import ServeLoop, default_key
from srvmon.store import POLLER, Store, ViewKey
from srvmon.store.sqlite_store import SqliteStore

START = datetime(2026, 11, 18, 12, 0, 5, tzinfo=UTC)


def _loop(store: Store, clock: FrozenClock, cfg_path: Path | None = None, holder: str = "h1",
          lease_s: float = 15.0) -> ServeLoop:  # fmt: skip
    loaded = load_config(cfg_path) if cfg_path else load_config(demo=True)
    return ServeLoop(loaded.boards, loaded.runtime(clock), store, clock, holder=holder, lease_s=lease_s,
                     fetch=FetchCache(clock))  # fmt: skip


def _calls(loop: ServeLoop) -> int:
    return loop.runtime.get("demo").usage().api_calls  # type: ignore[union-attr]


def test_default_views_are_polled_on_their_cadence_and_stored_exactly(sqlite_store: SqliteStore) -> None:
    clock = FrozenClock(START)
    loop = _loop(sqlite_store, clock)
    loop.tick()
    key = default_key(loop.boards["serverless"])
    got = sqlite_store.latest(key)
    assert got is not None and got.written_at == START.timestamp()
    snap = got.snapshot()
    assert snap.board == "serverless" and snap.range == "4h" and snap.generated_at == START
    from srvmon.codec import snapshot_dict

    made = loop.poll(loop.watches[key])  # the poller's own Snapshot, and what it stored
    got = sqlite_store.latest(key)
    assert got is not None
    assert json.loads(got.text) == snapshot_dict(made, loop.version)  # the schema-1 document, compact
    assert loads(got.text) == made  # what viewers read is exactly the poller's Snapshot
    seq = got.seq
    clock.advance(30)
    loop.tick()
    assert sqlite_store.latest(key).seq == seq  # type: ignore[union-attr]  # not due yet
    clock.advance(30)
    loop.tick()
    assert sqlite_store.latest(key).seq > seq  # type: ignore[union-attr]
    status = sqlite_store.statuses(POLLER, clock.now().timestamp())
    assert status[0]["leases"] == ["demo"] and status[0]["views"][0]["polls"] == 3


def test_a_demanded_view_is_polled_kept_fresh_and_dropped_when_nobody_asks(sqlite_store: SqliteStore) -> None:
    clock = FrozenClock(START)
    loop = _loop(sqlite_store, clock)
    loop.tick()
    day = ViewKey("serverless", RANGES["1d"], None, True)
    sqlite_store.demand(day, "viewer-1", clock.now().timestamp())
    loop.tick()
    got = sqlite_store.latest(day)
    assert got is not None and got.snapshot().range == "1d"
    for _ in range(3):  # renewed by the viewer every refresh: refreshed on the board's cadence
        clock.advance(60)
        sqlite_store.demand(day, "viewer-1", clock.now().timestamp())
        loop.tick()
    assert loop.watches[day].polls == 4
    clock.advance(loop.demand_ttl_s + 1)  # the viewer went away
    loop.tick()
    assert day not in loop.watches and default_key(loop.boards["serverless"]) in loop.watches


def test_paused_views_are_fetched_once_and_forced_refresh_is_immediate(sqlite_store: SqliteStore) -> None:
    clock = FrozenClock(START)
    loop = _loop(sqlite_store, clock)
    loop.tick()
    paused = ViewKey.of("serverless", RANGES["4h"], datetime(2026, 11, 17, 9, 0, tzinfo=UTC), True)
    sqlite_store.demand(paused, "v", clock.now().timestamp())
    loop.tick()
    first = sqlite_store.latest(paused)
    assert first is not None and first.snapshot().window.end == datetime(2026, 11, 17, 9, 0, tzinfo=UTC)
    for _ in range(3):
        clock.advance(60)
        sqlite_store.demand(paused, "v", clock.now().timestamp())
        loop.tick()
    assert sqlite_store.latest(paused).seq == first.seq  # type: ignore[union-attr]
    live = default_key(loop.boards["serverless"])
    before = sqlite_store.latest(live).seq  # type: ignore[union-attr]
    clock.advance(5)
    sqlite_store.demand(live, "v", clock.now().timestamp(), force=True)  # the `r` key
    loop.tick()
    assert sqlite_store.latest(live).seq > before  # type: ignore[union-attr]


def test_api_calls_do_not_depend_on_the_number_of_viewers(tmp_path: Path) -> None:
    """The same views watched by 1 viewer and by 5: identical provider calls, refresh after refresh."""
    cfg = boards_config(tmp_path / "c.toml")
    views = [ViewKey("ops", RANGES["4h"], None, True), ViewKey("api", RANGES["1h"], None, True),
             ViewKey("week", RANGES["1d"], None, False)]  # fmt: skip
    counts = []
    for viewers in (1, 5):
        clock = FrozenClock(START)
        store = SqliteStore(tmp_path / f"s{viewers}.db")
        loop = _loop(store, clock, cfg)
        per_refresh = []
        for _ in range(3):
            for v in range(viewers):
                for key in views:
                    store.demand(key, f"viewer-{v}", clock.now().timestamp())
            before = _calls(loop)
            loop.tick()
            per_refresh.append(_calls(loop) - before)
            clock.advance(60)
        counts.append(per_refresh)
        store.close()
    assert counts[0] == counts[1] and all(c > 0 for c in counts[0])


def test_one_poller_holds_the_lease_and_a_standby_takes_over_within_a_lease(tmp_path: Path) -> None:
    clock = FrozenClock(START)
    store_a, store_b = SqliteStore(tmp_path / "s.db"), SqliteStore(tmp_path / "s.db")
    a = _loop(store_a, clock, holder="a", lease_s=10.0)
    b = _loop(store_b, clock, holder="b", lease_s=10.0)
    key = default_key(a.boards["serverless"])
    a.tick()
    b.tick()
    assert a.held == {"demo"} and b.held == set()
    writes = [store_a.latest(key).written_at]  # type: ignore[union-attr]
    for _ in range(3):  # a is the poller; b stands by and writes nothing
        clock.advance(60)
        a.tick()
        b.tick()
        writes.append(store_a.latest(key).written_at)  # type: ignore[union-attr]
    assert b.watches[key].polls == 0
    # a dies right after a write (no more ticks, no renewal); b takes over within one lease
    died = clock.now().timestamp()
    for _ in range(7):
        clock.advance(10)
        b.tick()
    assert b.held == {"demo"}
    got = store_b.latest(key)
    assert got is not None and got.written_at > died
    writes.append(got.written_at)
    gaps = [y - x for x, y in zip(writes, writes[1:], strict=False)]
    assert max(gaps) <= 60.0, gaps  # no gap longer than one refresh
    store_a.close()
    store_b.close()


def test_leases_are_taken_in_order_so_two_pollers_never_split_a_board(tmp_path: Path) -> None:
    store = SqliteStore(tmp_path / "s.db")
    clock = FrozenClock(START)
    loop = _loop(store, clock)
    loop.lease_names = ["alpha", "demo"]
    store.acquire("alpha", "other", 30.0, clock.now().timestamp())
    assert loop.renew_leases() == set()  # blocked at the first: takes none after it
    assert store.lease("demo", clock.now().timestamp()) is None
    store.close()


def test_views_of_one_cycle_share_alarms_limits_and_cost(tmp_path: Path) -> None:
    """A second view of the board polled in the same cycle asks the provider for none of the account-wide
    answers again; the next cycle asks again."""
    clock = FrozenClock(START)
    store = SqliteStore(tmp_path / "s.db")
    loop = _loop(store, clock)
    demo = loop.runtime.get("demo")
    loop.tick()
    before = dict(demo.inner.usage().by_operation)  # type: ignore[union-attr]
    store.demand(ViewKey("serverless", RANGES["1d"], None, True), "v", clock.now().timestamp())
    loop.tick()
    after = dict(demo.inner.usage().by_operation)  # type: ignore[union-attr]
    assert {k: after[k] - before.get(k, 0) for k in ("alarms", "limits", "cost")} == {
        "alarms": 0,
        "limits": 0,
        "cost": 0,
    }
    assert after["query"] > before["query"]  # its own windows it did fetch
    clock.advance(60)
    loop.tick()
    again = dict(demo.inner.usage().by_operation)  # type: ignore[union-attr]
    assert again["alarms"] == after["alarms"] + 1 and again["limits"] == after["limits"] + 1
    store.close()


def test_a_fast_refresh_never_reuses_its_own_last_answers(tmp_path: Path) -> None:
    """Sharing is for the views of one cycle: with a 10 s refresh, the next refresh asks again."""
    cfg = tmp_path / "c.toml"
    cfg.write_text('[settings]\nrefresh = "10s"\n\n[providers.demo]\ntype = "demo"\nfunctions = 12\n')
    clock = FrozenClock(START)
    store = SqliteStore(tmp_path / "s.db")
    loop = _loop(store, clock, cfg)
    assert loop.fetch is not None and loop.fetch.fresh_s == 5.0
    demo = loop.runtime.get("demo")
    loop.tick()
    first = dict(demo.inner.usage().by_operation)  # type: ignore[union-attr]
    clock.advance(10)
    loop.tick()
    second = dict(demo.inner.usage().by_operation)  # type: ignore[union-attr]
    assert second["alarms"] == first["alarms"] + 1 and second["query"] > first["query"]
    store.close()
