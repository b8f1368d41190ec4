"""`srvmon check` for AWS: are the credentials accepted, is every endpoint reachable, which read
permissions are missing, and are the region names ones AWS has.

The verdict (`Health.ok`) is False, with the cause and the fix, when: no credentials are found or they
are rejected (expired token, unknown key, bad secret, an SSO session to renew), a role cannot be
assumed, an endpoint cannot be reached (refused, DNS, TLS, timed out), a permission is missing, or no
probe succeeded at all. A probe that fails for another reason (e.g. an emulator without the call) is
listed as not verified and leaves the verdict alone. An unknown but well-formed region only warns.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from datetime import timedelta
from typing import Any

from srvmon.model import Health
from srvmon.providers.aws.errors import credentials_problem, describe, is_denied, is_unreachable
from srvmon.providers.aws.session import Sessions, Target
from srvmon.providers.base import UsageCounter

UNREACHABLE_FIX = "check the network, proxy (HTTPS_PROXY), endpoint_url and region"


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


#: A trace id no trace has (the start time is 1970): BatchGetTraces answers it as unprocessed, free.
NO_TRACE = "1-00000000-000000000000000000000000"


def xray_probes(now: Any) -> list[tuple[str, str, Callable[[Any], Any]]]:
    """The X-Ray calls srvmon makes, each asked for the smallest answer (a one-second search)."""
    return [
        ("xray:GetServiceGraph", "xray",
         lambda c: c.get_service_graph(StartTime=now - timedelta(minutes=5), EndTime=now)),
        ("xray:GetTraceSummaries", "xray",
         lambda c: c.get_trace_summaries(StartTime=now - timedelta(seconds=1), EndTime=now, Sampling=False)),
        ("xray:BatchGetTraces", "xray", lambda c: c.batch_get_traces(TraceIds=[NO_TRACE])),
    ]  # fmt: skip


def _parameters_probe(client: Any) -> Any:
    """DescribeDBParameters of the first instance's parameter group (or a default group). A "no such
    group" answer still proves the permission: IAM is checked before the group is looked up."""
    from srvmon.providers.aws.errors import error_code

    try:  # its own probe reports a denial of this one
        found = client.describe_db_instances(MaxRecords=20).get("DBInstances", [])
    except Exception:
        found = []
    groups = [g.get("DBParameterGroupName") for i in found for g in i.get("DBParameterGroups", [])]
    name = next((g for g in groups if isinstance(g, str)), "default.mysql8.0")
    try:
        return client.describe_db_parameters(DBParameterGroupName=name, MaxRecords=20)
    except Exception as exc:
        if error_code(exc) == "DBParameterGroupNotFound":
            return None
        raise


def rds_probes() -> list[tuple[str, str, Callable[[Any], Any]]]:
    return [
        ("rds:DescribeDBInstances", "rds", lambda c: c.describe_db_instances(MaxRecords=20)),
        ("rds:DescribeDBParameters", "rds", _parameters_probe),
        ("rds:DescribeDBClusters", "rds", lambda c: c.describe_db_clusters(MaxRecords=20)),
        ("rds:DescribeDBProxies", "rds", lambda c: c.describe_db_proxies(MaxRecords=20)),
    ]


@functools.lru_cache(maxsize=1)
def known_regions() -> frozenset[str]:
    """Every region botocore's endpoint data lists for Lambda or CloudWatch, in every partition."""
    import botocore.session

    session = botocore.session.get_session()
    out: set[str] = set()
    for partition in session.get_available_partitions():
        for service in ("lambda", "cloudwatch"):
            out.update(session.get_available_regions(service, partition_name=partition))
    return frozenset(out)


def region_warnings(regions: Sequence[str]) -> list[str]:
    """A warning per region botocore does not know (a new region is fine; a typo is not)."""
    import botocore

    known = known_regions()
    return [
        f"region {r!r} is not one botocore {botocore.__version__} knows (if it is new, fine; else fix"
        " `regions`)"
        for r in dict.fromkeys(regions)
        if r not in known
    ]


