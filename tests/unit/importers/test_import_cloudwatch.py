"""`srvmon import cloudwatch` end to end: a dashboard body written from AWS's documented structure, the
report, the TOML round trip, and a Poller snapshot of the imported board against a seeded moto server.

moto computes MetricStat queries, alarms and logs; it fakes metric math, METRICS(), SEARCH and SELECT
(CLOUD-APIS.md B), so those four panels get canned GetMetricData answers (computed from the same seed,
in the documented response shape) through a botocore event hook; every other call reaches moto."""

from __future__ import annotations

import io
import json
import tomllib
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from srvmon.cli import main
from srvmon.clock import FrozenClock
from srvmon.config import load_config, parse_config, resolve_variables
from srvmon.importers.cloudwatch import import_cloudwatch
from srvmon.importers.jsonin import read_json
from srvmon.importers.verify import verify
from srvmon.poll import Poller
from srvmon.schema import BoardCfg

FIXTURE = Path(__file__).parent / "fixtures" / "cloudwatch_serverless.json"


def run(*argv: str, stdin: str | None = None) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    rc = main(list(argv), out=out, err=err)
    return rc, out.getvalue(), err.getvalue()


def imported() -> tuple[Any, Any]:
    board, report = import_cloudwatch(read_json(str(FIXTURE)), name="Checkout serverless", where="body.json")
    verify(board, {"aws": "aws"}, report)
    return board, report


# ---- the import itself -------------------------------------------------------------------------------


def test_every_widget_is_imported_or_reported() -> None:
    board, report = imported()
    ids = [p.fields["id"] for p in board.panels]
    assert ids == [
        "checkout-serverless", "invocations-per-function", "checkout-errors-4-h", "account-concurrency",
        "orders-worker-calls", "checkout-error-rate", "throttles-by-function", "orders-table-reads",
        "checkout-alarms", "checkout-errors-logs", "timeouts-by-function", "checkout-alarm-graph",
        "heavy-function-duration", "lambda-invocations-metrics-insights", "queue-backlog",
    ]  # fmt: skip
    assert (report.items, report.imported, report.skipped) == (17, 15, 3)
    skipped = {d.source: d.reason for d in report.diagnostics if d.level == "skipped"}
    assert "metrics explorer" in skipped["widget 13"]
    assert "'...' repeats more than the previous metric has" in skipped["widget 14"]
    assert "region" in skipped["variable 3"]
    approx = {(d.source, d.panel_id): d.reason for d in report.diagnostics if d.level == "approximated"}
    assert "stacked areas" in approx[("widget 2", "invocations-per-function")]
    assert "lists every alarm" in approx[("widget 9", "checkout-alarms")]
    assert "stats count(*) by @log" in approx[("widget 11", "timeouts-by-function")]
    assert "region eu-west-1" in approx[("widget 15", "heavy-function-duration")]
    assert "vertical annotations" in approx[("widget 15", "heavy-function-duration")]


