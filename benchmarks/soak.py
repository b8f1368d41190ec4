"""Soak: the real board (demo provider, Poller on a Runtime, the Textual app headless at 200x60) refreshed
N times on an accelerated clock (each refresh a minute later). Prints RSS, CPU, threads and open files at
intervals, then a tracemalloc top-10 of what grew over the second half. Goal: RSS flat (< 2% growth over
the second half), no thread or file-descriptor growth.

Run: .venv/bin/python benchmarks/soak.py [--refreshes 20000] [--every 1000] [--functions 40]
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import os
import resource
import threading
import time
import tracemalloc
from datetime import UTC, datetime

from srvmon.clock import FrozenClock
from srvmon.config import parse_config
from srvmon.poll import Poller
from srvmon.tui.app import BoardView, SrvmonApp

START = datetime(2026, 11, 20, 8, 0, tzinfo=UTC)


def rss_mb() -> float:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def fds() -> int:
    return len(os.listdir("/proc/self/fd"))


def cpu_s() -> float:
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


async def soak(refreshes: int, every: int, functions: int, trace: bool) -> None:
    clock = FrozenClock(START)
    cfg = parse_config(
        f'[providers.demo]\ntype = "demo"\nfunctions = {functions}\n[[boards]]\nname = "s"\npreset = "serverless"\n'
    )
    runtime = cfg.runtime(clock)
    board = cfg.boards[0]
    app = SrvmonApp([BoardView(board.info(), lambda: Poller(board, runtime, clock))], runtime=runtime, clock=clock,
                    live_refresh=False)  # fmt: skip
    rows: list[tuple[int, float, float, int, int, float]] = []
    snap_half = None
    t0 = time.monotonic()
    async with app.run_test(size=(200, 60), notifications=False) as pilot:
        screen = app.board_screen
        assert screen is not None
        await screen.wait_idle()
        print(f"{'refresh':>8} {'RSS MB':>8} {'CPU s':>8} {'threads':>8} {'fds':>5} {'ms/refresh':>10}")
        last_t, last_n = time.monotonic(), 0
        for n in range(1, refreshes + 1):
            clock.advance(60)
            screen.request_fetch()
            await screen.wait_idle()
            await pilot.pause()
            if n == refreshes // 2:
                gc.collect()
                if trace:
                    snap_half = tracemalloc.take_snapshot()
            if n % every == 0 or n == refreshes:
                gc.collect()
                now = time.monotonic()
                ms = (now - last_t) / max(1, n - last_n) * 1000
                last_t, last_n = now, n
                row = (n, rss_mb(), cpu_s(), threading.active_count(), fds(), ms)
                rows.append(row)
                print(
                    f"{row[0]:>8} {row[1]:>8.1f} {row[2]:>8.1f} {row[3]:>8} {row[4]:>5} {row[5]:>10.1f}",
                    flush=True,
                )
        end = tracemalloc.take_snapshot() if trace else None
    runtime.close()
    half = next((r for r in rows if r[0] >= refreshes // 2), rows[0])
    last = rows[-1]
    growth = (last[1] - half[1]) / half[1] * 100
    print(f"\n{refreshes} refreshes in {time.monotonic() - t0:.0f}s; RSS over the second half: "
          f"{half[1]:.1f} -> {last[1]:.1f} MB ({growth:+.2f}%, goal < 2%); threads {half[3]} -> {last[3]}, "
          f"fds {half[4]} -> {last[4]}")  # fmt: skip
    if trace and snap_half is not None and end is not None:
        print("\ntracemalloc: top 10 growth over the second half")
        for stat in end.compare_to(snap_half, "lineno")[:10]:
            print(f"  {stat}")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--refreshes", type=int, default=2000)
    ap.add_argument("--every", type=int, default=200)
    ap.add_argument("--functions", type=int, default=40)
    ap.add_argument("--no-trace", action="store_true", help="skip tracemalloc (it slows every allocation)")
    args = ap.parse_args()
    if not args.no_trace:
        tracemalloc.start(10)
    asyncio.run(soak(args.refreshes, args.every, args.functions, not args.no_trace))


if __name__ == "__main__":
    main()
