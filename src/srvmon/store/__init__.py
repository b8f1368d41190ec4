"""The snapshot store of `srvmon serve`: `open_store("sqlite:PATH" | "redis://HOST:PORT/DB")` (see base)."""

from __future__ import annotations

from pathlib import Path

from srvmon.store.base import POLLER, VIEWER, Demand, Lease, Store, Stored, StoreError, ViewKey

DEFAULT_NAME = "serve.db"


def default_path() -> Path:
    """The embedded store's default file, in the user state dir."""
    from platformdirs import user_state_dir

    return Path(user_state_dir("srvmon")) / DEFAULT_NAME


def default_url() -> str:
    return f"sqlite:{default_path()}"


def open_store(url: str | None) -> Store:
    """`sqlite:PATH` (or a bare path), `redis://HOST:PORT/DB` / `rediss://...`; StoreError says what is wrong."""
    text = (url or default_url()).strip()
    if text.startswith(("redis://", "rediss://")):
        from srvmon.store.redis_store import RedisStore

        return RedisStore(text)
    if text.startswith("sqlite:"):
        text = text[len("sqlite:") :]
        text = text[2:] if text.startswith("//") else text
    if not text or "://" in text:
        raise StoreError(f"--store {url!r}: use sqlite:PATH or redis://HOST:PORT/DB")
    from srvmon.store.sqlite_store import SqliteStore

    return SqliteStore(Path(text).expanduser())


__all__ = ["POLLER", "VIEWER", "Demand", "Lease", "Store", "StoreError", "Stored", "ViewKey", "open_store"]
