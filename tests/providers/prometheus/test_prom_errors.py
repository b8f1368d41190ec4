"""How server failures surface: Prometheus-shaped answers from a local stub server (errors a healthy
Prometheus will not produce on demand: 5xx, 429, warnings, hangs, auth), plus a refused port."""

from __future__ import annotations

import socket
from datetime import UTC, datetime
from typing import Any

import pytest

from srvmon.clock import FrozenClock
from srvmon.model import MetricQuery, TimeWindow
from srvmon.providers.base import ProviderError
from srvmon.providers.prometheus import PrometheusProvider
from srvmon.providers.prometheus.options import PrometheusOptions

NOW = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)
WINDOW = TimeWindow.ending_at(NOW, 600)


def provider(url: str, **opts: Any) -> PrometheusProvider:
    return PrometheusProvider("prom", PrometheusOptions(url=url, **opts), FrozenClock(NOW))


def run(p: PrometheusProvider, expr: str = "up") -> Any:
    return p.query([MetricQuery("a", "prom", expr)], WINDOW)["a"]


def matrix(values: list[tuple[int, str]], **extra: Any) -> dict[str, Any]:
    return {"status": "success", "data": {"resultType": "matrix",
            "result": [{"metric": {"job": "x"}, "values": [[t, v] for t, v in values]}]}, **extra}  # fmt: skip


def test_warnings_are_kept_and_odd_values_become_gaps(stub_server: Any) -> None:
    ts = list(WINDOW.timestamps())
    stub_server.routes["/api/v1/query_range"] = (200, matrix(
        [(ts[1] + 60, "1.5"), (ts[2] + 60, "NaN"), (ts[3] + 60, "+Inf"), (ts[4] + 60, "garbage"), (ts[5] + 7, "9")],
        warnings=["partial response: store gateway eu-1 unavailable"],
    ))  # fmt: skip
    res = run(provider(stub_server.url))
    assert res.ok and res.warnings == ("partial response: store gateway eu-1 unavailable",)
    assert res.series[0].values == (None, 1.5, None, None, None, None, None, None, None, None)
    path, params, _ = stub_server.requests[-1]
    assert path == "/api/v1/query_range"
    assert params["start"] == [str(WINDOW.start_s + 60)] and params["end"] == [str(WINDOW.end_s)]
    assert params["step"] == ["60"]


def test_execution_error_and_query_timeout_stay_on_the_query(stub_server: Any) -> None:
    stub_server.routes["/api/v1/query_range"] = (422, {
        "status": "error", "errorType": "execution", "error": "expanding series: too many samples"})  # fmt: skip
    assert run(provider(stub_server.url)).error == "execution: expanding series: too many samples"
    stub_server.routes["/api/v1/query_range"] = (503, {
        "status": "error", "errorType": "timeout", "error": "query timed out in expression evaluation"})  # fmt: skip
    assert run(provider(stub_server.url)).error == "timeout: query timed out in expression evaluation"


def test_server_errors_fail_the_whole_call(stub_server: Any) -> None:
    stub_server.routes["/api/v1/query_range"] = (502, "upstream connect error\n")
    with pytest.raises(ProviderError, match="answered 502: upstream connect error"):
        run(provider(stub_server.url))
    stub_server.routes["/api/v1/query_range"] = (
        429,
        {"status": "error", "error": "too many outstanding requests"},
    )
    with pytest.raises(ProviderError, match="throttling") as caught:
        run(provider(stub_server.url))
    assert caught.value.throttled is True
    stub_server.routes["/api/v1/query_range"] = (401, "Unauthorized\n")
    with pytest.raises(ProviderError, match="refused the credentials"):
        run(provider(stub_server.url))
    with pytest.raises(ProviderError, match="answered 404"):
        run(provider(stub_server.url + "/wrong-prefix"))


def test_unexpected_shapes_do_not_crash(stub_server: Any) -> None:
    stub_server.routes["/api/v1/query_range"] = (200, {"status": "success", "data": {"resultType": "vector",
                                                                                     "result": []}})  # fmt: skip
    assert "resultType 'vector'" in (run(provider(stub_server.url)).error or "")
    stub_server.routes["/api/v1/query_range"] = (200, {"status": "success", "data": {"resultType": "matrix",
        "result": [{"metric": None, "values": [[1, 2, 3]]}, "junk", {"metric": {"a": "b"}, "values": [["x"]]}]}})  # fmt: skip
    res = run(provider(stub_server.url))
    assert res.ok and [s.labels for s in res.series] == [{}, {"a": "b"}]  # null metric = no labels
    assert all(set(s.values) == {None} for s in res.series)


