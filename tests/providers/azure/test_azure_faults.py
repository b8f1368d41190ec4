"""Hostile servers against every Azure client, over HTTPS (tests/faults.py with TLS): a server that never
answers, one that trickles, endless or huge bodies, a closed port, wrong JSON shapes, 429/503 with
Retry-After, 5xx then recovery, and a nextLink to another host. Each call must end within its
`timeout` (+ a little) with a clear message, hold bounded memory, and work again once the server does."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from typing import Any

import pytest
from faults import Fault, closed_port, timed

from srvmon.model import LogQuery, MetricQuery, TimeWindow
from srvmon.providers.azure import AzureProvider
from srvmon.providers.azure.options import AzureOptions
from srvmon.providers.base import ProviderError

SUB = "12345678-abcd-1234-abcd-123456789abc"
WS = "63613592-b6f7-4c3d-a390-22ba13102111"
NOW = datetime(2026, 11, 22, 4, 0, tzinfo=UTC)
W = TimeWindow.ending_at(NOW, 3600)
SITES = f"/subscriptions/{SUB}/providers/Microsoft.Web/sites"
FARMS = f"/subscriptions/{SUB}/providers/Microsoft.Web/serverfarms"
METRICS = f"/subscriptions/{SUB}/metrics:getBatch"
LOGS = f"/v1/workspaces/{WS}/query"
DURABLE = "/runtime/webhooks/durabletask/instances"
SITE = {
    "id": f"/subscriptions/{SUB}/resourceGroups/rg/providers/Microsoft.Web/sites/fn-a",
    "name": "fn-a",
    "kind": "functionapp,linux",
    "location": "westeurope",
    "properties": {"defaultHostName": "fn-a.azurewebsites.net", "hostNames": ["127.0.0.1"]},
}
GOOD = {
    "arm": {"value": [SITE]},
    "metrics": {"values": []},
    "logs": {
        "tables": [{"name": "PrimaryResult", "columns": [{"name": "ts", "type": "datetime"}], "rows": []}]
    },
    "durable": [],
}
PATHS = {"arm": SITES, "metrics": METRICS, "logs": LOGS, "durable": DURABLE}
TIMEOUT_S = 0.5
#: "a little": thread start-up, TLS and the provider's own work on a 2-core machine
SLACK_S = 1.5


class Cred:
    def get_token(self, *scopes: str, **kw: Any) -> Any:
        from azure.core.credentials import AccessToken

        return AccessToken("t0ken", int(NOW.timestamp()) + 10**9)


def serve(server: Any, **faults: Fault) -> None:
    for name, path in PATHS.items():
        server.routes[path] = faults.get(name, Fault(body=GOOD[name]))
    server.routes[FARMS] = Fault(body={"value": []})
    server.routes[
        f"/subscriptions/{SUB}/resourceGroups/rg/providers/Microsoft.Web/sites/fn-a/host/default/listkeys"
    ] = Fault(body={"systemKeys": {"durabletask_extension": "dk"}})


def provider(server: Any, clock: Any, **opts: Any) -> AzureProvider:
    base = {
        "subscription_id": SUB,
        "arm_endpoint": server.url,
        "logs_endpoint": server.url,
        "metrics_endpoint": server.url,
        "durable_endpoint": server.url,
        "ca_bundle": server.ca_path,
        "workspace_id": WS,
        "durable_apps": ["fn-a"],
        "timeout": f"{TIMEOUT_S}s",
        "max_response_mb": 1,
        "retries": 1,
        "cost_cache_dir": "/nonexistent/srvmon-test",
    }
    return AzureProvider("az", AzureOptions(**{**base, **opts}), clock, credential=Cred())


def call(p: AzureProvider, client: str) -> str:
    """The client's call through the provider: 'ok' or the error the panel would show."""
    try:
        if client == "logs":
            p.logs(LogQuery("az", W))
            return "ok"
        query = "durable:Running" if client == "durable" else "FunctionExecutionCount"
        res = p.query([MetricQuery("a", "az", query)], W)["a"]
        return f"error: {res.error}" if res.error else "ok"
    except ProviderError as exc:
        return f"raised: {exc}"


