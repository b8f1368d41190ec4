"""Several accounts (assumed roles through moto's STS) and regions: targets, labels and discovery."""

from __future__ import annotations

from typing import Any

from aws_seed import NOW

from srvmon.model import MetricQuery, TimeWindow

WINDOW = TimeWindow.ending_at(NOW, 4 * 3600)
MAIN, OTHER = "arn:aws:iam::123456789012:role/srvmon-read", "arn:aws:iam::210987654321:role/srvmon-read"


def test_regions_label_series_with_region(make_provider: Any) -> None:
    p = make_provider(regions=["us-east-1", "eu-west-1"])
    assert [(t.account, t.region) for t in p.sessions.targets()] == [
        ("default", "us-east-1"),
        ("default", "eu-west-1"),
    ]
    r = p.query([MetricQuery("a", "aws", "lambda:Invocations", "sum", ("function",))], WINDOW)["a"]
    labels = sorted((s.labels["function"], s.labels["region"], s.labels["account"]) for s in r.series)
    assert labels == [
        ("checkout-api", "us-east-1", "default"),
        ("image-resizer", "us-east-1", "default"),
        ("orders-worker", "us-east-1", "default"),
    ]
    fleet = p.query([MetricQuery("f", "aws", "lambda:Invocations", "sum")], WINDOW)["f"]
    assert sorted(s.labels["region"] for s in fleet.series) == ["eu-west-1", "us-east-1"]
    assert {s.labels["region"]: sum(s.present()) for s in fleet.series} == {
        "us-east-1": 2760.0 + 5160.0 + 7560.0,
        "eu-west-1": 0,
    }


def test_accounts_assume_roles_and_label_by_account(make_provider: Any) -> None:
    p = make_provider(accounts=[MAIN, OTHER], external_id="srvmon-ext")
    assert [t.account for t in p.sessions.targets()] == ["123456789012", "210987654321"]
    inv = p.discovery.inventory()
    owners = {(f.name, f.target.account) for f in inv.functions()}
    assert owners == {
        ("checkout-api", "123456789012"),
        ("orders-worker", "123456789012"),
        ("image-resizer", "123456789012"),
    }  # the other account is empty in moto
    alarms = p.alarms()
    assert alarms[0].resource == "123456789012/us-east-1:checkout-api"
