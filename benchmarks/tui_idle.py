"""Prints (1) CPU used by the running `srvmon --demo` board while idle between refreshes (goal < 2% of one
core) and (2) RSS after 1,000 refreshes vs after 10 (goal: under 10% growth; plotext is known to leak
under repeated updates, piccolomo/plotext#216).

(1) runs the real app headless in a child process (refresh interval longer than the measurement) and reads
its CPU time from /proc before and after `--seconds`. (2) drives real refreshes in-process: the demo
Poller on a frozen clock advanced a minute per refresh, each snapshot applied and the 200x60 screen
repainted.

Run: .venv/bin/python benchmarks/tui_idle.py [--seconds 60] [--refreshes 1000]
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import os
import subprocess
import sys
import time
from datetime import UTC, datetime

CHILD = r"""
import asyncio, sys
from srvmon.clock import clock_from_env
from srvmon.config import load_config
from srvmon.tui.app import create_app

loaded = load_config(demo=True)
clock = clock_from_env()
app = create_app(loaded, loaded.build_providers(clock), clock, refresh_s=3600)

async def pilot(p):
    while app.board_screen is None or app.board_screen.snapshot is None:
        await p.pause(0.01)
    await p.pause()
    print("READY", flush=True)
    await asyncio.sleep(float(sys.argv[1]) + 30)
    app.exit()

app.run(headless=True, size=(200, 60), auto_pilot=pilot)
"""


def cpu_seconds(pid: int) -> float:
    with open(f"/proc/{pid}/stat") as fh:
        fields = fh.read().rsplit(")", 1)[1].split()
    ticks = os.sysconf("SC_CLK_TCK")
    return (int(fields[11]) + int(fields[12])) / ticks  # utime + stime


def idle_cpu(seconds: float) -> float:
    proc = subprocess.Popen([sys.executable, "-c", CHILD, str(seconds)], stdout=subprocess.PIPE, text=True,
                            env={"SRVMON_NOW": "2026-11-20T14:07:30Z", "PATH": "/usr/bin:/bin", "TZ": "UTC"})
    assert proc.stdout is not None
    try:
        for line in proc.stdout:
            if line.startswith("READY"):
                break
        time.sleep(1.0)  # let the first frame's tail (notifications, tooltips) settle
        c0, t0 = cpu_seconds(proc.pid), time.monotonic()
        time.sleep(seconds)
        c1, t1 = cpu_seconds(proc.pid), time.monotonic()
    finally:
        proc.kill()
        proc.wait()
    return (c1 - c0) / (t1 - t0) * 100


def rss_mb() -> float:
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


async def rss_growth(refreshes: int) -> tuple[float, float, float]:
    from srvmon.clock import FrozenClock
    from srvmon.config import load_config
    from srvmon.poll import Poller
    from srvmon.tui.app import SrvmonApp
    from srvmon.tui.refresher import StaticSource
    from srvmon.tui.spec import from_board

    clock = FrozenClock(datetime(2026, 11, 20, 14, 7, 30, tzinfo=UTC))
    loaded = load_config(demo=True)
    board = loaded.boards[0]
    poller = Poller(board, loaded.build_providers(clock), clock, timeout_s=120)
    first = poller.poll()
    app = SrvmonApp([from_board(board)], lambda spec: StaticSource(first), clock=clock, tz=UTC, live_refresh=False)
    at: dict[int, float] = {}
    t0 = time.perf_counter()
    async with app.run_test(size=(200, 60)) as pilot:
        await pilot.pause()
        await app.workers.wait_for_complete()
        screen = app.board_screen
        assert screen is not None
        for i in range(1, refreshes + 1):
            clock.advance(60)
            screen.apply_snapshot(poller.poll())
            await pilot.pause()
            if i in (10, refreshes):
                gc.collect()
                at[i] = rss_mb()
    poller.close()
    return at[10], at[refreshes], time.perf_counter() - t0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--refreshes", type=int, default=1000)
    parser.add_argument("--skip-cpu", action="store_true")
    args = parser.parse_args()
    if not args.skip_cpu:
        pct = idle_cpu(args.seconds)
        print(f"idle CPU over {args.seconds:.0f} s between refreshes: {pct:.2f}% of one core (goal < 2%)")
    r10, rn, took = asyncio.run(rss_growth(args.refreshes))
    growth = (rn - r10) / r10 * 100
    print(f"RSS after 10 refreshes {r10:.1f} MB, after {args.refreshes} {rn:.1f} MB: {growth:+.1f}% "
          f"(goal < 10%; {took:.0f} s)")


if __name__ == "__main__":
    main()