CLIENTS = ("arm", "metrics", "logs", "durable")


@pytest.mark.parametrize("client", CLIENTS)
@pytest.mark.parametrize(
    ("fault", "expect"),
    [
        # the SDK transport passes the call's remaining time as the read limit: 0.5 s or a hair under
        (Fault("stall"), r"timed out: no data for 0\.(5|4\d+)s"),
        (Fault("trickle", interval_s=0.1), r"timed out: no complete answer within 0\.5s"),  # never idle 0.5 s
        (Fault("endless"), r"sent more than 1 MiB \(the response size limit\)"),
        (Fault("gzip_bomb", size=8 * 1024 * 1024), r"more than 1 MiB once decompressed"),
    ],
    ids=["stall", "trickle", "endless", "gzip-bomb"],
)
def test_every_call_ends_within_its_timeout(
    tls_fault_server: Any, clock: Any, client: str, fault: Fault, expect: str
) -> None:
    serve(tls_fault_server, **{client: fault})
    p = provider(tls_fault_server, clock)
    try:
        took, out = timed(lambda: call(p, client))
    finally:
        p.close()
    assert out != "ok" and re.search(expect, out), out
    assert took < TIMEOUT_S + SLACK_S, f"{client} took {took:.2f}s"


@pytest.mark.parametrize("client", CLIENTS)
def test_a_closed_port_fails_at_once_and_names_the_endpoint(
    tls_fault_server: Any, clock: Any, client: str
) -> None:
    serve(tls_fault_server)
    dead = f"https://127.0.0.1:{closed_port()}"
    where = {
        "arm": "arm_endpoint",
        "metrics": "metrics_endpoint",
        "logs": "logs_endpoint",
        "durable": "durable_endpoint",
    }
    p = provider(tls_fault_server, clock, **{where[client]: dead})
    took, out = timed(lambda: call(p, client))
    p.close()
    assert f"cannot reach {dead}" in out or "cannot reach Durable Functions API of fn-a" in out, out
    assert took < TIMEOUT_S + SLACK_S


@pytest.mark.parametrize("client", CLIENTS)
@pytest.mark.parametrize("date", [False, True], ids=["seconds", "http-date"])
def test_throttling_hands_back_retry_after(
    tls_fault_server: Any, clock: Any, client: str, date: bool
) -> None:
    when = format_datetime(datetime.now(UTC) + timedelta(seconds=90), usegmt=True) if date else "30"
    serve(
        tls_fault_server,
        **{
            client: Fault(
                "status",
                status=429,
                body={"error": {"code": "TooManyRequests"}},
                headers={"Retry-After": when},
            )
        },
    )
    p = provider(tls_fault_server, clock, retries=3)
    with pytest.raises(ProviderError) as err:
        if client == "logs":
            p.logs(LogQuery("az", W))
        else:
            p.query([MetricQuery("a", "az", "durable:Running" if client == "durable" else "Requests")], W)
    p.close()
    assert err.value.throttled, str(err.value)
    expected = 90.0 if date else 30.0
    assert err.value.retry_after_s == pytest.approx(expected, abs=3)
    assert (
        sum(1 for r in tls_fault_server.requests if r[1].split("?")[0] == PATHS[client]) == 1
    )  # not retried inline


@pytest.mark.parametrize("client", ("arm", "durable"))
def test_503_with_retry_after_is_throttling_not_an_inline_wait(
    tls_fault_server: Any, clock: Any, client: str
) -> None:
    serve(
        tls_fault_server,
        **{client: Fault("status", status=503, body={"error": "busy"}, headers={"Retry-After": "20"})},
    )
    p = provider(tls_fault_server, clock, retries=3)
    with pytest.raises(ProviderError) as err:
        p.query([MetricQuery("a", "az", "durable:Running")], W)
    p.close()
    assert err.value.throttled and err.value.retry_after_s == 20.0
    assert sum(1 for r in tls_fault_server.requests if r[1].split("?")[0] == PATHS[client]) == 1


