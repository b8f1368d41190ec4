"""Discovery against moto: functions with memory/timeout/reserved concurrency, REST + HTTP APIs, tables,
queues with the DLQ recognised by redrive policy, state machines, name filters and the TTL cache."""

from __future__ import annotations

from typing import Any

from aws_seed import FUNCTIONS, Fleet

from srvmon.model import TimeWindow
from srvmon.providers.aws.discovery import Discovery, name_allowed


def test_inventory_lists_every_kind_with_settings(fleet: Fleet, make_provider: Any) -> None:
    inv = make_provider().discovery.inventory()
    fns = {f.name: f for f in inv.functions()}
    assert set(fns) == set(FUNCTIONS)
    assert (fns["checkout-api"].memory_mb, fns["checkout-api"].timeout_s, fns["checkout-api"].reserved) == (
        512,
        10.0,
        50,
    )
    assert (
        fns["orders-worker"].memory_mb,
        fns["orders-worker"].timeout_s,
        fns["orders-worker"].reserved,
    ) == (256, 30.0, None)
    assert fns["image-resizer"].arch == "arm64"
    assert [(a.name, a.kind) for a in inv.of("rest_api")] == [("shop-api", "rest_api")]
    assert [(a.name, a.id) for a in inv.of("http_api")] == [("public-api", fleet.http_api_id)]
    tables = {t.name: (t.read_capacity, t.write_capacity) for t in inv.of("table")}
    assert tables == {"orders": (100.0, 50.0), "audit": (10.0, 10.0), "sessions": (None, None)}
    queues = {q.name: (q.is_dlq, q.retention_s) for q in inv.of("queue")}
    assert queues == {"orders-dlq": (True, 345600), "orders-queue": (False, 345600)}
    assert [s.name for s in inv.of("state_machine")] == ["order-flow"]
    assert inv.warnings == ()


def test_include_exclude_globs(make_provider: Any) -> None:
    inv = make_provider(include=["orders*", "checkout-*"], exclude=["*-dlq"]).discovery.inventory()
    assert sorted(r.name for r in inv.resources) == [
        "checkout-api",
        "orders",
        "orders-queue",
        "orders-worker",
    ]
    assert name_allowed("a-b", [], ["a-*"]) is False and name_allowed("x", [], []) is True


def test_ttl_cache_reuses_listing_until_expiry(make_provider: Any) -> None:
    p = make_provider()
    t = [0.0]
    d = Discovery(p.sessions, p.opts, p.counter, monotonic=lambda: t[0])
    d.inventory()
    calls = p.counter.snapshot().api_calls
    assert p.counter.snapshot().by_operation["GetFunctionConcurrency"] == 3
    t[0] = 299.0
    d.inventory()
    assert p.counter.snapshot().api_calls == calls  # 5 min TTL: no new listing
    t[0] = 300.0
    assert {f.name: f.reserved for f in d.inventory().functions()}["checkout-api"] == 50
    # listed again, but reserved concurrency (one call per function) is only re-read hourly
    assert p.counter.snapshot().api_calls == 2 * calls - 3
    t[0] = 3600.0
    d.inventory()
    assert p.counter.snapshot().by_operation["GetFunctionConcurrency"] == 6


def test_unreachable_endpoint_is_one_clear_provider_error(fleet: Fleet, clock: Any) -> None:
    import socket

    import pytest

    from srvmon.providers.aws import AwsOptions, AwsProvider
    from srvmon.providers.base import ProviderError

    with socket.socket() as s:  # a port nothing listens on: connections are refused at once
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    p = AwsProvider(
        "down",
        AwsOptions(endpoint_url=f"http://127.0.0.1:{port}", regions=["us-east-1"], max_attempts=1),
        clock,
    )
    with pytest.raises(ProviderError) as err:
        p.query([], TimeWindow.ending_at(clock.now(), 3600))
    assert "resource discovery failed" in str(err.value)
    assert f"cannot reach http://127.0.0.1:{port}: [Errno 111] Connection refused" in str(err.value)


def test_tags_filter_uses_the_tagging_api(make_provider: Any) -> None:
    p = make_provider(tags={"team": "payments"})
    inv = p.discovery.inventory()
    assert sorted((r.kind, r.name) for r in inv.resources) == [
        ("function", "checkout-api"),
        ("table", "orders"),
    ]
    assert p.usage().by_operation["GetResources"] == 1