def test_widgets_map_to_panels() -> None:
    board, _ = imported()
    p = {x.fields["id"]: x.fields for x in board.panels}
    assert p["checkout-serverless"]["kind"] == "text" and "**DLQ**" in p["checkout-serverless"]["content"]
    # "..." and "." repetition, the pattern variable in the third metric
    using = p["invocations-per-function"]["query"]["using"]
    assert [u["dimensions"]["FunctionName"] for u in using.values()] == [
        "checkout-api",
        "orders-worker",
        "${heavy_fn}",
    ]
    assert p["invocations-per-function"]["query"]["expression"] == "METRICS()"
    # singleValue over the whole range: reduce by the metric's own stat; annotations -> thresholds
    assert p["checkout-errors-4-h"]["kind"] == "stat" and p["checkout-errors-4-h"]["reduce"] == "sum"
    assert p["checkout-errors-4-h"]["thresholds"] == {"warn": 10.0, "crit": 50.0}
    # gauge: max from yAxis.left.max, the 800 annotation as 80 % of it
    assert (p["account-concurrency"]["max"], p["account-concurrency"]["thresholds"]) == (
        1000.0,
        {"crit": 80.0},
    )
    assert p["checkout-error-rate"]["query"] == {
        "expression": "100 * errors / invocations",
        "using": {
            "errors": {"namespace": "AWS/Lambda", "metric": "Errors", "dimensions": {"FunctionName": "checkout-api"}, "stat": "Sum"},
            "invocations": {"namespace": "AWS/Lambda", "metric": "Invocations", "dimensions": {"FunctionName": "checkout-api"}, "stat": "Sum"},
        },
        "label": "error %",
    }  # fmt: skip
    assert p["checkout-error-rate"]["unit"] == "%"
    assert p["throttles-by-function"]["kind"] == "toplist"
    assert p["orders-table-reads"]["query"]["dimensions"] == {"TableName": "${table}"}
    assert p["checkout-errors-logs"]["drilldown"] == {
        "resources": ["/aws/lambda/checkout-api"],
        "filter": "ERROR",
        "regex": True,
    }
    assert p["checkout-errors-logs"]["top"] == 20
    assert p["lambda-invocations-metrics-insights"]["query"]["period"] == 300
    assert p["heavy-function-duration"]["unit"] == "ms"
    # the 24-column grid on srvmon's 12 columns, nothing overlapping
    assert p["checkout-serverless"]["position"] == {"row": 0, "col": 0, "width": 12, "height": 1}
    assert p["invocations-per-function"]["position"] == {"row": 1, "col": 0, "width": 6, "height": 1}
    cells = {(r, c) for f in p.values() for r in range(f["position"]["row"], f["position"]["row"] + f["position"]["height"])
             for c in range(f["position"]["col"], f["position"]["col"] + f["position"]["width"])}  # fmt: skip
    assert len(cells) == sum(f["position"]["width"] * f["position"]["height"] for f in p.values())
    v = {x.name: x.fields for x in board.variables}
    assert v["table"] == {"default": "orders", "values": ["orders", "audit"], "label": "Table"}
    assert v["heavy_fn"]["default"] == "image-resizer"
    assert v["queue"]["query"] == {
        "search": '{AWS/SQS,QueueName} MetricName="ApproximateNumberOfMessagesVisible"',
        "populate_from": "QueueName",
    }
    assert v["queue"]["default"] == "orders-queue"  # the value the dashboard was saved with
    assert board.range == "4h"


def test_toml_is_commented_and_round_trips() -> None:
    board, _ = imported()
    text = board.to_toml()
    assert text.startswith("# Imported by `srvmon import cloudwatch`")
    assert "# ~ stacked areas are drawn as separate lines" in text
    assert "# widget 13 'Explorer' (explorer): metrics explorer" in text
    loaded = tomllib.loads(text)
    assert loaded["boards"][0] == board.to_dict()
    assert BoardCfg.model_validate(loaded["boards"][0]) == board.validate()
    cfg = parse_config('[providers.aws]\ntype = "aws"\n' + text)
    b = cfg.boards[0]
    assert [p.id for p in b.template] == [p.fields["id"] for p in board.panels]
    assert all(t.model_dump(exclude={"provider"}) == BoardCfg.model_validate(loaded["boards"][0]).panels[i].model_dump(exclude={"provider"})
               for i, t in enumerate(b.template))  # fmt: skip
    # write -> load -> write gives the same text
    again, _ = imported()
    assert again.to_toml() == text


def test_hostile_titles_cannot_break_out_of_comments_or_strings() -> None:
    body = {"widgets": [{"type": "text", "x": 0, "y": 0, "width": 6, "height": 3,
                         "properties": {"markdown": "ok\n[[boards]]\nname = \"evil\"\n\"\"\"\\x"}},
                        {"type": "explorer", "properties": {"title": "t\n[[boards]]\nname = \"evil2\""}}]}  # fmt: skip
    board, report = import_cloudwatch(body, name="x\ny", where="b.json")
    verify(board, {"aws": "aws"}, report)
    loaded = tomllib.loads(board.to_toml())
    assert [b["name"] for b in loaded["boards"]] == ["x-y"]
    assert loaded["boards"][0]["panels"][0]["content"] == 'ok\n[[boards]]\nname = "evil"\n"""\\x'


# ---- snapshot against moto -----------------------------------------------------------------------------


