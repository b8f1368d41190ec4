"""The `[providers.NAME] type = "azure"` option schema and the per-cloud endpoints and token scopes."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Literal

from pydantic import Field, field_validator

from srvmon.providers.base import ProviderOptions
from srvmon.schema import Duration, duration_at_least

_COST_TTL = duration_at_least(3600, "cost_cache_ttl must be at least 1h (Cost Management allows few calls)")


@dataclass(frozen=True)
class CloudEndpoints:
    """Where one Azure cloud's APIs live and which token audiences they want."""

    arm: str
    arm_scope: str
    logs: str
    logs_scope: str
    metrics_host: str  # regional data plane: https://{region}.<metrics_host>
    metrics_audience: str
    portal: str
    authority: str
    functions_suffix: str


CLOUDS: dict[str, CloudEndpoints] = {
    "public": CloudEndpoints(
        arm="https://management.azure.com",
        arm_scope="https://management.azure.com/.default",
        logs="https://api.loganalytics.io",
        logs_scope="https://api.loganalytics.io/.default",
        metrics_host="metrics.monitor.azure.com",
        metrics_audience="https://metrics.monitor.azure.com",
        portal="https://portal.azure.com",
        authority="login.microsoftonline.com",
        functions_suffix="azurewebsites.net",
    ),
    "china": CloudEndpoints(
        arm="https://management.chinacloudapi.cn",
        arm_scope="https://management.chinacloudapi.cn/.default",
        logs="https://api.loganalytics.azure.cn",
        logs_scope="https://api.loganalytics.azure.cn/.default",
        metrics_host="metrics.monitor.azure.cn",
        metrics_audience="https://metrics.monitor.azure.cn",
        portal="https://portal.azure.cn",
        authority="login.chinacloudapi.cn",
        functions_suffix="chinacloudsites.cn",
    ),
    "usgov": CloudEndpoints(
        arm="https://management.usgovcloudapi.net",
        arm_scope="https://management.usgovcloudapi.net/.default",
        logs="https://api.loganalytics.us",
        logs_scope="https://api.loganalytics.us/.default",
        metrics_host="metrics.monitor.azure.us",
        metrics_audience="https://metrics.monitor.azure.us",
        portal="https://portal.azure.us",
        authority="login.microsoftonline.us",
        functions_suffix="azurewebsites.us",
    ),
}


class AzureOptions(ProviderOptions):
    """Options of an Azure provider instance. Credentials come from Azure's standard chains, never here."""

    subscription_id: str = Field(pattern=r"^[0-9A-Za-z-]+$")
    """The subscription holding the Function Apps (a GUID)."""
    resource_groups: list[str] = []
    """Only look in these resource groups; empty = the whole subscription."""
    resource_ids: list[str] = []
    """Explicit Function App resource ids to watch (added to what discovery finds)."""
    name_patterns: list[str] = []
    """Shell-style patterns (fnmatch) on Function App names, e.g. ["checkout-*"]; empty = all."""
    region: str | None = None
    """Default region (e.g. 'westeurope') for apps whose location is unknown."""
    app_insights: list[str] = []
    """Application Insights component resource ids: metric targets, and log sources when no workspace_id."""
    workspace_id: str | None = None
    """Log Analytics workspace id (GUID) of workspace-based App Insights (`AppRequests`...); logs come from it."""
    cloud: Literal["public", "china", "usgov"] = "public"
    """Which Azure cloud: endpoints, token scopes and portal links follow."""
    credential: Literal["default", "cli", "managed_identity", "environment"] = "default"
    """DefaultAzureCredential, Azure CLI login, managed identity, or a service principal from AZURE_* env."""
    managed_identity_client_id: str | None = None
    """Client id of a user-assigned managed identity (credential = 'managed_identity')."""
    arm_endpoint: str | None = None
    """Override the Resource Manager endpoint (sovereign/private clouds, tests)."""
    logs_endpoint: str | None = None
    """Override the Log Analytics query endpoint."""
    metrics_endpoint: str | None = None
    """Override the regional metrics endpoint (normally https://{region}.metrics.monitor.azure.com)."""
    durable_endpoint: str | None = None
    """Durable Task API base URL template; {app} and {host} are substituted. Default https://{host}."""
    durable_apps: list[str] = []
    """Function Apps running Durable Functions (their orchestrations are counted)."""
    durable_key_env: str | None = None
    """Name of an environment variable holding the durabletask_extension key; else fetched via ARM listkeys."""
    ca_bundle: str | None = None
    """A PEM file of extra trusted CAs (TLS-inspecting proxies, local emulators)."""
    retries: int = Field(default=1, ge=0, le=5)
    """Retries of transient failures (5xx, timeouts); throttling (429) is never retried inline."""
    discovery_ttl: Duration = "10m"
    """How long discovered Function Apps are cached."""
    price_per_gb_s: float = 0.000016
    """Execution price per GB-s (Consumption plan) used to turn FunctionExecutionUnits into USD."""
    cost_cache_dir: str | None = None
    """Directory of the on-disk cost cache; default: the user cache dir."""
    cost_cache_ttl: Annotated[Duration, _COST_TTL] = "6h"
    """How long a Cost Management answer is reused (at least 1h; the API is heavily throttled)."""
    events_max_calls: int = Field(default=20, ge=1, le=1000)
    """Activity Log and alert pages read per refresh for change events; settled hours are cached, so a
    long window fills in over a few refreshes."""

    @field_validator("resource_ids", "app_insights")
    @classmethod
    def _v_ids(cls, v: list[str]) -> list[str]:
        for rid in v:
            if not rid.lower().startswith("/subscriptions/"):
                raise ValueError(f"{rid!r} is not a resource id (it starts with /subscriptions/...)")
        return v

    def endpoints(self) -> CloudEndpoints:
        return CLOUDS[self.cloud]
