"""RDS / Aurora behind Lambda: max_connections evaluated from parameter-group formulas, connections,
Aurora Serverless v2 ACUs and RDS Proxy connections as limits, gauges with time to limit through the
Poller, the aws-data preset, and the read-only IAM guard - against a moto server in its own process.

moto's DescribeDBParameters returns only parameters a user set (real RDS also lists the engine
defaults, Source "engine-default"). So the fixture writes the MySQL engine-default formula into the
orders-db group itself, and the groups left at their defaults answer no max_connections row at all:
srvmon then evaluates the engine's documented default formula (rdsformula.ENGINE_DEFAULTS)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from moto_process import moto_process
from xray_examples import xray_examples

from srvmon.clock import FrozenClock
from srvmon.config import parse_config
from srvmon.export import to_json
from srvmon.poll import Poller
from srvmon.providers.aws import AwsOptions, AwsProvider
from srvmon.providers.aws.rdsformula import (
    ENGINE_DEFAULTS,
    GIB,
    MIB,
    FormulaError,
    class_memory,
    evaluate,
    nominal_gib,
)
from srvmon.providers.base import ProviderError

REGION = "us-east-1"
POLICY = Path(__file__).parents[3] / "docs" / "aws-iam-policy.json"
#: The seeded peak connections per instance (last 15 minutes) and the ramp behind them.
PEAK = {"orders-db": 280.0, "reports-db": 100.0, "carts-1": 50.0, "fixed-db": 30.0}


# ---- the formula language (pure) ----------------------------------------------------------------------


def test_engine_default_formulas() -> None:
    def mc(engine: str, gib: float) -> int:
        return evaluate(ENGINE_DEFAULTS[engine], {"DBInstanceClassMemory": float(class_memory(gib))})

    assert [mc("mysql", g) for g in (1, 2, 4, 8)] == [66, 148, 314, 645]
    assert [mc("postgres", g) for g in (1, 16, 64)] == [87, 1726, 5000]  # LEAST(..., 5000) caps it
    # Aurora MySQL's log-2 formula: the round figures Aurora documents for t3.small/medium, r6g.large/xlarge
    assert [mc("aurora-mysql", g) for g in (2, 4, 16, 32)] == [45, 90, 1000, 2000]


def test_formula_arithmetic_truncates_like_rds() -> None:
    v = {"DBInstanceClassMemory": 1000.0, "AllocatedStorage": 20.0 * GIB}
    assert evaluate("{DBInstanceClassMemory/3}", v) == 333
    assert evaluate("{DBInstanceClassMemory*3/4}", v) == 750
    assert evaluate("{log(DBInstanceClassMemory/100)*10}", v) == 30  # log2(10) = 3.32 -> 3
    assert evaluate("SUM({DBInstanceClassMemory/10},5,{AllocatedStorage/1073741824})", v) == 125
    assert evaluate("greatest(least(7, 3), 2)", v) == 3  # function names are case-insensitive
    assert evaluate(" 5000 ", v) == 5000
    assert evaluate("GREATEST({log(DBInstanceClassMemory/2000)*45},10)", v) == 10  # log2(0): -inf loses


@pytest.mark.parametrize(
    ("text", "why"),
    [
        ("{DBInstanceVCPU*2}", "unknown variable 'DBInstanceVCPU'"),
        ("__import__('os').system('x')", "unexpected '__import__'"),
        ("{DBInstanceClassMemory/0}", "division by zero"),
        ("LEAST({DBInstanceClassMemory/2},", "ends too early"),
        ("{DBInstanceClassMemory/2}}", "unexpected '}' after the value"),
        ("{log(0)}", "finite"),
        ("", "empty"),
        ("1" * 1001, "overlong"),
    ],
)
def test_formulas_srvmon_cannot_evaluate_are_refused(text: str, why: str) -> None:
    with pytest.raises(FormulaError, match=why.replace("(", r"\(").replace(")", r"\)")):
        evaluate(text, {"DBInstanceClassMemory": 1000.0})


def test_instance_class_memory_table() -> None:
    assert [nominal_gib(c) for c in ("db.t3.micro", "db.t4g.medium", "db.m5.large", "db.m6g.4xlarge",
                                     "db.r6g.large", "db.r7g.16xlarge", "db.x2g.xlarge", "db.m4.10xlarge")] == [
        1, 4, 8, 64, 16, 512, 64, 160]  # fmt: skip
    assert [nominal_gib(c) for c in ("db.x1e.xlarge", "db.r6g.metal", "db.serverless", "r6g.large", "db.t3.huge")] == [
        None] * 5  # fmt: skip
    # the documented reserve: 200 MiB + 3% of the class's memory
    assert class_memory(1) == 831_814_369 and class_memory(16) // MIB == 15692


# ---- against moto -----------------------------------------------------------------------------------


def _now() -> datetime:
    return datetime.now(UTC).replace(second=0, microsecond=0)


@pytest.fixture(scope="module")
def databases(fleet: Any) -> Iterator[dict[str, Any]]:
    """A fresh moto account: MySQL, PostgreSQL, SQL Server and an unknown-class instance, an Aurora
    Serverless v2 cluster (max 16 ACU) with one db.serverless instance, an RDS Proxy, and 4 h of RDS
    metrics ending now. Depends on `fleet` for the fake credentials."""
    import boto3

    now = _now()
    with moto_process() as url:
        kw = {"endpoint_url": url, "region_name": REGION}
        ec2 = boto3.client("ec2", **kw)
        vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
        subnets = [
            ec2.create_subnet(VpcId=vpc, CidrBlock=f"10.0.{i}.0/24")["Subnet"]["SubnetId"] for i in (1, 2)
        ]
        rds = boto3.client("rds", **kw)
        common = {"MasterUsername": "admin", "MasterUserPassword": "password1", "AllocatedStorage": 20}
        for group, value in (("orders-mysql", ENGINE_DEFAULTS["mysql"]), ("fixed-mysql", "300")):
            rds.create_db_parameter_group(DBParameterGroupName=group, DBParameterGroupFamily="mysql8.0",
                                          Description=group)  # fmt: skip
            rds.modify_db_parameter_group(DBParameterGroupName=group, Parameters=[
                {"ParameterName": "max_connections", "ParameterValue": value, "ApplyMethod": "pending-reboot"}])  # fmt: skip
        rds.create_db_instance(DBInstanceIdentifier="orders-db", DBInstanceClass="db.t3.medium", Engine="mysql",
                               DBParameterGroupName="orders-mysql", **common)  # fmt: skip
        rds.create_db_instance(DBInstanceIdentifier="fixed-db", DBInstanceClass="db.t3.small", Engine="mysql",
                               DBParameterGroupName="fixed-mysql", **common)  # fmt: skip
        rds.create_db_instance(DBInstanceIdentifier="reports-db", DBInstanceClass="db.r6g.large", Engine="postgres",
                               **common)  # fmt: skip
        rds.create_db_instance(DBInstanceIdentifier="legacy-db", DBInstanceClass="db.x1e.xlarge", Engine="mysql",
                               **common)  # fmt: skip
        rds.create_db_instance(DBInstanceIdentifier="mssql-db", DBInstanceClass="db.m5.large", Engine="sqlserver-ex",
                               **common)  # fmt: skip
        rds.create_db_cluster(DBClusterIdentifier="carts", Engine="aurora-postgresql", MasterUsername="admin",
                              MasterUserPassword="password1",
                              ServerlessV2ScalingConfiguration={"MinCapacity": 0.5, "MaxCapacity": 16})  # fmt: skip
        rds.create_db_instance(DBInstanceIdentifier="carts-1", DBInstanceClass="db.serverless",
                               Engine="aurora-postgresql", DBClusterIdentifier="carts")  # fmt: skip
        rds.create_db_proxy(
            DBProxyName="orders-proxy", EngineFamily="MYSQL", VpcSubnetIds=subnets,
            Auth=[{"AuthScheme": "SECRETS", "SecretArn": "arn:aws:secretsmanager:us-east-1:123456789012:secret:db",
                   "IAMAuth": "DISABLED"}], RoleArn="arn:aws:iam::123456789012:role/proxy",
        )  # fmt: skip
        cw = boto3.client("cloudwatch", **kw)
        data: list[dict[str, Any]] = []
        for minute in range(240):
            ts = now - timedelta(minutes=240 - minute)
            ramp = minute / 239  # connections climb over the 4 h towards the peak
            for ident, peak in PEAK.items():
                data.append(
                    _datum(
                        "DatabaseConnections", "DBInstanceIdentifier", ident, peak * (0.5 + 0.5 * ramp), ts
                    )
                )
            data.append(
                _datum("ServerlessDatabaseCapacity", "DBInstanceIdentifier", "carts-1", 4 + 8 * ramp, ts)
            )
            data.append(_datum("DatabaseConnections", "ProxyName", "orders-proxy", 90.0, ts))
            data.append(_datum("MaxDatabaseConnectionsAllowed", "ProxyName", "orders-proxy", 150.0, ts))
            data.append(_datum("ClientConnections", "ProxyName", "orders-proxy", 400.0, ts))
        for i in range(0, len(data), 500):
            cw.put_metric_data(Namespace="AWS/RDS", MetricData=data[i : i + 500])
        yield {"url": url, "now": now}


def _datum(metric: str, dim: str, value_of: str, value: float, ts: datetime) -> dict[str, Any]:
    return {
        "MetricName": metric,
        "Dimensions": [{"Name": dim, "Value": value_of}],
        "Value": value,
        "Timestamp": ts,
    }


def _provider(url: str, clock: FrozenClock, tmp_path: Path, **opts: Any) -> AwsProvider:
    options = AwsOptions(endpoint_url=url, regions=[REGION], max_attempts=1, **opts)
    return AwsProvider("prod", options, clock, cache_dir=tmp_path / "cache")


def test_rds_limits_against_moto(databases: dict[str, Any], tmp_path: Path) -> None:
    clock = FrozenClock(databases["now"] + timedelta(seconds=30))
    p = _provider(databases["url"], clock, tmp_path)
    got = p.limits()
    rds = {lim.name: (lim.used, lim.limit, lim.resource) for lim in got if lim.name.startswith("rds")}
    assert rds == {
        # {DBInstanceClassMemory/12582880} for a 4 GiB class (the group's formula)
        "rds_connections:orders-db": (280.0, 314.0, "orders-db"),
        "rds_connections:fixed-db": (30.0, 300.0, "fixed-db"),  # an integer in the group
        # the default group answers no row in moto: PostgreSQL's default LEAST({.../9531392},5000), 16 GiB
        "rds_connections:reports-db": (100.0, 1726.0, "reports-db"),
        # db.serverless: sized on the cluster's maximum, 16 ACU = 32 GiB
        "rds_connections:carts-1": (50.0, 3474.0, "carts-1"),
        "rds_connections_top": (280.0, 314.0, "orders-db"),
        "rds_acu:carts-1": (12.0, 16.0, "carts-1"),
        "rds_acu_top": (12.0, 16.0, "carts-1"),
        "rds_proxy_connections:orders-proxy": (90.0, 150.0, "orders-proxy"),
        "rds_proxy_connections_top": (90.0, 150.0, "orders-proxy"),
    }
    why = got.unavailable  # type: ignore[attr-defined]
    assert "db.x1e.xlarge is not in srvmon's memory table" in why["rds_connections:legacy-db"]
    assert "set rds_max_connections = { legacy-db = N }" in why["rds_connections:legacy-db"]
    assert "engine 'sqlserver-ex'" in why["rds_connections:mssql-db"]
    ops = p.usage().by_operation
    assert {"DescribeDBInstances", "DescribeDBClusters", "DescribeDBProxies", "DescribeDBParameters"} <= set(
        ops
    )
    p.limits()  # listings and parameter groups are cached for discovery_ttl
    assert p.usage().by_operation["DescribeDBInstances"] == ops["DescribeDBInstances"]


def test_named_limits_overrides_and_errors(databases: dict[str, Any], tmp_path: Path) -> None:
    clock = FrozenClock(databases["now"] + timedelta(seconds=30))
    p = _provider(databases["url"], clock, tmp_path, rds_max_connections={"legacy-db": 500})
    [legacy] = p.limits(["rds_connections:legacy-db"])
    assert (legacy.limit, legacy.used) == (500.0, 0.0)  # override; no metric seeded for it
    before = p.usage().by_operation.get("GetAccountSettings", 0)
    p.limits(["rds_acu:carts-1"])
    assert p.usage().by_operation.get("GetAccountSettings", 0) == before  # RDS names read only RDS
    with pytest.raises(
        ProviderError, match=r"rds_connections:nope: no DB instance named 'nope' \(instances: carts-1,"
    ):
        p.limits(["rds_connections:nope"])
    with pytest.raises(ProviderError, match="orders-db is not an Aurora Serverless v2"):
        p.limits(["rds_acu:orders-db"])
    with pytest.raises(ProviderError, match="RDS limits are off"):
        _provider(databases["url"], clock, tmp_path, rds=False).limits(["rds_acu_top"])


def _board(extra: str, tmp_path: Path, url: str | None) -> Any:
    endpoint = f'endpoint_url = "{url}"\n' if url else ""
    return parse_config(f'''
[providers.prod]
type = "aws"
{endpoint}regions = ["{REGION}"]
max_attempts = 1
cache_dir = "{tmp_path / "cache"}"
{extra}''')


def test_gauge_shows_connections_against_the_evaluated_max(databases: dict[str, Any], tmp_path: Path) -> None:
    clock = FrozenClock(databases["now"] + timedelta(seconds=30))
    cfg = _board(
        """