def _endpoint_problem(what: str, exc: BaseException) -> str:
    """'cannot reach AWS STS: ...' / 'AWS STS did not answer in time: ...', with the fix."""
    from srvmon.providers.aws.transport import EndpointError

    kind = exc.kind if isinstance(exc, EndpointError) else "unreachable"
    if kind in ("too_large", "invalid"):
        return f"{what} sent an answer srvmon refuses: {describe(exc)}; fix: check endpoint_url"
    lead = f"{what} did not answer in time" if kind == "timeout" else f"cannot reach {what}"
    return f"{lead}: {describe(exc)}; fix: {UNREACHABLE_FIX}"


def _credentials_fix(exc: BaseException, profile: str | None) -> str:
    cause, fix = credentials_problem(exc) or ("", "")
    where = f" for profile {profile!r}" if profile else ""
    if "sso" in fix.lower() and profile:
        fix = f"run `aws sso login --profile {profile}`"
    return f"credentials rejected{where}: {cause} ({describe(exc)}); fix: {fix}"


def run_check(
    sessions: Sessions,
    counter: UsageCounter,
    targets: list[Target],
    now: Any,
    *,
    with_cost: bool = True,
) -> Health:
    """Per target: who the credentials are (sts:GetCallerIdentity, which needs no permission), then
    each permission probe once; stops at the first credential or endpoint failure (the rest would fail
    the same way, and an unreachable endpoint would only be waited for again)."""
    profile = sessions.options.profile
    warnings = region_warnings([t.region for t in targets])
    details: list[str] = [f"warning: {w}" for w in warnings]
    missing: list[str] = []
    unverified: list[str] = []
    verified = 0
    probes = _probes(now)
    if sessions.options.xray:
        probes.extend(xray_probes(now))
    if sessions.options.rds:
        probes.extend(rds_probes())
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

    def failed(message: str) -> Health:
        details.append(message)
        return Health(ok=False, message=message, details=tuple(details), missing_permissions=tuple(missing))

    identified: set[str | None] = set()
    for target in targets:
        where = f"{target.account}/{target.region}"
        if target.role_arn not in identified:
            identified.add(target.role_arn)
            counter.call("GetCallerIdentity")
            try:
                arn = sessions.client("sts", target).get_caller_identity().get("Arn", "?")
                details.append(f"{where}: credentials ok: {arn}")
                verified += 1
            except Exception as exc:
                if credentials_problem(exc) is not None:
                    return failed(f"{where}: {_credentials_fix(exc, profile)}")
                if is_unreachable(exc):
                    return failed(f"{where}: {_endpoint_problem('AWS STS', exc)}")
                if is_denied(exc) and target.role_arn:
                    # GetCallerIdentity itself is never denied: assuming the role was
                    return failed(
                        f"{where}: cannot assume {target.role_arn}: {describe(exc)}; fix: allow this"
                        " principal in the role's trust policy (and check external_id)"
                    )
                details.append(f"{where}: sts:GetCallerIdentity not verified: {describe(exc)}")
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
                verified += 1
            except Exception as exc:
                if credentials_problem(exc) is not None:
                    return failed(f"{where}: {_credentials_fix(exc, profile)}")
                if is_unreachable(exc):
                    return failed(f"{where}: {action}: {_endpoint_problem(service, exc)}")
                if is_denied(exc):
                    if action not in missing:
                        missing.append(action)
                    details.append(f"{where}: {action} DENIED")
                else:
                    unverified.append(action)
                    details.append(f"{where}: {action} not verified: {describe(exc)}")
    if missing:
        fix = "add them to the role or user (docs/aws-iam-policy.json lists every action srvmon uses)"
        return Health(
            ok=False,
            message=f"missing permissions: {', '.join(missing)}; fix: {fix}",
            details=tuple(details),
            missing_permissions=tuple(missing),
        )
    if not verified:
        return failed(f"no probe succeeded ({len(unverified)} failed); see the details")
    message = "credentials accepted, endpoints reachable, all read permissions present"
    if unverified:
        message += f"; not verified: {', '.join(dict.fromkeys(unverified))} (see the details)"
    if warnings:
        message += "; warning: " + "; ".join(warnings)
    return Health(ok=True, message=message, details=tuple(details))
