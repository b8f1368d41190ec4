"""Discovery of the Function Apps in scope (sites of kind functionapp) with plan and runtime, TTL-cached."""

from __future__ import annotations

import fnmatch
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from srvmon.clock import Clock
from srvmon.model import parse_duration

from .arm import ArmClient
from .options import AzureOptions

WEB_API = "2023-12-01"
INSIGHTS_API = "2020-02-02"
#: Scale-out ceilings Azure documents when an app sets no limit: Consumption on Windows 200, on Linux
#: 100; Flex Consumption's maximumInstanceCount defaults to 100.
DEFAULT_MAX_INSTANCES = {"Consumption": 200, "Consumption/linux": 100, "Flex": 100}


@dataclass(frozen=True)
class FunctionApp:
    """One Function App as srvmon needs it."""

    id: str
    name: str
    resource_group: str
    subscription: str
    region: str  # normalised: "westeurope"
    host: str  # default host name, e.g. checkout.azurewebsites.net
    plan: str  # Consumption | Flex | Premium | Dedicated
    sku: str
    runtime: str
    min_instances: int | None
    max_instances: int | None
    state: str = ""
    host_names: tuple[str, ...] = ()  # every host name bound to the app (default and custom domains)
    os: str = ""  # "linux" | "windows"


def normalise_region(location: str) -> str:
    """'West Europe' -> 'westeurope' (metrics endpoints use the short form)."""
    return "".join(str(location).split()).lower()


def parse_resource_id(rid: str) -> dict[str, str]:
    """subscription, resource_group and name out of an ARM resource id (case-insensitive keys)."""
    parts = [p for p in rid.split("/") if p]
    out: dict[str, str] = {}
    for i in range(0, len(parts) - 1):
        key = parts[i].lower()
        if key == "subscriptions":
            out["subscription"] = parts[i + 1]
        elif key == "resourcegroups":
            out["resource_group"] = parts[i + 1]
    if parts:
        out["name"] = parts[-1]
    return out


def _plan_of(site: Mapping[str, Any], farm: Mapping[str, Any] | None) -> tuple[str, str]:
    props = site.get("properties") or {}
    sku = farm.get("sku") or {} if farm else {}
    tier = str(sku.get("tier") or props.get("sku") or "")
    name = str(sku.get("name") or "")
    if props.get("functionAppConfig") or tier == "FlexConsumption" or name.upper() == "FC1":
        return "Flex", name or "FC1"
    if tier == "Dynamic" or name.upper() == "Y1":
        return "Consumption", name or "Y1"
    if tier == "ElasticPremium" or name.upper().startswith("EP"):
        return "Premium", name
    return "Dedicated", name or tier


