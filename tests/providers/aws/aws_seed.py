"""Seed data for the AWS provider tests: the small serverless fleet put into moto — functions, APIs, tables, queues, a state machine, 4 h of metrics today and the same
4 h one week earlier, alarms, Lambda log groups with REPORT lines, and Cost Explorer results."""

from __future__ import annotations

import io
import json
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

#: datetime.now floored to the hour, once per session: moto accepts data up to ~15 days old.
NOW = datetime.now(UTC).replace(minute=0, second=0, microsecond=0)
WEEK = timedelta(days=7)
MINUTES = 240  # the seeded 4 h window
REGION = "us-east-1"

#: name -> (memory MB, timeout s, reserved concurrency, Invocations per minute base)
FUNCTIONS: dict[str, tuple[int, int, int | None, int]] = {
    "checkout-api": (512, 10, 50, 10),
    "orders-worker": (256, 30, None, 20),
    "image-resizer": (1024, 60, None, 30),
}
DURATION_AVG = {"checkout-api": 100.0, "orders-worker": 200.0, "image-resizer": 300.0}
CONCURRENCY = {"checkout-api": 5.0, "orders-worker": 10.0, "image-resizer": 15.0}
ACCOUNT_CONCURRENCY, CLAIMED, UNRESERVED = 30.0, 80.0, 25.0
ACCOUNT_LIMIT = {
    "ConcurrentExecutions": 1000,
    "UnreservedConcurrentExecutions": 950,
    "TotalCodeSize": 80530636800,
    "CodeSizeZipped": 52428800,
    "CodeSizeUnzipped": 262144000,
}
ACCOUNT_USAGE = {"TotalCodeSize": 1048576, "FunctionCount": 3}


