"""`srvmon import grafana` end to end: Classic, V1 and V2 dashboards written from Grafana's JSON model,
the report, the TOML round trip, and Poller snapshots of the imported boards against a real backfilled
Prometheus (PromQL), a seeded moto server (CloudWatch targets) and the local Azure HTTPS server
(Azure Monitor metrics and Log Analytics KQL), values asserted."""

from __future__ import annotations

import io
import json
import tomllib
from pathlib import Path
from typing import Any

import pytest

from srvmon.cli import main
from srvmon.clock import FrozenClock
from srvmon.config import load_config, parse_config
from srvmon.importers.grafana import import_grafana
from srvmon.importers.jsonin import DashboardError, read_json
from srvmon.importers.verify import verify
from srvmon.poll import Poller
from srvmon.schema import BoardCfg

FIXTURES = Path(__file__).parent / "fixtures"


def run(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    rc = main(list(argv), out=out, err=err)
    return rc, out.getvalue(), err.getvalue()


def imported(
    name: str, values: dict[str, str] | None = None, datasources: dict[str, str] | None = None
) -> tuple[Any, Any, Any]:
    board, report, types = import_grafana(
        read_json(str(FIXTURES / name)), where=name, values=values or {}, datasources=datasources or {}
    )
    verify(board, types, report)
    return board, report, types


def panels(board: Any) -> dict[str, dict[str, Any]]:
    return {p.fields["id"]: p.fields for p in board.panels}


def snapshot(
    text: str,
    header: str,
    clock: FrozenClock,
    providers: dict[str, Any] | None = None,
    tmp: Path | None = None,
    **values: str,
) -> Any:
    assert tmp is not None
    path = tmp / "srvmon.toml"
    path.write_text(header + text)
    cfg = load_config(path, variables=values or None)
    built = providers or cfg.build_providers(clock)
    poller = Poller(cfg.boards[0], built, clock, timeout_s=120)
    try:
        return poller.poll(), cfg
    finally:
        poller.close()


# ---- classic (OpenFaaS, Prometheus) ------------------------------------------------------------------


def test_classic_report() -> None:
    board, report, types = imported("grafana_openfaas_classic.json")
    assert report.format == "grafana (classic)" and (report.items, report.imported, report.skipped) == (
        15,
        13,
        3,
    )
    assert types == {"prometheus": "prometheus"}
    skipped = {d.title: d.reason for d in report.diagnostics if d.level == "skipped"}
    assert skipped == {
        "filters": "adhoc variables have no srvmon equivalent",
        "Latency heatmap": "Grafana 'heatmap' panels have no srvmon equivalent",
        "Shared panel": "a library panel: export the dashboard with library panels inlined (Export > externally)",
    }
    approx = {d.title: d.reason for d in report.diagnostics if d.level == "approximated"}
    assert "(expanded)" in approx["Latency"] and "no row headers" in approx["Traffic"]
    assert "the :regex format is dropped" in approx["Functions matching ${function:regex}"]
    assert "reduce 'range'" in approx["Functions matching ${function:regex}"]
    assert "min step '30s'" in approx["p99 duration"] and "stacking" in approx["p99 duration"]
    assert (
        "instant query" in approx["Invocations by code (1h)"]
        and "transformations" in approx["Invocations by code (1h)"]
    )
    assert "only the line filter is kept" in approx["Function logs"]
    assert "HTML content is shown as text" in approx["HTML note"]
    assert "multi-value" in approx["function"]


def test_classic_mapping() -> None:
    board, _, _ = imported("grafana_openfaas_classic.json")
    p = panels(board)
    rate = p["invocation-rate-by-function"]
    assert (
        rate["query"]
        == 'sum by (function_name) (rate(gateway_function_invocation_total{function_name=~"${function}"}[$__rate_interval]))'
    )
    assert (rate["group_by"], rate["unit"], rate["kind"]) == (["function_name"], "req/s", "timeseries")
    errors = p["errors-s-with-code-code"]
    assert errors["title"] == "Errors/s with code ${code}" and "[${window}]" in errors["query"]
    assert (errors["thresholds"], errors["reduce"]) == ({"warn": 0.1, "crit": 1.0}, "last")
    gauge = p["replicas-of-checkout"]
    assert (gauge["max"], gauge["thresholds"], gauge["reduce"]) == (10.0, {"warn": 50.0, "crit": 80.0}, "max")
    ratio = p["success-ratio"]
    assert (ratio["unit"], ratio["scale"], ratio["reduce"]) == ("%", 100.0, "avg")
    assert ratio["thresholds"] == {"warn": 95.0, "crit": 90.0, "direction": "below"}  # red -> yellow -> green
    assert p["replicas-by-function"]["kind"] == "toplist"
    p99 = p["p99-duration"]  # the old graph panel: yaxes format, thresholds list, [[var]] syntax
    assert (p99["unit"], p99["thresholds"]) == ("s", {"crit": 0.4}) and '=~"${function}"' in p99["query"]
    both = p["2xx-vs-5xx"]["query"]
    assert both.startswith(
        'label_replace(sum(rate(gateway_function_invocation_total{code=~"2.."}[5m])), "series", "2xx", "", "") or '
    )
    assert "sum(up)" not in both  # the hidden target
    assert p["about"]["content"] == "# OpenFaaS\nFunctions in **${namespace}**, status from the gateway."
    assert p["alerts"]["kind"] == "alarms" and p["function-logs"]["drilldown"] == {"filter": "error"}
    assert p["about"]["position"] == {"row": 0, "col": 0, "width": 12, "height": 1}
    assert p["invocation-rate-by-function"]["position"] == {"row": 1, "col": 0, "width": 6, "height": 1}
    v = {x.name: x.fields for x in board.variables}
    assert v["function"] == {
        "default": "*",
        "query": "label_values(gateway_function_invocation_total, function_name)",
        "include_all": True,
        "label": "Function",
    }
    assert v["code"] == {"default": "500", "values": ["200", "500", "404"], "label": "Status code"}
    assert v["namespace"] == {
        "default": "openfaas-fn",
        "values": ["openfaas-fn"],
    }  # from __inputs VAR_NAMESPACE
    assert v["window"] == {"default": "5m", "values": ["1m", "5m", "10m"]}
    assert (board.range, board.refresh) == ("1h", "30s")


def test_classic_round_trip() -> None:
    board, _, _ = imported("grafana_openfaas_classic.json")
    text = board.to_toml()
    loaded = tomllib.loads(text)["boards"][0]
    assert loaded == board.to_dict() and BoardCfg.model_validate(loaded) == board.validate()
    cfg = parse_config('[providers.prometheus]\ntype = "prometheus"\nurl = "http://127.0.0.1:9"\n' + text)
    assert [p.id for p in cfg.boards[0].template] == [p["id"] for p in loaded["panels"]]
    assert cfg.boards[0].values == {
        "function": "*",
        "code": "500",
        "namespace": "openfaas-fn",
        "window": "5m",
    }
    assert imported("grafana_openfaas_classic.json")[0].to_toml() == text


def test_classic_snapshot_against_prometheus(prom_server: Any, tmp_path: Path) -> None:
    board, _, _ = imported("grafana_openfaas_classic.json")
    header = f'[providers.prometheus]\ntype = "prometheus"\nurl = "{prom_server.url}"\n\n'
    snap, cfg = snapshot(board.to_toml(), header, FrozenClock(prom_server.now), tmp=tmp_path)
    p = {x.id: x for x in snap.panels}
    rate = p["invocation-rate-by-function"]
    assert {x.labels["function_name"]: x.points[-1][1] for x in rate.series} == pytest.approx(
        {"checkout": 3.2, "images": 1.25}
    )
    assert rate.value == pytest.approx(4.45)
    err = p["errors-s-with-code-code"]
    assert (err.title, err.value, err.status) == ("Errors/s with code 500", pytest.approx(0.2), "warn")
    gauge = p["replicas-of-checkout"]
    assert gauge.limit is not None and (gauge.limit.used, gauge.limit.limit, gauge.status) == (
        6.0,
        10.0,
        "warn",
    )
    ratio = p["success-ratio"]
    assert ratio.value == pytest.approx(4.0 / 4.45 * 100, abs=1e-3) and ratio.status == "crit"
    assert [(r.name, r.value) for r in p["replicas-by-function"].rows] == [
        ("checkout", 6.0),
        ("images", 2.0),
    ]
    assert p["p99-duration"].value == pytest.approx(0.492, abs=1e-3) and p["p99-duration"].status == "crit"
    by_code = {r.name: r.value for r in p["invocations-by-code-1h"].rows}
    assert by_code == pytest.approx({"200": 4.0 * 3600, "404": 0.25 * 3600, "500": 0.2 * 3600}, rel=0.02)
    assert {x.labels["series"]: x.points[-1][1] for x in p["2xx-vs-5xx"].series} == pytest.approx(
        {"2xx": 4.0, "5xx": 0.2}
    )
    assert p["alerts"].value == 1.0 and "CheckoutErrors" in [r.name for r in p["alerts"].rows]
    assert (p["functions-matching-function"].title, p["functions-matching-function"].value) == (
        "Functions matching All",
        2.0,
    )
    assert "loki_url" in (
        p["function-logs"].error or ""
    )  # the Loki data source needs loki_url on the provider
    about = {x.id: x for x in cfg.boards[0].panels}["about"]
    assert about.content == "# OpenFaaS\nFunctions in **openfaas-fn**, status from the gateway."
    rc, out, _ = run("check", "--config", str(tmp_path / "srvmon.toml"))
    assert rc == 0 and out.startswith("config: ") and "provider prometheus (prometheus): ok" in out


def test_classic_var_at_import_and_at_load(prom_server: Any, tmp_path: Path) -> None:
    board, _, _ = imported("grafana_openfaas_classic.json", values={"function": "checkout", "code": "404"})
    assert {v.name: v.fields["default"] for v in board.variables}["function"] == "checkout"
    header = f'[providers.prometheus]\ntype = "prometheus"\nurl = "{prom_server.url}"\n\n'
    snap, _ = snapshot(board.to_toml(), header, FrozenClock(prom_server.now), tmp=tmp_path)
    p = {x.id: x for x in snap.panels}
    only = p[
        "invocation-rate-by-function"
    ]  # one function left: one line (srvmon drops a lone series' labels)
    assert len(only.series) == 1 and only.value == pytest.approx(3.2)
    assert p["errors-s-with-code-code"].value == pytest.approx(0.25)
    hostile = 'a"}) or vector(1)'
    snap, _ = snapshot(board.to_toml(), header, FrozenClock(prom_server.now), tmp=tmp_path, function=hostile)
    p = {x.id: x for x in snap.panels}
    assert (
        p["invocation-rate-by-function"].series == () and p["invocation-rate-by-function"].status == "nodata"
    )
    assert p["functions-matching-function"].value is None  # count() of nothing: no series at all


def test_classic_cli(tmp_path: Path) -> None:
    f = str(FIXTURES / "grafana_openfaas_classic.json")
    out_file = tmp_path / "b.toml"
    rc, out, err = run(
        "import", "grafana", f, "--datasource", "DS_PROMETHEUS=faas", "--var", "code=200", "-o", str(out_file)
    )
    assert (
        rc == 0
        and out == ""
        and err.startswith("grafana (classic) dashboard 'OpenFaaS functions': 15 widget(s)/panel(s)")
    )
    b = tomllib.loads(out_file.read_text())["boards"][0]
    assert b["provider"] == "faas" and b["variables"]["code"]["default"] == "200"
    rc, _, err = run("import", "grafana", f, "--var", "code=201")
    assert rc == 2 and "'201' is not an allowed value" in err and "200, 500, 404" in err
    rc, _, err = run("import", "grafana", f, "--var", "nope=1")
    assert rc == 2 and "no variable named 'nope'" in err
    rc, _, err = run("import", "grafana", f, "--datasource", "Elastic=x")
    assert rc == 2 and "no data source of the dashboard is called 'Elastic'" in err
    rc, _, err = run("import", "grafana", f, "--datasource", "junk")
    assert rc == 2 and "is not NAME=PROVIDER" in err
    rc, _, err = run("import", "grafana", f, "--strict")
    assert rc == 2 and "nothing written" in err
    rc, _, err = run("import", "grafana", f, "--report", "json")
    assert json.loads(err)["skipped"] == 3


@pytest.mark.parametrize(
    ("doc", "message"),
    [
        ("[]", "a Grafana dashboard is a JSON object"),
        ('{"widgets": []}', "use `srvmon import cloudwatch`"),
        ('{"title": "x"}', "has no `panels`"),
        ('{"panels": {}}', "must be an array"),
        ('{"panels": [1, "x", {"type": "timeseries", "targets": "nope"}]}', ""),
    ],
)
def test_bad_dashboards(tmp_path: Path, doc: str, message: str) -> None:
    f = tmp_path / "d.json"
    f.write_text(doc)
    rc, _, err = run("import", "grafana", str(f))
    assert "Traceback" not in err
    if message:
        assert rc == 2 and message in err and "fix:" in err
    else:  # junk entries are ignored, odd panels reported, and an empty result is an error
        assert rc == 2 and "no visible targets" in err and "nothing in the dashboard could be imported" in err


def test_legacy_rows_model() -> None:
    doc = {"title": "Old", "schemaVersion": 14, "rows": [
        {"title": "Top", "height": "240px", "panels": [
            {"type": "singlestat", "id": 1, "title": "Calls", "span": 6, "datasource": "prom",
             "targets": [{"refId": "A", "expr": "sum(rate(x[5m]))"}], "format": "reqps", "thresholds": "1,5",
             "colors": ["#299c46", "rgba(237, 129, 40, 0.89)", "#d44a3a"], "valueName": "current"},
            {"type": "graph", "id": 2, "title": "Errors", "span": 6, "datasource": "prom",
             "targets": [{"refId": "A", "expr": "sum(rate(e[5m]))"}], "yaxes": [{"format": "percentunit"}]}]},
        {"title": "Bottom", "collapse": True, "panels": [{"type": "text", "id": 3, "span": 12, "content": "hi", "mode": "markdown"}]}]}  # fmt: skip
    board, report, _ = import_grafana(doc, where="old.json", values={}, datasources={})
    verify(board, {"prometheus": "prometheus"}, report)
    p = panels(board)
    assert p["calls"]["kind"] == "stat" and p["calls"]["thresholds"] == {"warn": 1.0, "crit": 5.0}
    assert (p["calls"]["unit"], p["calls"]["reduce"]) == ("req/s", "last")
    assert p["errors"]["scale"] == 100.0 and p["errors"]["unit"] == "%"
    assert p["calls"]["position"] == {"row": 0, "col": 0, "width": 6, "height": 1}
    assert p["errors"]["position"] == {"row": 0, "col": 6, "width": 6, "height": 1}
    assert p["text"]["content"] == "hi" and p["text"]["position"]["row"] == 1


# ---- V1 and V2 resources --------------------------------------------------------------------------------


def test_v1_resource_snapshot(prom_server: Any, tmp_path: Path) -> None:
    board, report, types = imported("grafana_knative_v1.json", datasources={"Prometheus": "knative"})
    assert report.format == "grafana (v1)" and types == {"knative": "prometheus"} and board.range == "4h"
    assert {v.name: v.fields for v in board.variables}["service"] == {
        "default": "hello",
        "query": "label_values(kn_serving_invocation_duration_seconds_count, kn_service_name)",
    }
    header = f'[providers.knative]\ntype = "prometheus"\nurl = "{prom_server.url}"\n\n'
    snap, _ = snapshot(board.to_toml(), header, FrozenClock(prom_server.now), tmp=tmp_path)
    p = {x.id: x for x in snap.panels}
    assert {
        x.labels["kn_service_name"]: x.points[-1][1] for x in p["request-rate-by-service"].series
    } == pytest.approx({"hello": 8.25, "greeter": 1.5})
    ratio = p["error-ratio-of-service"]
    assert (ratio.title, ratio.value, ratio.status) == (
        "Error ratio of hello",
        pytest.approx(100 * 0.25 / 8.25, abs=1e-3),
        "warn",
    )
    pods = p["pods"]  # percentage thresholds (90 % of 0..10) as % of the gauge's max
    assert pods.limit is not None and (pods.limit.used, pods.limit.limit, pods.status) == (5.0, 10.0, "ok")


def test_v2_resource_snapshot(prom_server: Any, tmp_path: Path) -> None:
    board, report, types = imported("grafana_fn_v2.json", datasources={"prom-main": "fn"})
    assert report.format == "grafana (v2)" and types == {"fn": "prometheus"}
    assert (board.range, board.refresh) == ("4h", "1m")
    assert [d.title for d in report.diagnostics if d.source == "row"] == ["Calls", "Capacity"]
    assert [d.title for d in report.diagnostics if d.level == "skipped"] == ["Library"]
    p = panels(board)
    assert p["calls-s-of-app"]["position"] == {"row": 0, "col": 0, "width": 8, "height": 1}
    assert p["running"]["position"]["row"] == 1 and p["notes"]["kind"] == "text"
    header = f'[providers.fn]\ntype = "prometheus"\nurl = "{prom_server.url}"\n\n'
    snap, cfg = snapshot(board.to_toml(), header, FrozenClock(prom_server.now), tmp=tmp_path)
    s = {x.id: x for x in snap.panels}
    assert {x.labels["path"]: x.points[-1][1] for x in s["calls-s-of-app"].series} == pytest.approx(
        {"/order": 4.0, "/list": 1.0}
    )
    failed = s["failed-calls-s-on-path"]
    assert (failed.title, failed.value, failed.status) == (
        "Failed calls/s on /order",
        pytest.approx(0.4),
        "crit",
    )
    assert s["running"].limit is not None and (s["running"].limit.used, s["running"].limit.limit) == (
        8.0,
        20.0,
    )
    assert {x.id: x for x in cfg.boards[0].panels}["notes"].content == "Fn server **fn** metrics"
    snap, _ = snapshot(board.to_toml(), header, FrozenClock(prom_server.now), tmp=tmp_path, path="*")
    assert {x.id: x for x in snap.panels}["failed-calls-s-on-path"].value == pytest.approx(
        0.4
    )  # /list fails 0/s


# ---- CloudWatch targets (moto) ----------------------------------------------------------------------------


def test_cloudwatch_targets_snapshot(cw_moto: Any, canned_hooks: Any, tmp_path: Path) -> None:
    """MetricStat targets, logs and '*' through moto; METRICS(), SEARCH, SELECT and math through canned
    GetMetricData answers (moto fakes those, CLOUD-APIS.md B) in the documented response shape."""
    fleet, seed = cw_moto
    board, report, types = imported("grafana_lambda_cloudwatch.json")
    assert types == {"aws": "aws"}
    p = panels(board)
    assert p["invocations-of-function"]["query"] == {
        "namespace": "AWS/Lambda",
        "metric": "Invocations",
        "dimensions": {"FunctionName": "${function}"},
        "stat": "Sum",
    }
    assert p["checkout-error-rate"]["query"]["using"]["m1"]["metric"] == "Errors"
    assert p["throttles-every-function"]["group_by"] == ["FunctionName"]
    assert p["checkout-errors-logs"]["drilldown"] == {
        "resources": ["/aws/lambda/checkout-api"],
        "filter": "ERROR",
        "regex": True,
    }
    assert {v.name: v.fields for v in board.variables}["function"]["query"] == {
        "search": '{AWS/Lambda,FunctionName} MetricName="Invocations"',
        "populate_from": "FunctionName",
    }
    search = p["durations-search"]["query"]["expression"]
    sql = p["top-invocations-insights"]["query"]["expression"]
    t0 = seed.NOW.timestamp() - 240 * 60

    def series(label: str, values: list[float]) -> Any:
        def answer(rid: str, start: Any, end: Any) -> list[dict[str, Any]]:
            from datetime import UTC, datetime

            if start.timestamp() < t0 - 3600:
                return []  # the week-ago copy: nothing seeded for these
            ts = [datetime.fromtimestamp(t0 + 60 * i, UTC) for i in range(len(values))]
            return [{"Id": rid, "Label": label, "Timestamps": ts, "Values": values, "StatusCode": "Complete"}]

        return answer

    def many(*pairs: tuple[str, list[float]]) -> Any:
        return lambda rid, s, e: [r for lbl, v in pairs for r in series(lbl, v)(rid, s, e)]

    answers = {
        "METRICS()": many(("checkout-api", [10.0, 10.0]), ("orders-worker", [20.0, 20.0])),
        search: many(("checkout-api", [100.0]), ("orders-worker", [200.0]), ("image-resizer", [300.0])),
        sql: many(("image-resizer", [7560.0]), ("orders-worker", [5160.0]), ("checkout-api", [2760.0])),
        "m1 * 100 / m2": series("rate", [20.0, 10.0]),
    }
    path = tmp_path / "srvmon.toml"
    path.write_text(
        f'[providers.aws]\ntype = "aws"\nendpoint_url = "{fleet.url}"\nregions = ["us-east-1"]\nmax_attempts = 1\n'
        f'cache_dir = "{tmp_path / "cache"}"\n\n' + board.to_toml()
    )
    clock = FrozenClock(seed.NOW)
    cfg = load_config(path)
    providers = cfg.build_providers(clock)
    seen: list[str] = []
    providers["aws"].sessions.hooks.extend(canned_hooks(answers, seen))
    poller = Poller(cfg.boards[0], providers, clock, timeout_s=120)
    try:
        snap = poller.poll()
    finally:
        poller.close()
    s = {x.id: x for x in snap.panels}
    assert s["invocations-of-function"].value == pytest.approx(
        sum(seed.invocations_today(20, m) for m in range(240)) / 240
    )
    assert s["checkout-errors"].value == 2.0 and s["checkout-errors"].status == "crit"
    assert s["account-concurrency"].limit is not None and s["account-concurrency"].limit.used == 30.0
    assert s["throttles-every-function"].value == 16.0  # orders-worker: 1 every 15 minutes for 4 h
    assert sorted(x.labels["label"] for x in s["two-functions"].series) == ["checkout-api", "orders-worker"]
    assert [r.name for r in s["top-invocations-insights"].rows] == [
        "image-resizer",
        "orders-worker",
        "checkout-api",
    ]
    assert len(s["durations-search"].series) == 3
    assert s["checkout-error-rate"].value == pytest.approx(15.0)
    assert s["checkout-errors-logs"].rows and all(
        "ERROR" in r.message for r in s["checkout-errors-logs"].rows
    )
    assert s["mixed"].value is not None  # the CloudWatch target of a mixed panel
    assert set(seen) == set(answers)


# ---- Azure Monitor targets (local HTTPS server) --------------------------------------------------------------


def test_azure_targets_snapshot(azure: Any, azd: Any, azure_mod: Any, tmp_path: Path) -> None:
    from srvmon.providers.azure import AzureProvider

    helpers = azure_mod
    board, report, types = imported("grafana_azure_functions.json")
    assert types == {"azure": "azure"}
    p = panels(board)
    assert p["executions-of-app"]["query"] == {
        "metric": "FunctionExecutionCount",
        "namespace": "Microsoft.Web/sites",
        "aggregation": "Total",
        "apps": ["${app}"],
    }
    assert p["5xx-by-instance"]["query"]["filter"] == "Instance eq '*'" and p["5xx-by-instance"][
        "group_by"
    ] == ["Instance"]
    assert p["requests-of-app-kql"]["query"]["kql"].startswith(
        "AppRequests\n| where $__timeFilter(TimeGenerated)"
    )
    assert p["failures"]["kind"] == "logs"
    assert {d.title for d in report.diagnostics if d.level == "skipped"} == {"Resources", "Service Bus"}
    sub, ws = azd.SUB, "63613592-b6f7-4c3d-a390-22ba13102111"
    base = f"/subscriptions/{sub}/resourceGroups/rg-prod/providers/Microsoft.Web"
    azure.route(
        "GET",
        base + "/sites",
        dict(azd.SITES, nextLink=azure.url + base + "/sites/page2?api-version=2023-12-01"),
    )
    azure.route("GET", base + "/sites/page2", azd.SITES_PAGE2)
    azure.route("GET", base + "/serverfarms", azd.FARMS)

    def batch(req: Any) -> Any:
        names = req.query["metricnames"][0].split(",")
        out = []
        for rid in req.body["resourceids"]:
            app = rid.rsplit("/", 1)[1]
            for metric in names:
                if metric == "FunctionExecutionCount":
                    pts = (
                        [("2026-11-22T03:00:00Z", {"total": 10.0}), ("2026-11-22T03:30:00Z", {"total": 30.0})]
                        if app == "checkout-api"
                        else [("2026-11-22T03:00:00Z", {"total": 99.0})]
                    )
                    out.append(azd.metric_value(rid, metric, pts))
                else:
                    md = [{"name": {"value": "Instance"}, "value": "i-1"}]
                    out.append(azd.metric_value(rid, metric, [("2026-11-22T03:10:00Z", {"total": 4.0})], metadata=md,
                                                extra_series=[([{"name": {"value": "Instance"}, "value": "i-2"}], [("2026-11-22T03:10:00Z", {"total": 1.0})])]))  # fmt: skip
        return 200, {}, {"values": out}

    azure.route("POST", r"/subscriptions/[^/]+/metrics:getBatch", batch)
    cols = [("TimeGenerated", "datetime"), ("requests", "long")]
    azure.route(
        "POST",
        f"/v1/workspaces/{ws}/query",
        azd.logs_table(cols, [["2026-11-22T03:00:00Z", 7], ["2026-11-22T03:05:00Z", 5]]),
    )
    header = (
        f'[providers.azure]\ntype = "azure"\nsubscription_id = "{sub}"\nresource_groups = ["rg-prod"]\nworkspace_id = "{ws}"\n'
        f'arm_endpoint = "{azure.url}"\nlogs_endpoint = "{azure.url}"\nmetrics_endpoint = "{azure.url}"\nca_bundle = "{azure.ca_path}"\n'
        f'retries = 0\ncost_cache_dir = "{tmp_path / "cost"}"\n\n'
    )
    clock = FrozenClock(helpers.NOW)
    path = tmp_path / "srvmon.toml"
    path.write_text(header + board.to_toml())
    cfg = load_config(path)
    spec = cfg.providers["azure"]
    provider = AzureProvider("azure", spec.options, clock, credential=helpers.FakeCredential())
    poller = Poller(cfg.boards[0], {"azure": provider}, clock, timeout_s=60)
    try:
        snap = poller.poll()
    finally:
        poller.close()
    s = {x.id: x for x in snap.panels}
    ex = s["executions-of-app"]  # only checkout-api (the app variable), not orders-worker's 99
    assert ex.title == "Executions of checkout-api" and [
        pt[1] for pt in ex.series[0].points if pt[1] is not None
    ] == [10.0, 30.0]
    assert {
        x.labels.get("Instance"): [v for _, v in x.points if v is not None]
        for x in s["5xx-by-instance"].series
    } == {"i-1": [4.0], "i-2": [1.0]}
    kql = s["requests-of-app-kql"]
    assert kql.value == 12.0 and kql.title == "Requests of checkout-api (KQL)"
    (call,) = [
        r
        for r in azure.calls("/query")
        if "summarize requests" in r.body["query"] and "datetime(2026-11-22T03:00:00Z)" in r.body["query"]
    ]
    assert (
        'AppRoleName == "checkout-api"' in call.body["query"]
        and "bin(TimeGenerated, 60s)" in call.body["query"]
    )
    assert "TimeGenerated >= datetime(2026-11-22T03:00:00Z)" in call.body["query"]


def test_datasource_resolution_errors_are_clear() -> None:
    with pytest.raises(DashboardError, match="no variable named 'x'"):
        import_grafana({"panels": []}, where="d.json", values={"x": "1"}, datasources={})
