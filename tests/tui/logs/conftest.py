"""Fixtures for the logs drill-down UI tests: an in-test fake provider, a frozen clock, a host app."""

from __future__ import annotations

import threading
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace
from typing import ClassVar

import pytest
from textual.app import App

from srvmon.clock import FrozenClock
from srvmon.logfilter import apply_query
from srvmon.model import LogQuery, LogRecord, LogResult, MetricQuery, QueryResult, TimeWindow
from srvmon.providers.base import Provider, ProviderError, ProviderOptions

NOW = datetime(2026, 11, 22, 4, 0, tzinfo=UTC)


class FakeLogsProvider(Provider):
    """Serves `records` (filtered by window and request id); can filter provider-side or fail."""

    type_name: ClassVar[str] = "fakelogs"

    def __init__(self, records: Sequence[LogRecord] = (), *, filters: bool = False) -> None:
        super().__init__("fake", ProviderOptions())
        self.records = list(records)
        self.filters = filters
        self.fail: ProviderError | None = None
        self.calls: list[LogQuery] = []
        self.lock = threading.Lock()
        #: When set, logs() waits for it (to hold a worker mid-call).
        self.gate: threading.Event | None = None

    def query(self, queries: Sequence[MetricQuery], window: TimeWindow) -> dict[str, QueryResult]:
        return {q.ref_id: QueryResult(q.ref_id) for q in queries}

    def logs(self, query: LogQuery) -> LogResult:
        if self.gate is not None:
            self.gate.wait(10)
        with self.lock:
            self.calls.append(query)
            if self.fail is not None:
                raise self.fail
            lo, hi = query.window.start.timestamp(), query.window.end.timestamp()
            records = [r for r in self.records if lo <= r.timestamp <= hi]
        if query.request_id:
            records = [r for r in records if r.request_id == query.request_id]
        if self.filters:
            records = apply_query(query, records)
        return LogResult(tuple(records), filtered_by_provider=self.filters)


def make_records(n: int, *, start: float | None = None, step: float = 1.0) -> list[LogRecord]:
    """n records, one per `step` seconds ending just before NOW; every 10th a 5xx error."""
    t0 = start if start is not None else NOW.timestamp() - n * step
    out = []
    for i in range(n):
        err = i % 10 == 0
        out.append(
            LogRecord(
                timestamp=t0 + i * step,
                resource=f"fn-{i % 3}",
                message=f"request {i} {'failed upstream' if err else 'ok'}",
                level="ERROR" if err else "INFO",
                status=503 if err else 200,
                duration_ms=float(i % 50),
                request_id=f"req-{i}",
            )
        )
    return out


class Host(App[None]):
    """A stand-in for the board app: a plain base screen the logs screen is pushed over."""

    def __init__(self) -> None:
        super().__init__()
        self.copied: list[str] = []

    def copy_to_clipboard(self, text: str) -> None:
        self.copied.append(text)
        super().copy_to_clipboard(text)


@pytest.fixture
def clock() -> FrozenClock:
    return FrozenClock(NOW)


def hour_query(provider: Provider, **kw: object) -> LogQuery:
    window = TimeWindow(NOW - timedelta(hours=1), NOW, 60)
    return LogQuery(provider=provider.name, window=window, **kw)  # type: ignore[arg-type]


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture
def kit() -> SimpleNamespace:
    """The helpers above, for test modules (conftest is not importable under importlib mode)."""
    return SimpleNamespace(
        NOW=NOW,
        FakeLogsProvider=FakeLogsProvider,
        make_records=make_records,
        Host=Host,
        hour_query=hour_query,
    )
