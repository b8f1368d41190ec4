"""Test doubles for the TUI tests: a deterministic fake provider, a full board, app builders."""

from __future__ import annotations

import math
import zlib
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from srvmon.clock import FrozenClock
from srvmon.config import Board
from srvmon.model import (
    Alarm,
    CostItem,
    FunctionHealth,
    Limit,
    LogQuery,
    LogRecord,
    LogResult,
    MetricQuery,
    QueryResult,
    Series,
    Snapshot,
    TimeWindow,
)
from srvmon.poll import Poller
from srvmon.providers.base import Provider
from srvmon.runtime import Runtime
from srvmon.schema import PanelCfg
from srvmon.tui.app import BoardView, SrvmonApp
from srvmon.tui.refresher import StaticSource

NOW = datetime(2026, 11, 20, 14, 7, 30, tzinfo=UTC)
FUNCTIONS = ("checkout-api", "auth", "search-[bold]x")


class FakeProvider(Provider):
    """Deterministic values from the timestamp; 'broken' and 'empty' queries fail / return nothing."""

    type_name = "fake"

    def __init__(
        self,
        name: str = "fake",
        options: Any = None,
        clock: Any = None,
        *,
        functions: Sequence[str] = FUNCTIONS,
    ) -> None:
        from srvmon.providers.base import ProviderOptions

        super().__init__(name, options or ProviderOptions(), clock)
        self.functions = tuple(functions)
        self.windows: list[TimeWindow] = []
        self.fail: str | None = None
        self.log_queries: list[LogQuery] = []

    @staticmethod
    def value(name: str, t: int, k: int = 0) -> float:
        base = 20 + zlib.crc32(name.encode()) % 80 + 15 * k
        return round(base * (1 + 0.35 * math.sin(2 * math.pi * (t % 86400) / 86400)) + (t // 60) % 7, 3)

    def query(self, queries: Sequence[MetricQuery], window: TimeWindow) -> dict[str, QueryResult]:
        self.counter.call("GetMetricData", metrics=len(queries), usd=0.00001 * len(queries))
        self.windows.append(window)
        if self.fail:
            from srvmon.providers.base import ProviderError

            raise ProviderError(self.fail, throttled="Throttl" in self.fail)
        out: dict[str, QueryResult] = {}
        ts = tuple(window.timestamps())
        for q in queries:
            name = str(q.query)
            if name == "broken":
                out[q.ref_id] = QueryResult(q.ref_id, error="AccessDenied: cloudwatch:GetMetricData")
                continue
            if name == "empty":
                out[q.ref_id] = QueryResult(q.ref_id)
                continue
            if q.group_by:
                series = tuple(
                    Series({q.group_by[0]: fn}, ts, tuple(self.value(name, t, k) for t in ts))
                    for k, fn in enumerate(self.functions)
                )
            else:
                series = (
                    Series({}, ts, tuple(None if (t // 60) % 97 == 5 else self.value(name, t) for t in ts)),
                )
            out[q.ref_id] = QueryResult(q.ref_id, series=series)
        return out

    def limits(self) -> list[Limit]:
        return [Limit("account_concurrency", used=730, limit=1000)]

    def alarms(self) -> list[Alarm]:
        return [
            Alarm("checkout-5xx", "ALARM", "Threshold crossed: 12 > 5", since=NOW - timedelta(minutes=9)),
            Alarm("orders-dlq-depth", "INSUFFICIENT_DATA", "no datapoints"),
            Alarm("auth-p99", "OK"),
            Alarm("search-throttles", "OK"),
        ]

    def cost(self, window: TimeWindow) -> list[CostItem]:
        out: list[CostItem] = []
        day = window.start.date()
        end = window.end.date()
        while day <= end:
            for i, svc in enumerate(("AWS Lambda", "Amazon API Gateway", "Amazon DynamoDB")):
                out.append(CostItem(svc, day, round((12 - 3 * i) * (1 + 0.1 * (day.day % 5)), 2)))
            day += timedelta(days=1)
        return out

    def function_health(self, window: TimeWindow, resources: Sequence[str] = ()) -> list[Any]:
        return [
            FunctionHealth("checkout-api", 5200, 52, 1.0, 310.0, 3, 0, 120.0, 2700.0, 90.0, 812.0, 0.0135),
            FunctionHealth("auth", 9100, 1200, 13.2, 180.0, 0, 0, 40.0, 210.0, 7.0, 120.0, 0.002),
            FunctionHealth("report-gen", 300, 12, 4.0, 900.0, 0, 2, 8000.0, 14000.0, 47.0, 400.0, 0.007),
        ]

    def logs(self, query: LogQuery) -> LogResult:
        self.log_queries.append(query)
        t = NOW.timestamp()
        return LogResult(
            (
                LogRecord(
                    t - 30,
                    "checkout-api",
                    "ERROR payment declined [red]markup[/red]",
                    "ERROR",
                    502,
                    120.0,
                    "req-1",
                ),
                LogRecord(
                    t - 90,
                    "auth",
                    "Task timed out after 3.00 seconds\x1b]0;pwned\x07",
                    "ERROR",
                    504,
                    3000.0,
                    "req-2",
                ),
            )
        )

    def resources(self) -> list[str]:
        return list(self.functions)


def _p(**kw: Any) -> PanelCfg:
    kw.setdefault("provider", "fake")
    return PanelCfg(**kw)


def board_panels() -> tuple[PanelCfg, ...]:
    """A screenboard like the field's: stats, gauge, week-over-week chart, alarms, rankings, health, cost, logs."""
    return (
        _p(
            id="requests",
            title="Requests/s",
            kind="stat",
            query="requests",
            unit="req/s",
            reduce="last",
            position={"row": 0, "col": 0, "width": 2, "height": 1},
        ),
        _p(
            id="errors_4xx",
            title="User errors 4xx",
            kind="stat",
            query="4xx",
            unit="count",
            reduce="sum",
            thresholds={"warn": 5000, "crit": 1e9},
            position={"row": 0, "col": 2, "width": 2, "height": 1},
        ),
        _p(
            id="errors_5xx",
            title="Backend errors 5xx",
            kind="stat",
            query="5xx",
            reduce="sum",
            thresholds={"warn": 10, "crit": 100},
            drilldown={"status_class": "5xx", "errors_only": True},
            position={"row": 0, "col": 4, "width": 2, "height": 1},
        ),
        _p(
            id="latency",
            title="Lambda p99",
            kind="stat",
            query="duration",
            stat="p99",
            unit="ms",
            thresholds={"warn": 200, "crit": 500},
            position={"row": 0, "col": 6, "width": 2, "height": 1},
        ),
        _p(
            id="throttles",
            title="Throttles",
            kind="stat",
            query="empty",
            reduce="sum",
            position={"row": 0, "col": 8, "width": 2, "height": 1},
        ),
        _p(
            id="concurrency",
            title="Concurrency vs limit",
            kind="gauge",
            query="concurrency",
            stat="max",
            limit="account_concurrency",
            trend=True,
            thresholds={"warn": 70, "crit": 90},
            position={"row": 0, "col": 10, "width": 2, "height": 1},
        ),
        _p(
            id="api_calls",
            title="API calls (last week dotted)",
            kind="timeseries",
            query="requests",
            unit="req/s",
            trend=True,
            thresholds={"warn": 110},
            position={"row": 1, "col": 0, "width": 8, "height": 2},
        ),
        _p(
            id="alarms", title="Alarms", kind="alarms", position={"row": 1, "col": 8, "width": 4, "height": 1}
        ),
        _p(
            id="top_functions",
            title="Most called functions",
            kind="toplist",
            query="invocations",
            group_by=["function"],
            reduce="sum",
            top=5,
            position={"row": 2, "col": 8, "width": 4, "height": 1},
        ),
        _p(
            id="health",
            title="Function health",
            kind="health",
            position={"row": 3, "col": 0, "width": 6, "height": 1},
        ),
        _p(id="cost", title="Cost", kind="cost", position={"row": 3, "col": 6, "width": 3, "height": 1}),
        _p(
            id="recent_errors",
            title="Recent errors",
            kind="logs",
            top=5,
            position={"row": 3, "col": 9, "width": 3, "height": 1},
        ),
    )


def make_board(name: str = "main", title: str = "Checkout production") -> Board:
    return Board(name=name, title=title, provider="fake", refresh_s=60, range="4h", panels=board_panels())


class RecordingSource:
    """Wraps a real Poller and records every poll's arguments."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner
        self.calls: list[dict[str, Any]] = []

    def poll(self, *, range_s: int | None = None, end: datetime | None = None, compare: bool = True,
             force: bool = False, range_label: str | None = None) -> Snapshot:  # fmt: skip
        self.calls.append({"range_s": range_s, "end": end, "compare": compare, "force": force})
        return self.inner.poll(
            range_s=range_s, end=end, compare=compare, force=force, range_label=range_label
        )

    def close(self) -> None:
        self.inner.close()


def build_app(
    *,
    boards: Sequence[Board] | None = None,
    provider: FakeProvider | None = None,
    clock: FrozenClock | None = None,
    hint: str | None = None,
    tmp: Path | None = None,
    **kw: Any,
) -> SrvmonApp:
    clock = clock or FrozenClock(NOW)
    provider = provider or FakeProvider(clock=clock)
    runtime = Runtime({"fake": provider}, clock, timeout_s=10)
    boards = list(boards or [make_board()])
    sources: dict[str, RecordingSource] = {}

    def source_for(board: Board) -> Any:
        def make() -> RecordingSource:
            src = sources[board.name] = RecordingSource(Poller(board, runtime, clock))
            return src

        return make

    app = SrvmonApp(
        [BoardView(b.info(), source_for(b)) for b in boards],
        runtime=runtime,
        clock=clock,
        hint=hint,
        tz=UTC,
        export_dir=tmp,
        **kw,
    )
    app.test_sources = sources  # type: ignore[attr-defined]
    app.test_provider = provider  # type: ignore[attr-defined]
    return app


def static_app(snapshot: Snapshot, **kw: Any) -> SrvmonApp:
    source = StaticSource(snapshot)
    return SrvmonApp(
        [BoardView(snapshot.info(), lambda: source)],
        clock=FrozenClock(NOW),
        tz=UTC,
        live_refresh=False,
        **kw,
    )


def real_snapshot(range_s: int | None = None) -> Snapshot:
    clock = FrozenClock(NOW)
    runtime = Runtime({"fake": FakeProvider(clock=clock)}, clock, timeout_s=10)
    try:
        return Poller(make_board(), runtime, clock).poll(range_s=range_s)
    finally:
        runtime.close()


def screen_text(app: Any) -> str:
    """The current screen as plain text (what a user would read), one line per terminal row.

    Read from the public SVG export: each terminal row is one line of <text> elements."""
    import html
    import re

    svg = app.export_screenshot()
    rows: dict[float, list[tuple[float, str]]] = {}
    for m in re.finditer(r'<text[^>]*\bx="([\d.]+)"[^>]*\by="([\d.]+)"[^>]*>(.*?)</text>', svg):
        x, y, body = float(m.group(1)), float(m.group(2)), m.group(3)
        rows.setdefault(y, []).append((x, html.unescape(re.sub(r"<[^>]+>", "", body)).replace("\xa0", " ")))
    return "\n".join("".join(t for _, t in sorted(parts)) for _, parts in sorted(rows.items()))


async def settle(app: Any, pilot: Any) -> None:
    """Let refreshes finish and their messages be processed (no sleeps: waits on the screen's idle event)."""
    await pilot.pause()
    await app.workers.wait_for_complete()
    screen = getattr(app, "board_screen", None)
    for _ in range(3):
        if screen is not None:
            await screen.wait_idle()
        await pilot.pause()
