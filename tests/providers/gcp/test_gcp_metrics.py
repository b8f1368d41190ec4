"""PromQL metrics over the wire: google-auth's token from a service-account file, Cloud Monitoring's path,
the mapped names and selection, several projects, per-project failures, throttling."""

from __future__ import annotations

from typing import Any

import gcpdata
import pytest
from gcpdata import OTHER, PROJECT, SA_EMAIL, TOKEN

from srvmon.clock import FrozenClock
from srvmon.model import MetricQuery, TimeWindow
from srvmon.providers.base import ProviderError

WINDOW = TimeWindow.ending_at(gcpdata.NOW, 3600, 60)
PROM = r"/v1/projects/(?P<p>[^/]+)/location/global/prometheus/api/v1/query_range"


def _matrix_per_project(values: dict[str, float], labels: dict[str, dict[str, str]] | None = None) -> Any:
    def handler(req: Any) -> Any:
        project = req.path.split("/")[3]
        start, end, step = (int(float(req.query[k][0])) for k in ("start", "end", "step"))
        pts = [(t, values[project]) for t in range(start, end + 1, step)]
        return 200, {}, gcpdata.matrix([((labels or {}).get(project, {}), pts)])

    return handler


def test_token_from_service_account_file_reaches_cloud_monitoring(google: Any, make_provider: Any) -> None:
    """ADC: GOOGLE_APPLICATION_CREDENTIALS -> google-auth signs a JWT -> our token endpoint -> bearer token."""
    google.route("GET", PROM, _matrix_per_project({PROJECT: 2.5}))
    p = make_provider(include=["checkout-*"], exclude=["*-canary"], regions=["europe-west1"])
    res = p.query([MetricQuery("a", "gcp", 'run:request_count{response_code_class="5xx"}')], WINDOW)["a"]
    assert res.error is None and len(res.series) == 1
    assert res.series[0].timestamps == tuple(WINDOW.timestamps()) and set(res.series[0].values) == {2.5}
    (token_call,) = google.calls(r"^/token$")
    assert token_call.body["grant_type"] == "urn:ietf:params:oauth:grant-type:jwt-bearer"
    assert google.tokens_issued == 1  # the server verified the JWT's RS256 signature and issuer
    (call,) = google.calls(PROM)
    assert call.path == f"/v1/projects/{PROJECT}/location/global/prometheus/api/v1/query_range"
    assert call.headers["authorization"] == f"Bearer {TOKEN}"
    q = call.query["query"][0]
    assert q == (
        'sum (rate(run_googleapis_com:request_count{monitored_resource="cloud_run_revision",'
        'service_name=~"(?:checkout-.*)",service_name!~"(?:.*-canary)",location=~"europe-west1",'
        'response_code_class="5xx"}[240s]))'
    )
    assert call.query["start"] == [str(WINDOW.start_s + 60)] and call.query["end"] == [str(WINDOW.end_s)]
    assert call.query["step"] == ["60"]
    # the token is reused for the next call (no second refresh)
    p.query([MetricQuery("b", "gcp", "run:request_count")], WINDOW)
    assert google.tokens_issued == 1 and len(google.calls(PROM)) == 2
    assert p.usage().by_operation["query_range"] == 2 and p.usage().by_operation["oauth_token"] == 1


def test_service_account_key_is_never_sent_to_the_api(google: Any, make_provider: Any, sa_key: Any) -> None:
    google.route("GET", PROM, _matrix_per_project({PROJECT: 1.0}))
    make_provider().query([MetricQuery("a", "gcp", "run:request_count")], WINDOW)
    key_line = sa_key[0].decode().splitlines()[1]
    for req in google.requests:
        assert key_line not in repr(req), req.path
    assert SA_EMAIL not in repr(google.calls(PROM))


