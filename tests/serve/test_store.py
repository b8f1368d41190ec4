"""The store contract on SQLite (WAL) and on a real Redis: snapshots, wake-ups, demands, status, leases."""

from __future__ import annotations

import os
import stat
import threading
import time
from pathlib import Path

import pytest

from srvmon.store import Store, StoreError, ViewKey, open_store
from srvmon.store.catalog import boards_from, catalog_doc

KEY = ViewKey("ops", 14400, None, True)
OTHER = ViewKey("api", 3600, None, False)


def test_snapshots_latest_and_changes(any_store: Store) -> None:
    assert any_store.latest(KEY) is None and any_store.head() == 0
    s1 = any_store.put_snapshot(KEY, '{"a": 1}', 100.0)
    s2 = any_store.put_snapshot(OTHER, '{"b": 2}', 101.0)
    s3 = any_store.put_snapshot(KEY, '{"a": 3}', 102.0)
    assert s1 < s2 < s3 == any_store.head()
    got = any_store.latest(KEY)
    assert got is not None and (got.seq, got.written_at, got.text) == (s3, 102.0, '{"a": 3}')
    assert any_store.changed_since(s1) == [(s2, OTHER), (s3, KEY)]
    assert any_store.changed_since(s3) == []


def test_wait_change_wakes_on_a_write(any_store: Store) -> None:
    head = any_store.head()
    assert any_store.wait_change(head, 0.05) == head  # nothing written: times out
    threading.Timer(0.2, lambda: any_store.put_snapshot(KEY, "{}", 1.0)).start()
    t0 = time.monotonic()
    assert any_store.wait_change(head, 5.0) == head + 1
    assert time.monotonic() - t0 < 2.0


def test_demands_renew_keep_force_and_expire(any_store: Store) -> None:
    any_store.demand(KEY, "v1", 100.0, force=True)
    any_store.demand(KEY, "v1", 110.0)  # a renewal keeps the last force
    any_store.demand(OTHER, "v2", 50.0)
    got = any_store.demands(since=90.0)
    assert [(d.key, d.viewer, d.at, d.force_at) for d in got] == [(KEY, "v1", 110.0, 100.0)]
    assert any_store.demands(since=0.0) == got  # the expired one was dropped for good


def test_status_expires(any_store: Store) -> None:
    any_store.put_status("poller", "h1", {"holder": "h1"}, time.time(), 30.0)
    any_store.put_status("poller", "h2", {"holder": "h2"}, time.time() - 100, 0.05)
    time.sleep(0.1)  # Redis expires keys on its own clock
    assert [d["holder"] for d in any_store.statuses("poller", time.time())] == ["h1"]
    any_store.drop_status("poller", "h1")
    assert any_store.statuses("poller", time.time()) == []


def test_lease_one_holder_then_takeover(any_store: Store) -> None:
    now = time.time()
    assert any_store.acquire("demo", "a", 0.3, now)
    assert not any_store.acquire("demo", "b", 0.3, now)
    assert any_store.acquire("demo", "a", 0.3, now)  # renewal
    lease = any_store.lease("demo", now)
    assert lease is not None and lease.holder == "a" and 0 < lease.expires_in <= 0.3
    deadline = time.monotonic() + 5
    while not any_store.acquire("demo", "b", 0.3, time.time()):  # a stopped renewing: b gets it
        assert time.monotonic() < deadline, "the lease never expired"
        time.sleep(0.05)
    any_store.release("demo", "a")  # not a's any more: no effect
    assert any_store.lease("demo", time.time()).holder == "b"  # type: ignore[union-attr]
    any_store.release("demo", "b")
    assert any_store.lease("demo", time.time()) is None


def test_drop_snapshots_keeps_what_is_watched(any_store: Store) -> None:
    any_store.put_snapshot(KEY, "{}", 10.0)
    any_store.put_snapshot(OTHER, "{}", 10.0)
    assert any_store.drop_snapshots({KEY}, older_than=20.0) == 1
    assert any_store.latest(KEY) is not None and any_store.latest(OTHER) is None


def test_catalog_round_trip(any_store: Store) -> None:
    from srvmon.config import load_config

    infos = [b.info() for b in load_config(demo=True).boards]
    any_store.put_boards(catalog_doc(infos, server="h"))
    doc = any_store.boards()
    assert doc is not None and boards_from(doc) == infos


def test_view_key_aligns_paused_ends() -> None:
    from datetime import UTC, datetime

    a = ViewKey.of("ops", 14400, datetime(2026, 11, 18, 12, 0, 10, tzinfo=UTC), True)
    b = ViewKey.of("ops", 14400, datetime(2026, 11, 18, 12, 0, 50, tzinfo=UTC), True)
    assert a == b and a.end_s == int(datetime(2026, 11, 18, 12, 0, tzinfo=UTC).timestamp())
    assert ViewKey.parse(a.text()) == a and not a.live and ViewKey.of("ops", 3600, None, False).live


def test_sqlite_file_is_private_and_wal(tmp_path: Path) -> None:
    store = open_store(f"sqlite:{tmp_path / 'sub' / 'x.db'}")
    try:
        mode = stat.S_IMODE(os.stat(tmp_path / "sub" / "x.db").st_mode)
        assert mode == 0o600
        import sqlite3

        other = sqlite3.connect(tmp_path / "sub" / "x.db")
        assert other.execute("PRAGMA journal_mode").fetchone()[0] == "wal"  # WAL is a property of the file
        other.close()
    finally:
        store.close()


def test_sqlite_readers_see_another_connection_writes(tmp_path: Path) -> None:
    writer, reader = open_store(f"sqlite:{tmp_path / 'x.db'}"), open_store(str(tmp_path / "x.db"))
    try:
        writer.put_snapshot(KEY, '{"x": 1}', 1.0)
        assert reader.latest(KEY).text == '{"x": 1}'  # type: ignore[union-attr]
    finally:
        writer.close()
        reader.close()


@pytest.mark.parametrize("url", ["http://x", "sqlite:", "ftp://h/db"])
def test_bad_store_urls_say_how(url: str) -> None:
    with pytest.raises(StoreError, match="sqlite:PATH or redis://"):
        open_store(url)


def test_unreachable_redis_is_a_clear_error() -> None:
    from servehelp import free_port  # nobody listens there

    with pytest.raises(StoreError, match="cannot reach Redis"):
        open_store(f"redis://127.0.0.1:{free_port()}/0")


def test_series_entries_expire(any_store: Store) -> None:
    now = time.time()
    any_store.put_series("a", '{"x": 1}', now, 30.0)
    any_store.put_series("b", '{"y": 2}', now, 0.05)
    time.sleep(0.1)  # Redis expires keys on its own clock
    assert any_store.get_series("a", time.time()) == '{"x": 1}'
    assert any_store.get_series("b", time.time()) is None
    assert any_store.get_series("missing", time.time()) is None


def test_redis_passwords_are_never_shown() -> None:
    from srvmon.store.redis_store import redact

    assert redact("redis://:s3cret@cache:6380/2") == "redis://:***@cache:6380/2"
    assert redact("rediss://user:s3cret@cache/0") == "rediss://user:***@cache/0"
    assert redact("redis://cache:6379/0") == "redis://cache:6379/0"
    with pytest.raises(StoreError) as err:
        open_store("redis://:s3cret@127.0.0.1:1/0")
    assert "s3cret" not in str(err.value) and ":***@" in str(err.value)
