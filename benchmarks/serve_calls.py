"""Print the provider API calls and metrics requested per steady-state refresh of `srvmon serve` on the
demo serverless board at 40, 500 and 5,000 functions: before (every viewer its own poller, today's
`srvmon`), serve without the incremental fetch, and serve with it (srvmon.fetchcache); for 1 viewer and
20 viewers on the board's view, and 20 viewers spread over 5 views (4h, 1h, 1d, 1w and 4h without compare).

Run: .venv/bin/python benchmarks/serve_calls.py [sizes...]
In-process on a frozen clock (60 s refreshes, 10 warm-up refreshes, then 10 measured); a SQLite store in a
temp dir; viewers are demands in the store, exactly what `srvmon attach` writes."""

from __future__ import annotations

import sys
import tempfile
from datetime import UTC, datetime
from pathlib import Path

from srvmon.clock import FrozenClock
from srvmon.config import parse_config
from srvmon.fetchcache import FetchCache
from srvmon.model import RANGES
from srvmon.poll import Poller
from srvmon.serve.loop import ServeLoop
from srvmon.store import ViewKey
from srvmon.store.sqlite_store import SqliteStore

START = datetime(2026, 11, 18, 12, 0, 5, tzinfo=UTC)
WARM, MEASURED = 10, 10
CONFIG = (
    '[providers.demo]\ntype = "demo"\nfunctions = {n}\n\n[[boards]]\nname = "ops"\npreset = "serverless"\n'
)
SPREAD = [ViewKey("ops", RANGES["4h"], None, True), ViewKey("ops", RANGES["1h"], None, True),
          ViewKey("ops", RANGES["1d"], None, True), ViewKey("ops", RANGES["1w"], None, True),
          ViewKey("ops", RANGES["4h"], None, False)]  # fmt: skip


def per_refresh_alone(n: int) -> tuple[float, float]:
    """Today: a viewer is its own poller."""
    clock = FrozenClock(START)
    loaded = parse_config(CONFIG.format(n=n))
    runtime = loaded.runtime(clock)
    poller = Poller(loaded.boards[0], runtime, clock)
    p = runtime.get("demo")
    assert p is not None
    for _ in range(WARM):
        poller.poll()
        clock.advance(60)
    u0 = p.usage()
    for _ in range(MEASURED):
        poller.poll()
        clock.advance(60)
    u1 = p.usage()
    runtime.close()
    return (u1.api_calls - u0.api_calls) / MEASURED, (u1.metrics_requested - u0.metrics_requested) / MEASURED


def per_refresh_served(n: int, viewers: int, views: list[ViewKey], cached: bool) -> tuple[float, float]:
    clock = FrozenClock(START)
    loaded = parse_config(CONFIG.format(n=n))
    with tempfile.TemporaryDirectory() as tmp:
        store = SqliteStore(Path(tmp) / "s.db")
        loop = ServeLoop(loaded.boards, loaded.runtime(clock), store, clock, holder="bench",
                         fetch=FetchCache(clock) if cached else None)  # fmt: skip
        p = loop.runtime.get("demo")
        assert p is not None

        def refresh() -> None:
            for v in range(viewers):
                store.demand(views[v % len(views)], f"viewer-{v}", clock.now().timestamp())
            loop.tick()
            clock.advance(60)

        for _ in range(WARM):
            refresh()
        u0 = p.usage()
        for _ in range(MEASURED):
            refresh()
        u1 = p.usage()
        loop.close()
        loop.runtime.close()
        store.close()
    return (u1.api_calls - u0.api_calls) / MEASURED, (u1.metrics_requested - u0.metrics_requested) / MEASURED


def main(sizes: list[int]) -> None:
    print("API calls / metrics requested per steady-state 60 s refresh, demo serverless board")
    print(f"{'functions':>9} | {'viewers':<18} | {'each its own poller':>19} | {'serve, full fetch':>17} | "
          f"{'serve, incremental':>18}")  # fmt: skip
    for n in sizes:
        alone = per_refresh_alone(n)
        for label, viewers, views in (("1 (board view)", 1, SPREAD[:1]), ("20 (board view)", 20, SPREAD[:1]),
                                      ("20 over 5 views", 20, SPREAD)):  # fmt: skip
            full = per_refresh_served(n, viewers, views, cached=False)
            inc = per_refresh_served(n, viewers, views, cached=True)
            own = (alone[0] * viewers, alone[1] * viewers)
            print(f"{n:>9} | {label:<18} | {own[0]:>8.1f} / {own[1]:>8.1f} | {full[0]:>6.1f} / {full[1]:>8.1f} | "
                  f"{inc[0]:>7.1f} / {inc[1]:>8.1f}")  # fmt: skip
        sys.stdout.flush()


if __name__ == "__main__":
    main([int(a) for a in sys.argv[1:]] or [40, 500, 5000])