def test_a_refused_token_is_a_clear_provider_error(google: Any, make_provider: Any) -> None:
    google.route("GET", PROM, _matrix_per_project({PROJECT: 1.0}))
    google.public_pem = b"-----BEGIN PUBLIC KEY-----\nnot the key\n-----END PUBLIC KEY-----\n"
    with pytest.raises(ProviderError, match="Google refused the credentials.*invalid_grant"):
        make_provider().query([MetricQuery("a", "gcp", "run:request_count")], WINDOW)
    assert google.calls(PROM) == []  # no call without a token


def test_no_credentials_anywhere_names_the_fix(google: Any, monkeypatch: Any, tmp_path: Any) -> None:
    """No key file, no gcloud login (empty config dir), no metadata server: the error says how to fix it."""
    from srvmon.providers.gcp import GcpProvider

    monkeypatch.delenv("GOOGLE_APPLICATION_CREDENTIALS", raising=False)
    monkeypatch.setenv("CLOUDSDK_CONFIG", str(tmp_path / "gcloud"))  # where gcloud keeps its ADC file
    monkeypatch.setenv("NO_GCE_CHECK", "True")  # not on Google Cloud: no metadata server to ask
    p = GcpProvider("gcp", gcpdata.options(google), FrozenClock(gcpdata.NOW))
    try:
        with pytest.raises(
            ProviderError, match="no usable Google credentials.*gcloud auth application-default login"
        ):
            p.query([MetricQuery("a", "gcp", "run:request_count")], WINDOW)
        health = p.check()
        assert not health.ok and health.message.startswith("credentials: no usable Google credentials")
    finally:
        p.close()
    assert google.requests == []


def test_several_projects_keep_their_series_apart_or_merge_groups(google: Any, make_provider: Any) -> None:
    google.route("GET", PROM, _matrix_per_project({PROJECT: 2.0, OTHER: 3.0},
                                                  {PROJECT: {"service_name": "checkout"}, OTHER: {"service_name": "checkout"}}))  # fmt: skip
    p = make_provider(projects=[PROJECT, OTHER])
    plain, grouped, quantile = (
        p.query([MetricQuery("a", "gcp", "run:request_count")], WINDOW)["a"],
        p.query([MetricQuery("b", "gcp", "run:request_count", group_by=("service",))], WINDOW)["b"],
        p.query([MetricQuery("c", "gcp", "run:request_latencies", "p99", group_by=("service",))], WINDOW)[
            "c"
        ],
    )
    assert sorted((s.labels["project_id"], s.values[0]) for s in plain.series) == [
        (OTHER, 3.0),
        (PROJECT, 2.0),
    ]
    (merged,) = grouped.series  # one checkout across both projects: rates add up
    assert merged.labels == {"service": "checkout"} and merged.values[0] == 5.0 and grouped.warnings == ()
    (worst,) = quantile.series  # quantiles do not add: the larger is kept
    assert worst.values[0] == 3.0
    assert {c.path.split("/")[3] for c in google.calls(PROM)} == {PROJECT, OTHER}


def test_one_project_refusing_leaves_the_other_with_a_warning(google: Any, make_provider: Any) -> None:
    google.route("GET", PROM, _matrix_per_project({PROJECT: 2.0, OTHER: 3.0}))
    google.deny(f"/projects/{OTHER}/", "monitoring.timeSeries.list")
    res = make_provider(projects=[PROJECT, OTHER]).query(
        [MetricQuery("a", "gcp", "run:request_count")], WINDOW
    )["a"]
    assert res.error is None and [s.values[0] for s in res.series] == [2.0]
    assert any(OTHER in w and "monitoring.timeSeries.list" in w for w in res.warnings), res.warnings


