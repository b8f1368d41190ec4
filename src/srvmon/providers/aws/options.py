"""The `[providers.NAME] type = "aws"` option schema (validated by pydantic, unknown keys rejected)."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, field_validator

from srvmon.providers.base import ProviderOptions
from srvmon.schema import Duration, duration_at_least

_COST_TTL = duration_at_least(3600, "cost_cache_ttl must be at least 1h (Cost Explorer charges per request)")


class AwsOptions(ProviderOptions):
    """Options of the AWS provider. Credentials come only from the standard boto3 chain."""

    profile: str | None = None
    """Named profile from ~/.aws/config (default: the boto3 default chain)."""
    regions: list[str] = []
    """Regions to read, e.g. ["eu-west-1", "us-east-1"] (default: the profile's region)."""
    role_arn: str | None = None
    """A role to assume before reading (read-only role in the monitored account)."""
    external_id: str | None = None
    """ExternalId passed when assuming `role_arn` / `accounts` roles (not a secret)."""
    accounts: list[str] = []
    """Role ARNs, one per account: one board across several accounts."""
    endpoint_url: str | None = None
    """Override every service endpoint (LocalStack, moto, private endpoints)."""
    include: list[str] = []
    """Glob patterns of resource names to keep (functions, APIs, tables, queues, state machines)."""
    exclude: list[str] = []
    """Glob patterns of resource names to drop (applied after `include`)."""
    tags: dict[str, str] = {}
    """Keep only resources carrying all these tags (read with the tagging API)."""
    cost_tag: str | None = None
    """A cost-allocation tag key to split Cost Explorer figures by, besides the service."""
    discovery_ttl: Duration = "5m"
    """How long the discovered resource list is reused before listing again."""
    cost_cache_ttl: Annotated[Duration, _COST_TTL] = "1h"
    """How long Cost Explorer answers are cached on disk (at least 1h; each request costs $0.01)."""
    cache_dir: str | None = None
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
    lambda_price_per_gb_s: float = Field(default=0.0000166667, ge=0)
    """USD per GB-second used to estimate function cost in the health panel."""
    max_attempts: int = Field(default=5, ge=1, le=20)
    """botocore adaptive-retry attempts per call."""
    events_sources: list[Literal["lambda", "cloudtrail", "alarms"]] = ["lambda", "cloudtrail", "alarms"]
    """Where change events come from: Lambda versions, aliases and LastModified; CloudTrail
    LookupEvents (deploy and config writes, with who made them); CloudWatch alarm history."""
    cloudtrail_max_calls: int = Field(default=20, ge=1, le=1000)
    """LookupEvents requests per refresh per account and region. AWS allows 2 a second, so srvmon
    spaces them (20 take about 10 s); settled hours are cached and never asked again."""
    events_max_calls: int = Field(default=60, ge=1, le=10_000)
    """Lambda listing (ListFunctions, ListVersionsByFunction, ListAliases) and DescribeAlarmHistory
    requests per refresh per account and region; what is not re-read keeps its last answer."""

    @field_validator("include", "exclude")
    @classmethod
    def _v_patterns(cls, v: list[str]) -> list[str]:
        for p in v:
            if not p.strip():
                raise ValueError("empty name pattern")
        return v