def invocations_today(base: int, minute: int) -> float:
    """Per-minute Invocations in today's window: a ramp of +1 per hour (so the trend is real)."""
    return float(base + minute // 60)


def invocations_week_ago(base: int, minute: int) -> float:
    return float(base // 2)


@dataclass(frozen=True)
class Fleet:
    url: str
    now: datetime
    http_api_id: str
    cost_days: int


def _zip() -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("index.py", "def handler(event, context):\n    return 1\n")
    return buf.getvalue()


#: Minutes between seeded datums of every metric but Invocations (moto's GetMetricData scans every datum
#: of the window for every period of every query, so a sparse fleet keeps the tests fast).
EVERY = 15


def _put(
    cw: Any,
    namespace: str,
    metric: str,
    dims: dict[str, str],
    value: Callable[[int], float],
    start: datetime,
    unit: str = "None",
    every: int = EVERY,
) -> None:
    data = [
        {
            "MetricName": metric,
            "Dimensions": [{"Name": k, "Value": v} for k, v in dims.items()],
            "Timestamp": start + timedelta(minutes=m, seconds=30),
            "Value": value(m),
            "Unit": unit,
        }
        for m in range(0, MINUTES, every)
    ]
    cw.put_metric_data(Namespace=namespace, MetricData=data)


def _seed(url: str) -> Fleet:
    import boto3

    kw = {"endpoint_url": url, "region_name": REGION}
    iam = boto3.client("iam", **kw)
    role = iam.create_role(RoleName="lambda-role", AssumeRolePolicyDocument="{}")["Role"]["Arn"]
    lam = boto3.client("lambda", **kw)
    for name, (mem, timeout, reserved, _) in FUNCTIONS.items():
        lam.create_function(
            FunctionName=name,
            Runtime="python3.12",
            Role=role,
            Handler="index.handler",
            Code={"ZipFile": _zip()},
            MemorySize=mem,
            Timeout=timeout,
            Architectures=["arm64" if name == "image-resizer" else "x86_64"],
        )
        if reserved is not None:
            lam.put_function_concurrency(FunctionName=name, ReservedConcurrentExecutions=reserved)
        if name == "checkout-api":
            arn = lam.get_function(FunctionName=name)["Configuration"]["FunctionArn"]
            lam.tag_resource(Resource=arn, Tags={"team": "payments"})
    boto3.client("apigateway", **kw).create_rest_api(name="shop-api")
    http_api_id = boto3.client("apigatewayv2", **kw).create_api(Name="public-api", ProtocolType="HTTP")[
        "ApiId"
    ]
    ddb = boto3.client("dynamodb", **kw)
    schema = {
        "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}],
        "AttributeDefinitions": [{"AttributeName": "pk", "AttributeType": "S"}],
    }
    ddb.create_table(
        TableName="orders",
        ProvisionedThroughput={"ReadCapacityUnits": 100, "WriteCapacityUnits": 50},
        **schema,
    )
    ddb.tag_resource(
        ResourceArn=ddb.describe_table(TableName="orders")["Table"]["TableArn"],
        Tags=[{"Key": "team", "Value": "payments"}],
    )
    ddb.create_table(
        TableName="audit", ProvisionedThroughput={"ReadCapacityUnits": 10, "WriteCapacityUnits": 10}, **schema
    )
    ddb.create_table(TableName="sessions", BillingMode="PAY_PER_REQUEST", **schema)
    sqs = boto3.client("sqs", **kw)
    dlq_url = sqs.create_queue(QueueName="orders-dlq")["QueueUrl"]
    dlq_arn = sqs.get_queue_attributes(QueueUrl=dlq_url, AttributeNames=["QueueArn"])["Attributes"][
        "QueueArn"
    ]
    sqs.create_queue(
        QueueName="orders-queue",
        Attributes={
            "MessageRetentionPeriod": "345600",
            "RedrivePolicy": json.dumps({"deadLetterTargetArn": dlq_arn, "maxReceiveCount": "3"}),
        },
    )
    sfn = boto3.client("stepfunctions", **kw)
    sm_arn = sfn.create_state_machine(
        name="order-flow",
        roleArn=role,
        definition=json.dumps({"StartAt": "A", "States": {"A": {"Type": "Pass", "End": True}}}),
    )["stateMachineArn"]

    cw = boto3.client("cloudwatch", **kw)
    today = NOW - timedelta(minutes=MINUTES)
    ago = today - WEEK
    for name, (_, _, _, base) in FUNCTIONS.items():
        d = {"FunctionName": name}
        _put(cw, "AWS/Lambda", "Invocations", d, lambda m, b=base: invocations_today(b, m), today, every=1)
        _put(cw, "AWS/Lambda", "Invocations", d, lambda m, b=base: invocations_week_ago(b, m), ago, every=1)
        _put(cw, "AWS/Lambda", "Duration", d, lambda m, n=name: DURATION_AVG[n], today, "Milliseconds")
        _put(cw, "AWS/Lambda", "ConcurrentExecutions", d, lambda m, n=name: CONCURRENCY[n], today)
    _put(cw, "AWS/Lambda", "Errors", {"FunctionName": "checkout-api"}, lambda m: 2.0, today)
    _put(cw, "AWS/Lambda", "Errors", {"FunctionName": "checkout-api"}, lambda m: 1.0, ago)
    _put(cw, "AWS/Lambda", "Throttles", {"FunctionName": "orders-worker"}, lambda m: 1.0, today)
    # Account-level (no-dimension) Lambda metrics: moto answers a query without dimensions with every
    # datum of that metric name, i.e. the sum over functions — exactly what AWS's account metric is — so
    # only the metrics that exist solely at account level are seeded without dimensions.
    _put(cw, "AWS/Lambda", "ConcurrentExecutions", {}, lambda m: ACCOUNT_CONCURRENCY, today)
    _put(cw, "AWS/Lambda", "ClaimedAccountConcurrency", {}, lambda m: CLAIMED, today)
    _put(cw, "AWS/Lambda", "UnreservedConcurrentExecutions", {}, lambda m: UNRESERVED, today)
    for metric, value in (
        ("Count", 100.0),
        ("5XXError", 2.0),
        ("4XXError", 5.0),
        ("Latency", 50.0),
        ("IntegrationLatency", 40.0),
    ):
        _put(cw, "AWS/ApiGateway", metric, {"ApiName": "shop-api"}, lambda m, v=value: v, today)
    _put(cw, "AWS/ApiGateway", "Count", {"ApiName": "shop-api"}, lambda m: 50.0, ago)
    for metric, value in (
        ("Count", 40.0),
        ("5xx", 1.0),
        ("4xx", 3.0),
        ("Latency", 30.0),
        ("IntegrationLatency", 20.0),
    ):
        _put(cw, "AWS/ApiGateway", metric, {"ApiId": http_api_id}, lambda m, v=value: v, today)
    _put(cw, "AWS/ApiGateway", "Count", {"ApiId": http_api_id}, lambda m: 20.0, ago)
    _put(cw, "AWS/DynamoDB", "ConsumedReadCapacityUnits", {"TableName": "orders"}, lambda m: 3000.0, today)
    _put(cw, "AWS/DynamoDB", "ConsumedWriteCapacityUnits", {"TableName": "orders"}, lambda m: 2400.0, today)
    _put(cw, "AWS/DynamoDB", "ConsumedReadCapacityUnits", {"TableName": "audit"}, lambda m: 60.0, today)
    _put(cw, "AWS/DynamoDB", "SuccessfulRequestLatency", {"TableName": "orders"}, lambda m: 8.0, today)
    _put(
        cw, "AWS/SQS", "ApproximateAgeOfOldestMessage", {"QueueName": "orders-queue"}, lambda m: 120.0, today
    )
    _put(
        cw, "AWS/SQS", "ApproximateNumberOfMessagesVisible", {"QueueName": "orders-dlq"}, lambda m: 3.0, today
    )
    _put(
        cw,
        "AWS/SQS",
        "ApproximateNumberOfMessagesVisible",
        {"QueueName": "orders-queue"},
        lambda m: 40.0,
        today,
    )
    _put(cw, "AWS/States", "ExecutionsFailed", {"StateMachineArn": sm_arn}, lambda m: 1.0, today)
    _put(cw, "AWS/States", "ExecutionsStarted", {"StateMachineArn": sm_arn}, lambda m: 10.0, today)

    cw.put_metric_alarm(
        AlarmName="checkout-errors",
        Namespace="AWS/Lambda",
        MetricName="Errors",
        Dimensions=[{"Name": "FunctionName", "Value": "checkout-api"}],
        Statistic="Sum",
        Period=60,
        EvaluationPeriods=1,
        Threshold=1,
        ComparisonOperator="GreaterThanThreshold",
    )
    cw.put_metric_alarm(
        AlarmName="orders-latency",
        Namespace="AWS/DynamoDB",
        MetricName="SuccessfulRequestLatency",
        Dimensions=[{"Name": "TableName", "Value": "orders"}],
        Statistic="Average",
        Period=60,
        EvaluationPeriods=1,
        Threshold=100,
        ComparisonOperator="GreaterThanThreshold",
    )
    cw.set_alarm_state(
        AlarmName="checkout-errors", StateValue="ALARM", StateReason="Threshold Crossed: 2 > 1"
    )
    cw.set_alarm_state(AlarmName="orders-latency", StateValue="OK", StateReason="fine")

    logs = boto3.client("logs", **kw)
    t0 = int((NOW - timedelta(minutes=30)).timestamp() * 1000)
    stamp = (NOW - timedelta(minutes=30)).strftime("%Y-%m-%dT%H:%M:%S.000Z")
    for group, events in LOG_EVENTS.items():
        logs.create_log_group(logGroupName=group)
        logs.create_log_stream(logGroupName=group, logStreamName="2026/11/22/[$LATEST]abc")
        logs.put_log_events(
            logGroupName=group,
            logStreamName="2026/11/22/[$LATEST]abc",
            logEvents=[
                {"timestamp": t0 + i * 1000, "message": msg.replace("{ts}", stamp)}
                for i, msg in enumerate(events)
            ],
        )

    days = (NOW.date() - _first_of_last_month(NOW.date())).days
    seed_cost(url, days)
    return Fleet(url, NOW, http_api_id, days)


def _first_of_last_month(today: date) -> date:
    return (today.replace(day=1) - timedelta(days=1)).replace(day=1)


COST_PER_DAY = {"AWS Lambda": 1.5, "Amazon DynamoDB": 0.75}


def seed_cost(url: str, days: int) -> None:
    import urllib.request

    start = _first_of_last_month(NOW.date())
    results = [
        {
            "TimePeriod": {
                "Start": (start + timedelta(days=i)).isoformat(),
                "End": (start + timedelta(days=i + 1)).isoformat(),
            },
            "Groups": [
                {"Keys": [svc], "Metrics": {"UnblendedCost": {"Amount": str(v), "Unit": "USD"}}}
                for svc, v in COST_PER_DAY.items()
            ],
            "Total": {},
            "Estimated": False,
        }
        for i in range(days)
    ]
    body = json.dumps({"results": [{"ResultsByTime": results}]}).encode()
    req = urllib.request.Request(
        f"{url}/moto-api/static/ce/cost-and-usage-results",
        data=body,
        method="POST",
        headers={"Content-Type": "application/json"},
    )
    with urllib.request.urlopen(req, timeout=5) as resp:
        assert resp.status == 201


R = "0b9f1e62-1111-4a8a-9a55-00000000000"
LOG_EVENTS: dict[str, list[str]] = {
    "/aws/lambda/checkout-api": [
        f"START RequestId: {R}1 Version: $LATEST",
        f"{{ts}}\t{R}1\tINFO\tcharging order 42",
        f"END RequestId: {R}1",
        f"REPORT RequestId: {R}1\tDuration: 120.00 ms\tBilled Duration: 120 ms\tMemory Size: 512 MB\t"
        "Max Memory Used: 100 MB\tInit Duration: 200.00 ms",
        f"START RequestId: {R}2 Version: $LATEST",
        f"{{ts}}\t{R}2\tERROR\tpayment failed: card declined (upstream /pay status 502)",
        f"REPORT RequestId: {R}2\tDuration: 80.00 ms\tBilled Duration: 80 ms\tMemory Size: 512 MB\t"
        "Max Memory Used: 101 MB",
        f"START RequestId: {R}3 Version: $LATEST",
        f"{{ts}} {R}3 Task timed out after 10.00 seconds",
        f"REPORT RequestId: {R}3\tDuration: 10000.00 ms\tBilled Duration: 10000 ms\tMemory Size: 512 MB\t"
        "Max Memory Used: 120 MB",
    ],
    "/aws/lambda/orders-worker": [
        f"START RequestId: {R}5 Version: $LATEST",
        f"{{ts}}\t{R}5\tINFO\tbatch of 10",
        f"RequestId: {R}5 Error: Runtime exited with error: signal: killed\nRuntime.ExitError",
        f"REPORT RequestId: {R}5\tDuration: 900.00 ms\tBilled Duration: 900 ms\tMemory Size: 256 MB\t"
        "Max Memory Used: 256 MB",
    ],
}