def test_scope_project_is_asked_once_and_filtered_to_the_projects(google: Any, make_provider: Any) -> None:
    google.route("GET", PROM, _matrix_per_project({"shop-scope-000001": 1.0}))
    p = make_provider(projects=[PROJECT, OTHER], metrics_scope_project="shop-scope-000001")
    p.query([MetricQuery("a", "gcp", "functions:function/execution_count")], WINDOW)
    (call,) = google.calls(PROM)
    assert "/projects/shop-scope-000001/" in call.path
    assert f'project_id=~"{PROJECT}|{OTHER}"' in call.query["query"][0]


def test_bad_promql_fails_its_panel_only(google: Any, make_provider: Any) -> None:
    def handler(req: Any) -> Any:
        if "bogus" in req.query["query"][0]:
            return 400, {}, {"status": "error", "errorType": "bad_data", "error": "unknown function bogus"}
        return _matrix_per_project({PROJECT: 1.0})(req)

    google.route("GET", PROM, handler)
    out = make_provider().query(
        [MetricQuery("bad", "gcp", "bogus(run_googleapis_com:request_count[5m])"),
         MetricQuery("ok", "gcp", "run:request_count"), MetricQuery("typo", "gcp", "run:request_cont")], WINDOW)  # fmt: skip
    assert out["bad"].error == "bad_data: unknown function bogus"
    assert out["ok"].error is None and out["ok"].series
    assert out["typo"].error is not None and "unknown metric 'run:request_cont'" in out["typo"].error


def test_throttling_carries_retry_after(google: Any, make_provider: Any) -> None:
    google.route("GET", PROM, lambda req: (429, {"Retry-After": "30"},
                                           gcpdata.error(429, "Quota exceeded for quota metric 'Time series queries'", "RESOURCE_EXHAUSTED")))  # fmt: skip
    with pytest.raises(ProviderError) as caught:
        make_provider().query([MetricQuery("a", "gcp", "run:request_count")], WINDOW)
    assert caught.value.throttled and caught.value.retry_after_s == 30.0
    assert "Quota exceeded" in str(caught.value)


def test_hostile_matcher_values_stay_inside_their_string(google: Any, make_provider: Any) -> None:
    google.route("GET", PROM, _matrix_per_project({PROJECT: 1.0}))
    hostile = 'x"} or vector(1) or {a="'
    escaped = hostile.replace('"', '\\"')
    res = make_provider().query(
        [MetricQuery("a", "gcp", f'run:request_count{{service="{escaped}"}}')], WINDOW
    )["a"]
    assert res.error is None
    q = google.calls(PROM)[0].query["query"][0]
    assert 'service_name="x\\"} or vector(1) or {a=\\""' in q
    from srvmon.providers.prometheus.detect import balance

    assert balance(q) is None  # the value did not break out of its quotes


def test_raw_promql_gets_selection_and_window_variables(google: Any, make_provider: Any) -> None:
    google.route("GET", PROM, _matrix_per_project({PROJECT: 1.0}))
    make_provider(include=["api"]).query([MetricQuery("a", "gcp", {
        "promql": 'sum(increase(run_googleapis_com:request_count{$__run_filter, response_code_class="5xx"}[$__interval]))'})],
        WINDOW)  # fmt: skip
    q = google.calls(PROM)[0].query["query"][0]
    assert q == ('sum(increase(run_googleapis_com:request_count{monitored_resource="cloud_run_revision",'
                 'service_name=~"(?:api)", response_code_class="5xx"}[60s]))')  # fmt: skip


def test_clock_is_the_injected_one(google: Any, make_provider: Any) -> None:
    google.route("GET", r"/v1/projects/[^/]+/location/global/prometheus/api/v1/query",
                 lambda req: (200, {}, gcpdata.vector([({"service_name": "checkout"}, 3.0)], float(req.query["time"][0]))))  # fmt: skip
    rows = make_provider(clock=FrozenClock(gcpdata.NOW)).instant("up")
    assert rows == [({"project_id": PROJECT, "service_name": "checkout"}, 3.0)]
    assert google.calls(r"/api/v1/query$")[0].query["time"] == [str(gcpdata.NOW.timestamp())]