def _int(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def _runtime_of(props: Mapping[str, Any]) -> str:
    fac = props.get("functionAppConfig") or {}
    rt = fac.get("runtime") or {}
    if rt.get("name"):
        return f"{rt.get('name')} {rt.get('version') or ''}".strip()
    cfg = props.get("siteConfig") or {}
    fx = str(cfg.get("linuxFxVersion") or "")
    if "|" in fx:
        lang, _, ver = fx.partition("|")
        return f"{lang.lower()} {ver}".strip()
    for key, label in (
        ("powerShellVersion", "powershell"),
        ("nodeVersion", "node"),
        ("pythonVersion", "python"),
        ("javaVersion", "java"),
    ):
        if cfg.get(key):
            return f"{label} {cfg[key]}"
    return "unknown"


def os_of(site: Mapping[str, Any], farm: Mapping[str, Any] | None) -> str:
    """'linux' when the site kind or its plan says so (kind 'functionapp,linux', reserved = true)."""
    props = site.get("properties") or {}
    kinds = f"{site.get('kind') or ''},{(farm or {}).get('kind') or ''}".lower()
    reserved = props.get("reserved") is True or ((farm or {}).get("properties") or {}).get("reserved") is True
    return "linux" if "linux" in kinds or reserved else "windows"


def _scale_of(
    plan: str, props: Mapping[str, Any], farm: Mapping[str, Any] | None, os: str = "windows"
) -> tuple[int | None, int | None]:
    cfg = props.get("siteConfig") or {}
    limit = _int(cfg.get("functionAppScaleLimit")) or None
    if plan == "Flex":
        sc = (props.get("functionAppConfig") or {}).get("scaleAndConcurrency") or {}
        ready = sum(
            _int(a.get("instanceCount")) or 0 for a in sc.get("alwaysReady") or [] if isinstance(a, dict)
        )
        return ready, _int(sc.get("maximumInstanceCount")) or DEFAULT_MAX_INSTANCES["Flex"]
    if plan == "Consumption":
        ceiling = DEFAULT_MAX_INSTANCES["Consumption/linux" if os == "linux" else "Consumption"]
        return 0, min(limit, ceiling) if limit else ceiling
    if plan == "Premium":
        fprops = (farm or {}).get("properties") or {}
        mx = _int(fprops.get("maximumElasticWorkerCount"))
        if limit and mx:
            mx = min(mx, limit)
        mn = _int(cfg.get("minimumElasticInstanceCount")) or _int(
            ((farm or {}).get("sku") or {}).get("capacity")
        )
        return mn, mx or limit
    fprops = (farm or {}).get("properties") or {}
    workers = _int(((farm or {}).get("sku") or {}).get("capacity")) or _int(fprops.get("numberOfWorkers"))
    return workers, workers


def function_app_from(
    site: Mapping[str, Any], farm: Mapping[str, Any] | None, default_region: str | None
) -> FunctionApp:
    """Build a FunctionApp from an ARM site (and its server farm, when known)."""
    rid = str(site.get("id") or "")
    ids = parse_resource_id(rid)
    props = site.get("properties") or {}
    plan, sku = _plan_of(site, farm)
    os = "linux" if plan == "Flex" else os_of(site, farm)
    mn, mx = _scale_of(plan, props, farm, os)
    name = str(site.get("name") or ids.get("name") or "")
    names = props.get("hostNames")
    host_names = tuple(str(h) for h in names if isinstance(h, str)) if isinstance(names, list) else ()
    return FunctionApp(
        id=rid,
        name=name,
        resource_group=str(props.get("resourceGroup") or ids.get("resource_group") or ""),
        subscription=ids.get("subscription", ""),
        region=normalise_region(str(site.get("location") or default_region or "")),
        host=str(props.get("defaultHostName") or ""),
        plan=plan,
        sku=sku,
        runtime=_runtime_of(props),
        min_instances=mn,
        max_instances=mx,
        state=str(props.get("state") or ""),
        host_names=host_names,
        os=os,
    )


class Discovery:
    """Lists Function Apps in scope; answers from a cache for `discovery_ttl`."""

    def __init__(self, arm: ArmClient, options: AzureOptions, clock: Clock) -> None:
        self.arm = arm
        self.options = options
        self.clock = clock
        self.ttl_s = parse_duration(options.discovery_ttl)
        self._lock = threading.Lock()
        self._apps: list[FunctionApp] | None = None
        self._components: list[FunctionApp] | None = None
        self._at: datetime | None = None

    def apps(self, *, refresh: bool = False) -> list[FunctionApp]:
        with self._lock:
            now = self.clock.now()
            fresh = self._at is not None and (now - self._at).total_seconds() < self.ttl_s
            if self._apps is None or refresh or not fresh:
                self._apps = self._discover()
                self._components = None
                self._at = now
            return list(self._apps)

    def components(self) -> list[FunctionApp]:
        """The configured App Insights components (as metric targets; region from ARM)."""
        self.apps()
        with self._lock:
            if self._components is None:
                comps = []
                for rid in self.options.app_insights:
                    body = self.arm.get(rid, {"api-version": INSIGHTS_API}, operation="GetComponent") or {}
                    ids = parse_resource_id(rid)
                    comps.append(
                        FunctionApp(
                            id=rid,
                            name=str(body.get("name") or ids.get("name", "")),
                            resource_group=ids.get("resource_group", ""),
                            subscription=ids.get("subscription", ""),
                            region=normalise_region(str(body.get("location") or self.options.region or "")),
                            host="",
                            plan="AppInsights",
                            sku="",
                            runtime="",
                            min_instances=None,
                            max_instances=None,
                        )
                    )
                self._components = comps
            return list(self._components)

    def by_name(self, name: str) -> FunctionApp | None:
        for app in self.apps():
            if app.name.lower() == name.lower():
                return app
        return None

    def _scopes(self) -> list[str]:
        sub = f"/subscriptions/{self.options.subscription_id}"
        if self.options.resource_groups:
            return [f"{sub}/resourceGroups/{rg}" for rg in self.options.resource_groups]
        return [sub]

    def _discover(self) -> list[FunctionApp]:
        sites: dict[str, dict[str, Any]] = {}
        farms: dict[str, dict[str, Any]] = {}
        params = {"api-version": WEB_API}
        for scope in self._scopes():
            for site in self.arm.list(
                f"{scope}/providers/Microsoft.Web/sites", params, operation="ListSites"
            ):
                if "functionapp" in str(site.get("kind") or "").lower():
                    sites[str(site.get("id", "")).lower()] = site
            for farm in self.arm.list(
                f"{scope}/providers/Microsoft.Web/serverfarms", params, operation="ListPlans"
            ):
                farms[str(farm.get("id", "")).lower()] = farm
        for rid in self.options.resource_ids:
            if rid.lower() not in sites:
                site = self.arm.get(rid, params, operation="GetSite")
                if isinstance(site, dict):
                    sites[rid.lower()] = site
        apps = []
        for site in sites.values():
            farm_id = str((site.get("properties") or {}).get("serverFarmId") or "").lower()
            app = function_app_from(site, farms.get(farm_id), self.options.region)
            explicit = app.id.lower() in {r.lower() for r in self.options.resource_ids}
            if explicit or self._wanted(app.name):
                apps.append(app)
        return sorted(apps, key=lambda a: a.name.lower())

    def _wanted(self, name: str) -> bool:
        pats = self.options.name_patterns
        return not pats or any(fnmatch.fnmatchcase(name.lower(), p.lower()) for p in pats)
