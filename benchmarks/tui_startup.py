"""Prints start-to-first-complete-board-frame for `srvmon` (demo provider, 200x60, headless harness) next to
a minimal Textual hello-world measured the same way. Goal: the board within 2x of hello-world.

Each run is a fresh interpreter; the clock starts before spawning it and stops when the child reports that
the frame with data has been rendered (so interpreter start and imports are included, teardown is not).

Run: .venv/bin/python benchmarks/tui_startup.py [--repeat 5]
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time

BOARD = r"""
import asyncio, sys
from srvmon.clock import clock_from_env
from srvmon.config import load_config
from srvmon.tui.app import create_app

async def main():
    loaded = load_config(demo=True)
    clock = clock_from_env()
    app = create_app(loaded, loaded.runtime(clock), clock)
    async with app.run_test(size=(200, 60)) as pilot:
        while app.board_screen is None or app.board_screen.snapshot is None:
            await pilot.pause(0.002)
        await pilot.pause()
        print("FRAME", len(app.board_screen.frames()), flush=True)
asyncio.run(main())
"""

HELLO = r"""
import asyncio
from textual.app import App
from textual.widgets import Static

class Hello(App):
    def compose(self):
        yield Static("hello, world")

async def main():
    app = Hello()
    async with app.run_test(size=(200, 60)) as pilot:
        await pilot.pause()
        print("FRAME", 1, flush=True)
asyncio.run(main())
"""


BREAKDOWN = r"""
import time
t0 = time.perf_counter()
import textual.app, textual.widgets
t1 = time.perf_counter()
from srvmon.config import load_config
t2 = time.perf_counter()
import srvmon.tui.app
t3 = time.perf_counter()
from srvmon.clock import clock_from_env
from srvmon.poll import Poller
loaded = load_config(demo=True)
clock = clock_from_env()
poller = Poller(loaded.boards[0], loaded.build_providers(clock), clock, timeout_s=60)
t4 = time.perf_counter()
poller.poll()
t5 = time.perf_counter()
print("BREAKDOWN", t1 - t0, t2 - t1, t3 - t2, t5 - t4)
"""


def breakdown() -> list[float]:
    out = subprocess.run(
        [sys.executable, "-c", BREAKDOWN],
        capture_output=True,
        text=True,
        check=True,
        env={"SRVMON_NOW": "2026-11-20T14:07:30Z", "PATH": "/usr/bin:/bin", "TZ": "UTC"},
    ).stdout
    line = next(x for x in out.splitlines() if x.startswith("BREAKDOWN"))
    return [float(v) for v in line.split()[1:]]


def time_to_frame(code: str) -> float:
    t0 = time.perf_counter()
    proc = subprocess.Popen(
        [sys.executable, "-c", code],
        stdout=subprocess.PIPE,
        text=True,
        env={"SRVMON_NOW": "2026-11-20T14:07:30Z", "PATH": "/usr/bin:/bin", "TZ": "UTC"},
    )
    assert proc.stdout is not None
    for line in proc.stdout:
        if line.startswith("FRAME"):
            elapsed = time.perf_counter() - t0
            break
    else:
        raise SystemExit(f"child never reported a frame (exit {proc.wait()})")
    proc.wait()
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    hello = [time_to_frame(HELLO) for _ in range(args.repeat)]
    board = [time_to_frame(BOARD) for _ in range(args.repeat)]
    h, b = statistics.median(hello), statistics.median(board)
    print(
        f"hello-world first frame: median {h * 1000:.0f} ms (min {min(hello) * 1000:.0f} ms, n={args.repeat})"
    )
    print(
        f"srvmon demo board first complete frame: median {b * 1000:.0f} ms (min {min(board) * 1000:.0f} ms)"
    )
    print(f"ratio board / hello-world: {b / h:.2f}x (goal <= 2x)")
    textual_s, config_s, tui_s, poll_s = breakdown()
    print(
        f"where the board's extra time goes: import textual {textual_s * 1000:.0f} ms (hello-world pays it too), "
        f"srvmon.config + pydantic {config_s * 1000:.0f} ms, srvmon.tui {tui_s * 1000:.0f} ms, "
        f"first demo poll (cold) {poll_s * 1000:.0f} ms; the rest is mounting and painting 25 panels"
    )


if __name__ == "__main__":
    main()
