"""The azure-functions preset end to end: config -> Poller -> Snapshot against the HTTPS fake Azure."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from srvmon.config import parse_config
from srvmon.export import to_json
from srvmon.poll import Poller
from srvmon.presets import load_preset
from srvmon.providers.azure import AzureProvider

NOW = datetime(2026, 11, 22, 4, 0, tzinfo=UTC)
WS = "63613592-b6f7-4c3d-a390-22ba13102111"
SUB = "12345678-abcd-1234-abcd-123456789abc"
COMPONENT = f"/subscriptions/{SUB}/resourceGroups/rg-prod/providers/microsoft.insights/components/shop-ai"
INTERVALS = {"PT1M": 60, "PT5M": 300, "PT15M": 900, "PT30M": 1800, "PT1H": 3600}
# per app, per minute, in the last day (a week earlier: half)
PER_MIN = {
    ("checkout-api", "Requests"): 60.0,
    ("orders-worker", "Requests"): 30.0,
    ("checkout-api", "FunctionExecutionCount"): 80.0,
    ("orders-worker", "FunctionExecutionCount"): 40.0,
    ("checkout-api", "Http4xx"): 3.0,
    ("checkout-api", "Http5xx"): 0.6,
    ("checkout-api", "FunctionExecutionUnits"): 1024 * 1000.0,  # 1 GB-s a minute
    ("shop-ai", "exceptions/count"): 0.5,
    # the Flex Consumption app reports executions under its own metric names
    ("reports-flex", "OnDemandFunctionExecutionCount"): 20.0,
    ("reports-flex", "AlwaysReadyFunctionExecutionCount"): 10.0,
    ("reports-flex", "OnDemandFunctionExecutionUnits"): 512 * 1000.0,  # 0.5 GB-s a minute
    ("reports-flex", "AlwaysReadyFunctionExecutionUnits"): 512 * 1000.0,
}
AVG = {
    ("checkout-api", "HttpResponseTime"): 0.2,
    ("orders-worker", "HttpResponseTime"): 0.9,
    ("shop-ai", "requests/duration"): 150.0,
    ("shop-ai", "dependencies/duration"): 40.0,
    ("checkout-api", "MemoryWorkingSet"): 3e8,
    ("orders-worker", "MemoryWorkingSet"): 5e8,
}


def _iso(v: str) -> datetime:
    return datetime.fromisoformat(v.replace("Z", "+00:00"))


def metrics_handler(azd: Any) -> Any:
    def handler(req: Any) -> Any:
        start, end = _iso(req.query["starttime"][0]), _iso(req.query["endtime"][0])
        step = INTERVALS[req.query["interval"][0]]
        agg = req.query["aggregation"][0].lower()
        field = {"total": "total", "average": "average", "count": "count", "maximum": "maximum"}[agg]
        values = []
        for rid in req.body["resourceids"]:
            app = rid.rsplit("/", 1)[1]
            for metric in req.query["metricnames"][0].split(","):
                t, pts = start, []
                while t < end:
                    recent = t >= NOW - timedelta(days=1)
                    if (app, metric) in PER_MIN:
                        pts.append(
                            (
                                t.strftime("%Y-%m-%dT%H:%M:%SZ"),
                                {field: PER_MIN[(app, metric)] * step / 60 * (2 if recent else 1)},
                            )
                        )
                    elif (app, metric) in AVG:
                        pts.append((t.strftime("%Y-%m-%dT%H:%M:%SZ"), {field: AVG[(app, metric)]}))
                    t += timedelta(seconds=step)
                if "filter" in req.query and metric == "MemoryWorkingSet":  # split by Instance
                    n = {"orders-worker": 3, "checkout-api": 1}.get(app, 0)
                    extra = [
                        (
                            [{"name": {"value": "Instance", "localizedValue": "Instance"}, "value": f"i{k}"}],
                            pts,
                        )
                        for k in range(n)
                    ]
                    values.append(
                        azd.metric_value(rid, metric, [], extra_series=extra)
                        if extra
                        else azd.metric_value(rid, metric, [])
                    )
                    if extra:
                        values[-1]["value"][0]["timeseries"] = values[-1]["value"][0]["timeseries"][1:]
                else:
                    values.append(azd.metric_value(rid, metric, pts))
        return 200, {}, {"values": values}

    return handler


LOG_COLS = [
    ("ts", "datetime"),
    ("kind", "string"),
    ("app", "string"),
    ("fn", "string"),
    ("op", "string"),
    ("code", "string"),
    ("ok", "bool"),
    ("duration_ms", "real"),
    ("level", "string"),
    ("text", "string"),
]
HEALTH_COLS = [
    ("fn", "string"),
    ("app", "string"),
    ("invocations", "long"),
    ("p50_ms", "real"),
    ("p99_ms", "real"),
    ("ms_total", "real"),
    ("timeouts", "long"),
    ("oom", "long"),
]


def logs_handler(azd: Any) -> Any:
    def handler(req: Any) -> Any:
        if "summarize invocations" in req.body["query"]:
            return (
                200,
                {},
                azd.logs_table(
                    HEALTH_COLS,
                    [
                        ["PlaceOrder", "checkout-api", "960", 90.0, 250000.0, 1.0, "2", "0"],
                        ["Sync", "orders-worker", "40", 20.0, 60.0, 1.0, "0", "0"],
                    ],
                ),
            )
        return (
            200,
            {},
            azd.logs_table(
                LOG_COLS,
                [
                    [
                        "2026-11-22T03:59:00Z",
                        "exception",
                        "checkout-api",
                        "PlaceOrder",
                        "op-9",
                        "",
                        False,
                        None,
                        "ERROR",
                        "System.InvalidOperationException: cart is empty",
                    ],
                    [
                        "2026-11-22T03:58:00Z",
                        "request",
                        "checkout-api",
                        "PlaceOrder",
                        "op-8",
                        "500",
                        False,
                        812.0,
                        "ERROR",
                        "PlaceOrder 500",
                    ],
                ],
            ),
        )

    return handler


def durable_handler(req: Any) -> Any:
    wanted = set(req.query["runtimeStatus"][0].split(","))
    items = [
        {
            "name": "Fulfil",
            "instanceId": f"r{i}",
            "runtimeStatus": "Running",
            "input": None,
            "output": None,
            "customStatus": None,
            "createdTime": f"2026-11-22T0{i}:00:00Z",
            "lastUpdatedTime": "2026-11-22T03:00:00Z",
        }
        for i in (1, 2)
    ]
    items.append(
        {
            "name": "Fulfil",
            "instanceId": "f1",
            "runtimeStatus": "Failed",
            "input": None,
            "output": "boom",
            "customStatus": None,
            "createdTime": "2026-11-22T03:10:00Z",
            "lastUpdatedTime": "2026-11-22T03:11:00Z",
        }
    )
    return 200, {}, [i for i in items if i["runtimeStatus"] in wanted]


@pytest.fixture
def full_azure(arm_sites: Any, azd: Any) -> Any:
    s = arm_sites
    s.route("POST", r"/subscriptions/[^/]+/metrics:getBatch", metrics_handler(azd))
    s.route(
        "GET",
        COMPONENT,
        {
            "id": COMPONENT,
            "name": "shop-ai",
            "location": "westeurope",
            "kind": "web",
            "properties": {"ApplicationId": "shop-ai"},
        },
    )
    s.route("POST", f"/v1/workspaces/{WS}/query", logs_handler(azd))
    s.route(
        "POST",
        azd.site_id("orders-worker") + "/host/default/listkeys",
        {"systemKeys": {"durabletask_extension": "k"}},
    )
    s.route("GET", "/orders-worker/runtime/webhooks/durabletask/instances", durable_handler)
    s.route(
        "GET",
        r"/subscriptions/[^/]+/providers/Microsoft.AlertsManagement/alerts",
        {
            "value": [
                azd.alert(
                    "5xx-high",
                    "Fired",
                    "New",
                    "Sev1",
                    "checkout-api",
                    "2026-11-22T03:50:00Z",
                    "2026-11-22T03:50:00Z",
                    description="Http5xx > 10",
                )
            ]
        },
    )
    cost_rows = [
        [10.0, 20261020, "Functions", "USD"],
        [12.0, 20261120, "Functions", "USD"],
        [1.0, 20261120, "Storage", "USD"],
    ]
    s.route(
        "POST",
        r".*/providers/Microsoft.CostManagement/query",
        {
            "properties": {
                "nextLink": None,
                "columns": [
                    {"name": "Cost", "type": "Number"},
                    {"name": "UsageDate", "type": "Number"},
                    {"name": "ServiceName", "type": "String"},
                    {"name": "Currency", "type": "String"},
                ],
                "rows": cost_rows,
            }
        },
    )
    return s


def test_preset_is_valid_and_laid_out() -> None:
    preset = load_preset("azure-functions")
    assert preset.provider_type == "azure" and AzureProvider.default_preset == "azure-functions"
    kinds = {p.kind for p in preset.panels}
    assert kinds == {"stat", "gauge", "timeseries", "alarms", "toplist", "cost", "health", "logs"}
    for p in preset.panels:
        assert p.position is not None, p.id
        if p.query is not None:
            assert AzureProvider.validate_query(p.query, p.stat) is None, p.id
    cells = set()
    for p in preset.panels:
        pos = p.position
        assert pos is not None
        for r in range(pos.row, pos.row + pos.height):
            for c in range(pos.col, pos.col + pos.width):
                assert (r, c) not in cells, f"{p.id} overlaps at row {r} col {c}"
                cells.add((r, c))


def test_full_board_snapshot(full_azure: Any, credential: Any, clock: Any, tmp_path: Any) -> None:
    cfg = parse_config(f"""
