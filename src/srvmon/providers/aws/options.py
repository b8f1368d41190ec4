"""The `[providers.NAME] type = "aws"` option schema (validated by pydantic, unknown keys rejected)."""

from __future__ import annotations

import re
from typing import Annotated, Literal

from pydantic import AfterValidator, Field, field_validator

from srvmon.providers.base import NetworkOptions
from srvmon.schema import Duration, NonEmptyStr, NonNegativeFloat, Url, duration_at_least

_COST_TTL = duration_at_least(3600, "cost_cache_ttl must be at least 1h (Cost Explorer charges per request)")

#: The shape of an AWS region name: 'eu-west-1', 'us-gov-west-1', 'eusc-de-east-1'. A well-formed name
#: botocore does not know (a region newer than the installed botocore) is only warned about by `check`.
REGION_SHAPE = re.compile(r"^[a-z]{2,5}(-[a-z]+)+-\d{1,2}$")
#: An IAM role ARN in any partition: arn:aws:iam::123456789012:role/path/name.
ROLE_ARN_SHAPE = re.compile(r"^arn:aws(-[a-z]+)*:iam::\d{12}:role/[\w+=,.@/-]{1,512}$")
#: sts:AssumeRole ExternalId: 2-1224 characters of [\w+=,.@:/-].
EXTERNAL_ID_SHAPE = re.compile(r"^[\w+=,.@:/-]{2,1224}$")


def _region(v: str) -> str:
    if not REGION_SHAPE.match(v):
        raise ValueError(f"{v!r} is not an AWS region name; write e.g. 'eu-west-1' or 'us-east-1'")
    return v


def _role_arn(v: str) -> str:
    if not ROLE_ARN_SHAPE.match(v):
        raise ValueError(
            f"{v!r} is not an IAM role ARN; write e.g. 'arn:aws:iam::123456789012:role/srvmon-readonly'"
        )
    return v


def _external_id(v: str) -> str:
    if not EXTERNAL_ID_SHAPE.match(v):
        raise ValueError("external_id must be 2 to 1224 characters of letters, digits and +=,.@:/-")
    return v


Region = Annotated[str, AfterValidator(_region)]
RoleArn = Annotated[str, AfterValidator(_role_arn)]


class AwsOptions(NetworkOptions):
    """Options of the AWS provider. Credentials come only from the standard boto3 chain."""

    profile: NonEmptyStr | None = None
    """Named profile from ~/.aws/config (default: the boto3 default chain)."""
    regions: list[Region] = []
    """Regions to read, e.g. ["eu-west-1", "us-east-1"] (default: the profile's region)."""
    role_arn: RoleArn | None = None
    """A role to assume before reading (read-only role in the monitored account)."""
    external_id: Annotated[str, AfterValidator(_external_id)] | None = None
    """ExternalId passed when assuming `role_arn` / `accounts` roles (not a secret)."""
    accounts: list[RoleArn] = []
    """Role ARNs, one per account: one board across several accounts."""
    endpoint_url: Url | None = None
    """Override every service endpoint (LocalStack, moto, private endpoints)."""
    timeout: str = "10s"
    """One AWS request, body included: connecting, waiting and reading (e.g. 10s). A slower endpoint is
    cut off here and not retried; an endpoint that failed this way is not asked again for 2x this
    (at least 5s, at most 60s), so a dead endpoint costs one timeout per refresh, not one per call."""
    include: list[str] = []
    """Glob patterns of resource names to keep (functions, APIs, tables, queues, state machines)."""
    exclude: list[str] = []
    """Glob patterns of resource names to drop (applied after `include`)."""
    tags: dict[NonEmptyStr, str] = {}
    """Keep only resources carrying all these tags (read with the tagging API)."""
    cost_tag: NonEmptyStr | None = None
    """A cost-allocation tag key to split Cost Explorer figures by, besides the service."""
    discovery_ttl: Duration = "5m"
    """How long the discovered resource list is reused before listing again."""
    cost_cache_ttl: Annotated[Duration, _COST_TTL] = "1h"
    """How long Cost Explorer answers are cached on disk (at least 1h; each request costs $0.01)."""
    cache_dir: NonEmptyStr | None = None
    """Directory of the on-disk cost cache (default: the user cache dir of srvmon)."""
    reserved_concurrency: bool = True
    """Read each function's reserved concurrency during discovery (one call per function)."""
    metrics_mode: Literal["metricstat", "insights"] = "metricstat"
    """'metricstat': batches of MetricStat (works everywhere); 'insights': Metrics Insights for
    grouped top-N queries over the last 2 weeks (fewer calls on very large fleets)."""
    logs_budget: Duration = "20s"
    """Time a Logs Insights query may run before srvmon stops it and shows partial results."""
    logs_mode: Literal["insights", "filter"] = "insights"
    """'insights': Logs Insights (fast, billed per GB scanned); 'filter': FilterLogEvents only."""
    lambda_price_per_gb_s: NonNegativeFloat = 0.0000166667
    """USD per GB-second used to estimate function cost in the health panel."""
    max_attempts: int = Field(default=5, ge=1, le=20)
    """Total attempts per AWS call, the first included (botocore adaptive retries: throttling and 5xx
    answers are retried with backoff; timeouts and unreachable endpoints are not)."""
    events_sources: list[Literal["lambda", "cloudtrail", "alarms"]] = ["lambda", "cloudtrail", "alarms"]
    """Where change events come from: Lambda versions, aliases and LastModified; CloudTrail
    LookupEvents (deploy and config writes, with who made them); CloudWatch alarm history."""
    cloudtrail_max_calls: int = Field(default=20, ge=1, le=1000)
    """LookupEvents requests per refresh per account and region. AWS allows 2 a second, so srvmon
    spaces them (20 take about 10 s); settled hours are cached and never asked again."""
    events_max_calls: int = Field(default=60, ge=1, le=10_000)
    """Lambda listing (ListFunctions, ListVersionsByFunction, ListAliases) and DescribeAlarmHistory
    requests per refresh per account and region; what is not re-read keeps its last answer."""

    xray: bool = True
    """Read AWS X-Ray: servicemap panels (GetServiceGraph) and trace drill-down (GetTraceSummaries,
    BatchGetTraces). X-Ray bills $0.50 per million traces scanned or retrieved."""
    xray_group: Annotated[str, Field(pattern=r"^[A-Za-z0-9_.-]{1,32}$")] | None = None
    """An X-Ray group whose filter narrows the service map (default: every trace of the account)."""
    xray_max_pages: int = Field(default=5, ge=1, le=100)
    """Pages one service map or trace search reads at most per account and region; more is cut and
    said (each page of a search scans traces, billed)."""
    rds: bool = True
    """Read RDS / Aurora limits with limits(): connections against max_connections (DescribeDBInstances,
    DescribeDBParameters), Aurora Serverless v2 ACUs against the cluster's maximum (DescribeDBClusters),
    RDS Proxy database connections against MaxDatabaseConnectionsAllowed (DescribeDBProxies)."""
    rds_max_connections: dict[NonEmptyStr, Annotated[int, Field(ge=1, le=1_000_000)]] = {}
    """max_connections per DB instance identifier, overriding what srvmon reads or estimates from the
    parameter group (use it for instance classes srvmon has no memory figure for)."""

    @field_validator("include", "exclude")
    @classmethod
    def _v_patterns(cls, v: list[str]) -> list[str]:
        for p in v:
            if not p.strip():
                raise ValueError("empty name pattern")
        return v
