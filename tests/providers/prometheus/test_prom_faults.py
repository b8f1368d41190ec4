"""Hostile servers against the Prometheus provider (tests/faults.py; a healthy Prometheus will not stall,
trickle or throttle on demand): each call ends within its `timeout` with a clear message, Retry-After
(seconds or an HTTP date) is handed to the poller, a later call recovers, and `check` tells the truth."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from typing import Any

import pytest
from faults import Fault, closed_port, timed
from pydantic import ValidationError

from srvmon.clock import FrozenClock
from srvmon.model import MetricQuery, TimeWindow
from srvmon.providers.base import ProviderError
from srvmon.providers.prometheus import PrometheusProvider
from srvmon.providers.prometheus.options import PrometheusOptions

NOW = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)
WINDOW = TimeWindow.ending_at(NOW, 600)
RANGE = "/api/v1/query_range"
MATRIX = {"status": "success", "data": {"resultType": "matrix", "result": [
    {"metric": {"job": "x"}, "values": [[WINDOW.start_s + 60, "7"]]}]}}  # fmt: skip
BUILDINFO = {"status": "success", "data": {"version": "2.42.0"}}
LABELS = {"status": "success", "data": []}
TIMEOUT_S = 0.5
SLACK_S = 1.5


def provider(url: str, **opts: Any) -> PrometheusProvider:
    base = {"url": url, "timeout": f"{TIMEOUT_S}s", "max_response_mb": 1}
    return PrometheusProvider("prom", PrometheusOptions(**{**base, **opts}), FrozenClock(NOW))


def queries(n: int = 3) -> list[MetricQuery]:
    return [MetricQuery(f"q{i}", "prom", f"sum(up{{i='{i}'}})") for i in range(n)]


@pytest.mark.parametrize(
    ("fault", "expect"),
    [
        (Fault("stall"), "timed out: no data for 0.5s"),
        (Fault("trickle", interval_s=0.1), "timed out: no complete answer within 0.5s"),
    ],
    ids=["stall", "trickle"],
)
def test_slow_servers_fail_each_panel_within_the_timeout(
    fault_server: Any, fault: Fault, expect: str
) -> None:
    fault_server.routes[RANGE] = fault
    p = provider(fault_server.url)
    took, res = timed(lambda: p.query(queries(3), WINDOW))
    assert not isinstance(res, Exception), res
    assert all(expect in (r.error or "") for r in res.values()), res
    assert took < TIMEOUT_S + SLACK_S, f"3 queries took {took:.2f}s"  # in parallel, not 3 x timeout
    fault_server.routes[RANGE] = Fault(body=MATRIX)  # the server is back: so is the provider
    assert p.query(queries(1), WINDOW)["q0"].series[0].values[0] == 7.0
    p.close()


@pytest.mark.parametrize(
    ("fault", "expect"),
    [
        (
            Fault("endless"),
            "sent more than 1 MiB (the response size limit); narrow the query or raise max_response_mb",
        ),
        (Fault("gzip_bomb", size=8 * 1024 * 1024), "more than 1 MiB once decompressed"),
    ],
    ids=["endless", "gzip-bomb"],
)
def test_oversize_answers_are_refused_while_streaming(fault_server: Any, fault: Fault, expect: str) -> None:
    fault_server.routes[RANGE] = fault
    # a generous deadline: the size limit, not the clock, must end these even on a loaded machine
    p = provider(fault_server.url, timeout="10s")
    took, out = timed(lambda: p.query(queries(1), WINDOW))
    p.close()
    assert isinstance(out, ProviderError) and expect in str(out), out
    assert took < 10


@pytest.mark.parametrize("date", [False, True], ids=["seconds", "http-date"])
@pytest.mark.parametrize("status", [429, 503])
def test_retry_after_reaches_the_poller(fault_server: Any, status: int, date: bool) -> None:
    when = format_datetime(datetime.now(UTC) + timedelta(seconds=120), usegmt=True) if date else "30"
    fault_server.routes[RANGE] = Fault(
        "status", status=status, body={"status": "error", "error": "too many outstanding requests"},
        headers={"Retry-After": when},
    )  # fmt: skip
    p = provider(fault_server.url)
    with pytest.raises(ProviderError) as err:
        p.query(queries(1), WINDOW)
    p.close()
    assert err.value.throttled and err.value.retry_after_s == pytest.approx(120 if date else 30, abs=3)
    assert "is throttling requests" in str(err.value)
    assert len(fault_server.requests) == 1  # not retried inline


def test_5xx_then_recovery(fault_server: Any) -> None:
    fault_server.routes[RANGE] = Fault("flaky", status=502, failures=1, body=MATRIX)
    p = provider(fault_server.url)
    with pytest.raises(ProviderError, match="answered 502"):
        p.query(queries(1), WINDOW)
    assert p.query(queries(1), WINDOW)["q0"].series[0].values[0] == 7.0  # the next refresh
    p.close()


@pytest.mark.parametrize(
    ("body", "expect"),
    [
        ({"status": "success", "data": "x"}, "unexpected query_range answer"),
        ([1, 2], "unexpected query_range answer"),
        (b"<html>proxy login</html>", "did not answer JSON"),
    ],
)
def test_wrong_shapes_are_errors_not_crashes(fault_server: Any, body: Any, expect: str) -> None:
    fault_server.routes[RANGE] = Fault(body=body)
    p = provider(fault_server.url)
    try:
        res = p.query(queries(1), WINDOW)["q0"].error
    except ProviderError as exc:
        res = str(exc)
    p.close()
    assert res is not None and expect in res, res


def test_non_finite_numbers_become_gaps(fault_server: Any) -> None:
    ts = WINDOW.start_s + 60
    body = {"status": "success", "data": {"resultType": "matrix", "result": [
        {"metric": {}, "values": [[ts, "1e999"], [ts + 60, "NaN"], [ts + 120, "-Inf"], [ts + 180, "3"]]}]}}  # fmt: skip
    fault_server.routes[RANGE] = Fault(body=body)
    p = provider(fault_server.url)
    (series,) = p.query(queries(1), WINDOW)["q0"].series
    p.close()
    assert series.values[:4] == (None, None, None, 3.0)


# ---- check tells the truth ------------------------------------------------------------------------


def test_check_fails_for_an_unreachable_server_and_says_what_to_do() -> None:
    url = f"http://127.0.0.1:{closed_port()}"
    took, h = timed(lambda: provider(url).check())
    assert not h.ok and "cannot reach" in h.message
    assert "check url and that the server listens there" in h.message
    assert took < TIMEOUT_S + SLACK_S


def test_check_fails_for_a_stalled_server_within_the_timeout(fault_server: Any) -> None:
    fault_server.routes["/api/v1/status/buildinfo"] = Fault("stall")
    took, h = timed(lambda: provider(fault_server.url).check())
    assert not h.ok and "timed out" in h.message and "raise timeout" in h.message
    assert took < TIMEOUT_S + SLACK_S


def test_check_fails_for_refused_or_missing_credentials(fault_server: Any, monkeypatch: Any) -> None:
    fault_server.routes["/api/v1/status/buildinfo"] = Fault(
        "status", status=401, body={"error": "unauthorized"}
    )
    h = provider(fault_server.url).check()
    assert not h.ok and "refused the credentials (401)" in h.message
    assert "set bearer_token_env or basic_auth_user_env" in h.message
    monkeypatch.setenv("SRVMON_TEST_PROM_TOKEN", "expired")
    h = provider(fault_server.url, bearer_token_env="SRVMON_TEST_PROM_TOKEN").check()
    assert not h.ok and "credentials from $SRVMON_TEST_PROM_TOKEN were refused: renew them" in h.message
    assert fault_server.requests[-1][2]["Authorization"] == "Bearer expired"
    monkeypatch.delenv("SRVMON_TEST_PROM_TOKEN")
    before = len(fault_server.requests)
    h = provider(fault_server.url, bearer_token_env="SRVMON_TEST_PROM_TOKEN").check()
    assert (
        not h.ok and "SRVMON_TEST_PROM_TOKEN is not set" in h.message and "export that variable" in h.message
    )
    assert len(fault_server.requests) == before  # nothing sent without the credential


def test_check_fails_for_a_wrong_path_and_a_broken_loki(fault_server: Any) -> None:
    h = provider(fault_server.url + "/prometheus").check()  # the fault server answers 404 elsewhere
    assert not h.ok and "answered 404" in h.message and "without /api/v1" in h.message
    fault_server.routes["/api/v1/status/buildinfo"] = Fault(body=BUILDINFO)
    fault_server.routes["/api/v1/label/__name__/values"] = Fault(body=LABELS)
    fault_server.routes["/loki/api/v1/labels"] = Fault("stall")
    took, h = timed(lambda: provider(fault_server.url, loki_url=fault_server.url).check())
    assert not h.ok and h.message.endswith("but loki failed")
    assert any(d.startswith("loki: FAILED:") and "check loki_url" in d for d in h.details), h.details
    assert took < 2 * TIMEOUT_S + SLACK_S


# ---- options --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"loki_selector": "{{{"}, "loki_selector '{{{' is not a LogQL stream selector"),
        ({"loki_selector": "{}"}, "at least one matcher that cannot match an empty value"),
        ({"loki_selector": '{job=~".*"}'}, "at least one matcher that cannot match an empty value"),
        ({"loki_selector": '{job="a" app="b"}'}, "expected , between matchers"),
        ({"loki_selector": "{job=fn}"}, 'expected label="value"'),
        ({"loki_selector": 'job="fn"'}, "must be label matchers inside { }"),
        ({"loki_resource_label": "function name"}, "is not a Prometheus/Loki label name"),
        ({"scrape_interval": "0s"}, "must be a positive, finite duration"),
        ({"scrape_interval": "90m"}, "must be between 1s and 1h"),
        ({"scrape_interval": "2d"}, "must be between 1s and 1h"),
        ({"concurrency": True}, "concurrency"),
        ({"concurrency": 0}, "greater than or equal to 1"),
        ({"max_response_mb": 0}, "greater than or equal to 1"),
        ({"timeout": "1e400s"}, "timeout"),
        ({"bearer_token_env": "MY TOKEN"}, "is not an environment variable name"),
        ({"replicas_query": " "}, "must not be empty"),
        ({"alertmanager_url": "http:// x"}, "is not a URL"),
    ],
)
def test_options_name_the_problem(options: dict[str, Any], message: str) -> None:
    with pytest.raises(ValidationError) as err:
        PrometheusOptions(url="http://prom:9090", **options)
    assert message in str(err.value)


def test_a_good_selector_is_kept_and_normalised() -> None:
    o = PrometheusOptions(url="http://x", loki_selector=' { namespace = "openfaas-fn" , app!~`tmp.*`, } ')
    assert o.loki_selector == '{namespace="openfaas-fn", app!~`tmp.*`}'
