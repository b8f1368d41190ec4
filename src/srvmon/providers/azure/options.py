"""The `[providers.NAME] type = "azure"` option schema (ids, URLs and prices checked for shape) and the
per-cloud endpoints and token scopes."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Annotated, Literal

from pydantic import AfterValidator, Field, field_validator

from srvmon.providers.base import NetworkOptions
from srvmon.schema import Duration, NonEmptyStr, NonNegativeFloat, Url, duration_at_least

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


GUID = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")
_SEGMENT = r"[^/\s?#]+"
#: /subscriptions/<guid>/resourceGroups/<group>/providers/<Namespace>/<type>/<name>
RESOURCE_ID = re.compile(
    rf"^/subscriptions/(?P<sub>{_SEGMENT})/resourceGroups/(?P<rg>{_SEGMENT})/providers/"
    rf"(?P<ns>{_SEGMENT})/(?P<type>{_SEGMENT})/(?P<name>{_SEGMENT})$",
    re.I,
)
_RESOURCE_GROUP = re.compile(r"^[-\w.()]{0,89}[-\w()]$")
_REGION = re.compile(r"^[A-Za-z][A-Za-z0-9 ]{1,40}$")
_ENV_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,127}$")


def _guid(what: str, example: str) -> AfterValidator:
    def check(v: str) -> str:
        if not GUID.match(v):
            raise ValueError(f"{v!r} is not a {what} (a GUID such as {example})")
        return v.lower()

    return AfterValidator(check)


def resource_id_problem(rid: str, namespace: str, rtype: str, example: str) -> str | None:
    """Why `rid` is not the id of a `namespace/rtype` resource, or None when it is."""
    m = RESOURCE_ID.match(rid)
    if m is None or not GUID.match(m["sub"]) or not _RESOURCE_GROUP.match(m["rg"]):
        return (
            f"{rid!r} is not a resource id; write /subscriptions/<subscription GUID>/resourceGroups/"
            f"<group>/providers/{example}"
        )
    if (m["ns"].lower(), m["type"].lower()) != (namespace.lower(), rtype.lower()):
        return f"{rid!r} is a {m['ns']}/{m['type']}, not a {namespace}/{rtype}"
    return None


def _https(v: str) -> str:
    if not v.lower().startswith("https://"):
        raise ValueError(f"{v!r} must be an https:// URL: srvmon sends an Azure token to it")
    return v


def _durable_template(v: str) -> str:
    """{app} and {host} are the only placeholders; what they expand to must be an https URL."""
    from pydantic import TypeAdapter

    leftover = re.sub(r"\{(app|host)\}", "", v)
    if "{" in leftover or "}" in leftover:
        raise ValueError(f"{v!r}: only {{app}} and {{host}} may be substituted")
    sample = v.replace("{app}", "app").replace("{host}", "app.azurewebsites.net")
    TypeAdapter(Url).validate_python(sample)
    if not sample.lower().startswith("https://"):
        raise ValueError(f"{v!r} must be an https:// URL: the Durable Functions key is sent to it")
    return v.rstrip("/")


HttpsUrl = Annotated[Url, AfterValidator(_https)]
StrictInt = Annotated[int, Field(strict=True)]


class AzureOptions(NetworkOptions):
    """Options of an Azure provider instance. Credentials come from Azure's standard chains, never here."""

    subscription_id: Annotated[str, _guid("subscription id", "00000000-0000-0000-0000-000000000000")]
    """The subscription holding the Function Apps (a GUID)."""
    resource_groups: list[str] = []
    """Only look in these resource groups; empty = the whole subscription."""
    resource_ids: list[str] = []
    """Explicit Function App resource ids to watch (added to what discovery finds)."""
    name_patterns: list[NonEmptyStr] = []
    """Shell-style patterns (fnmatch) on Function App names, e.g. ["checkout-*"]; empty = all."""
    region: str | None = None
    """Default region (e.g. 'westeurope') for apps whose location is unknown."""
    app_insights: list[str] = []
    """Application Insights component resource ids: metric targets, and log sources when no workspace_id."""
    workspace_id: (
        Annotated[str, _guid("Log Analytics workspace id", "11111111-2222-3333-4444-555555555555")] | None
    ) = None
    """Log Analytics workspace id (GUID) of workspace-based App Insights (`AppRequests`...); logs come from it."""
    cloud: Literal["public", "china", "usgov"] = "public"
    """Which Azure cloud: endpoints, token scopes and portal links follow."""
    credential: Literal["default", "cli", "managed_identity", "environment"] = "default"
    """DefaultAzureCredential, Azure CLI login, managed identity, or a service principal from AZURE_* env."""
    managed_identity_client_id: (
        Annotated[str, _guid("client id", "22222222-3333-4444-5555-666666666666")] | None
    ) = None
    """Client id of a user-assigned managed identity (credential = 'managed_identity')."""
    arm_endpoint: HttpsUrl | None = None
    """Override the Resource Manager endpoint (sovereign/private clouds, tests); https only."""
    logs_endpoint: HttpsUrl | None = None
    """Override the Log Analytics query endpoint; https only."""
    metrics_endpoint: HttpsUrl | None = None
    """Override the regional metrics endpoint (normally https://{region}.metrics.monitor.azure.com)."""
    durable_endpoint: str | None = None
    """Durable Task API base URL template; {app} and {host} are substituted. Default https://{host}. A key
    read through ARM listkeys is only sent to the app's own host; for another host (a proxy, an
    emulator) give the key yourself with durable_key_env."""
    durable_apps: list[NonEmptyStr] = []
    """Function Apps running Durable Functions (their orchestrations are counted); empty = no Durable calls."""
    durable_key_env: str | None = None
    """Name of an environment variable holding the durabletask_extension system key. Unset: the key is
    read with ARM listkeys, which needs Microsoft.Web/sites/host/listkeys/action (more than Reader)."""
    ca_bundle: NonEmptyStr | None = None
    """A PEM file of extra trusted CAs (TLS-inspecting proxies, local emulators)."""
    retries: StrictInt = Field(default=1, ge=0, le=5)
    """Retries of transient failures (5xx, connection errors) inside the same `timeout`; throttling (429)
    is never retried inline: the next refresh waits for the server's Retry-After."""
    discovery_ttl: Duration = "10m"
    """How long discovered Function Apps are cached."""
    price_per_gb_s: NonNegativeFloat = 0.000016
    """Execution price per GB-s (Consumption plan) used to turn FunctionExecutionUnits into USD."""
    flex_price_per_gb_s: NonNegativeFloat = 0.000026
    """Flex Consumption on-demand execution price per GB-s (OnDemandFunctionExecutionUnits)."""
    flex_always_ready_price_per_gb_s: NonNegativeFloat = 0.000016
    """Flex Consumption always-ready execution price per GB-s (AlwaysReadyFunctionExecutionUnits)."""
    flex_baseline_price_per_gb_s: NonNegativeFloat = 0.000004
    """Flex Consumption always-ready baseline price per GB-s (AlwaysReadyUnits: instances kept ready)."""
    cost_cache_dir: str | None = None
    """Directory of the on-disk cost cache; default: the user cache dir."""
    cost_cache_ttl: Annotated[Duration, _COST_TTL] = "6h"
    """How long a Cost Management answer is reused (at least 1h; the API is heavily throttled)."""
    events_max_calls: int = Field(default=20, ge=1, le=1000)
    """Activity Log and alert pages read per refresh for change events; settled hours are cached, so a
    long window fills in over a few refreshes."""

    @field_validator("resource_ids")
    @classmethod
    def _v_sites(cls, v: list[str]) -> list[str]:
        for rid in v:
            problem = resource_id_problem(rid, "Microsoft.Web", "sites", "Microsoft.Web/sites/<app>")
            if problem:
                raise ValueError(problem)
        return v

    @field_validator("app_insights")
    @classmethod
    def _v_components(cls, v: list[str]) -> list[str]:
        for rid in v:
            problem = resource_id_problem(
                rid, "microsoft.insights", "components", "microsoft.insights/components/<name>"
            )
            if problem:
                raise ValueError(problem)
        return v

    @field_validator("resource_groups")
    @classmethod
    def _v_groups(cls, v: list[str]) -> list[str]:
        for rg in v:
            if not _RESOURCE_GROUP.match(rg):
                raise ValueError(
                    f"{rg!r} is not a resource group name (1-90 letters, digits, - _ . ( ), not ending in .)"
                )
        return v

    @field_validator("region")
    @classmethod
    def _v_region(cls, v: str | None) -> str | None:
        if v is not None and not _REGION.match(v):
            raise ValueError(f"{v!r} is not an Azure region name (e.g. westeurope, eastus2)")
        return v

    @field_validator("durable_key_env")
    @classmethod
    def _v_env(cls, v: str | None) -> str | None:
        if v is not None and not _ENV_NAME.match(v):
            raise ValueError(f"{v!r} is not an environment variable name (letters, digits, _)")
        return v

    @field_validator("durable_endpoint")
    @classmethod
    def _v_durable(cls, v: str | None) -> str | None:
        return None if v is None else _durable_template(v)

    def endpoints(self) -> CloudEndpoints:
        return CLOUDS[self.cloud]
