"""The AWS provider against endpoints that misbehave (tests/faults.py as `endpoint_url`): one that accepts
and never answers, one that trickles a byte every 0.2 s, a closed port, endless and gzip-bomb bodies.
Every provider call ends with a ProviderError (or a failed Health) within `timeout` + a little, a dead
endpoint is not waited for twice in a row, and no body is held past `max_response_mb`."""

from __future__ import annotations

import io
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from aws_seed import NOW
from faults import Fault, FaultServer, closed_port, timed

from srvmon.model import LogQuery, MetricQuery, TimeWindow
from srvmon.providers.aws import AwsOptions, AwsProvider
from srvmon.providers.base import ProviderError

HOUR = TimeWindow.ending_at(NOW, 3600, 60)
TIMEOUT_S = 0.5
#: client creation, thread scheduling and one read interval of the trickle on a busy 2-core machine
SLACK_S = 1.5


@pytest.fixture
def endpoint(fleet: Any, request: Any) -> Iterator[str]:
    """The fault named by the test's parameter, answering every path (`fleet`: fake credentials)."""
    kind = request.param
    if kind == "closed port":
        yield f"http://127.0.0.1:{closed_port()}"
        return
    server = FaultServer()
    server.routes["*"] = {
        "stall": Fault("stall"),
        "trickle": Fault("trickle", interval_s=0.2),
        "endless body": Fault("endless"),
        "gzip bomb": Fault("gzip_bomb", size=8 * 1024 * 1024),
    }[kind]
    yield server.url
    server.close()


def provider(url: str, clock: Any, tmp_path: Path, **opts: Any) -> AwsProvider:
    options = AwsOptions(
        endpoint_url=url, regions=["us-east-1"], timeout=f"{TIMEOUT_S:g}s", max_response_mb=1, **opts
    )
    return AwsProvider("faulty", options, clock, cache_dir=tmp_path)


CALLS = {
    "alarms": lambda p: p.alarms(),
    "query": lambda p: p.query([MetricQuery("a", "faulty", "lambda:Invocations", "sum")], HOUR),
    "logs": lambda p: p.logs(LogQuery("faulty", HOUR, resources=("checkout-api",))),
    "cost": lambda p: p.cost(TimeWindow(HOUR.start, HOUR.end, 86400)),
    "limits": lambda p: p.limits(),
}
FAULTS = ["stall", "trickle", "closed port", "endless body", "gzip bomb"]
#: the clients each call uses first, built before timing (loading botocore's models is not the network)
WARM = {"alarms": ["cloudwatch"], "query": ["lambda"], "logs": ["logs"], "cost": ["ce"], "limits": ["lambda"]}


def warm(p: AwsProvider, services: list[str]) -> None:
    for service in services:
        p.sessions.client(service, p.sessions.targets()[0])


@pytest.mark.parametrize("endpoint", FAULTS, indirect=True)
@pytest.mark.parametrize("call", list(CALLS))
def test_every_call_fails_within_the_timeout(endpoint: str, call: str, clock: Any, tmp_path: Path) -> None:
    # max_attempts=5: retries are for throttling and 5xx answers, never for an endpoint that failed this way
    p = provider(endpoint, clock, tmp_path, max_attempts=5)
    warm(p, WARM[call])
    try:
        elapsed, result = timed(lambda: CALLS[call](p))
    finally:
        p.close()
    assert isinstance(result, ProviderError), result
    assert elapsed < TIMEOUT_S + SLACK_S, f"{call} took {elapsed:.2f}s"
    text = str(result)
    assert endpoint in text
    assert any(
        words in text
        for words in ("timed out", "Connection refused", "sent more than 1 MiB", "once decompressed")
    ), text


@pytest.mark.parametrize("endpoint", ["stall", "trickle"], indirect=True)
def test_a_timed_out_endpoint_is_not_waited_for_again(endpoint: str, clock: Any, tmp_path: Path) -> None:
    p = provider(endpoint, clock, tmp_path)
    warm(p, ["cloudwatch"])
    try:
        first, err1 = timed(p.alarms)
        again, err2 = timed(p.alarms)
    finally:
        p.close()
    assert isinstance(err1, ProviderError) and isinstance(err2, ProviderError)
    assert TIMEOUT_S - 0.1 < first < TIMEOUT_S + SLACK_S
    assert again < 0.5 and "not retried for 5s" in str(err2)
    usage = p.usage()
    assert usage.extra == {"calls": 2.0, "calls_failed": 2.0}


@pytest.mark.parametrize("endpoint", FAULTS, indirect=True)
def test_check_fails_with_the_cause_and_the_fix(endpoint: str, clock: Any, tmp_path: Path) -> None:
    p = provider(endpoint, clock, tmp_path)
    warm(p, ["sts"])
    try:
        elapsed, health = timed(p.check)
    finally:
        p.close()
    assert elapsed < TIMEOUT_S + SLACK_S
    assert not health.ok
    assert "AWS STS" in health.message and endpoint in health.message
    assert "fix: check" in health.message


@pytest.mark.parametrize("endpoint", ["stall"], indirect=True)
def test_srvmon_check_exits_3_in_time(endpoint: str, tmp_path: Path) -> None:
    from faults import timed as run_timed

    from srvmon.cli import main

    config = tmp_path / "srvmon.toml"
    config.write_text(
        f'[providers.down]\ntype = "aws"\nendpoint_url = "{endpoint}"\nregions = ["us-east-1"]\n'
        f'timeout = "500ms"\ncache_dir = "{tmp_path}"\n'
    )
    out, err = io.StringIO(), io.StringIO()
    elapsed, code = run_timed(lambda: main(["check", "--config", str(config)], out=out, err=err))
    assert code == 3, (out.getvalue(), err.getvalue())
    assert elapsed < TIMEOUT_S + SLACK_S + 1.0  # + loading the config and the provider
    assert "provider down (aws): FAILED" in out.getvalue() and "did not answer in time" in out.getvalue()
