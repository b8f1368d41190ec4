"""Metrics through the real MetricsClient over HTTPS: batch calls, alignment, derived metrics, throttling."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from srvmon.model import MetricQuery, TimeWindow
from srvmon.providers.azure import AzureProvider
from srvmon.providers.base import ProviderError

NOW = datetime(2026, 11, 22, 4, 0, tzinfo=UTC)
W = TimeWindow.ending_at(NOW, 3600)  # 03:00 .. 04:00, step 60
T0 = W.start_s


def getbatch(azd: Any, data: dict[tuple[str, str], Any]) -> Any:
    """A metrics:getBatch handler answering from data[(app name, metric)] = points | (points, extra series)."""

    def handler(req: Any) -> Any:
        names = req.query["metricnames"][0].split(",")
        values = []
        for rid in req.body["resourceids"]:
            app = rid.rsplit("/", 1)[1]
            for metric in names:
                entry = data.get((app, metric), [])
                pts, extra = entry if isinstance(entry, tuple) else (entry, None)
                md = extra[0][0] if extra else None
                values.append(
                    azd.metric_value(
                        rid,
                        metric,
                        pts if not extra else extra[0][1],
                        metadata=md,
                        extra_series=extra[1:] if extra else None,
                    )
                )
        return 200, {}, {"values": values}

    return handler


def route_metrics(server: Any, handler: Any) -> None:
    server.route("POST", r"/subscriptions/[^/]+/metrics:getBatch", handler)


def mq(ref: str, query: Any, stat: str | None = None, group_by: tuple[str, ...] = ()) -> MetricQuery:
    return MetricQuery(ref, "az", query, stat, group_by)


def test_execution_count_by_app_aligned(make_provider: Any, arm_sites: Any, azd: Any) -> None:
    route_metrics(
        arm_sites,
        getbatch(
            azd,
            {
                ("checkout-api", "FunctionExecutionCount"): [
                    ("2026-11-22T03:00:00Z", {"total": 10.0}),
                    ("2026-11-22T03:01:00Z", {"total": 12.0}),
                    ("2026-11-22T03:59:00Z", {"total": 7.0}),
                    ("2026-11-22T04:00:00Z", {"total": 99.0}),
                ],  # outside
                ("orders-worker", "FunctionExecutionCount"): [("2026-11-22T03:00:00Z", {"total": 5.0})],
            },
        ),
    )
    p = make_provider()
    res = p.query(
        [mq("a", "FunctionExecutionCount", group_by=("app",)), mq("b", "FunctionExecutionCount")], W
    )
    by_app = {s.labels["app"]: s for s in res["a"].series}
    assert sorted(by_app) == ["checkout-api", "orders-worker", "reports-flex"]
    assert by_app["reports-flex"].values == (None,) * 60  # answered, but no data points: gaps, not zeros
    c = by_app["checkout-api"]
    assert c.timestamps == tuple(W.timestamps()) and len(c.values) == 60
    assert c.values[0] == 10.0 and c.values[1] == 12.0 and c.values[2] is None and c.values[59] == 7.0
    assert by_app["orders-worker"].values[0] == 5.0 and by_app["orders-worker"].values[1] is None
    (total,) = res["b"].series
    assert (
        total.labels == {} and total.values[0] == 15.0 and total.values[1] == 12.0 and total.values[59] == 7.0
    )
    # both queries shared one call per plan kind; each asked for exactly what the API needs
    calls = arm_sites.calls("metrics:getBatch")
    (call,) = [c for c in calls if c.query["metricnames"] == ["FunctionExecutionCount"]]
    assert call.query["metricnamespace"] == ["Microsoft.Web/sites"]
    assert call.query["aggregation"] == ["Total"]
    assert call.query["interval"] == ["PT1M"]
    assert call.query["starttime"][0].startswith("2026-11-22T03:00:00")
    assert call.query["endtime"][0].startswith("2026-11-22T04:00:00")
    assert call.query["api-version"] == ["2024-02-01"]
    assert len(call.body["resourceids"]) == 2  # Consumption and Premium apps
    assert call.headers["authorization"] == "Bearer fake-token"
    (flex,) = [c for c in calls if c is not call]  # the Flex Consumption app, under its own metric names
    assert flex.query["metricnames"] == ["AlwaysReadyFunctionExecutionCount,OnDemandFunctionExecutionCount"]
    assert [r.rsplit("/", 1)[1] for r in flex.body["resourceids"]] == ["reports-flex"]
    u = p.usage()
    assert u.by_operation["metrics:getBatch"] == 2 and u.metrics_requested == 4


def test_flex_consumption_executions_count_in_totals_and_rankings(
    make_provider: Any, arm_sites: Any, azd: Any
) -> None:
    at = "2026-11-22T03:10:00Z"
    route_metrics(
        arm_sites,
        getbatch(
            azd,
            {
                ("checkout-api", "FunctionExecutionCount"): [(at, {"total": 10.0})],
                ("orders-worker", "FunctionExecutionCount"): [(at, {"total": 5.0})],
                ("reports-flex", "OnDemandFunctionExecutionCount"): [(at, {"total": 30.0})],
                ("reports-flex", "AlwaysReadyFunctionExecutionCount"): [(at, {"total": 4.0})],
                ("reports-flex", "FunctionExecutionCount"): [(at, {"total": 999.0})],  # never asked of Flex
                ("checkout-api", "FunctionExecutionUnits"): [(at, {"total": 1_024_000.0})],
                ("orders-worker", "FunctionExecutionUnits"): [(at, {"total": 2_048_000.0})],
                ("reports-flex", "OnDemandFunctionExecutionUnits"): [(at, {"total": 3_072_000.0})],
                ("reports-flex", "AlwaysReadyFunctionExecutionUnits"): [(at, {"total": 1_024_000.0})],
                ("reports-flex", "AlwaysReadyUnits"): [(at, {"total": 10_240_000.0})],
            },
        ),
    )
    p = make_provider(
        price_per_gb_s=0.000016,
        flex_price_per_gb_s=0.000026,
        flex_always_ready_price_per_gb_s=0.000016,
        flex_baseline_price_per_gb_s=0.000004,
    )
    res = p.query(
        [
            mq("total", "FunctionExecutionCount"),
            mq("by_app", "FunctionExecutionCount", group_by=("app",)),
            mq("units", "FunctionExecutionUnits", group_by=("app",)),
            mq("gb", "GBSeconds", group_by=("app",)),
            mq("usd", "CostUSD", group_by=("app",)),
            mq("usd_all", "CostUSD"),
        ],
        W,
    )
    assert res["total"].series[0].values[10] == 49.0  # 10 + 5 + 30 + 4
    by_app = {s.labels["app"]: s.values[10] for s in res["by_app"].series}
    assert by_app == {"checkout-api": 10.0, "orders-worker": 5.0, "reports-flex": 34.0}
    assert {s.labels["app"]: s.values[10] for s in res["units"].series}["reports-flex"] == 4_096_000.0
    gb = {s.labels["app"]: s.values[10] for s in res["gb"].series}
    assert gb == {"checkout-api": 1.0, "orders-worker": 2.0, "reports-flex": 4.0}
    usd = {s.labels["app"]: s.values[10] for s in res["usd"].series}
    assert usd["checkout-api"] == pytest.approx(0.000016)
    # Flex: 3 GB-s on demand, 1 GB-s always ready, 10 GB-s of always-ready baseline, each at its price
    assert usd["reports-flex"] == pytest.approx(3 * 0.000026 + 1 * 0.000016 + 10 * 0.000004)
    assert "orders-worker" not in usd  # Premium is billed per instance, not per execution
    assert res["usd"].warnings == (
        "CostUSD leaves out 1 Premium/Dedicated app(s) (orders-worker): they are billed per instance, not"
        " per execution",
    )
    assert res["usd_all"].series[0].values[10] == pytest.approx(0.000016 + 0.000134)
    flex_calls = [
        c for c in arm_sites.calls("metrics:getBatch") if "reports-flex" in str(c.body["resourceids"])
    ]
    assert all(len(c.body["resourceids"]) == 1 for c in flex_calls)  # Flex metric names asked of Flex only
    assert not any(
        n == "FunctionExecutionCount" for c in flex_calls for n in c.query["metricnames"][0].split(",")
    )


def test_latency_average_across_apps_is_weighted_by_requests(
    make_provider: Any, arm_sites: Any, azd: Any
) -> None:
    at, at2 = "2026-11-22T03:10:00Z", "2026-11-22T03:11:00Z"
    route_metrics(
        arm_sites,
        getbatch(
            azd,
            {
                ("checkout-api", "HttpResponseTime"): [
                    (at, {"average": 0.2, "maximum": 0.9}),
                    (at2, {"average": 0.2}),
                ],
                ("orders-worker", "HttpResponseTime"): [
                    (at, {"average": 0.5, "maximum": 0.5}),
                    (at2, {"average": 0.5}),
                ],
                # 900 requests answered in 0.2 s, 100 in 0.5 s: the front end took 0.23 s on average
                ("checkout-api", "Requests"): [(at, {"total": 900.0})],  # none reported at 03:11
                ("orders-worker", "Requests"): [(at, {"total": 100.0})],
            },
        ),
    )
    p = make_provider()
    res = p.query(
        [
            mq("avg", "HttpResponseTime"),
            mq("max", "HttpResponseTime", stat="max"),
            mq("per_app", "HttpResponseTime", group_by=("app",)),
        ],
        W,
    )
    assert res["avg"].series[0].values[10] == pytest.approx(0.23)
    assert res["avg"].series[0].values[11] == pytest.approx(0.35)  # no request counts: the plain mean
    assert res["avg"].warnings == ("HttpResponseTime: mean over 2 apps weighted by Requests",)
    assert res["max"].series[0].values[10] == pytest.approx(0.9) and res["max"].warnings == ()
    per_app = {s.labels["app"]: s.values[10] for s in res["per_app"].series}
    assert per_app == {
        "checkout-api": pytest.approx(0.2),
        "orders-worker": pytest.approx(0.5),
        "reports-flex": None,
    }
    assert res["per_app"].warnings == (
        "HttpResponseTime: one series per app (2 apps), not averaged across them",
    )
    by = sorted(
        (c.query["aggregation"][0], c.query["metricnames"][0]) for c in arm_sites.calls("metrics:getBatch")
    )
    assert by == [("Average", "HttpResponseTime"), ("Maximum", "HttpResponseTime"), ("Total", "Requests")]


def test_an_average_without_a_weight_says_it_is_a_plain_mean(
    make_provider: Any, arm_sites: Any, azd: Any
) -> None:
    at = "2026-11-22T03:10:00Z"
    route_metrics(
        arm_sites,
        getbatch(
            azd,
            {
                ("checkout-api", "MemoryWorkingSet"): [(at, {"average": 100.0})],
                ("orders-worker", "MemoryWorkingSet"): [(at, {"average": 300.0})],
            },
        ),
    )
    res = make_provider().query([mq("m", "MemoryWorkingSet")], W)
    assert res["m"].series[0].values[10] == 200.0
    assert res["m"].warnings == ("MemoryWorkingSet: plain mean over 2 apps (no request count to weight by)",)


def test_gb_seconds_and_cost(make_provider: Any, arm_sites: Any, azd: Any) -> None:
    route_metrics(
        arm_sites,
        getbatch(
            azd,
            {
                ("checkout-api", "FunctionExecutionUnits"): [
                    ("2026-11-22T03:05:00Z", {"total": 2_048_000.0})
                ],
            },
        ),
    )
    p = make_provider(price_per_gb_s=0.000016)
    res = p.query([mq("gb", "GBSeconds"), mq("usd", "CostUSD", group_by=("app",))], W)
    assert res["gb"].series[0].values[5] == pytest.approx(2.0)  # 2,048,000 MB-ms = 2 GB-s
    usd = {s.labels["app"]: s for s in res["usd"].series}
    assert usd["checkout-api"].values[5] == pytest.approx(0.000032) and usd["checkout-api"].values[4] is None
    assert usd["reports-flex"].values == (None,) * 60
    # FunctionExecutionUnits of the non-Flex apps (once for GB-s, once for the Consumption-only price),
    # the Flex names of reports-flex (shared by both queries)
    assert len(arm_sites.calls("metrics:getBatch")) == 3


def test_instance_count_from_instance_dimension(make_provider: Any, arm_sites: Any, azd: Any) -> None:
    inst = [{"name": {"value": "Instance", "localizedValue": "Instance"}, "value": "i-1"}]
    inst2 = [{"name": {"value": "Instance", "localizedValue": "Instance"}, "value": "i-2"}]
    route_metrics(
        arm_sites,
        getbatch(
            azd,
            {
                ("orders-worker", "MemoryWorkingSet"): (
                    [],
                    [
                        (
                            inst,
                            [
                                ("2026-11-22T03:00:00Z", {"average": 1e8}),
                                ("2026-11-22T03:01:00Z", {"average": 1e8}),
                            ],
                        ),
                        (inst2, [("2026-11-22T03:01:00Z", {"average": 2e8})]),
                    ],
                ),
            },
        ),
    )
    p = make_provider()
    res = p.query([mq("i", "InstanceCount", group_by=("app",))], W)
    (s,) = res["i"].series
    assert s.labels == {"app": "orders-worker"} and s.values[:3] == (1.0, 2.0, None)
    (call,) = arm_sites.calls("metrics:getBatch")
    assert call.query["filter"] == ["Instance eq '*'"] and call.query["metricnames"] == ["MemoryWorkingSet"]


def test_limits_instances_against_scale_ceiling(make_provider: Any, arm_sites: Any, azd: Any) -> None:
    inst = [
        {"name": {"value": "Instance", "localizedValue": "Instance"}, "value": f"i-{i}"} for i in range(3)
    ]
    route_metrics(
        arm_sites,
        getbatch(
            azd,
            {
                ("orders-worker", "MemoryWorkingSet"): (
                    [],
                    [([m], [("2026-11-22T03:55:00Z", {"average": 1.0})]) for m in inst],
                ),
                ("checkout-api", "MemoryWorkingSet"): (
                    [],
                    [([inst[0]], [("2026-11-22T03:55:00Z", {"average": 1.0})])],
                ),
            },
        ),
    )
    p = make_provider()
    limits = {lim.name: lim for lim in p.limits()}
    assert limits["instances"].resource == "orders-worker"
    assert (limits["instances"].used, limits["instances"].limit) == (3.0, 15.0)
    assert (limits["instances:checkout-api"].used, limits["instances:checkout-api"].limit) == (1.0, 100.0)
    assert (limits["instances:reports-flex"].used, limits["instances:reports-flex"].limit) == (0.0, 40.0)
    (call,) = arm_sites.calls("metrics:getBatch")
    assert call.query["interval"] == ["PT5M"]


def test_two_hour_step_rebuckets_hourly_data(make_provider: Any, arm_sites: Any, azd: Any) -> None:
    w = TimeWindow.ending_at(NOW, 30 * 86400)  # step 7200 -> Azure PT1H, summed per 2h bucket
    first = datetime.fromtimestamp(w.start_s, UTC)
    t = [first.replace(hour=first.hour + h).strftime("%Y-%m-%dT%H:%M:%SZ") for h in (0, 1, 2)]
    route_metrics(
        arm_sites,
        getbatch(
            azd,
            {
                ("checkout-api", "Requests"): [
                    (t[0], {"total": 100.0}),
                    (t[1], {"total": 50.0}),
                    (t[2], {"total": 1.0}),
                ],
            },
        ),
    )
    p = make_provider()
    (s,) = p.query([mq("r", "Requests")], w)["r"].series
    assert s.values[:3] == (150.0, 1.0, None) and len(s.values) == 360
    assert arm_sites.calls("metrics:getBatch")[0].query["interval"] == ["PT1H"]


def test_batches_of_50_resources(make_provider: Any, azure_server: Any, azd: Any) -> None:
    base = f"/subscriptions/{azd.SUB}/resourceGroups/rg-prod/providers/Microsoft.Web"
    azure_server.route(
        "GET", base + "/sites", {"value": [azd.site(f"fn-{i:03d}", "plan-y1") for i in range(120)]}
    )
    azure_server.route("GET", base + "/serverfarms", azd.FARMS)
    data = {(f"fn-{i:03d}", "Requests"): [("2026-11-22T03:00:00Z", {"total": 1.0})] for i in range(120)}
    route_metrics(azure_server, getbatch(azd, data))
    p = make_provider()
    res = p.query([mq("r", "Requests")], W)
    assert res["r"].series[0].values[0] == 120.0
    sizes = [len(c.body["resourceids"]) for c in azure_server.calls("metrics:getBatch")]
    assert sizes == [50, 50, 20]
    assert p.usage().metrics_requested == 120


def test_throttling_raises_throttled_with_retry_after(make_provider: Any, arm_sites: Any) -> None:
    arm_sites.route(
        "POST",
        r"/subscriptions/[^/]+/metrics:getBatch",
        {"error": {"code": "TooManyRequests", "message": "slow down"}},
        status=429,
        headers={"Retry-After": "17"},
    )
    p = make_provider(retries=2)
    with pytest.raises(ProviderError) as err:
        p.query([mq("r", "Requests")], W)
    assert err.value.throttled and "retry after 17s" in str(err.value)
    assert len(arm_sites.calls("metrics:getBatch")) == 1  # 429 is not retried inline


def test_bad_request_stays_on_its_query(make_provider: Any, arm_sites: Any, azd: Any) -> None:
    ok = getbatch(azd, {("checkout-api", "Requests"): [("2026-11-22T03:00:00Z", {"total": 3.0})]})

    def handler(req: Any) -> Any:
        if "NoSuchMetric" in req.query["metricnames"][0].split(","):
            return (
                400,
                {"x-ms-error-code": "BadRequest"},
                {"error": {"code": "BadRequest", "message": "Failed to find metric NoSuchMetric"}},
            )
        return ok(req)

    route_metrics(arm_sites, handler)
    p = make_provider()
    res = p.query(
        [
            mq("good", "Requests"),
            mq("bad", {"metric": "NoSuchMetric", "aggregation": "Total"}),
            mq("invalid", "Requests", stat="p99"),
        ],
        W,
    )
    assert res["good"].ok and res["good"].series[0].values[0] == 3.0
    assert (
        not res["bad"].ok and "400" in (res["bad"].error or "") and "NoSuchMetric" in (res["bad"].error or "")
    )
    assert "p99" in (res["invalid"].error or "")
    # the shared call failed as a whole, then each metric was asked alone
    assert [c.query["metricnames"][0] for c in arm_sites.calls("metrics:getBatch")] == [
        "NoSuchMetric,Requests",
        "NoSuchMetric",
        "Requests",
    ]


def test_validate_query() -> None:
    v = AzureProvider.validate_query
    assert v("FunctionExecutionCount", None) is None
    assert v({"metric": "Http5xx", "namespace": "Microsoft.Web/sites", "aggregation": "Total"}, None) is None
    assert v("durable:Running", None) is None
    assert v("GBSeconds", None) is None
    assert "durable:<" in (v("durable:Exploded", None) or "")
    assert "p99" in (v("HttpResponseTime", "p99") or "")
    assert "unknown query key" in (v({"metric": "Requests", "dimension": "x"}, None) or "")
    assert "aggregation" in (v({"metric": "Requests", "aggregation": "Median"}, None) or "")
    assert "not an Azure metric name" in (v("Requests'; drop", None) or "")
    assert v(None, None) is not None


def test_malformed_answers_stay_on_their_panel(make_provider: Any, arm_sites: Any, azd: Any) -> None:
    route_metrics(arm_sites, {"values": [{"starttime": "x", "value": [{"name": "oops"}]}]})
    p = make_provider()
    res = p.query([mq("r", "Requests")], W)
    assert not res["r"].ok and "unexpected answer" in (res["r"].error or "")
    # values that are not numbers or carry odd timestamps are skipped, not fatal
    good = azd.metric_value(
        azd.site_id("checkout-api"),
        "Requests",
        [
            ("2026-11-22T03:00:00Z", {"total": 4.0}),
            ("2026-11-22T02:00:00Z", {"total": 9.0}),
            ("2026-11-22T03:02:00Z", {"average": 1.0}),
        ],
    )
    route_metrics(arm_sites, {"values": [good]})
    (s,) = [x for x in p.query([mq("r", "Requests")], W)["r"].series if x.values[0] is not None]
    assert s.values[0] == 4.0 and s.values[2] is None