[providers.az]
type = "azure"
subscription_id = "{SUB}"
resource_groups = ["rg-prod"]
workspace_id = "{WS}"
app_insights = ["{COMPONENT}"]
durable_apps = ["orders-worker"]
arm_endpoint = "{full_azure.url}"
logs_endpoint = "{full_azure.url}"
metrics_endpoint = "{full_azure.url}"
durable_endpoint = "{full_azure.url}/{{app}}"
ca_bundle = "{full_azure.ca_path}"
retries = 0
cost_cache_dir = "{tmp_path}"
""")
    board = cfg.board(None)
    assert board.name and len(board.panels) == 24
    provider = AzureProvider("az", cfg.providers["az"].options, clock, credential=credential)
    poller = Poller(board, {"az": provider}, clock, timeout_s=30)
    try:
        snap = poller.poll()
    finally:
        poller.close()
        provider.close()
    from contract import assert_round_trip

    assert_round_trip(snap)  # live SVG == SVG from the JSON: the Snapshot is complete
    errors = {p.id: p.error for p in snap.panels if p.error}
    assert errors == {}
    P = snap.panel
    # (60 + 30) req/min now, doubled in the last day -> 3 req/s; a week ago 1.5 req/s
    assert (P("requests").value, P("requests").compare_value, P("requests").delta_pct) == (3.0, 1.5, 100.0)
    assert P("errors_4xx").value == 0.1 and P("errors_4xx").status == "ok"
    assert P("errors_5xx").value == 0.02 and P("errors_5xx").status == "ok"
    assert P("fatal").value == 240.0 and P("fatal").status == "crit"  # 1/min over 4 h
    assert P("executions").value == 5.0  # (80 + 40 + Flex 20 + 10) a minute, doubled in the last day
    gauge = P("instances_capacity")
    assert (
        gauge.value == pytest.approx(20.0) and gauge.limit is not None and gauge.limit.limit == 100.0
    )  # 3 of 15
    # 200 ms at 60 req/min and 900 ms at 30 req/min: weighted by requests, not (200 + 900) / 2
    assert P("latency_front").value == pytest.approx(433.3333, abs=1e-3)
    assert P("latency_front").status == "ok"
    assert P("latency_code").value == 150.0 and P("latency_deps").value == 40.0
    assert P("memory").value == pytest.approx(500.0)
    calls = P("calls_4h")
    (series,) = calls.series
    assert len(series.points) == 240 and series.points[0][1] == 180.0
    assert series.compare_points is not None and series.compare_points[0] == (series.points[0][0], 90.0)
    assert calls.trend is not None and calls.trend.slope_per_h == pytest.approx(0.0)
    top = P("top_apps").rows
    assert top is not None and [(r.name, r.value) for r in top][:2] == [
        ("checkout-api", 160 * 240.0),
        ("orders-worker", 80 * 240.0),
    ]
    assert [(r.name, r.value) for r in top][2] == ("reports-flex", 60 * 240.0)  # Flex counted in rankings
    slow = P("slowest_apps").rows
    assert slow is not None and slow[0].name == "orders-worker" and slow[0].value == pytest.approx(900.0)
    assert slow[0].status == "warn"
    assert P("slowest_apps_1w").rows is not None
    assert P("durable_running").value == 2.0 and P("durable_failed").value == 1.0
    assert P("durable_failed").status == "warn"
    assert P("durable_oldest").value == pytest.approx(180.0)  # r1 created 01:00, now 04:00
    # Durable Functions has no history: the compare copy asked nothing and carries no week-ago figure
    assert P("durable_running").compare_value is None and P("durable_oldest").compare_value is None
    assert len(full_azure.calls("durabletask/instances$")) == 1  # one walk per refresh
    # 2 GB-s a minute (checkout-api) + 2 (the Flex app) in the last day
    assert P("compute_cost").value == pytest.approx(4 * 240.0)
    alerts = P("alerts")
    assert alerts.status == "crit" and alerts.rows is not None and alerts.rows[0].name == "5xx-high"
    cost = P("cost")
    assert cost.value == 13.0 and cost.rows is not None
    health = P("health").rows
    assert health is not None and health[0].function == "PlaceOrder" and health[0].timeouts == 2
    assert health[0].p99_timeout_pct == pytest.approx(83.3333, abs=1e-3) and health[0].status == "crit"
    logs = P("errors").rows
    assert logs is not None and [r.request_id for r in logs] == ["op-9", "op-8"]
    month = P("calls_month")
    assert month.series and len(month.series[0].points) == 360
    (prov,) = snap.providers
    assert prov.ok and prov.type == "azure" and prov.api_calls > 10 and prov.metrics_requested > 0
    doc = to_json(snap)
    assert '"board": "' in doc and "checkout-api" in doc