@pytest.mark.parametrize("client", CLIENTS)
def test_5xx_is_retried_and_a_later_call_recovers(tls_fault_server: Any, clock: Any, client: str) -> None:
    serve(tls_fault_server, **{client: Fault("flaky", status=500, failures=1, body=GOOD[client])})
    p = provider(tls_fault_server, clock, retries=1)
    took, out = timed(lambda: call(p, client))
    assert out == "ok" and took < TIMEOUT_S + SLACK_S  # the retry, inside the same timeout
    hits = [r for r in tls_fault_server.requests if r[1].split("?")[0] == PATHS[client]]
    # POSTs (metrics:getBatch, logs query) are retried on 500 too: azure-core retries 500/503/504 POSTs
    assert len(hits) == 2
    p.close()
    serve(tls_fault_server, **{client: Fault("flaky", status=502, failures=1, body=GOOD[client])})
    p = provider(tls_fault_server, clock, retries=0)
    first = call(p, client)
    assert "502" in first, first
    assert call(p, client) == "ok"  # the next refresh works once the server does
    p.close()


@pytest.mark.parametrize(
    ("client", "body", "expect"),
    [
        ("arm", b"<html>gateway</html>", "ListSites"),
        ("arm", {"value": "not a list"}, "ListSites: unexpected answer"),
        ("metrics", {"values": [{"value": [{"name": "oops"}]}]}, "unexpected answer"),
        ("metrics", [1, 2, 3], "unexpected answer"),
        ("logs", {"tables": "nope"}, "logs:query_workspace"),
        ("logs", b'{"tables": [', "logs:query_workspace"),
        ("durable", {"instances": []}, "not a JSON array of instances"),
        ("durable", b"NaN", "not a JSON array of instances"),
    ],
)
def test_wrong_json_shapes_give_clear_errors(
    tls_fault_server: Any, clock: Any, client: str, body: Any, expect: str
) -> None:
    serve(tls_fault_server, **{client: Fault(body=body)})
    p = provider(tls_fault_server, clock)
    out = call(p, client)
    p.close()
    assert out != "ok" and expect in out, out


def test_next_link_to_another_host_is_never_requested(
    tls_fault_server: Any, fault_server: Any, clock: Any
) -> None:
    """The ARM token must not follow a nextLink off the ARM host (here: to a second server that records)."""
    evil = f"{fault_server.url}/steal?api-version=2023-12-01"
    serve(tls_fault_server, arm=Fault(body={"value": [SITE], "nextLink": evil}))
    p = provider(tls_fault_server, clock)
    out = call(p, "metrics")
    p.close()
    assert "raised: ListSites: Resource Manager answered with a next page on http://127.0.0.1:" in out, out
    assert "not followed (the ARM token is only sent to ARM)" in out
    assert fault_server.requests == []  # nothing, let alone a bearer token, reached the other host
    # the same host under another scheme/port is another origin too
    other_port = tls_fault_server.url.rsplit(":", 1)[0] + f":{closed_port()}"
    serve(tls_fault_server, arm=Fault(body={"value": [SITE], "nextLink": other_port + SITES}))
    p = provider(tls_fault_server, clock)
    assert "not followed" in call(p, "metrics")
    p.close()


def test_next_link_on_the_arm_host_is_followed(tls_fault_server: Any, clock: Any) -> None:
    serve(tls_fault_server, arm=Fault(body={"value": [], "nextLink": tls_fault_server.url + "/page2"}))
    tls_fault_server.routes["/page2"] = Fault(body={"value": [SITE]})
    p = provider(tls_fault_server, clock)
    assert p.resources() == ["fn-a"]
    p.close()
    page2 = [r for r in tls_fault_server.requests if r[1] == "/page2"]
    assert len(page2) == 1 and page2[0][2]["Authorization"] == "Bearer t0ken"
