"""The 300-queries-per-5-minutes GraphQL limit: srvmon's own budget, 429 + Retry-After, rate-limit errors."""

from __future__ import annotations

from typing import Any

import pytest
from cfdata import NOW

from srvmon.model import MetricQuery, TimeWindow
from srvmon.providers.base import ProviderError

H4 = TimeWindow.ending_at(NOW, 4 * 3600)
RATE_LIMITED = {"success": False, "errors": [{"code": 971, "message": "Please wait and consider throttling your request speed"}]}  # fmt: skip


def q(ref: str, group_by: tuple[str, ...] = ()) -> MetricQuery:
    return MetricQuery(ref, "cf", "workers:requests", None, group_by)


def test_budget_refuses_before_cloudflare_would(make_provider: Any, cf_server: Any, clock: Any) -> None:
    p = make_provider(query_budget=3)
    assert p.query([q("a")], H4)["a"].ok  # settings + 1 node: 2 of 3 spent
    out = p.query([q("b", ("script",)), q("c", ("status",))], H4)  # 2 nodes, 1 left: one is sent
    sent = [r for r in out.values() if r.ok]
    refused = [r for r in out.values() if not r.ok]
    assert len(sent) == 1 and len(refused) == 1 and refused[0].throttled
    assert "3 of 3 queries spent in the last 5 min" in (refused[0].error or "")
    asked = len(cf_server.graphql_bodies())
    with pytest.raises(ProviderError) as info:
        p.query([q("d")], H4)
    assert info.value.throttled and info.value.retry_after_s == pytest.approx(300.0)
    assert "Cloudflare allows 300 per user" in str(info.value)
    assert len(cf_server.graphql_bodies()) == asked  # nothing was sent
    clock.advance(301)  # the window has moved on
    assert p.query([q("d")], H4)["d"].ok


def test_429_with_retry_after_backs_off(make_provider: Any, cf_server: Any, clock: Any) -> None:
    p = make_provider()
    assert p.query([q("a")], H4)["a"].ok
    cf_server.queued["/graphql"] = [(429, {"Retry-After": "120"}, RATE_LIMITED)]
    with pytest.raises(ProviderError) as info:
        p.query([q("b", ("script",))], H4)
    assert info.value.throttled and info.value.retry_after_s == 120.0
    asked = len(cf_server.graphql_bodies())
    with pytest.raises(ProviderError, match="waits 120s") as again:
        p.query([q("b", ("script",))], H4)
    assert again.value.throttled
    assert len(cf_server.graphql_bodies()) == asked  # the backoff is local: Cloudflare is not asked again
    clock.advance(121)
    assert p.query([q("b", ("script",))], H4)["b"].ok


def test_rate_limit_error_in_a_200_body_backs_off(make_provider: Any, cf_server: Any, clock: Any) -> None:
    cf_server.gql.quota = 2  # Cloudflare's own counter for this user (other tools spent the rest)
    p = make_provider()
    assert p.query([q("a")], H4)["a"].ok  # settings + 1 node
    with pytest.raises(ProviderError, match="rate limiter budget depleted") as info:
        p.query([q("b", ("script",))], H4)
    assert info.value.throttled and info.value.retry_after_s == 300.0  # "try again after 5 minutes"
    asked = len(cf_server.graphql_bodies())
    with pytest.raises(ProviderError):
        p.query([q("b", ("script",))], H4)
    assert len(cf_server.graphql_bodies()) == asked
    cf_server.gql.quota = 300
    clock.advance(301)
    assert p.query([q("b", ("script",))], H4)["b"].ok


def test_instances_with_one_token_share_the_budget(make_provider: Any, cf_server: Any) -> None:
    a = make_provider(query_budget=3)
    b = make_provider(query_budget=3)
    assert a.query([q("x")], H4)["x"].ok  # 2 spent (settings + node) by a
    with pytest.raises(
        ProviderError, match="3 of 3"
    ) as info:  # b's settings is the 3rd: no room for its node
        b.query([q("y")], H4)
    assert info.value.throttled


def test_poller_backs_off_a_throttled_provider(make_provider: Any, cf_server: Any, clock: Any) -> None:
    from srvmon.config import Board
    from srvmon.poll import Poller
    from srvmon.schema import PanelCfg

    p = make_provider()
    panel = PanelCfg(id="r", title="Requests", kind="stat", query="workers:requests", provider="cf",
                     position={"row": 0, "col": 0, "width": 2, "height": 1})  # fmt: skip
    board = Board(name="b", title="B", provider="cf", refresh_s=60, range="4h", panels=(panel,))
    cf_server.queued["/graphql"] = [(429, {"Retry-After": "30"}, RATE_LIMITED)]
    poller = Poller(board, {"cf": p}, clock, timeout_s=10)
    try:
        snap = poller.poll(compare=False)
        assert snap.panels[0].status == "error" and "throttling" in (snap.panels[0].error or "")
        assert snap.providers[0].ok is False
        asked = len(cf_server.requests)
        snap2 = poller.poll(compare=False)  # within the backoff: the provider is not called
        assert len(cf_server.requests) == asked and "retrying in" in (snap2.panels[0].error or "")
    finally:
        poller.close()
