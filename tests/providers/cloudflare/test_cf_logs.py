"""Workers Logs drill-down through the Workers Observability telemetry query API."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from cfdata import ACCOUNT, NOW

from srvmon.model import LogQuery, TimeWindow
from srvmon.providers.base import NotSupported, ProviderError

H1 = TimeWindow.ending_at(NOW, 3600)


def lq(**kw: Any) -> LogQuery:
    kw.setdefault("window", H1)
    return LogQuery(provider="cf", **kw)


def telemetry_bodies(server: Any) -> list[dict[str, Any]]:
    return [r.body for r in server.calls(r"/workers/observability/telemetry/query$")]


def test_errors_of_one_script(make_provider: Any, cf_server: Any) -> None:
    p = make_provider()
    res = p.logs(lq(resources=("checkout-api",), errors_only=True))
    assert [r.request_id for r in res.records] == ["r-1"]
    rec = res.records[0]
    assert rec.resource == "checkout-api" and rec.level == "error" and rec.status == 500
    assert rec.message == "payment failed: TypeError: Cannot read properties of undefined (reading 'id')"
    assert rec.timestamp == (NOW - timedelta(minutes=1)).timestamp() and rec.duration_ms == 42
    assert rec.fields["outcome"] == "exception" and rec.fields["method"] == "GET"
    (body,) = telemetry_bodies(cf_server)
    assert (
        cf_server.calls("/telemetry/query$")[0].path
        == f"/client/v4/accounts/{ACCOUNT}/workers/observability/telemetry/query"
    )
    assert body["view"] == "events" and body["dry"] is True
    assert body["timeframe"] == {"from": int(H1.start_s * 1000), "to": int(H1.end_s * 1000)}
    filters = body["parameters"]["filters"]
    assert {
        "key": "$workers.scriptName",
        "operation": "eq",
        "type": "string",
        "value": "checkout-api",
    } in filters
    assert {"key": "$metadata.level", "operation": "eq", "type": "string", "value": "error"} in filters
    assert body["parameters"]["datasets"] == ["cloudflare-workers"]


def test_text_and_status_class(make_provider: Any, cf_server: Any) -> None:
    p = make_provider()
    assert [r.request_id for r in p.logs(lq(text="resize")).records] == ["r-3"]
    assert telemetry_bodies(cf_server)[-1]["parameters"]["needle"] == {
        "value": "resize",
        "isRegex": False,
        "matchCase": False,
    }
    five = p.logs(lq(status_class="5xx"))
    assert [r.request_id for r in five.records] == ["r-1", "r-3"]  # newest first
    ops = {(f["operation"], f["value"]) for f in telemetry_bodies(cf_server)[-1]["parameters"]["filters"]}
    assert ops == {("gte", 500), ("lte", 599)}


def test_untrusted_text_is_kept_as_data(make_provider: Any) -> None:
    (rec,) = [r for r in make_provider().logs(lq()).records if r.request_id == "r-5"]
    assert (
        rec.message == "slow upstream \x1b[31m[red]markup[/red]"
    )  # views make it inert; never interpreted here


def test_retention_limit_is_said(make_provider: Any) -> None:
    week2 = TimeWindow.ending_at(NOW, 14 * 86400)
    res = make_provider().logs(lq(window=week2, errors_only=True))
    assert "r-old" not in {r.request_id for r in res.records}  # 9 days old: past the 7 days kept
    assert any("Workers Logs keep 7 days" in w for w in res.warnings)


def test_limit_pages_and_says_partial(make_provider: Any) -> None:
    res = make_provider().logs(lq(limit=2))
    assert len(res.records) == 2 and res.partial


def test_include_exclude_narrow_the_logs(make_provider: Any) -> None:
    res = make_provider(include=["images"]).logs(lq())
    assert {r.resource for r in res.records} == {"images"}


def test_missing_permission_says_which(make_provider: Any, cf_server: Any) -> None:
    cf_server.observability_allowed = False
    with pytest.raises(ProviderError, match="Workers Observability Read"):
        make_provider().logs(lq())


def test_logs_can_be_turned_off(make_provider: Any) -> None:
    p = make_provider(logs=False)
    assert "logs" not in p.capabilities and "logs = false" in p.unavailable()["logs"]
    with pytest.raises(NotSupported):
        p.logs(lq())