def _canned(seed: Any) -> dict[str, Callable[[str, datetime, datetime], list[dict[str, Any]]]]:
    """What CloudWatch would answer for the fixture's expressions, computed from the seeded datums."""
    start0 = seed.NOW - timedelta(minutes=seed.MINUTES)

    def minutes(start: datetime, end: datetime, every: int = 1) -> list[tuple[datetime, int, bool]]:
        out = []
        t = start
        while t < end:
            week = t < start0 - timedelta(days=6)
            m = int(((t - (start0 - timedelta(days=7) if week else start0)).total_seconds()) // 60)
            if 0 <= m < seed.MINUTES and m % every == 0:
                out.append((t, m, week))
            t += timedelta(minutes=1)
        return out

    def invocations(base: int, m: int, week: bool) -> float:
        return seed.invocations_week_ago(base, m) if week else seed.invocations_today(base, m)

    def per_function(rid: str, start: datetime, end: datetime) -> list[dict[str, Any]]:
        return [
            {"Id": rid, "Label": fn, "StatusCode": "Complete",
             "Timestamps": [t for t, _, _ in minutes(start, end)],
             "Values": [invocations(seed.FUNCTIONS[fn][3], m, w) for _, m, w in minutes(start, end)]}
            for fn in ("checkout-api", "orders-worker", "image-resizer")
        ]  # fmt: skip

    def error_rate(rid: str, start: datetime, end: datetime) -> list[dict[str, Any]]:
        pts = [
            (t, 100 * (1.0 if w else 2.0) / invocations(10, m, w))
            for t, m, w in minutes(start, end, seed.EVERY)
        ]
        return [{"Id": rid, "Label": "error %", "StatusCode": "Complete",
                 "Timestamps": [t for t, _ in pts], "Values": [v for _, v in pts]}]  # fmt: skip

    def throttles(rid: str, start: datetime, end: datetime) -> list[dict[str, Any]]:
        pts = [t for t, _, w in minutes(start, end, seed.EVERY) if not w]
        return [
            {
                "Id": rid,
                "Label": "orders-worker",
                "StatusCode": "Complete",
                "Timestamps": pts,
                "Values": [1.0] * len(pts),
            }
        ]

    def insights(rid: str, start: datetime, end: datetime) -> list[dict[str, Any]]:
        return [{"Id": rid, "Label": fn, "StatusCode": "Complete", "Timestamps": [start], "Values": [float(total)]}
                for fn, total in (("image-resizer", 7560), ("orders-worker", 5160), ("checkout-api", 2760))]  # fmt: skip

    return {
        "METRICS()": per_function,
        "100 * errors / invocations": error_rate,
        "SEARCH('{AWS/Lambda,FunctionName} MetricName=\"Throttles\"', 'Sum', 300)": throttles,
        'SELECT SUM(Invocations) FROM SCHEMA("AWS/Lambda", FunctionName) GROUP BY FunctionName ORDER BY SUM() DESC LIMIT 10': insights,
    }


@pytest.fixture(scope="module")
def snap(cw_moto: Any, canned_hooks: Any, tmp_path_factory: pytest.TempPathFactory) -> Any:
    fleet, seed = cw_moto
    board, _ = imported()
    path = tmp_path_factory.mktemp("cw") / "srvmon.toml"
    path.write_text(
        f'[providers.aws]\ntype = "aws"\nendpoint_url = "{fleet.url}"\nregions = ["us-east-1"]\nmax_attempts = 1\n'
        f'cache_dir = "{path.parent / "cache"}"\n\n' + board.to_toml()
    )
    clock = FrozenClock(seed.NOW)
    cfg = load_config(path)
    seen: list[str] = []

    def poll(loaded: Any) -> Any:
        providers = loaded.build_providers(clock)
        providers["aws"].sessions.hooks.extend(canned_hooks(_canned(seed), seen))
        poller = Poller(loaded.boards[0], providers, clock, timeout_s=120)
        try:
            return poller.poll()
        finally:
            poller.close()

    first = poll(cfg)
    cfg2 = load_config(path)
    audit = poll(resolve_variables(cfg2, {"table": "audit"}))
    return first, audit, seen, path, seed


def test_snapshot_values_from_moto(snap: Any) -> None:
    s, _, _, _, seed = snap
    p = {x.id: x for x in s.panels}
    assert p["orders-worker-calls"].value == pytest.approx(
        sum(seed.invocations_today(20, m) for m in range(240)) / 240
    )
    assert p["checkout-errors-4-h"].value == 32.0 and p["checkout-errors-4-h"].status == "warn"
    assert p["account-concurrency"].limit is not None and p["account-concurrency"].limit.used == 30.0
    assert p["account-concurrency"].limit.limit == 1000.0 and p["account-concurrency"].status == "ok"
    assert p["orders-table-reads"].value == 3000.0
    assert p["queue-backlog"].value == 40.0
    assert p["heavy-function-duration"].value == 300.0
    assert p["checkout-alarms"].value == 1.0 and [r.name for r in p["checkout-alarms"].rows] == [
        "checkout-errors",
        "orders-latency",
    ]
    logs = p["checkout-errors-logs"]
    assert (
        logs.rows
        and all("ERROR" in r.message for r in logs.rows)
        and "payment failed" in logs.rows[0].message
    )
    timeouts = p["timeouts-by-function"]
    assert [r.message for r in timeouts.rows] and all("Task timed out" in r.message for r in timeouts.rows)
    assert all(x.status != "error" for x in s.panels if x.kind != "text"), [
        (x.id, x.error) for x in s.panels if x.status == "error"
    ]


def test_snapshot_values_of_the_canned_expressions(snap: Any) -> None:
    s, _, seen, _, seed = snap
    p = {x.id: x for x in s.panels}
    inv = p["invocations-per-function"]
    assert sorted(tuple(x.labels.items()) for x in inv.series) == [
        (("label", n),) for n in ("checkout-api", "image-resizer", "orders-worker")
    ]
    assert inv.value == pytest.approx(
        sum(seed.invocations_today(b, m) for b in (10, 20, 30) for m in range(240)) / 240
    )
    assert inv.series[0].compare_points is not None  # the week-ago copy was asked for (and answered) too
    rate = p["checkout-error-rate"]
    expected = [100 * 2.0 / seed.invocations_today(10, m) for m in range(0, 240, seed.EVERY)]
    assert rate.value == pytest.approx(sum(expected) / len(expected), abs=1e-4)
    assert [r.name for r in p["throttles-by-function"].rows] == ["orders-worker"]
    assert [r.name for r in p["lambda-invocations-metrics-insights"].rows][:3] == [
        "image-resizer",
        "orders-worker",
        "checkout-api",
    ]
    assert set(seen) == set(_canned(seed))


def test_variable_picked_again_reads_the_other_table(snap: Any) -> None:
    _, audit, _, _, _ = snap
    assert {x.id: x for x in audit.panels}["orders-table-reads"].value == 60.0


def test_imported_board_passes_check(snap: Any) -> None:
    _, _, _, path, _ = snap
    rc, out, err = run("check", "--config", str(path))
    assert out.startswith(f"config: {path}: ok (1 board(s), 1 provider(s))"), err
    assert "config error" not in err


# ---- the command line ------------------------------------------------------------------------------------


def test_cli_writes_the_board_and_reports(tmp_path: Path) -> None:
    out_file = tmp_path / "board.toml"
    rc, out, err = run("import", "cloudwatch", str(FIXTURE), "-o", str(out_file), "--board", "checkout")
    assert rc == 0 and out == ""
    assert err.startswith(
        "cloudwatch dashboard 'cloudwatch_serverless': 17 widget(s)/panel(s), 15 srvmon panel(s)"
    )
    assert "✗ widget 13 'Explorer': metrics explorer" in err
    assert tomllib.loads(out_file.read_text())["boards"][0]["name"] == "checkout"
    rc, out, err = run("import", "cloudwatch", str(FIXTURE), "--report", "json")
    report = json.loads(err)
    assert (report["items"], report["imported"], report["skipped"]) == (17, 15, 3)
    assert {"source": "widget 13", "title": "Explorer", "level": "skipped",
            "reason": "metrics explorer widgets select resources by tags; rebuild it as a metric widget",
            "panel_id": None} in report["diagnostics"]  # fmt: skip
    assert tomllib.loads(out)["boards"][0]["provider"] == "aws"


def test_cli_strict_writes_nothing(tmp_path: Path) -> None:
    out_file = tmp_path / "board.toml"
    rc, out, err = run("import", "cloudwatch", str(FIXTURE), "-o", str(out_file), "--strict")
    assert rc == 2 and not out_file.exists() and "--strict: 11 item(s) not imported exactly" in err
    exact = tmp_path / "exact.json"
    exact.write_text(json.dumps({"widgets": [{"type": "metric", "x": 0, "y": 0, "width": 6, "height": 6,
        "properties": {"metrics": [["AWS/Lambda", "Errors"]], "stat": "Sum", "region": "us-east-1", "title": "E"}}]}))  # fmt: skip
    rc, out, err = run("import", "cloudwatch", str(exact), "--strict")
    assert rc == 0 and "everything was imported exactly" in err and 'metric = "Errors"' in out


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ('{"widgets": [', "not valid JSON: Expecting value"),
        ("[" * 100 + "]" * 100, "nests arrays/objects deeper than 64 levels"),
        ('{"panels": []}', "widgets: missing or not an array"),
        ('{"widgets": {}}', "widgets: must be an array, not dict"),
        ("\xff\xfe", "not UTF-8"),
    ],
)
def test_cli_bad_input_is_a_clear_error(tmp_path: Path, content: str, message: str) -> None:
    f = tmp_path / "d.json"
    f.write_bytes(content.encode("latin-1"))
    rc, out, err = run("import", "cloudwatch", str(f))
    assert rc == 2 and out == "" and message in err and "fix:" in err and "Traceback" not in err
    assert str(f) in err


