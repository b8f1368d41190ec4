"""The embedded store: one SQLite file in WAL mode (one writer, many readers, zero setup). Viewers learn of
new snapshots by watching a sequence number (a read of one row every 0.1 s while they wait)."""

from __future__ import annotations

import contextlib
import json
import os
import sqlite3
import threading
import time
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from srvmon.store.base import Demand, Lease, Store, Stored, StoreError, ViewKey

#: How often a waiting viewer looks at the sequence number.
WATCH_S = 0.1
SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (name TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS seq (id INTEGER PRIMARY KEY CHECK (id = 1), value INTEGER NOT NULL);
INSERT OR IGNORE INTO seq (id, value) VALUES (1, 0);
CREATE TABLE IF NOT EXISTS snapshots (
  key TEXT PRIMARY KEY, seq INTEGER NOT NULL, written_at REAL NOT NULL, body TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS snapshots_by_seq ON snapshots (seq);
CREATE TABLE IF NOT EXISTS demands (
  key TEXT NOT NULL, viewer TEXT NOT NULL, at REAL NOT NULL, force_at REAL, PRIMARY KEY (key, viewer));
CREATE TABLE IF NOT EXISTS status (
  kind TEXT NOT NULL, ident TEXT NOT NULL, expires_at REAL NOT NULL, doc TEXT NOT NULL,
  PRIMARY KEY (kind, ident));
CREATE TABLE IF NOT EXISTS series (name TEXT PRIMARY KEY, expires_at REAL NOT NULL, doc TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS leases (name TEXT PRIMARY KEY, holder TEXT NOT NULL, expires_at REAL NOT NULL);
"""


class SqliteStore(Store):
    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = Path(path)
        self.url = f"sqlite:{self.path}"
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
            if not self.path.exists():  # snapshots are the team's data: owner-only from the start
                os.close(os.open(self.path, os.O_CREAT | os.O_WRONLY, 0o600))
            self._db = sqlite3.connect(self.path, timeout=10.0, isolation_level=None, check_same_thread=False)
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=NORMAL")
            self._db.executescript(SCHEMA)
        except (OSError, sqlite3.Error) as exc:
            raise StoreError(
                f"{self.url}: cannot open the store: {exc}; check the path and its permissions"
            ) from exc
        self._lock = threading.Lock()
        self._closed = False

    @contextlib.contextmanager
    def _tx(self) -> Iterator[sqlite3.Connection]:
        """One write transaction (BEGIN IMMEDIATE: writers queue instead of failing mid-way)."""
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                yield self._db
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            self._db.execute("COMMIT")

    def _one(self, sql: str, args: tuple[Any, ...] = ()) -> Any:
        with self._lock:
            return self._db.execute(sql, args).fetchone()

    def _all(self, sql: str, args: tuple[Any, ...] = ()) -> list[Any]:
        with self._lock:
            return self._db.execute(sql, args).fetchall()

    # -- boards ---------------------------------------------------------------------------------
    def put_boards(self, doc: Mapping[str, Any]) -> None:
        with self._tx() as db:
            db.execute("INSERT OR REPLACE INTO meta (name, value) VALUES ('boards', ?)", (json.dumps(doc),))

    def boards(self) -> Mapping[str, Any] | None:
        row = self._one("SELECT value FROM meta WHERE name = 'boards'")
        return None if row is None else dict(json.loads(row[0]))

    # -- snapshots ------------------------------------------------------------------------------
    def put_snapshot(self, key: ViewKey, text: str, at: float) -> int:
        with self._tx() as db:
            (seq,) = db.execute("UPDATE seq SET value = value + 1 WHERE id = 1 RETURNING value").fetchone()
            db.execute("INSERT OR REPLACE INTO snapshots (key, seq, written_at, body) VALUES (?, ?, ?, ?)",
                       (key.text(), seq, at, text))  # fmt: skip
        return int(seq)

    def latest(self, key: ViewKey) -> Stored | None:
        row = self._one("SELECT seq, written_at, body FROM snapshots WHERE key = ?", (key.text(),))
        return None if row is None else Stored(key, int(row[0]), float(row[1]), row[2])

    def head(self) -> int:
        return int(self._one("SELECT value FROM seq WHERE id = 1")[0])

    def changed_since(self, seq: int) -> list[tuple[int, ViewKey]]:
        rows = self._all("SELECT seq, key FROM snapshots WHERE seq > ? ORDER BY seq", (seq,))
        return [(int(s), ViewKey.parse(k)) for s, k in rows]

    def wait_change(self, seq: int, timeout_s: float) -> int:
        deadline = time.monotonic() + max(0.0, timeout_s)
        while True:
            head = self.head()
            left = deadline - time.monotonic()
            if head > seq or left <= 0:
                return head
            time.sleep(min(WATCH_S, left))  # a one-row read per tick; WAL readers never block the writer

    def drop_snapshots(self, keep: set[ViewKey] | None, older_than: float) -> int:
        keep_text = {k.text() for k in keep or ()}
        with self._tx() as db:
            rows = db.execute("SELECT key FROM snapshots WHERE written_at < ?", (older_than,)).fetchall()
            gone = [(k,) for (k,) in rows if k not in keep_text]
            db.executemany("DELETE FROM snapshots WHERE key = ?", gone)
        return len(gone)

    # -- series ---------------------------------------------------------------------------------
    def put_series(self, name: str, doc: str, at: float, ttl_s: float) -> None:
        with self._tx() as db:
            db.execute(
                "INSERT OR REPLACE INTO series (name, expires_at, doc) VALUES (?, ?, ?)",
                (name, at + ttl_s, doc),
            )
            db.execute("DELETE FROM series WHERE expires_at < ?", (at,))

    def get_series(self, name: str, now: float) -> str | None:
        row = self._one("SELECT doc FROM series WHERE name = ? AND expires_at >= ?", (name, now))
        return None if row is None else str(row[0])

    # -- demands --------------------------------------------------------------------------------
    def demand(self, key: ViewKey, viewer: str, at: float, force: bool = False) -> None:
        with self._tx() as db:
            db.execute(
                "INSERT INTO demands (key, viewer, at, force_at) VALUES (?, ?, ?, ?) "
                "ON CONFLICT (key, viewer) DO UPDATE SET at = excluded.at, "
                "force_at = COALESCE(excluded.force_at, demands.force_at)",
                (key.text(), viewer, at, at if force else None),
            )

    def demands(self, since: float) -> list[Demand]:
        with self._tx() as db:
            db.execute("DELETE FROM demands WHERE at < ?", (since,))
            rows = db.execute("SELECT key, viewer, at, force_at FROM demands").fetchall()
        return [Demand(ViewKey.parse(k), v, float(a), None if f is None else float(f)) for k, v, a, f in rows]

    # -- status ---------------------------------------------------------------------------------
    def put_status(self, kind: str, ident: str, doc: Mapping[str, Any], at: float, ttl_s: float) -> None:
        with self._tx() as db:
            db.execute("INSERT OR REPLACE INTO status (kind, ident, expires_at, doc) VALUES (?, ?, ?, ?)",
                       (kind, ident, at + ttl_s, json.dumps(doc)))  # fmt: skip

    def statuses(self, kind: str, now: float) -> list[dict[str, Any]]:
        rows = self._all(
            "SELECT doc FROM status WHERE kind = ? AND expires_at >= ? ORDER BY ident", (kind, now)
        )
        return [dict(json.loads(d)) for (d,) in rows]

    def drop_status(self, kind: str, ident: str) -> None:
        with self._tx() as db:
            db.execute("DELETE FROM status WHERE kind = ? AND ident = ?", (kind, ident))

    # -- leases ---------------------------------------------------------------------------------
    def acquire(self, name: str, holder: str, ttl_s: float, now: float) -> bool:
        with self._tx() as db:
            row = db.execute("SELECT holder, expires_at FROM leases WHERE name = ?", (name,)).fetchone()
            if row is not None and row[0] != holder and row[1] > now:
                return False
            db.execute("INSERT OR REPLACE INTO leases (name, holder, expires_at) VALUES (?, ?, ?)",
                       (name, holder, now + ttl_s))  # fmt: skip
        return True

    def release(self, name: str, holder: str) -> None:
        with self._tx() as db:
            db.execute("DELETE FROM leases WHERE name = ? AND holder = ?", (name, holder))

    def lease(self, name: str, now: float) -> Lease | None:
        row = self._one("SELECT holder, expires_at FROM leases WHERE name = ?", (name,))
        if row is None or row[1] <= now:
            return None
        return Lease(str(row[0]), float(row[1]) - now)

    def close(self) -> None:
        with self._lock:
            if not self._closed:
                self._closed = True
                self._db.close()
