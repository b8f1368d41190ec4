"""Fixtures for the demo provider tests: a frozen clock on a weekday afternoon and providers on it."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import pytest

from srvmon.clock import FrozenClock
from srvmon.model import MetricQuery, QueryResult, TimeWindow
from srvmon.providers.demo import DemoOptions, DemoProvider

#: A Wednesday, 14:00 UTC (busy hours, so the rhythm is near its peak).
NOW = datetime(2026, 11, 18, 14, 0, tzinfo=UTC)


@pytest.fixture
def clock() -> FrozenClock:
    return FrozenClock(NOW)


@pytest.fixture
def make_demo(clock: FrozenClock) -> Callable[..., DemoProvider]:
    def make(**options: Any) -> DemoProvider:
        return DemoProvider("demo", DemoOptions(**options), clock)

    return make


@pytest.fixture
def demo(make_demo: Callable[..., DemoProvider]) -> DemoProvider:
    return make_demo()


@pytest.fixture
def window4h() -> TimeWindow:
    return TimeWindow.ending_at(NOW, 4 * 3600)


@pytest.fixture
def now() -> datetime:
    return NOW


@pytest.fixture
def run() -> Callable[..., QueryResult]:
    """run(provider, window, query, stat=None, group_by=(), limit=None, order="desc") -> QueryResult."""
    return run1


@pytest.fixture
def labelled() -> Callable[[QueryResult, str], dict[str, list[float]]]:
    """labelled(result, dim) -> {label value: values without gaps}."""
    return by_label


def run1(
    provider: DemoProvider,
    window: TimeWindow,
    query: Any,
    stat: str | None = None,
    group_by: tuple[str, ...] = (),
    limit: int | None = None,
    order: str = "desc",
) -> QueryResult:
    """Run one query and return its result."""
    q = MetricQuery("r", provider.name, query, stat, group_by, limit, order)
    return provider.query([q], window)["r"]


def by_label(result: QueryResult, dim: str) -> dict[str, list[float]]:
    """{label value: values} for a grouped result (None buckets dropped)."""
    assert result.ok, result.error
    return {s.labels[dim]: [v for v in s.values if v is not None] for s in result.series}