def test_auth_headers_and_tenant_are_sent(stub_server: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    stub_server.routes["/api/v1/query_range"] = (200, matrix([]))
    monkeypatch.setenv("SRVMON_TEST_TOKEN", "s3cret")
    run(
        provider(stub_server.url, bearer_token_env="SRVMON_TEST_TOKEN", headers={"X-Scope-OrgID": "tenant-1"})
    )
    headers = stub_server.requests[-1][2]
    assert headers["authorization"] == "Bearer s3cret" and headers["x-scope-orgid"] == "tenant-1"
    monkeypatch.setenv("SRVMON_TEST_USER", "ops")
    monkeypatch.setenv("SRVMON_TEST_PASS", "pw")
    run(
        provider(
            stub_server.url,
            basic_auth_user_env="SRVMON_TEST_USER",
            basic_auth_password_env="SRVMON_TEST_PASS",
        )
    )
    assert stub_server.requests[-1][2]["authorization"] == "Basic b3BzOnB3"


def test_missing_token_variable_is_named(stub_server: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SRVMON_NO_SUCH_TOKEN", raising=False)
    with pytest.raises(ProviderError, match="SRVMON_NO_SUCH_TOKEN is not set"):
        run(provider(stub_server.url, bearer_token_env="SRVMON_NO_SUCH_TOKEN"))
    assert stub_server.requests == []


def test_read_timeout_is_reported_per_query(stub_server: Any) -> None:
    stub_server.routes["/api/v1/query_range"] = (-1, None)  # conftest.HANG: never answers
    res = run(provider(stub_server.url, timeout="0.3s"))
    assert res.error is not None and "/api/v1/query_range timed out: no data for 0.3s" in res.error


def test_unreachable_server_fails_the_call() -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    p = provider(f"http://127.0.0.1:{port}")
    with pytest.raises(ProviderError, match=f"cannot reach http://127.0.0.1:{port}"):
        run(p)
    health = p.check()
    assert not health.ok and "cannot reach" in health.message


def test_options_reject_bad_values() -> None:
    from pydantic import ValidationError

    with pytest.raises(ValidationError, match="not an http"):
        PrometheusOptions(url="prometheus:9090")
    with pytest.raises(ValidationError, match="not a duration"):
        PrometheusOptions(url="http://x", timeout="soon")
    with pytest.raises(ValidationError, match="extra"):
        PrometheusOptions(url="http://x", token="inline-secret")  # type: ignore[call-arg]
    with pytest.raises(ValidationError, match="positive, finite"):
        PrometheusOptions(url="http://x", timeout="0s")
    for url in ("http://", "http:// 127.0.0.1", "http://[::1", "ftp://x", "http://x:99999"):
        with pytest.raises(ValidationError, match="URL|no host|http"):
            PrometheusOptions(url=url)
    with pytest.raises(ValidationError, match="CR, LF"):
        PrometheusOptions(url="http://x", headers={"X-Scope-OrgID": "a\r\nInjected: 1"})
    for bad in (-1.0, 0.0, float("nan"), float("inf")):
        with pytest.raises(ValidationError, match="finite number greater than zero"):
            PrometheusOptions(url="http://x", max_scale=bad)
    assert PrometheusOptions(url="http://x/").url == "http://x"
    assert PrometheusOptions(url="http://x", timeout="250ms").timeout_s == 0.25
    assert PrometheusOptions(url="http://x", timeout="2m").timeout_s == 120


def test_detection_asks_only_for_the_names_it_needs(stub_server: Any) -> None:
    stub_server.routes["/api/v1/label/__name__/values"] = (200, {"status": "success", "data": ["kn_x_count"]})
    stub_server.routes["/api/v1/query_range"] = (200, matrix([]))
    p = provider(stub_server.url)
    run(p, {"promql": "sum(revision_x)", "fallback": "sum(rate(kn_x_count[5m]))"})  # type: ignore[arg-type]
    (names_call, range_call) = stub_server.requests
    assert names_call[1]["match[]"] == ['{__name__=~"kn_x_count|revision_x"}']
    assert range_call[1]["query"] == ["sum(rate(kn_x_count[5m]))"]
    stub_server.routes["/api/v1/label/__name__/values"] = (200, {"status": "success", "data": None})
    p2 = provider(stub_server.url)
    assert p2.present({"a"}) is None  # the server would not say: the first candidate runs


def test_tls_verification_ca_file_and_opt_out(tls_stub_server: Any) -> None:
    tls_stub_server.routes["/api/v1/query_range"] = (200, matrix([(WINDOW.start_s + 60, "7")]))
    with pytest.raises(ProviderError, match="CERTIFICATE_VERIFY_FAILED"):
        run(provider(tls_stub_server.url))
    assert run(provider(tls_stub_server.url, ca_file=tls_stub_server.ca_file)).series[0].values[0] == 7.0
    assert run(provider(tls_stub_server.url, verify_tls=False)).series[0].values[0] == 7.0


def test_check_probes_alertmanager_and_loki(prom: Any, stub_server: Any) -> None:
    stub_server.routes["/api/v2/status"] = (200, {"cluster": {"status": "ready"}, "versionInfo": {}})
    stub_server.routes["/loki/api/v1/labels"] = (500, "too many outstanding requests\n")
    opts = {"alertmanager_url": stub_server.url, "loki_url": stub_server.url}
    health = PrometheusProvider("prom", PrometheusOptions(url=prom.url, **opts), FrozenClock(NOW)).check()
    assert not health.ok and health.message.endswith("but loki failed")
    assert f"alertmanager: ok at {stub_server.url}" in health.details
    assert any(d.startswith("loki: FAILED:") and "too many outstanding" in d for d in health.details)
    stub_server.routes["/loki/api/v1/labels"] = (200, {"status": "success", "data": ["function"]})
    health = PrometheusProvider("prom", PrometheusOptions(url=prom.url, **opts), FrozenClock(NOW)).check()
    assert health.ok and health.message.startswith("Prometheus 2.")
