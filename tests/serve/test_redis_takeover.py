"""Two `srvmon serve` processes on one real Redis: one holds the lease and polls, the other stands by;
SIGKILL the leader right after a write and the standby takes over without a gap longer than one refresh."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from servehelp import boards_config, wait_for

from srvmon.store import POLLER, ViewKey, open_store

REFRESH_S = 2.0
KEY = ViewKey("ops", 4 * 3600, None, True)


def _serve(cfg: Path, url: str, tmp: Path, name: str) -> subprocess.Popen[bytes]:
    env = {"PATH": os.environ["PATH"], "HOME": str(tmp), "LANG": "C.UTF-8"}
    return subprocess.Popen([sys.executable, "-m", "srvmon", "serve", "--config", str(cfg), "--store", url,
                             "--lease", "1s", "--log", str(tmp / f"{name}.log")],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env)  # fmt: skip


@pytest.fixture
def procs() -> Iterator[list[subprocess.Popen[bytes]]]:
    started: list[subprocess.Popen[bytes]] = []
    yield started
    for p in started:
        if p.poll() is None:
            p.kill()
            p.wait(10)


def test_kill_the_leader_and_the_standby_takes_over(
    tmp_path: Path, redis_server: object, procs: list
) -> None:  # type: ignore[type-arg]
    url = redis_server.url  # type: ignore[attr-defined]
    cfg = boards_config(tmp_path / "c.toml", refresh="2s")
    store = open_store(url)
    a = _serve(cfg, url, tmp_path, "a")
    procs.append(a)
    holder_a = f"{os.uname().nodename}:{a.pid}"
    wait_for(lambda: (lease := store.lease("demo", 0)) is not None and lease.holder == holder_a, "a's lease")
    b = _serve(cfg, url, tmp_path, "b")
    procs.append(b)
    holder_b = f"{os.uname().nodename}:{b.pid}"
    wait_for(
        lambda: any(d["holder"] == holder_b for d in store.statuses(POLLER, 0)), "b standing by", timeout=30
    )

    seen: list[tuple[int, float]] = []

    def new_write() -> bool:
        got = store.latest(KEY)
        if got is not None and (not seen or got.seq != seen[-1][0]):
            seen.append((got.seq, got.written_at))
            return True
        return False

    for _ in range(3):  # a polls on its cadence; b writes nothing
        wait_for(new_write, "a's next snapshot", every=0.02)
    assert store.lease("demo", 0).holder == holder_a  # type: ignore[union-attr]
    a.send_signal(signal.SIGKILL)  # right after a write: no release, no goodbye
    a.wait(10)
    for _ in range(3):
        wait_for(new_write, "the standby's snapshots", every=0.02)
    assert store.lease("demo", 0).holder == holder_b  # type: ignore[union-attr]
    gaps = [y[1] - x[1] for x, y in zip(seen, seen[1:], strict=False)]
    assert max(gaps) <= REFRESH_S * 1.25, gaps  # no gap longer than one refresh (plus scheduling)
    assert min(gaps) >= REFRESH_S * 0.75, gaps  # and no double polling either
    store.close()
