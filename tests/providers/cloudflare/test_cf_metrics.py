"""Workers analytics over the wire: request shape, bucketing, week over week, settings limits, dedup."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from cfdata import ACCOUNT, NOW, SCRIPTS, expected_requests

from srvmon.model import MetricQuery, TimeWindow
from srvmon.providers.base import ProviderError

H4 = TimeWindow.ending_at(NOW, 4 * 3600)  # 240 one-minute buckets


def q(
    ref: str, query: Any, stat: str | None = None, group_by: tuple[str, ...] = (), limit: int | None = None
):
    return MetricQuery(ref, "cf", query, stat, group_by, limit=limit)


def values(result: Any) -> list[float | None]:
    assert result.ok, result.error
    assert len(result.series) == 1, result.series
    return list(result.series[0].values)


def data_requests(server: Any) -> list[dict[str, Any]]:
    return [b for b in server.graphql_bodies() if "SrvmonWorkers(" in b["query"]]


def test_requests_bucket_by_bucket_and_week_over_week(make_provider: Any, cf_server: Any) -> None:
    p = make_provider()
    now = p.query([q("a", "workers:requests")], H4)["a"]
    assert now.series[0].timestamps == tuple(H4.timestamps())
    got = values(now)
    assert got == expected_requests(H4.start, 60, 240, SCRIPTS)
    assert sum(got) == 87 * 2 * 480  # 87 invocations a minute x2 this week x (1+2+3)/3 on average
    week_ago = H4.shifted(7)
    before = values(p.query([q("a", "workers:requests")], week_ago)["a"])
    assert before == expected_requests(week_ago.start, 60, 240, SCRIPTS)
    assert [b * 2 for b in before] == got  # last week had half the traffic, bucket by bucket
    assert "Cloudflare analytics are sampled" in now.warnings


def test_request_shape_bearer_account_and_datetime_filters(make_provider: Any, cf_server: Any) -> None:
    p = make_provider()
    p.query([q("a", "workers:requests")], H4)
    graphql_calls = cf_server.calls(r"/graphql$")
    assert all(r.method == "POST" and r.headers["authorization"].startswith("Bearer ") for r in graphql_calls)
    assert all(r.headers["content-type"].startswith("application/json") for r in graphql_calls)
    (body,) = data_requests(cf_server)
    text, variables = body["query"], body["variables"]
    assert "workersInvocationsAdaptive(" in text and "accounts(filter: {accountTag: $accountTag})" in text
    assert "dimensions { datetimeMinute }" in text and "orderBy: [datetimeMinute_DESC]" in text
    assert variables["accountTag"] == ACCOUNT
    assert (variables["start_n0"], variables["end_n0"]) == ("2026-11-22T00:00:00Z", "2026-11-22T04:00:00Z")
    assert "datetime_geq: $start_n0" in text and "datetime_lt: $end_n0" in text


def test_queries_sharing_dimensions_share_one_node(make_provider: Any, cf_server: Any) -> None:
    p = make_provider()
    out = p.query(
        [
            q("req", "workers:requests"),
            q("err", "workers:errors"),
            q("pct", "workers:error_rate"),
            q("cpu50", "workers:cpu_time", "p50"),
            q("cpu99", "workers:cpu_time", "p99"),
            q("sub", "workers:subrequests"),
        ],
        H4,
    )
    (body,) = data_requests(cf_server)
    assert body["query"].count("workersInvocationsAdaptive(") == 1  # one node = one query of the budget
    assert "sum { requests errors subrequests }" in body["query"]
    assert "quantiles { cpuTimeP50 cpuTimeP99 }" in body["query"]
    errors_per_min = [v * 8 / 87 for v in expected_requests(H4.start, 60, 240, SCRIPTS)]
    assert values(out["err"]) == pytest.approx(errors_per_min)
    assert values(out["pct"]) == pytest.approx([800 / 87] * 240)  # 8 of every 87 invocations fail
    # fleet quantiles come from Cloudflare over the merged sample (the fake: weighted p50, max p99), in ms
    weighted = (1200 * 43 + 4000 * 22 + 300 * 12 + 2000 * 10) / 87 / 1000
    assert values(out["cpu50"]) == pytest.approx([weighted] * 240)
    assert values(out["cpu99"]) == [25.0] * 240
    subs_per_req = (43 * 3 + 22 * 1 + 10 * 2) / 87
    assert values(out["sub"]) == pytest.approx(
        [v * subs_per_req for v in expected_requests(H4.start, 60, 240, SCRIPTS)]
    )


def test_group_by_script_with_include_exclude(make_provider: Any, cf_server: Any) -> None:
    p = make_provider(exclude=["legacy-*"])
    res = p.query([q("e", "workers:errors", group_by=("script",))], H4)["e"]
    assert res.ok, res.error
    totals = {s.labels["script"]: sum(v or 0 for v in s.values) for s in res.series}
    assert totals == {"auth-edge": 0.0, "checkout-api": 1 * 2 * 480, "images": 2 * 2 * 480}
    (body,) = data_requests(cf_server)
    assert body["variables"]["scripts_n0"] == ["auth-edge", "checkout-api", "images"]
    assert "scriptName_in: $scripts_n0" in body["query"] and "legacy" not in body["query"]
    assert len(cf_server.calls(r"/workers/scripts$")) == 1


def test_group_by_status_top_n_and_dict_filters(make_provider: Any, cf_server: Any) -> None:
    p = make_provider()
    out = p.query(
        [
            q("mix", "workers:requests", group_by=("status",), limit=2),
            q("img", {"metric": "requests", "scripts": ["images"], "status": ["exceededResources"]}),
        ],
        H4,
    )
    mix = out["mix"]
    assert [s.labels["status"] for s in mix.series] == ["success", "scriptThrewException"]
    assert sum(v or 0 for v in mix.series[0].values) == (40 + 20 + 12 + 5) * 2 * 480
    assert sum(values(out["img"])) == 2 * 2 * 480
    img_body = [b for b in data_requests(cf_server) if "statuses_" in b["query"]][0]
    node_vars = {k: v for k, v in img_body["variables"].items() if k.startswith(("scripts_", "statuses_"))}
    assert sorted(node_vars.values()) == [["exceededResources"], ["images"]]


def test_week_window_folds_fifteen_minute_buckets(make_provider: Any, cf_server: Any) -> None:
    week = TimeWindow.ending_at(NOW, 7 * 86400)  # 30-minute step: two datetimeFifteenMinutes buckets each
    assert week.step_s == 1800
    p = make_provider()
    out = p.query([q("r", "workers:requests"), q("c", "workers:cpu_time", "p99", ("script",))], week)
    assert values(out["r"]) == [87 * 2 * 60] * 336  # 30 minutes x 2 (this week) x mean shape 2
    cpu = {s.labels["script"]: set(s.values) for s in out["c"].series}
    assert cpu == {"auth-edge": {0.8}, "checkout-api": {9.0}, "images": {25.0}, "legacy-canary": {3.0}}
    assert any("combines 2 datetimeFifteenMinutes buckets" in w for w in out["c"].warnings)
    (body,) = data_requests(cf_server)
    assert "dimensions { datetimeFifteenMinutes }" in body["query"]


def test_month_is_cut_into_max_duration_chunks(make_provider: Any, cf_server: Any) -> None:
    month = TimeWindow.ending_at(NOW, 30 * 86400)  # 2-hour step from datetimeHour; maxDuration is 7 days
    p = make_provider()
    got = values(p.query([q("r", "workers:requests")], month)["r"])
    recent = NOW - timedelta(days=7)
    assert got == [87 * 240 * (2 if t >= recent.timestamp() else 1) for t in month.timestamps()]
    (body,) = data_requests(cf_server)
    assert body["query"].count("workersInvocationsAdaptive(") == 5  # ceil(30 / 7) nodes in one request
    compare = values(p.query([q("r", "workers:requests")], month.shifted(28))["r"])
    assert compare == [87 * 240] * 360  # 58 days ago is within notOlderThan (90 days)


def test_window_older_than_not_older_than_is_a_panel_error(make_provider: Any, cf_server: Any) -> None:
    cf_server.gql.not_older_than_s = 14 * 86400  # e.g. a plan that keeps two weeks
    p = make_provider()
    month = TimeWindow.ending_at(NOW, 30 * 86400)
    old = p.query([q("r", "workers:requests")], month.shifted(28))["r"]  # the month's 4-weeks-earlier compare
    assert not old.ok and "notOlderThan" in (old.error or "") and "14 days" in (old.error or "")
    assert data_requests(cf_server) == []  # refused before asking
    cf_server.gql.not_older_than_s = 20 * 86400
    p2 = make_provider()  # a new provider reads the settings node again
    part = p2.query([q("r", "workers:requests")], month)["r"]
    assert part.ok, part.error
    vals = part.series[0].values
    cut = (NOW - timedelta(days=20)).timestamp() + 60
    assert all(v is None for t, v in zip(month.timestamps(), vals, strict=True) if t < cut)
    assert all(v is not None for t, v in zip(month.timestamps(), vals, strict=True) if t >= cut + 7200)
    assert any("shown as a gap" in w for w in part.warnings)


def test_max_page_size_cuts_the_window(make_provider: Any, cf_server: Any) -> None:
    cf_server.gql.max_page_size = 100
    p = make_provider()
    got = values(p.query([q("r", "workers:requests")], H4)["r"])
    assert got == expected_requests(H4.start, 60, 240, SCRIPTS)
    (body,) = data_requests(cf_server)
    assert body["query"].count("limit: 100,") == 3  # 240 rows > 100: three chunks of 100 minutes at most


def test_settings_node_is_read_once(make_provider: Any, cf_server: Any) -> None:
    p = make_provider()
    for _ in range(3):
        p.query([q("r", "workers:requests")], H4)
    settings = [b for b in cf_server.graphql_bodies() if "settings {" in b["query"]]
    assert len(settings) == 1
    assert "maxDuration" in settings[0]["query"] and "notOlderThan" in settings[0]["query"]


def test_wall_time_only_when_the_account_has_it(make_provider: Any, cf_server: Any) -> None:
    p = make_provider()
    assert values(p.query([q("w", "workers:wall_time", "p99")], H4)["w"]) == [900.0] * 240
    cf_server.gql.available = [f for f in cf_server.gql.available if "wallTime" not in f]
    p2 = make_provider(query_budget=200)
    res = p2.query([q("w", "workers:wall_time", "p99"), q("r", "workers:requests")], H4)
    assert not res["w"].ok and "availableFields" in (res["w"].error or "")
    assert res["r"].ok


def test_graphql_errors_in_a_200_body_fail_their_queries(make_provider: Any, cf_server: Any) -> None:
    cf_server.gql.analytics_allowed = False
    p = make_provider()
    out = p.query([q("r", "workers:requests"), q("s", "workers:requests", group_by=("script",))], H4)
    for r in out.values():
        assert (
            not r.ok and "not authorized" in (r.error or "") and "Account Analytics Read" in (r.error or "")
        )


def test_bad_queries_fail_alone(make_provider: Any) -> None:
    p = make_provider()
    out = p.query(
        [
            q("bad", "workers:nope"),
            q("stat", "workers:requests", "p99"),
            q("grp", "workers:requests", group_by=("region",)),
            q("ok", "workers:requests"),
        ],
        H4,
    )
    assert "unknown Workers metric 'nope'" in (out["bad"].error or "")
    assert "leave stat unset" in (out["stat"].error or "")
    assert "cannot group" in (out["grp"].error or "")
    assert out["ok"].ok


def test_account_the_token_cannot_see(make_provider: Any, cf_server: Any) -> None:
    p = make_provider(account_id="ffffffffffffffffffffffffffffffff")
    with pytest.raises(ProviderError, match="not visible to this API token"):
        p.query([q("r", "workers:requests")], H4)


def test_usage_counts_calls_and_budget(make_provider: Any, cf_server: Any) -> None:
    p = make_provider(query_budget=50)
    p.query([q("r", "workers:requests"), q("s", "workers:requests", group_by=("script",))], H4)
    u = p.usage()
    assert u.by_operation == {"graphql": 2} and u.api_calls == 2
    assert u.extra["graphql_queries"] == 3  # settings + two nodes
    assert u.extra["graphql_budget_left"] == 47
    assert u.estimated_cost_usd == 0.0  # the GraphQL Analytics API is free
