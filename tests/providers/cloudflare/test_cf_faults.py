"""A Cloudflare endpoint that stalls, trickles or floods (tests/faults.py) fails within the timeout."""

from __future__ import annotations

from typing import Any

import pytest
from cfdata import ACCOUNT, NOW
from faults import Fault, closed_port, timed

from srvmon.clock import FrozenClock
from srvmon.model import MetricQuery, TimeWindow
from srvmon.providers.base import ProviderError
from srvmon.providers.cloudflare import CloudflareProvider
from srvmon.providers.cloudflare.options import CloudflareOptions

H4 = TimeWindow.ending_at(NOW, 4 * 3600)


def provider(url: str, env: str, **kw: Any) -> CloudflareProvider:
    opts = CloudflareOptions(
        account_id=ACCOUNT, api_token_env=env, endpoint=url + "/client/v4", timeout="1s", **kw
    )
    return CloudflareProvider("cf", opts, FrozenClock(NOW))


@pytest.mark.parametrize("kind", ["stall", "trickle"])
def test_slow_graphql_fails_within_the_timeout(fault_server: Any, token_env: str, kind: str) -> None:
    fault_server.routes["/client/v4/graphql"] = Fault(kind, interval_s=0.3)
    p = provider(fault_server.url, token_env)
    try:
        took, out = timed(lambda: p.query([MetricQuery("a", "cf", "workers:requests")], H4))
    finally:
        p.close()
    assert isinstance(out, ProviderError) and "timed out" in str(out)
    assert took < 3.0


def test_huge_answer_is_refused_while_it_streams(fault_server: Any, token_env: str) -> None:
    fault_server.routes["/client/v4/graphql"] = Fault("huge", size=8 * 1024 * 1024)
    p = provider(fault_server.url, token_env, max_response_mb=1)
    try:
        took, out = timed(lambda: p.query([MetricQuery("a", "cf", "workers:requests")], H4))
    finally:
        p.close()
    assert isinstance(out, ProviderError) and "response size limit" in str(out)
    assert took < 3.0


def test_check_of_a_stalled_api_ends_in_time(fault_server: Any, token_env: str) -> None:
    fault_server.routes["/client/v4/user/tokens/verify"] = Fault("stall")
    p = provider(fault_server.url, token_env)
    try:
        took, health = timed(p.check)
    finally:
        p.close()
    assert health.ok is False and "timed out" in health.message
    assert took < 3.0


def test_unreachable_endpoint(token_env: str) -> None:
    p = provider(f"http://127.0.0.1:{closed_port()}", token_env)
    try:
        health = p.check()
        with pytest.raises(ProviderError, match="cannot reach"):
            p.query([MetricQuery("a", "cf", "workers:requests")], H4)
    finally:
        p.close()
    assert health.ok is False and "cannot reach the Cloudflare API" in health.message


def test_the_token_is_sent_only_to_the_configured_endpoint(fault_server: Any, token_env: str) -> None:
    """A redirect in an answer is not followed: the bearer token never travels to another host."""
    fault_server.routes["/client/v4/graphql"] = Fault(
        "status", status=307, headers={"Location": "https://elsewhere.example/graphql"}, body={}
    )
    p = provider(fault_server.url, token_env)
    try:
        with pytest.raises(ProviderError, match="307"):
            p.query([MetricQuery("a", "cf", "workers:requests")], H4)
    finally:
        p.close()
    assert all(path.startswith("/client/v4/") for _, path, _, _ in fault_server.requests)
    assert fault_server.requests[0][2]["Authorization"].startswith("Bearer ")
