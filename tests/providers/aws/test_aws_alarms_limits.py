"""Alarms (DescribeAlarms on moto) and limits (concurrency, reserved, DynamoDB, SQS age) checked value by
value. GetAccountSettings is the one call moto lacks ("Not yet implemented"): Stubber, and said so."""

from __future__ import annotations

from typing import Any

from aws_seed import ACCOUNT_LIMIT, ACCOUNT_USAGE
from botocore.stub import Stubber


def test_alarms_worst_first_with_reason_resource_and_link(make_provider: Any) -> None:
    p = make_provider()
    alarms = p.alarms()
    assert [(a.name, a.state) for a in alarms] == [("checkout-errors", "ALARM"), ("orders-latency", "OK")]
    first = alarms[0]
    assert first.reason == "Threshold Crossed: 2 > 1"
    assert first.resource == "checkout-api"
    assert first.since is not None
    assert first.link == (
        "https://us-east-1.console.aws.amazon.com/cloudwatch/home?region=us-east-1"
        "#alarmsV2:alarm/checkout-errors"
    )
    assert alarms[1].resource == "orders"
    assert p.usage().by_operation["DescribeAlarms"] == 1


def _limits(p: Any) -> dict[tuple[str, str], tuple[float, float]]:
    return {(lim.name, lim.resource): (lim.used, lim.limit) for lim in p.limits()}


def test_limits_with_account_settings(make_provider: Any) -> None:
    """Stubber for GetAccountSettings only (moto: 404 Not yet implemented); everything else is moto."""
    p = make_provider()
    p.discovery.inventory()  # list functions before the stub takes over the Lambda client
    lam = p.sessions.client("lambda", p.sessions.targets()[0])
    with Stubber(lam) as stub:
        stub.add_response(
            "get_account_settings", {"AccountLimit": ACCOUNT_LIMIT, "AccountUsage": ACCOUNT_USAGE}
        )
        got = _limits(p)
    assert got == {
        ("account_concurrency", ""): (30.0, 1000.0),
        ("claimed_concurrency", ""): (80.0, 1000.0),
        ("unreserved_concurrency", ""): (25.0, 950.0),
        ("code_storage", ""): (1048576.0, 80530636800.0),
        ("reserved_concurrency", "checkout-api"): (5.0, 50.0),
        ("dynamodb_capacity", "orders"): (80.0, 100.0),
        ("dynamodb_capacity", "audit"): (10.0, 100.0),
        ("dynamodb_top_table", "orders"): (80.0, 100.0),
        ("sqs_message_age", "orders-queue"): (120.0, 345600.0),
        ("sqs_message_age", "orders-dlq"): (0.0, 345600.0),
        ("sqs_top_queue_age", "orders-queue"): (120.0, 345600.0),
    }
    assert p.usage().by_operation["GetMetricData"] == 1  # every limit metric in one call


def test_limits_without_account_settings_keep_the_rest(make_provider: Any) -> None:
    got = _limits(make_provider())  # moto answers GetAccountSettings with 404
    assert ("account_concurrency", "") not in got
    assert got[("reserved_concurrency", "checkout-api")] == (5.0, 50.0)
    assert got[("dynamodb_top_table", "orders")] == (80.0, 100.0)
