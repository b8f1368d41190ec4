"""Fixtures for the serve suite: a real redis-server on 127.0.0.1 (its own port and dir), SQLite stores,
and demo configs with several boards and a fast refresh."""

from __future__ import annotations

import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))  # `import servehelp`

from servehelp import free_port  # noqa: E402

from srvmon.store.sqlite_store import SqliteStore  # noqa: E402

REDIS = shutil.which("redis-server") or "/usr/bin/redis-server"


class RedisServer:
    def __init__(self, port: int, proc: subprocess.Popen[bytes]) -> None:
        self.port = port
        self.proc = proc

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"


@pytest.fixture
def redis_server(tmp_path: Path) -> Iterator[RedisServer]:
    """A real redis-server (Debian package) for this test only; fails loudly when it cannot start."""
    if not Path(REDIS).exists():
        pytest.fail("redis-server is not installed (apt-get install redis-server; .ci/run does it)")
    port = free_port()
    data = tmp_path / "redis"
    data.mkdir()
    proc = subprocess.Popen(
        [REDIS, "--port", str(port), "--bind", "127.0.0.1", "--dir", str(data), "--save", "", "--appendonly", "no",
         "--protected-mode", "yes", "--daemonize", "no", "--loglevel", "warning"],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
    )  # fmt: skip
    deadline = time.monotonic() + 10
    while True:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5) as s:
                s.sendall(b"PING\r\n")
                if s.recv(16).startswith(b"+PONG"):
                    break
        except OSError:
            pass
        if proc.poll() is not None or time.monotonic() > deadline:
            out = proc.stdout.read().decode() if proc.stdout else ""
            proc.kill()
            pytest.fail(f"redis-server did not start on 127.0.0.1:{port}: {out}")
        time.sleep(0.05)  # waiting for the server's port, bounded by the deadline
    yield RedisServer(port, proc)
    proc.kill()
    proc.wait(5)


@pytest.fixture
def sqlite_store(tmp_path: Path) -> Iterator[SqliteStore]:
    store = SqliteStore(tmp_path / "serve.db")
    yield store
    store.close()


@pytest.fixture(params=["sqlite", "redis"])
def any_store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[object]:
    """The same contract tests on both stores (Redis a real server)."""
    from srvmon.store import open_store

    if request.param == "sqlite":
        store = open_store(f"sqlite:{tmp_path / 'serve.db'}")
    else:
        server = request.getfixturevalue("redis_server")
        store = open_store(server.url)
    yield store
    store.close()


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"
