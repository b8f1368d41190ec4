"""Pure builders: console deep links, Metrics Insights / SEARCH text, and the cheap-import guarantee."""

from __future__ import annotations

import subprocess
import sys

from srvmon.providers.aws.links import alarm_link, function_link, insights_link, log_group_link
from srvmon.providers.aws.queries import Spec, insights_query, search_expression


def test_console_links() -> None:
    base = "https://eu-west-1.console.aws.amazon.com"
    assert (
        function_link("eu-west-1", "checkout-api")
        == f"{base}/lambda/home?region=eu-west-1#/functions/checkout-api"
    )
    assert log_group_link("eu-west-1", "/aws/lambda/a b") == (
        f"{base}/cloudwatch/home?region=eu-west-1#logsV2:log-groups/log-group/$252Faws$252Flambda$252Fa$2520b"
    )
    assert alarm_link("eu-west-1", "x/y") == f"{base}/cloudwatch/home?region=eu-west-1#alarmsV2:alarm/x%2Fy"
    link = insights_link("eu-west-1", ["/aws/lambda/a"], "fields @message", 1700000000, 1700003600)
    assert link.startswith(f"{base}/cloudwatch/home?region=eu-west-1#logsV2:logs-insights$3FqueryDetail$3D")
    assert link.endswith(
        "$3D~(end~'2023-11-14T23*3A13*3A20.000Z~start~'2023-11-14T22*3A13*3A20.000Z"
        "~timeType~'ABSOLUTE~tz~'UTC~editorString~'fields*20*40message~source~(~'*2Faws*2Flambda*2Fa))"
    )


def test_metrics_insights_and_search_text() -> None:
    spec = Spec("lambda", "AWS/Lambda", "Invocations", "Sum")
    assert insights_query(spec, "FunctionName", limit=10) == (
        'SELECT SUM(Invocations) FROM SCHEMA("AWS/Lambda", FunctionName) GROUP BY FunctionName '
        "ORDER BY SUM() DESC LIMIT 10"
    )
    assert (
        insights_query(
            Spec("sqs", "AWS/SQS", "ApproximateAgeOfOldestMessage", "Maximum"), "QueueName", group=False
        )
        == 'SELECT MAX(ApproximateAgeOfOldestMessage) FROM SCHEMA("AWS/SQS", QueueName)'
    )
    assert insights_query(
        Spec("apigw", "AWS/ApiGateway", "5XXError", "Sum"), "ApiName", limit=900, order="asc"
    ) == (
        'SELECT SUM("5XXError") FROM SCHEMA("AWS/ApiGateway", ApiName) GROUP BY ApiName ORDER BY SUM() ASC LIMIT 500'
    )
    assert search_expression("AWS/Lambda", "FunctionName", "Invocations", "Sum", 300) == (
        "SEARCH('{AWS/Lambda,FunctionName} MetricName=\"Invocations\"', 'Sum', 300)"
    )
    assert "'" not in search_expression("A'", "B", "C'", "Sum", 60).split("'")[1]


def test_importing_the_provider_stays_cheap() -> None:
    code = (
        "import sys, srvmon.providers.aws as a; a.AwsProvider.validate_query('lambda:Errors', 'sum');"
        "print(sorted(m for m in ('boto3', 'botocore', 'textual', 'httpx') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"
