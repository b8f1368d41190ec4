"""Shared fixtures: a frozen clock and a scriptable in-process provider for core tests."""

from __future__ import annotations

import sys
import threading
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime
from pathlib import Path

import pytest

from srvmon.clock import FrozenClock
from srvmon.model import Alarm, CostItem, Limit, MetricQuery, QueryResult, Series, TimeWindow
from srvmon.providers.base import Provider, ProviderError, ProviderOptions, register_provider

sys.path.insert(0, str(Path(__file__).parent))  # shared helpers: `import faults`

from faults import FaultServer  # noqa: E402

NOW = datetime(2026, 11, 18, 12, 0, tzinfo=UTC)  # a Wednesday


class ScriptedOptions(ProviderOptions):
    level: float = 10.0
    """Base value of every series."""
    slope_per_h: float = 0.0
    """How much values grow per hour."""


@register_provider
class ScriptedProvider(Provider):
    """Values = level + slope*(hours since epoch-ish) + 2 per series index; the week-ago window is 20% lower.

    Tests script failures through class attributes (reset by the `scripted` fixture).
    """

    type_name = "scripted"
    description = "test provider"
    Options = ScriptedOptions
    fail: str | None = None
    throttle: bool = False
    block: threading.Event | None = None
    calls: list[tuple[str, int]] = []  # (operation, number of queries)

    @classmethod
    def validate_query(cls, query, stat):  # type: ignore[no-untyped-def]
        if query == "bad":
            return "metric 'bad' does not exist"
        return None

    def _value(self, t: int, i: int, window_end: int) -> float:
        o = self.options
        week_ago = self.clock.now().timestamp() - t > 3 * 86400
        base = o.level + i * 2 + o.slope_per_h * (t - NOW.timestamp()) / 3600
        return base * (0.8 if week_ago else 1.0)

    def query(self, queries: Sequence[MetricQuery], window: TimeWindow) -> dict[str, QueryResult]:
        type(self).calls.append(("query", len(queries)))
        self.counter.call("query", metrics=len(queries), usd=len(queries) * 0.00001)
        if self.block is not None:
            self.block.wait(5)
        self._maybe_fail()
        out = {}
        for q in queries:
            if q.query == "broken":
                out[q.ref_id] = QueryResult(q.ref_id, error="no such metric")
                continue
            n = 3 if q.group_by else 1
            series = []
            for i in range(n):
                ts = tuple(window.timestamps())
                vals = tuple(
                    None if q.query == "gappy" and k % 2 else self._value(t, i, window.end_s)
                    for k, t in enumerate(ts)
                )
                labels = {q.group_by[0]: f"item-{i}"} if q.group_by else {}
                series.append(Series(labels, ts, vals))
            out[q.ref_id] = QueryResult(q.ref_id, tuple(series))
        return out

    def _maybe_fail(self) -> None:
        if self.fail:
            raise ProviderError(self.fail, throttled=self.throttle)

    def alarms(self) -> list[Alarm]:
        type(self).calls.append(("alarms", 0))
        self._maybe_fail()
        return [
            Alarm("db-errors", "OK"),
            Alarm("api-5xx", "ALARM", reason="5xx > 1%", since=NOW),
            Alarm("queue-age", "INSUFFICIENT_DATA"),
        ]

    def limits(self) -> list[Limit]:
        type(self).calls.append(("limits", 0))
        self._maybe_fail()
        return [Limit("account_concurrency", used=500, limit=1000)]

    def cost(self, window: TimeWindow) -> list[CostItem]:
        type(self).calls.append(("cost", 0))
        self._maybe_fail()
        out = []
        d = window.start.date()
        while d < window.end.date():
            out.append(CostItem("lambda", d, 10.0 if d.month == NOW.month else 8.0))
            out.append(CostItem("dynamodb", d, 5.0))
            d = d.fromordinal(d.toordinal() + 1)
        return out


@pytest.fixture
def clock() -> FrozenClock:
    return FrozenClock(NOW)


@pytest.fixture
def scripted():
    """The ScriptedProvider class with failures cleared before and after the test."""
    for attr, v in (("fail", None), ("throttle", False), ("block", None)):
        setattr(ScriptedProvider, attr, v)
    ScriptedProvider.calls = []
    yield ScriptedProvider
    for attr, v in (("fail", None), ("throttle", False), ("block", None)):
        setattr(ScriptedProvider, attr, v)


@pytest.fixture
def fault_server() -> Iterator[FaultServer]:
    """A misbehaving HTTP server on 127.0.0.1 (see tests/faults.py); routes are set by the test."""
    server = FaultServer()
    yield server
    server.close()
