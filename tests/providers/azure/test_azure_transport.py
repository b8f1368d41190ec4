"""BoundedTransport and BoundedRetry inside a real azure-core pipeline, against tests/faults.py over TLS:
per-call timeouts honoured, retries only inside the call's budget, no inline sleep on Retry-After,
the body cap never retried, and the response type azure-core's policies and SDK models read."""

from __future__ import annotations

import ssl
from typing import Any

import pytest
from azure.core import PipelineClient
from azure.core.exceptions import HttpResponseError, ServiceRequestError, ServiceResponseTimeoutError
from azure.core.rest import HttpRequest
from faults import Fault, closed_port, timed

from srvmon.providers.azure.transport import BoundedRetry, BoundedTransport
from srvmon.providers.httpio import HttpError, HttpLimits


def client(
    server: Any, *, retries: int = 2, timeout: float = 1.0, max_bytes: int = 1 << 20
) -> PipelineClient[Any, Any]:
    verify = ssl.create_default_context(cafile=server.ca_path)
    limits = HttpLimits(connect_s=timeout, read_s=timeout, deadline_s=timeout, max_bytes=max_bytes)
    return PipelineClient(
        base_url=server.url,
        policies=[BoundedRetry(retries, timeout)],
        transport=BoundedTransport(limits, verify),
    )


def hits(server: Any, path: str) -> int:
    return sum(1 for r in server.requests if r[1].split("?")[0] == path)


def test_a_good_answer_reads_like_any_azure_core_response(tls_fault_server: Any) -> None:
    tls_fault_server.routes["/ok"] = Fault(
        body=b'\xef\xbb\xbf{"a": [1, 2]}', headers={"x-ms-request-id": "r-1"}
    )
    with client(tls_fault_server) as c:
        resp = c.send_request(HttpRequest("POST", tls_fault_server.url + "/ok", json={"q": 1}))
    assert resp.status_code == 200 and resp.reason == "OK" and resp.headers["X-MS-REQUEST-ID"] == "r-1"
    assert resp.json() == {"a": [1, 2]} and resp.text().startswith("{")  # the UTF-8 BOM is not text
    assert resp.content_type == "application/json" and resp.is_stream_consumed and list(resp.iter_bytes())
    method, _, headers, payload = tls_fault_server.requests[-1]
    assert method == "POST" and payload == b'{"q": 1}' and headers["Content-Type"] == "application/json"
    tls_fault_server.routes["/nan"] = Fault(body=b'{"v": NaN}')
    with client(tls_fault_server) as c, pytest.raises(ValueError, match="NaN"):
        c.send_request(HttpRequest("GET", tls_fault_server.url + "/nan")).json()
    tls_fault_server.routes["/e"] = Fault("status", status=404, body={"error": {"code": "NotFound"}})
    with client(tls_fault_server) as c, pytest.raises(HttpResponseError):
        c.send_request(HttpRequest("GET", tls_fault_server.url + "/e")).raise_for_status()


def test_per_call_read_timeout_is_honoured(tls_fault_server: Any) -> None:
    tls_fault_server.routes["/stall"] = Fault("stall")
    with client(tls_fault_server, retries=0, timeout=5.0) as c:
        took, out = timed(
            lambda: c.send_request(HttpRequest("GET", tls_fault_server.url + "/stall"), read_timeout=0.3)
        )
    assert isinstance(out, ServiceResponseTimeoutError) and "no data for 0.3s" in str(out)
    assert took < 1.5


def test_retries_fit_inside_the_budget(tls_fault_server: Any) -> None:
    tls_fault_server.routes["/stall"] = Fault("stall")
    with client(tls_fault_server, retries=3, timeout=0.5) as c:
        took, out = timed(lambda: c.send_request(HttpRequest("GET", tls_fault_server.url + "/stall")))
    assert isinstance(out, ServiceResponseTimeoutError) and "no data for 0.5s" in str(out)  # its own words
    assert hits(tls_fault_server, "/stall") == 1 and took < 1.5  # no second attempt without time for it
    tls_fault_server.routes["/flaky"] = Fault("flaky", status=503, failures=2, body={"ok": True})
    with client(tls_fault_server, retries=3, timeout=3.0) as c:
        took, resp = timed(lambda: c.send_request(HttpRequest("GET", tls_fault_server.url + "/flaky")))
    assert resp.status_code == 200 and hits(tls_fault_server, "/flaky") == 3 and took < 2.5
    dead = f"https://127.0.0.1:{closed_port()}"
    with client(tls_fault_server, retries=1, timeout=1.0) as c:
        out = timed(lambda: c.send_request(HttpRequest("GET", dead + "/x")))[1]
    assert isinstance(out, ServiceRequestError) and f"cannot reach {dead}" in str(out)


def test_throttling_is_handed_back_at_once(tls_fault_server: Any) -> None:
    tls_fault_server.routes["/busy"] = Fault("status", status=503, body={}, headers={"Retry-After": "120"})
    tls_fault_server.routes["/slow-down"] = Fault(
        "status", status=429, body={}, headers={"Retry-After": "60"}
    )
    with client(tls_fault_server, retries=3, timeout=5.0) as c:
        took, resp = timed(lambda: c.send_request(HttpRequest("GET", tls_fault_server.url + "/busy")))
        assert resp.status_code == 503 and took < 1.0  # never slept on the 120 s
        assert c.send_request(HttpRequest("GET", tls_fault_server.url + "/slow-down")).status_code == 429
    assert hits(tls_fault_server, "/busy") == 1 and hits(tls_fault_server, "/slow-down") == 1


def test_an_oversize_body_is_refused_and_not_retried(tls_fault_server: Any) -> None:
    tls_fault_server.routes["/big"] = Fault("endless")
    with client(tls_fault_server, retries=3, timeout=5.0) as c:
        took, out = timed(lambda: c.send_request(HttpRequest("GET", tls_fault_server.url + "/big")))
    assert isinstance(out, HttpError) and out.too_large and "more than 1 MiB" in str(out)
    assert hits(tls_fault_server, "/big") == 1 and took < 3
