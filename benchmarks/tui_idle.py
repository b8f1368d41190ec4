"""Prints (1) CPU used by the running `srvmon --demo` board while idle between refreshes (goal < 1% of one
core) and (2) RSS after 1,000 refreshes vs after 10 (goal: under 5% growth; plotext, which srvmon no longer
uses, leaked under repeated updates, piccolomo/plotext#216).

(1) runs the real app headless in a child process (refresh interval longer than the measurement) and
measures its process CPU time (all threads) over `--seconds`. (2) drives real refreshes in-process: the demo
Poller on a frozen clock advanced a minute per refresh, each snapshot applied and the 200x60 screen
repainted.

Run: .venv/bin/python benchmarks/tui_idle.py [--seconds 60] [--refreshes 1000]
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import subprocess
import sys
import time
from datetime import UTC, datetime

CHILD = r"""
import asyncio, sys, time
from srvmon.clock import clock_from_env
from srvmon.config import load_config
from srvmon.tui.app import create_app

loaded = load_config(demo=True)
clock = clock_from_env()
app = create_app(loaded, loaded.runtime(clock), clock, refresh_s=float(sys.argv[2]))

async def pilot(p):
    while app.board_screen is None or app.board_screen.snapshot is None:
        await p.pause(0.01)
    await p.pause()
    await asyncio.sleep(1.0)  # let the first frame's tail settle
    c0, t0 = time.process_time(), time.monotonic()  # process CPU: every thread, workers included
    await asyncio.sleep(float(sys.argv[1]))
    c1, t1 = time.process_time(), time.monotonic()
    print("CPU", (c1 - c0) / (t1 - t0) * 100, flush=True)
    app.exit()

app.run(headless=True, size=(200, 60), auto_pilot=pilot)
"""


def idle_cpu(seconds: float, refresh_s: float) -> float:
    proc = subprocess.run(
        [sys.executable, "-c", CHILD, str(seconds), str(refresh_s)],
        capture_output=True,
        text=True,
        timeout=seconds + 120,
        env={"SRVMON_NOW": "2026-11-20T14:07:30Z", "PATH": "/usr/bin:/bin", "TZ": "UTC"},
    )
    for line in proc.stdout.splitlines():
        if line.startswith("CPU"):
            return float(line.split()[1])
    raise SystemExit(f"the board did not report its CPU use:\n{proc.stderr[-2000:]}")


def rss_mb() -> float:
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


async def rss_growth(refreshes: int) -> tuple[dict[int, float], float]:
    from srvmon.clock import FrozenClock
    from srvmon.config import load_config
    from srvmon.poll import Poller
    from srvmon.tui.app import BoardView, SrvmonApp
    from srvmon.tui.board_screen import prepare_charts
    from srvmon.tui.refresher import StaticSource

    clock = FrozenClock(datetime(2026, 11, 20, 14, 7, 30, tzinfo=UTC))
    loaded = load_config(demo=True)
    board = loaded.boards[0]
    poller = Poller(board, loaded.build_providers(clock), clock, timeout_s=120)
    first = poller.poll()
    source = StaticSource(first)
    app = SrvmonApp([BoardView(first.info(), lambda: source)], clock=clock, tz=UTC, live_refresh=False)
    at: dict[int, float] = {}
    t0 = time.perf_counter()
    async with app.run_test(size=(200, 60)) as pilot:
        await pilot.pause()
        screen = app.board_screen
        assert screen is not None
        await screen.wait_idle()
        marks = {10, refreshes // 10, refreshes // 4, refreshes // 2, 3 * refreshes // 4, refreshes}
        for i in range(1, refreshes + 1):
            clock.advance(60)
            snapshot = poller.poll()
            prepared = prepare_charts(snapshot, screen.geometry())  # as the refresh worker does
            screen.apply_snapshot(snapshot, prepared)
            await pilot.pause()
            if i in marks:
                gc.collect()
                at[i] = rss_mb()
    poller.close()
    return at, time.perf_counter() - t0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--refreshes", type=int, default=1000)
    parser.add_argument("--skip-cpu", action="store_true")
    parser.add_argument("--skip-rss", action="store_true")
    parser.add_argument(
        "--refresh",
        type=float,
        default=3600.0,
        help="board refresh interval during the CPU measurement (default: none happens)",
    )
    args = parser.parse_args()
    if not args.skip_cpu:
        pct = idle_cpu(args.seconds, args.refresh)
        what = "between refreshes" if args.refresh > args.seconds else f"refreshing every {args.refresh:g} s"
        print(
            f"CPU over {args.seconds:.0f} s {what}: {pct:.2f}% of one core (goal < 1% of a core when idle, issue 12)"
        )
    if args.skip_rss:
        return
    at, took = asyncio.run(rss_growth(args.refreshes))
    n = args.refreshes
    r10, rn, half = at[10], at[n], at[n // 2]
    print("RSS by refresh: " + ", ".join(f"{i}: {mb:.1f} MB" for i, mb in sorted(at.items())))
    print(
        f"RSS after 10 refreshes {r10:.1f} MB, after {n} {rn:.1f} MB: {(rn - r10) / r10 * 100:+.1f}% "
        f"(goal < 5%); second half {(rn - half) / half * 100:+.1f}% ({took:.0f} s)"
    )


if __name__ == "__main__":
    main()
