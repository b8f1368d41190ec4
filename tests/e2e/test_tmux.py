"""End to end: the INSTALLED `srvmon` binary runs the demo board inside tmux; keys are sent, the screen read."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

pytestmark = pytest.mark.e2e

NOW = "2026-11-20T14:07:30Z"


def srvmon_binary() -> str:
    found = Path(sys.prefix) / "bin" / "srvmon"
    if found.exists():
        return str(found)
    which = shutil.which("srvmon")
    if which is None:
        pytest.fail("the srvmon console script is not installed (pip install -e .)")
    return which


class Tmux:
    def __init__(self, socket: str) -> None:
        self.socket = socket

    def run(self, *args: str, check: bool = True) -> str:
        proc = subprocess.run(["tmux", "-L", self.socket, *args], capture_output=True, text=True, timeout=10)
        if check and proc.returncode != 0:
            raise AssertionError(f"tmux {' '.join(args)} failed: {proc.stderr}")
        return proc.stdout

    def start(self, cmd: str, cwd: Path, size: tuple[int, int] = (120, 40)) -> None:
        """A detached session "srvmon" of `size` running `cmd` in `cwd` (no user tmux config)."""
        w, h = size
        self.run(
            "-f",
            "/dev/null",
            "new-session",
            "-d",
            "-s",
            "srvmon",
            "-x",
            str(w),
            "-y",
            str(h),
            "-c",
            str(cwd),
            cmd,
        )

    def screen(self) -> str:
        return self.run("capture-pane", "-p", "-t", "srvmon")

    def send(self, *keys: str) -> None:
        self.run("send-keys", "-t", "srvmon", *keys)

    def wait_for(self, ok: Callable[[str], bool], what: str, timeout: float = 20.0) -> str:
        deadline = time.monotonic() + timeout
        text = ""
        while time.monotonic() < deadline:
            text = self.screen()
            if ok(text):
                return text
            time.sleep(0.1)  # polling the pane for readiness, bounded by the deadline
        raise AssertionError(f"timed out waiting for {what}; screen was:\n{text}")


@pytest.fixture
def tmux(tmp_path: Path) -> Iterator[Tmux]:
    if shutil.which("tmux") is None:
        pytest.fail("tmux is not installed (apt-get install tmux)")
    t = Tmux(f"srvmon-e2e-{os.getpid()}-{tmp_path.name}")
    env = {
        "SRVMON_NOW": NOW,
        "HOME": str(tmp_path),
        "TERM": "xterm-256color",
        "TZ": "UTC",
        "PATH": os.environ.get("PATH", ""),
    }
    # env -i: nothing leaks in from the test runner (pytest exports COLUMNS/LINES, which Textual obeys)
    cmd = (
        "env -i "
        + " ".join(f"{k}={v!s}" for k, v in env.items())
        + f" {srvmon_binary()} --demo; echo srvmon-exit=$?; sleep 60"
    )
    t.start(cmd, tmp_path)
    try:
        yield t
    finally:
        t.run("kill-server", check=False)


def test_demo_board_in_tmux_keys_and_quit(tmux: Tmux) -> None:
    board = tmux.wait_for(lambda s: "Requests/s" in s and "refreshed" in s and "DEMO" in s, "the demo board")
    assert "srvmon Serverless screenboard" in board
    assert "Fri 20 Nov 10:07 – 14:07" in board and "[4h]" in board and "● LIVE" in board
    status = [line for line in board.splitlines() if "refreshed" in line]
    assert status and "✓ demo" in status[0], status

    tmux.send("1")
    tmux.wait_for(lambda s: "[1h]" in s and "13:07 – 14:07" in s, "range 1h")
    tmux.send("2")
    tmux.wait_for(lambda s: "[4h]" in s and "10:07 – 14:07" in s, "range 4h again")

    tmux.send("w")
    tmux.wait_for(lambda s: "no compare" in s, "compare overlay off")
    tmux.send("w")
    tmux.wait_for(lambda s: "vs last week" in s, "compare overlay on")

    tmux.send("?")
    help_text = tmux.wait_for(lambda s: "srvmon keys" in s and "quit srvmon" in s, "the help screen")
    assert "cycle the range 1h → 4h → 12h → 1d → 1w → 1mo" in help_text
    tmux.send("Escape")
    tmux.wait_for(lambda s: "srvmon keys" not in s and "Requests/s" in s, "back to the board")

    tmux.send("q")
    tmux.wait_for(lambda s: "Requests/s" not in s, "the app to exit")
    tmux.wait_for(lambda s: "srvmon-exit=0" in s, "exit status 0")


def test_q_quits_at_once_while_a_provider_is_stuck(tmp_path: Path) -> None:
    """A board with a provider whose server never answers: the demo panels show data, and `q` leaves within
    a second while the stuck call is still in flight (its daemon worker is never waited for)."""
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    from faults import Fault, FaultServer

    server = FaultServer()
    server.routes["*"] = Fault("stall")
    cfg = tmp_path / "stuck.toml"
    cfg.write_text(f"""
[settings]
timeout = "60s"

[providers.demo]
type = "demo"

[providers.stuck]
type = "prometheus"
url = "{server.url}"
timeout = "60s"
detect = false

[[boards]]
name = "b"
provider = "demo"

[[boards.panels]]
id = "demo_requests"
title = "Demo requests"
kind = "stat"
query = "api.requests"
position = {{ row = 0, col = 0, width = 6 }}

[[boards.panels]]
id = "stuck_requests"
title = "Stuck requests"
kind = "stat"
provider = "stuck"
query = "up"
position = {{ row = 0, col = 6, width = 6 }}
""")
    t = Tmux(f"srvmon-e2e-stuck-{os.getpid()}")
    env = f"env -i SRVMON_NOW={NOW} HOME={tmp_path} TERM=xterm-256color TZ=UTC PATH={os.environ.get('PATH', '')}"
    cmd = f"{env} {srvmon_binary()} --config {cfg}; echo srvmon-exit=$?; sleep 60"
    t.start(cmd, tmp_path)
    try:
        board = t.wait_for(lambda s: "Demo requests" in s and "Stuck requests" in s and "loading" in s,
                           "the board with the stuck panel loading")  # fmt: skip
        assert "✓ Demo requests" in t.wait_for(lambda s: "✓ Demo requests" in s, "demo data"), board
        start = time.monotonic()
        t.send("q")
        t.wait_for(lambda s: "srvmon-exit=0" in s, "srvmon to exit", timeout=10)
        took = time.monotonic() - start
        assert took < 1.5, f"q took {took:.2f}s with a stuck provider call"
    finally:
        t.run("kill-server", check=False)
        server.close()
