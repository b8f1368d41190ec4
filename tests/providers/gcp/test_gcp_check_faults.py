"""check() names each failing call (permission, disabled API, unreachable endpoint); options reject bad
shapes; slow, huge and throttling servers end within the deadline."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import gcpdata
import pytest
from faults import Fault, closed_port, timed
from gcpdata import PROJECT
from pydantic import ValidationError

from srvmon.clock import FrozenClock
from srvmon.model import MetricQuery, TimeWindow
from srvmon.providers.base import ProviderError
from srvmon.providers.gcp import GcpProvider
from srvmon.providers.gcp.alerts import Unsupported, threshold_promql
from srvmon.providers.gcp.options import GcpOptions

WINDOW = TimeWindow.ending_at(gcpdata.NOW, 3600, 60)


def _all_ok(google: Any) -> None:
    google.route("GET", r"/v1/projects/[^/]+/location/global/prometheus/api/v1/query",
                 gcpdata.vector([({}, 1.0)], gcpdata.NOW.timestamp()))  # fmt: skip
    google.route("GET", r"/v2/projects/[^/]+/locations/-/services", {"services": []})
    google.route("GET", r"/v2/projects/[^/]+/locations/-/functions", {"functions": []})
    google.route("POST", "/v2/entries:list", {})
    google.route("GET", r"/v3/projects/[^/]+/alertPolicies", {})


def test_check_ok(google: Any, make_provider: Any) -> None:
    _all_ok(google)
    health = make_provider().check()
    assert health.ok, health
    assert len([d for d in health.details if d.startswith("ok ")]) == 5
    (logs,) = google.calls("entries:list")
    assert logs.body["pageSize"] == 1 and logs.body["filter"] == 'timestamp>="2026-11-22T03:55:00Z"'


def test_check_names_each_missing_permission_and_disabled_api(google: Any, make_provider: Any) -> None:
    _all_ok(google)
    google.deny(r"/prometheus/", "monitoring.timeSeries.list")
    google.deny(r"entries:list", "logging.logEntries.list")
    google.deny(r"/functions$", "cloudfunctions.functions.list", reason="SERVICE_DISABLED")
    health = make_provider().check()
    assert not health.ok
    assert health.missing_permissions == ("monitoring.timeSeries.list", "logging.logEntries.list")
    text = "\n".join(health.details)
    assert "FAILED shop-prod-123456: missing permission monitoring.timeSeries.list" in text
    assert (
        "cloudfunctions.googleapis.com is not enabled: gcloud services enable cloudfunctions.googleapis.com"
        in text
    )
    assert (
        "ok shop-prod-123456: run.services.list" in text
        and "ok shop-prod-123456: monitoring.alertPolicies.list" in text
    )
    assert health.message.startswith("3 checks failed")


def test_check_unreachable_endpoint(google: Any, make_provider: Any) -> None:
    _all_ok(google)
    health = make_provider(logging_endpoint=f"http://127.0.0.1:{closed_port()}").check()
    assert not health.ok and health.missing_permissions == ()
    assert any("logging.logEntries.list: endpoint unreachable" in d for d in health.details), health.details


def test_options_reject_bad_shapes() -> None:
    for bad, key in [({"projects": []}, "projects"), ({"projects": ["My Project"]}, "project id"),
                     ({"projects": ["shop-prod", "shop-prod"]}, "listed twice"),
                     ({"projects": ["shop-prod"], "regions": ["Europe West"]}, "region"),
                     ({"projects": ["shop-prod"], "include": ['a"b']}, "name pattern"),
                     ({"projects": ["shop-prod"], "logging_endpoint": "http://logging.example"}, "https"),
                     ({"projects": ["shop-prod"], "run_endpoint": "https://run.example/v2"}, "without a path"),
                     ({"projects": ["shop-prod"], "price_per_vcpu_s": float("nan")}, "finite"),
                     ({"projects": ["shop-prod"], "timeout": "1h"}, "10m")]:  # fmt: skip
        with pytest.raises(ValidationError, match=key):
            GcpOptions(**bad)
    assert GcpOptions(projects=["example.com:shop-prod"]).projects == ["example.com:shop-prod"]


def test_config_errors_name_the_key_and_line() -> None:
    from srvmon.config import ConfigError, parse_config

    text = ('[providers.g]\ntype = "gcp"\nprojects = ["shop-prod"]\n[[boards]]\nname = "b"\nprovider = "g"\n'
            '[[boards.panels]]\nid = "x"\ntitle = "X"\nkind = "stat"\nquery = "run:request_count"\nstat = "p99"\n')  # fmt: skip
    with pytest.raises(ConfigError) as caught:
        parse_config(text, "srvmon.toml")
    assert "srvmon.toml" in str(caught.value) and "does not apply to run.googleapis.com/request_count" in str(
        caught.value
    )


# ---- faults: the bearer token comes from injected google-auth credentials here ----------------------


def _provider(fault_server: Any, clock: FrozenClock | None = None, **overrides: Any) -> GcpProvider:
    from google.oauth2.credentials import Credentials

    opts = GcpOptions(projects=[PROJECT], monitoring_endpoint=fault_server.url, run_endpoint=fault_server.url,
                      functions_endpoint=fault_server.url, logging_endpoint=fault_server.url, **overrides)  # fmt: skip
    return GcpProvider("gcp", opts, clock or FrozenClock(gcpdata.NOW), credentials=Credentials(token="tok"))


PATH = f"/v1/projects/{PROJECT}/location/global/prometheus/api/v1/query_range"


def test_trickling_server_is_cut_at_the_deadline(fault_server: Any) -> None:
    fault_server.routes[PATH] = Fault("trickle", interval_s=0.2)
    p = _provider(fault_server, timeout="1s")
    took, out = timed(lambda: p.query([MetricQuery("a", "gcp", "run:request_count")], WINDOW))
    p.close()
    assert took < 3 and out["a"].error is not None and "timed out" in out["a"].error
    assert {k.lower(): v for k, v in fault_server.requests[0][2].items()}["authorization"] == "Bearer tok"


def test_huge_answer_is_refused_while_streaming(fault_server: Any) -> None:
    fault_server.routes[PATH] = Fault("huge", size=8 * 1024 * 1024)
    p = _provider(fault_server, max_response_mb=1)
    out = p.query([MetricQuery("a", "gcp", "run:request_count")], WINDOW)
    p.close()
    assert "more than 1 MiB" in (out["a"].error or "")


def test_stalled_token_endpoint_ends_within_the_deadline(fault_server: Any, tmp_path: Any, sa_key: Any,
                                                         monkeypatch: Any) -> None:  # fmt: skip
    import json

    fault_server.routes["/token"] = Fault("stall")
    key = tmp_path / "sa.json"
    key.write_text(json.dumps({"type": "service_account", "project_id": PROJECT, "private_key_id": "1",
                               "private_key": sa_key[0].decode(), "client_email": gcpdata.SA_EMAIL,
                               "token_uri": f"{fault_server.url}/token"}))  # fmt: skip
    opts = GcpOptions(
        projects=[PROJECT], monitoring_endpoint=fault_server.url, credentials_file=str(key), timeout="1s"
    )
    p = GcpProvider("gcp", opts, FrozenClock(gcpdata.NOW))
    took, out = timed(lambda: p.query([MetricQuery("a", "gcp", "run:request_count")], WINDOW))
    p.close()
    assert took < 8, took  # google-auth retries a failed refresh a few times, each bounded by the deadline
    assert isinstance(out, ProviderError) and "token endpoint" in str(out)
    assert not [r for r in fault_server.requests if r[1].startswith("/v1/")]


# ---- threshold conditions -> PromQL ------------------------------------------------------------------


def test_threshold_translation() -> None:
    cond = {"filter": 'metric.type="run.googleapis.com/request_latencies" AND resource.type="cloud_run_revision"',
            "aggregations": [{"alignmentPeriod": "300s", "perSeriesAligner": "ALIGN_PERCENTILE_99",
                              "groupByFields": ["resource.label.service_name"]}],
            "comparison": "COMPARISON_GT", "thresholdValue": 2000}  # fmt: skip
    assert threshold_promql(cond) == (
        "(histogram_quantile(0.99, sum by (le, service_name) (rate(run_googleapis_com:request_latencies_bucket"
        '{monitored_resource="cloud_run_revision"}[300s])))) > 2000'
    )
    gauge = {"filter": 'metric.type = "cloudfunctions.googleapis.com/function/active_instances"',
             "aggregations": [{"alignmentPeriod": "60s", "perSeriesAligner": "ALIGN_MAX", "crossSeriesReducer": "REDUCE_SUM"}],
             "comparison": "COMPARISON_GE", "thresholdValue": 10}  # fmt: skip
    assert (
        threshold_promql(gauge)
        == "(sum (max_over_time(cloudfunctions_googleapis_com:function_active_instances{}[60s]))) >= 10"
    )
    for bad in ('metric.type=starts_with("run")', 'metric.type="x/y" OR resource.type="z"'):
        with pytest.raises(Unsupported):
            threshold_promql({**gauge, "filter": bad})
    with pytest.raises(Unsupported, match="ratio"):
        threshold_promql({**gauge, "denominatorFilter": "x"})


def test_alarms_refused_in_every_project_raise(google: Any, make_provider: Any) -> None:
    google.deny(r"alertPolicies", "monitoring.alertPolicies.list")
    with pytest.raises(ProviderError, match="monitoring.alertPolicies.list"):
        make_provider().alarms()


def test_check_uses_the_injected_clock(google: Any, make_provider: Any) -> None:
    _all_ok(google)
    make_provider(clock=FrozenClock(gcpdata.NOW + timedelta(hours=1))).check()
    (logs,) = google.calls("entries:list")
    assert logs.body["filter"] == 'timestamp>="2026-11-22T04:55:00Z"'


def test_credentials_file_of_another_type_is_refused(tmp_path: Any) -> None:
    import json

    path = tmp_path / "ext.json"
    path.write_text(json.dumps({"type": "external_account", "token_url": "https://sts.example/token"}))
    p = GcpProvider(
        "gcp", GcpOptions(projects=[PROJECT], credentials_file=str(path)), FrozenClock(gcpdata.NOW)
    )
    with pytest.raises(ProviderError, match="type 'external_account'.*service_account or authorized_user"):
        p.query([MetricQuery("a", "gcp", "run:request_count")], WINDOW)
    p.close()
