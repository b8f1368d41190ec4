"""BoundedHttp.fetch (statuses returned, not raised; a shorter per-call deadline) and HttpError's flags,
against tests/faults.py: what an SDK transport on httpio relies on."""

from __future__ import annotations

from faults import Fault, closed_port, timed

from srvmon.providers.httpio import BoundedHttp, HttpError, HttpLimits


def test_fetch_returns_error_statuses_with_their_headers(fault_server) -> None:
    fault_server.routes["/x"] = Fault(
        "status", status=503, body={"error": "busy"}, headers={"X-Ms-Request-Id": "r1"}
    )
    http = BoundedHttp(HttpLimits())
    resp = http.fetch("GET", fault_server.url + "/x")
    assert resp.status == 503 and resp.headers["x-ms-request-id"] == "r1" and resp.json() == {"error": "busy"}
    out = timed(lambda: http.request("GET", fault_server.url + "/x"))[1]
    assert isinstance(out, HttpError) and out.status == 503 and not out.unreachable and not out.too_large


def test_a_shorter_deadline_per_call_is_honoured(fault_server) -> None:
    fault_server.routes["/x"] = Fault("trickle", interval_s=0.05)
    http = BoundedHttp(HttpLimits(read_s=5, deadline_s=5))
    took, out = timed(lambda: http.fetch("GET", fault_server.url + "/x", deadline_s=0.3))
    assert isinstance(out, HttpError) and out.timed_out and "no complete answer within 0.3s" in str(out)
    assert took < 1.5
    fault_server.routes["/y"] = Fault("stall")
    took, out = timed(lambda: http.fetch("GET", fault_server.url + "/y", deadline_s=0.3))
    assert isinstance(out, HttpError) and out.timed_out and "no data for 0.3s" in str(out) and took < 1.5


def test_flags_say_what_went_wrong(fault_server) -> None:
    http = BoundedHttp(HttpLimits(max_bytes=1 << 20))
    out = timed(lambda: http.fetch("GET", f"http://127.0.0.1:{closed_port()}/"))[1]
    assert isinstance(out, HttpError) and out.unreachable and not out.timed_out and out.status is None
    fault_server.routes["/big"] = Fault("endless")
    out = timed(lambda: http.fetch("GET", fault_server.url + "/big"))[1]
    assert isinstance(out, HttpError) and out.too_large and not out.unreachable
    fault_server.routes["/bomb"] = Fault("gzip_bomb", size=8 << 20)
    out = timed(lambda: http.fetch("GET", fault_server.url + "/bomb"))[1]
    assert isinstance(out, HttpError) and out.too_large