[[boards]]
name = "db"
[[boards.panels]]
id = "orders_db"
title = "orders-db connections"
kind = "gauge"
query = { namespace = "AWS/RDS", metric = "DatabaseConnections", dimensions = { DBInstanceIdentifier = "orders-db" }, stat = "max" }
reduce = "max"
unit = "connections"
limit = "rds_connections:orders-db"
trend = true
thresholds = { warn = 75, crit = 95 }
position = { row = 0, col = 0, width = 4, height = 1 }
""",
        tmp_path,
        databases["url"],
    )
    poller = Poller(cfg.board("db"), cfg.build_providers(clock), clock, timeout_s=60)
    try:
        panel = poller.poll(range_s=4 * 3600).panel("orders_db")
    finally:
        poller.close()
    assert panel.error is None and panel.limit is not None
    assert (panel.value, panel.limit.limit, panel.limit.resource) == (280.0, 314.0, "orders-db")
    assert panel.status == "warn"  # 89% of max_connections
    ttl = panel.limit.time_to_limit_s
    # climbing 140 connections in 4 h: the trend line reaches 314 in about 1 h
    assert ttl is not None and 0.5 * 3600 < ttl < 1.5 * 3600


def test_aws_data_preset_through_the_poller(
    databases: dict[str, Any], tmp_path: Path, monkeypatch: Any
) -> None:
    """The preset board: RDS and CloudWatch from moto, X-Ray's service map from the local endpoint (moto's
    GetServiceGraph is an empty dummy): botocore's per-service endpoint variables route them. Every call
    made (the poll, `check`, a trace search) is read-only and in docs/aws-iam-policy.json."""
    clock = FrozenClock(databases["now"] + timedelta(seconds=30))
    with xray_examples() as examples:
        monkeypatch.setenv("AWS_ENDPOINT_URL", databases["url"])
        monkeypatch.setenv("AWS_ENDPOINT_URL_XRAY", examples.url)
        cfg = _board('[[boards]]\nname = "data"\npreset = "aws-data"\n', tmp_path, None)
        providers = cfg.build_providers(clock)
        calls: list[tuple[str, str]] = []
        providers["prod"].sessions.hooks.append(
            ("before-call.*.*", lambda **kw: calls.append((kw["model"].service_model.service_name, kw["model"].name))))  # fmt: skip
        poller = Poller(cfg.board("data"), providers, clock, timeout_s=90)
        try:
            snap = poller.poll()
            health = providers["prod"].check()
            from srvmon.model import TimeWindow, TraceQuery

            providers["prod"].traces(TraceQuery("prod", TimeWindow.ending_at(clock.now(), 3600), "SNS"))
        finally:
            poller.close()
            for prov in providers.values():
                prov.close()
    save_preset_fixture("aws-data", snap)
    from contract import assert_round_trip

    assert_round_trip(snap)  # live SVG == SVG from the JSON: the Snapshot is complete
    panels = {p.id: p for p in snap.panels}
    assert panels["service_map"].status == "warn" and panels["service_map"].value == 1.0
    db = panels["db_connections"]
    assert db.limit is not None and (db.value, db.limit.limit, db.limit.resource) == (
        280.0,
        314.0,
        "orders-db",
    )
    acu = panels["aurora_acu"]
    assert acu.limit is not None and (acu.value, acu.limit.limit) == (12.0, 16.0)
    px = panels["proxy_connections"]
    assert px.limit is not None and (px.value, px.limit.limit) == (90.0, 150.0)
    assert [(r.name, r.value) for r in panels["proxy_clients"].rows or ()] == [("orders-proxy", 400.0)]  # type: ignore[union-attr]
    top = [r.name for r in panels["busiest_instances"].rows or ()]  # type: ignore[union-attr]
    assert top[:2] == ["orders-db", "reports-db"]
    errors = {k: p.error for k, p in panels.items() if p.error}
    assert errors == {}, errors
    assert health.missing_permissions == ()
    assert any("xray:GetServiceGraph ok" in d for d in health.details)
    assert any("rds:DescribeDBParameters ok" in d for d in health.details)
    allowed: set[str] = set()
    for st in json.loads(POLICY.read_text())["Statement"]:
        allowed.update(st["Action"] if isinstance(st["Action"], list) else [st["Action"]])
    prefix = {"stepfunctions": "states", "resourcegroupstaggingapi": "tag"}
    made = {
        f"{prefix.get(s, s)}:{op}" if not s.startswith("apigateway") else "apigateway:GET" for s, op in calls
    }
    assert {"xray:GetServiceGraph", "xray:GetTraceSummaries", "xray:BatchGetTraces", "rds:DescribeDBInstances",
            "rds:DescribeDBParameters", "rds:DescribeDBClusters", "rds:DescribeDBProxies"} <= made  # fmt: skip
    assert made <= allowed, sorted(made - allowed)


def test_denied_rds_listings_leave_the_other_limits_alone(databases: dict[str, Any], tmp_path: Path) -> None:
    """Stubber: moto does not enforce IAM. The denial is the limits' reason and is not asked again
    before discovery_ttl (a second limits() makes no RDS call: the stub would fail on one)."""
    from botocore.stub import Stubber

    clock = FrozenClock(databases["now"] + timedelta(seconds=30))
    p = _provider(databases["url"], clock, tmp_path)
    rds = p.sessions.client("rds", p.sessions.targets()[0])
    with Stubber(rds) as stub:
        for op in ("describe_db_instances", "describe_db_clusters", "describe_db_proxies"):
            stub.add_client_error(
                op, service_error_code="AccessDenied", http_status_code=403, service_message="no"
            )
        first = p.limits()
        second = p.limits()
    why = first.unavailable  # type: ignore[attr-defined]
    assert why["rds_connections_top"] == "DescribeDBInstances failed: AccessDenied: no"
    assert why["rds_proxy_connections_top"] == "DescribeDBProxies failed: AccessDenied: no"
    assert not any(lim.name.startswith("rds") for lim in first)
    assert {lim.name for lim in second} == {lim.name for lim in first}
    with pytest.raises(
        ProviderError, match="rds_connections:orders-db: DescribeDBInstances failed: AccessDenied"
    ):
        p.limits(["rds_connections:orders-db"])


def save_preset_fixture(name: str, snap: Any) -> None:
    """With SRVMON_SAVE_PRESET_FIXTURES=1, keep this snapshot for the preset screen tests
    (tests/tui/presets/NAME.json.gz: the TUI renders provider presets from what their tests built)."""
    import gzip
    import os

    if os.environ.get("SRVMON_SAVE_PRESET_FIXTURES") == "1":
        target = Path(__file__).resolve().parents[2] / "tui" / "presets" / f"{name}.json.gz"
        target.write_bytes(gzip.compress(to_json(snap).encode("utf-8"), mtime=0))
