"""Prints the board's re-render time after a refresh (apply a new Snapshot + repaint every panel) for the
demo `serverless` preset at 40 and 10,000 functions, 200x60 headless. Goal: under 50 ms.

Two real snapshots a minute apart are alternated so every panel's data really changes each time. Timed from
applying the snapshot to Textual's next screen refresh (`App.call_after_refresh`); the charts are prepared
beforehand as the refresh worker thread does (`prepare_charts`, timed separately: it runs off the UI thread).

Run: .venv/bin/python benchmarks/tui_render.py [--repeat 30] [--functions 40 10000]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from srvmon.clock import FrozenClock
from srvmon.config import load_config
from srvmon.model import Snapshot
from srvmon.poll import Poller
from srvmon.tui.app import BoardView, SrvmonApp
from srvmon.tui.board_screen import prepare_charts
from srvmon.tui.refresher import StaticSource

NOW = datetime(2026, 11, 20, 14, 7, 30, tzinfo=UTC)


def snapshots(functions: int) -> tuple[Snapshot, Snapshot, object]:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "config.toml"
        path.write_text(
            f'[providers.demo]\ntype = "demo"\nfunctions = {functions}\n\n'
            '[[boards]]\nname = "serverless"\npreset = "serverless"\n',
            encoding="utf-8",
        )
        loaded = load_config(path)
    clock = FrozenClock(NOW)
    board = loaded.boards[0]
    poller = Poller(board, loaded.build_providers(clock), clock, timeout_s=120)
    a = poller.poll()
    clock.advance(60)
    b = poller.poll()
    poller.close()
    return a, b, board


async def measure(functions: int, repeat: int) -> dict[str, float]:
    a, b, board = snapshots(functions)
    source = StaticSource(a)
    app = SrvmonApp([BoardView(a.info(), lambda: source)], clock=FrozenClock(NOW), tz=UTC, live_refresh=False)
    total: list[float] = []
    cpu: list[float] = []
    apply_only: list[float] = []
    prebuild: list[float] = []
    async with app.run_test(size=(200, 60)) as pilot:
        await pilot.pause()
        screen = app.board_screen
        assert screen is not None
        await screen.wait_idle()
        await pilot.pause()
        for i in range(repeat):
            snap = b if i % 2 == 0 else a
            p0 = time.perf_counter()
            # what the refresh worker thread does before posting the snapshot: the charts, as pure data
            prepared = prepare_charts(snap, screen.geometry())
            prebuild.append(time.perf_counter() - p0)
            c0 = time.process_time()
            t0 = time.perf_counter()
            painted: asyncio.Future[float] = asyncio.get_running_loop().create_future()
            screen.apply_snapshot(snap, prepared)
            t1 = time.perf_counter()
            # Textual's public hook for "after the next screen refresh": layout + repaint of every panel
            app.call_after_refresh(lambda f=painted: f.set_result(time.perf_counter()))
            t2 = await painted
            cpu.append(time.process_time() - c0)
            await pilot.pause()  # (not timed) let the test harness settle before the next round
            apply_only.append(t1 - t0)
            total.append(t2 - t0)
    return {
        "median_ms": statistics.median(total) * 1000,
        "cpu_ms": statistics.median(cpu) * 1000,
        "p90_ms": sorted(total)[int(0.9 * len(total))] * 1000,
        "apply_ms": statistics.median(apply_only) * 1000,
        "prebuild_ms": statistics.median(prebuild) * 1000,
        "panels": len(a.panels),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=30)
    parser.add_argument("--functions", type=int, nargs="+", default=[40, 10_000])
    args = parser.parse_args()
    for n in args.functions:
        r = asyncio.run(measure(n, args.repeat))
        print(
            f"{n:>6} functions, {r['panels']} panels: re-render median {r['median_ms']:.1f} ms, "
            f"p90 {r['p90_ms']:.1f} ms, CPU {r['cpu_ms']:.1f} ms on the UI thread (apply {r['apply_ms']:.1f} ms); "
            f"charts prepared in the worker thread {r['prebuild_ms']:.1f} ms  goal < 50 ms"
        )


if __name__ == "__main__":
    main()
