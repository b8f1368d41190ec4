"""Benchmark the logs screen: open time at 10,000 records, filter keystroke latency and RSS at 100,000.

Run: .venv/bin/python benchmarks/logs_screen.py [--rows 100000] [--open-rows 10000]
Prints figures; it is not a timed test. Headless (App.run_test), 160x50 terminal, in-memory provider.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import os
import statistics
import time
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import ClassVar

from textual import events
from textual.app import App

from srvmon.clock import FrozenClock
from srvmon.model import LogQuery, LogRecord, LogResult, MetricQuery, QueryResult, TimeWindow
from srvmon.providers.base import Provider, ProviderOptions
from srvmon.tui.logs_screen import LogsScreen

NOW = datetime(2026, 11, 22, 4, 0, tzinfo=UTC)
SIZE = (160, 50)


class MemoryProvider(Provider):
    type_name: ClassVar[str] = "bench"

    def __init__(self, records: Sequence[LogRecord]) -> None:
        super().__init__("bench", ProviderOptions())
        self.records = tuple(records)

    def query(self, queries: Sequence[MetricQuery], window: TimeWindow) -> dict[str, QueryResult]:
        return {}

    def logs(self, query: LogQuery) -> LogResult:
        return LogResult(self.records)


def records(n: int) -> list[LogRecord]:
    t0 = NOW.timestamp() - n * 0.03
    out = []
    for i in range(n):
        if i % 4 == 0:
            msg = json.dumps(
                {"level": "info", "msg": f"order {i} priced", "user": f"u{i % 977}", "ms": i % 300}
            )
        else:
            msg = f"2026-11-22T03:00:00.000Z\treq-{i:08d}\t{'ERROR' if i % 50 == 0 else 'INFO'}\tprocessed order {i}"
        out.append(
            LogRecord(
                timestamp=t0 + i * 0.03,
                resource=f"fn-{i % 40:02d}",
                message=msg,
                level="ERROR" if i % 50 == 0 else "INFO",
                status=500 if i % 50 == 0 else 200,
                duration_ms=float(i % 900),
                request_id=f"req-{i:08d}",
            )
        )
    return out


def rss_mb() -> float:
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def query_for(provider: Provider) -> LogQuery:
    return LogQuery(provider=provider.name, window=TimeWindow(NOW - timedelta(hours=1), NOW, 60), limit=10**6)


async def open_time(n: int) -> float:
    provider = MemoryProvider(records(n))
    app: App[None] = App()
    async with app.run_test(size=SIZE):
        start = time.perf_counter()
        screen = LogsScreen(provider, query_for(provider), FrozenClock(NOW))
        await app.push_screen(screen)
        while len(screen.table.rows) != n:  # the worker fetched and the table took the records
            await asyncio.sleep(0)
        app.screen._compositor.render_strips()  # the first full frame
        elapsed = time.perf_counter() - start
        assert len(screen.table.rows) == n
    return elapsed


async def keystrokes(n: int, text: str) -> tuple[list[float], list[float], list[float], float, float, int]:
    gc.collect()
    before = rss_mb()
    data = records(n)
    provider = MemoryProvider(data)
    del data
    app: App[None] = App()
    async with app.run_test(size=SIZE) as pilot:
        screen = LogsScreen(provider, query_for(provider), FrozenClock(NOW))
        await app.push_screen(screen)
        await app.workers.wait_for_complete()
        await pilot.pause()
        loaded = rss_mb()
        await pilot.press("slash")
        await pilot.pause()
        end_to_end: list[float] = []
        filter_render: list[float] = []
        cpu_ms: list[float] = []
        typed = ""
        for ch in text:
            typed += ch
            start = time.perf_counter()
            cpu = time.process_time()
            app.post_message(events.Key(ch, ch))  # as the driver delivers a keystroke
            while screen.log_query.text != (" ".join(typed.split()) or None):
                await asyncio.sleep(0)
            app.screen._compositor.render_strips()  # the frame the terminal would get
            end_to_end.append((time.perf_counter() - start) * 1000)
            cpu_ms.append((time.process_time() - cpu) * 1000)
            await pilot.pause()
        # The filter + a visible-rows render alone, without Pilot's event-loop round trips.
        table = screen.table
        from srvmon.logfilter import LogFilter

        for i in range(1, len(text) + 1):
            start = time.perf_counter()
            table.set_filter(LogFilter(text=text[:i]).compile())
            for y in range(table.size.height):
                table.render_line(y)
            filter_render.append((time.perf_counter() - start) * 1000)
        shown = len(table.rows)
    return end_to_end, filter_render, cpu_ms, before, loaded, shown


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--open-rows", type=int, default=10_000)
    parser.add_argument("--text", default="order 4242")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()

    asyncio.run(open_time(200))  # warm imports and CSS parsing
    opened = asyncio.run(open_time(args.open_rows))
    print(f"open logs screen with {args.open_rows:,} records: {opened * 1000:.0f} ms (first frame rendered)")

    rounds = [asyncio.run(keystrokes(args.rows, args.text)) for _ in range(args.repeat)]
    _, _, _, before, loaded, shown = rounds[0]
    e2e = [x for r in rounds for x in r[0]]
    raw = [x for r in rounds for x in r[1]]
    cpu = [x for r in rounds for x in r[2]]
    best = min(statistics.median(r[0]) for r in rounds)
    print(
        f"filter keystroke at {args.rows:,} rows ({len(args.text)} keys of {args.text!r} x {args.repeat} rounds, "
        f"{shown} rows match):"
    )
    print(
        f"  end to end (key -> filtered -> frame): median {statistics.median(e2e):.1f} ms, "
        f"best-round median {best:.1f} ms, max {max(e2e):.1f} ms  (goal < 100 ms)"
    )
    print(
        f"  CPU per keystroke (load-independent):  median {statistics.median(cpu):.1f} ms, max {max(cpu):.1f} ms"
    )
    print(
        f"  full filter + visible-rows render:     median {statistics.median(raw):.1f} ms, max {max(raw):.1f} ms"
    )
    print(
        f"RSS: {before:.0f} MB before, {loaded:.0f} MB with {args.rows:,} rows loaded (+{loaded - before:.0f} MB)"
    )
    print(f"(load average during the run: {os.getloadavg()[0]:.2f} on {os.cpu_count()} CPUs)")


if __name__ == "__main__":
    main()