def test_cli_huge_input_and_usage_errors(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import srvmon.importers.jsonin as jsonin

    monkeypatch.setattr(jsonin, "MAX_BYTES", 1000)
    f = tmp_path / "big.json"
    f.write_text('{"widgets": [' + ",".join(["{}"] * 600) + "]}")
    rc, _, err = run("import", "cloudwatch", str(f))
    assert rc == 2 and "larger than" in err
    rc, _, err = run("import", "cloudwatch")
    assert rc == 2 and "give a FILE or --name DASHBOARD" in err
    rc, _, err = run("import", "cloudwatch", str(tmp_path / "missing.json"))
    assert rc == 2 and "file not found" in err


def test_cli_name_reads_get_dashboard(cw_moto: Any, tmp_path: Path) -> None:
    import boto3

    fleet, seed = cw_moto
    cw = boto3.client("cloudwatch", endpoint_url=fleet.url, region_name=seed.REGION)
    cw.put_dashboard(DashboardName="Checkout", DashboardBody=FIXTURE.read_text())
    cfg = tmp_path / "c.toml"
    cfg.write_text(
        f'[providers.prod]\ntype = "aws"\nendpoint_url = "{fleet.url}"\nregions = ["us-east-1"]\nmax_attempts = 1\n'
    )
    rc, out, err = run("import", "cloudwatch", "--name", "Checkout", "--config", str(cfg))
    assert rc == 0, err
    b = tomllib.loads(out)["boards"][0]
    assert (b["name"], b["provider"], len(b["panels"])) == ("checkout", "prod", 15)
    rc, out, err = run("import", "cloudwatch", "--name", "Nope", "--config", str(cfg))
    assert rc == 2 and "no dashboard named 'Nope'" in err and "list-dashboards" in err
    rc, out, err = run(
        "import", "cloudwatch", "--name", "Checkout", "--config", str(cfg), "--provider", "dev"
    )
    assert rc == 2 and "no AWS provider named 'dev'" in err and "use one of: prod" in err


def test_get_dashboard_is_the_only_call_and_in_the_iam_policy(cw_moto: Any, tmp_path: Path) -> None:
    import re

    from srvmon.importers.cw_fetch import fetch_dashboard
    from srvmon.providers.aws import AwsOptions, AwsProvider

    fleet, seed = cw_moto
    import boto3

    boto3.client("cloudwatch", endpoint_url=fleet.url, region_name=seed.REGION).put_dashboard(
        DashboardName="Small", DashboardBody='{"widgets": []}'
    )
    aws = AwsProvider("aws", AwsOptions(endpoint_url=fleet.url, regions=["us-east-1"], max_attempts=1))
    calls: list[tuple[str, str]] = []
    aws.sessions.hooks.append(
        (
            "before-call.*.*",
            lambda **kw: calls.append((kw["model"].service_model.service_name, kw["model"].name)),
        )
    )
    body, _ = fetch_dashboard(aws, "Small")
    aws.close()
    assert body == {"widgets": []} and calls == [("cloudwatch", "GetDashboard")]
    policy = json.loads((Path(__file__).parents[3] / "docs" / "aws-iam-policy.json").read_text())
    allowed = {
        a
        for st in policy["Statement"]
        for a in (st["Action"] if isinstance(st["Action"], list) else [st["Action"]])
    }
    assert "cloudwatch:GetDashboard" in allowed and re.match(r"^Get", "GetDashboard")
