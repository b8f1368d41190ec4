"""The `[providers.NAME] type = "alibaba"` option schema (credentials are never options: see credentials.py)."""

from __future__ import annotations

import re
from typing import Annotated

from pydantic import Field, field_validator

from srvmon.providers.base import NetworkOptions
from srvmon.schema import Duration, PositiveFloat, Url, duration_at_least

#: Region ids: cn-hangzhou, ap-southeast-1, us-west-1, cn-shanghai-finance-1, eu-central-1 ...
REGION_RE = re.compile(r"^[a-z]{2}(-[a-z0-9]+){1,3}$")
#: SLS project and logstore names: lowercase letters, digits, '-' and '_' (3-63 characters).
SLS_NAME_RE = re.compile(r"^[a-z0-9][a-z0-9_-]{1,62}$")

_COST_TTL = duration_at_least(600, "cost_cache_ttl must be at least 10m (bills change a few times a day)")


class AlibabaOptions(NetworkOptions):
    """Options of an Alibaba Cloud Function Compute provider instance."""

    region: str
    """The region whose Function Compute functions are watched, e.g. 'cn-hangzhou' or 'ap-southeast-1'."""
    profile: str | None = None
    """A profile of ~/.aliyun/config.json (the aliyun CLI's); default: $ALIBABA_CLOUD_PROFILE, then the
    file's `current` profile. Environment credentials (ALIBABA_CLOUD_ACCESS_KEY_ID...) come first."""
    credentials_file: str = "~/.aliyun/config.json"
    """Where the aliyun CLI keeps its profiles (AK and StsToken modes are read)."""
    functions: list[str] = []
    """Function names (FC 3.0) or shell-style patterns (fnmatch) to watch; empty = every function the
    region reports. Plain names are asked for explicitly (at most 50 per call); patterns filter locally."""
    cms_endpoint: Url | None = None
    """CloudMonitor endpoint override; default https://metrics.{region}.aliyuncs.com."""
    bss_endpoint: Url | None = None
    """BSS OpenAPI (billing) endpoint override; default https://business.aliyuncs.com (China site; the
    international site is https://business.ap-southeast-1.aliyuncs.com)."""
    sls_endpoint: Url | None = None
    """Log Service endpoint override; default https://{log_project}.{region}.log.aliyuncs.com."""
    ca_bundle: str | None = None
    """A PEM file of extra trusted CAs (TLS-inspecting proxies, tests)."""
    rate_limit: float = Field(default=20.0, gt=0, le=50)
    """Calls per second per API operation srvmon allows itself (CloudMonitor allows 50/s per operation,
    shared by the account and all its RAM users)."""
    retries: int = Field(default=2, ge=0, le=5)
    """Retries of a throttled (Throttling.User) or 5xx call, after 0.5 s, 1 s, 2 s... within the timeout."""
    metric_call_budget: int = Field(default=1_000_000, ge=1, le=100_000_000)
    """DescribeMetric* calls this srvmon process may make per calendar month (CloudMonitor's free quota
    is 1,000,000 a month shared by DescribeMetricList/Last/Data/Top across the account); past it,
    metric panels say so instead of calling."""
    price_per_million_metric_calls: float = Field(default=0.0, ge=0, le=1000)
    """USD per million DescribeMetric* calls, for the usage estimate; 0 while inside the free quota
    (set your pay-as-you-go price when the account runs past it)."""
    concurrency_limit: PositiveFloat | None = None
    """The region's on-demand instance ceiling when RegionConcurrencyLimit reports no data (default: read
    RegionConcurrencyLimit)."""
    cost: bool = True
    """Read daily bills per product through BSS OpenAPI QueryAccountBill (needs AliyunBSSReadOnlyAccess)."""
    usd_per_cny: PositiveFloat | None = None
    """Exchange rate for bills in CNY (China site); without it a CNY bill is an error that says so."""
    cost_cache_ttl: Annotated[Duration, _COST_TTL] = "6h"
    """How long a day's bill is reused before it is asked for again (days older than 2 days are final)."""
    log_project: str | None = None
    """The Log Service (SLS) project the functions log to (the function's logConfig.project)."""
    log_store: str | None = None
    """The logstore in log_project (logConfig.logstore); with log_project it enables the logs drill-down."""
    log_function_field: str = "functionName"
    """The log field naming the function (FC 3.0 writes functionName)."""

    @field_validator("region")
    @classmethod
    def _v_region(cls, v: str) -> str:
        if not REGION_RE.fullmatch(v):
            raise ValueError(
                f"{v!r} is not an Alibaba Cloud region id; write e.g. 'cn-hangzhou' or 'ap-southeast-1'"
            )
        return v

    @field_validator("log_project", "log_store")
    @classmethod
    def _v_sls(cls, v: str | None) -> str | None:
        if v is not None and not SLS_NAME_RE.fullmatch(v):
            raise ValueError(f"{v!r} is not a Log Service name (lowercase letters, digits, - and _)")
        return v

    @field_validator("log_function_field")
    @classmethod
    def _v_field(cls, v: str) -> str:
        if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_.]{0,127}", v):
            raise ValueError(f"{v!r} is not a log field name")
        return v

    @field_validator("functions")
    @classmethod
    def _v_functions(cls, v: list[str]) -> list[str]:
        for name in v:
            if not re.fullmatch(r"[A-Za-z0-9_\-*?\[\]$.]{1,128}", name):
                raise ValueError(f"{name!r} is not a function name or pattern")
        return v

    @property
    def logs_configured(self) -> bool:
        return bool(self.log_project and self.log_store)

    def cms_url(self) -> str:
        return self.cms_endpoint or f"https://metrics.{self.region}.aliyuncs.com"

    def bss_url(self) -> str:
        return self.bss_endpoint or "https://business.aliyuncs.com"

    def sls_url(self) -> str:
        return self.sls_endpoint or f"https://{self.log_project}.{self.region}.log.aliyuncs.com"

    def sls_host(self) -> str:
        """The Host the SLS signature and routing use: the project's own name in the region's domain."""
        return f"{self.log_project}.{self.region}.log.aliyuncs.com"
