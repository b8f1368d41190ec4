"""BoundedHttp against a real misbehaving server: deadlines hold, bodies are capped, Retry-After is read."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import pytest
from faults import Fault, closed_port, timed

from srvmon.providers.httpio import BoundedHttp, HttpError, HttpLimits, retry_after_seconds


def client(**limits: float) -> BoundedHttp:
    return BoundedHttp(HttpLimits(**limits))  # type: ignore[arg-type]


def test_ok_json(fault_server) -> None:
    fault_server.routes["/x"] = Fault(body={"a": [1, 2]})
    resp = client().request("GET", fault_server.url + "/x")
    assert resp.status == 200 and resp.json() == {"a": [1, 2]}


def test_a_server_that_never_answers_is_cut_at_the_read_timeout(fault_server) -> None:
    fault_server.routes["/x"] = Fault("stall")
    took, out = timed(lambda: client(read_s=0.3, deadline_s=5).request("GET", fault_server.url + "/x"))
    assert isinstance(out, HttpError) and out.timed_out and "timed out: no data for 0.3s" in str(out)
    assert took < 2


def test_a_trickling_server_is_cut_at_the_deadline(fault_server) -> None:
    # one byte every 0.1 s never trips the read timeout; the whole-request deadline does
    fault_server.routes["/x"] = Fault("trickle", interval_s=0.1)
    took, out = timed(lambda: client(read_s=5, deadline_s=0.5).request("GET", fault_server.url + "/x"))
    assert isinstance(out, HttpError) and out.timed_out and "no complete answer within 0.5s" in str(out)
    assert took < 2


def test_an_endless_body_is_refused_while_streaming(fault_server) -> None:
    fault_server.routes["/x"] = Fault("endless")
    took, out = timed(lambda: client(max_bytes=1 << 20).request("GET", fault_server.url + "/x"))
    assert isinstance(out, HttpError) and "more than 1 MiB" in str(out)
    assert took < 5


def test_a_gzip_bomb_is_refused_after_decompression(fault_server) -> None:
    fault_server.routes["/x"] = Fault("gzip_bomb", size=50 * 1024 * 1024)
    out = timed(lambda: client(max_bytes=1 << 20).request("GET", fault_server.url + "/x"))[1]
    assert isinstance(out, HttpError) and "once decompressed" in str(out)


def test_throttling_carries_retry_after(fault_server) -> None:
    fault_server.routes["/x"] = Fault(
        "status", status=429, body={"error": "slow down"}, headers={"Retry-After": "30"}
    )
    out = timed(lambda: client().request("GET", fault_server.url + "/x"))[1]
    assert isinstance(out, HttpError) and out.throttled and out.retry_after_s == 30
    assert "retry after 30s" in str(out) and "slow down" in str(out)


def test_refused_connection_is_reported_quickly() -> None:
    port = closed_port()
    took, out = timed(lambda: client().request("GET", f"http://127.0.0.1:{port}/x"))
    assert isinstance(out, HttpError) and "cannot reach http://127.0.0.1" in str(out) and took < 2


def test_non_finite_and_deeply_nested_json_is_not_decoded(fault_server) -> None:
    fault_server.routes["/nan"] = Fault(body=b'{"v": NaN}')
    fault_server.routes["/deep"] = Fault(body=b"[" * 100_000 + b"]" * 100_000)
    http = client()
    assert http.request("GET", fault_server.url + "/nan").json() is None
    assert http.request("GET", fault_server.url + "/deep").json() is None


@pytest.mark.parametrize(
    "value, expected",
    [
        ("30", 30.0),
        ("0", 0.0),
        ("-5", 0.0),
        ("soon", None),
        (None, None),
        ("1e999", None),
        ("999999", 3600.0),
    ],
)
def test_retry_after_seconds(value, expected) -> None:
    assert retry_after_seconds(value) == expected


def test_retry_after_http_date() -> None:
    now = datetime(2026, 11, 18, 12, 0, tzinfo=UTC)
    assert retry_after_seconds(format_datetime(now + timedelta(seconds=90), usegmt=True), now) == 90
