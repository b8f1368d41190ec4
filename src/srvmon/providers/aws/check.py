"""`srvmon check` for AWS: probe every read permission srvmon uses and name the missing ones."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

from srvmon.model import Health
from srvmon.providers.aws.errors import describe, is_denied
from srvmon.providers.aws.session import Sessions, Target
from srvmon.providers.base import UsageCounter


def _probes(now: Any) -> list[tuple[str, str, Callable[[Any], Any]]]:
    """(IAM action, service, cheapest call needing it)."""
    start = now - timedelta(minutes=5)
    return [
        ("lambda:ListFunctions", "lambda", lambda c: c.list_functions(MaxItems=1)),
        ("lambda:GetAccountSettings", "lambda", lambda c: c.get_account_settings()),
        (
            "cloudwatch:GetMetricData",
            "cloudwatch",
            lambda c: c.get_metric_data(
                MetricDataQueries=[
                    {
                        "Id": "probe",
                        "MetricStat": {
                            "Metric": {"Namespace": "AWS/Lambda", "MetricName": "Invocations"},
                            "Period": 300,
                            "Stat": "Sum",
                        },
                    }
                ],
                StartTime=start,
                EndTime=now,
            ),
        ),
        ("cloudwatch:DescribeAlarms", "cloudwatch", lambda c: c.describe_alarms(MaxRecords=1)),
        ("logs:DescribeLogGroups", "logs", lambda c: c.describe_log_groups(limit=1)),
        ("apigateway:GET", "apigateway", lambda c: c.get_rest_apis(limit=1)),
        ("dynamodb:ListTables", "dynamodb", lambda c: c.list_tables(Limit=1)),
        ("sqs:ListQueues", "sqs", lambda c: c.list_queues(MaxResults=1)),
        ("states:ListStateMachines", "stepfunctions", lambda c: c.list_state_machines(maxResults=1)),
    ]


def run_check(
    sessions: Sessions, counter: UsageCounter, targets: list[Target], now: Any, *, with_cost: bool = True
) -> Health:
    """Each probe once per target; AccessDenied -> missing permission, other failures -> details."""
    missing: list[str] = []
    details: list[str] = []
    probes = _probes(now)
    if with_cost:
        day = now.date()
        probes.append(
            (
                "ce:GetCostAndUsage",
                "ce",
                lambda c: c.get_cost_and_usage(
                    TimePeriod={"Start": (day - timedelta(days=1)).isoformat(), "End": day.isoformat()},
                    Granularity="DAILY",
                    Metrics=["UnblendedCost"],
                ),
            )
        )
    for target in targets:
        where = f"{target.account}/{target.region}"
        for action, service, call in probes:
            client = sessions.client(service, target)
            op = action.split(":", 1)[1]
            counter.call(
                op,
                metrics=1 if op == "GetMetricData" else 0,
                usd=0.01 if service == "ce" else (0.00001 if op == "GetMetricData" else 0.0),
            )
            try:
                call(client)
                details.append(f"{where}: {action} ok")
            except Exception as exc:
                if is_denied(exc):
                    if action not in missing:
                        missing.append(action)
                    details.append(f"{where}: {action} DENIED")
                else:
                    details.append(f"{where}: {action} failed: {describe(exc)}")
    ok = not missing
    message = "all read permissions present" if ok else f"missing permissions: {', '.join(missing)}"
    failed = [d for d in details if " failed: " in d]
    if failed:
        message += f" ({len(failed)} probe(s) failed for other reasons)"
    return Health(ok=ok, message=message, details=tuple(details), missing_permissions=tuple(missing))
