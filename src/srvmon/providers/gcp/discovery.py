"""Cloud Run services (Admin API v2 services.list) and Cloud Functions (API v2 functions.list): read-only,
paged, bounded, cached for `discovery_ttl`."""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from fnmatch import fnmatchcase
from typing import Any, Literal

from srvmon.providers.base import ProviderError

from .auth import GoogleApi
from .options import GcpOptions

#: Pages read per list call at most (100 items a page): 2,000 services or functions per project/region.
MAX_PAGES = 20
PAGE_SIZE = 100
#: Cloud Run's max instances when a service does not set one.
RUN_DEFAULT_MAX_INSTANCES = 100


@dataclass(frozen=True, slots=True)
class Workload:
    """One Cloud Run service or Cloud Function."""

    kind: Literal["run", "function"]
    name: str
    project: str
    region: str
    generation: Literal["run", "gen1", "gen2"]
    service: str | None = None
    """The Cloud Run service a gen2 function runs as (its metrics and logs are the service's)."""
    vcpu: float | None = None
    memory_gib: float | None = None
    max_instances: int | None = None
    concurrency: int | None = None
    timeout_s: float | None = None
    uri: str | None = None

    @property
    def metrics_name(self) -> str:
        """The name its metrics carry: service_name for Cloud Run and gen2, function_name for gen1."""
        return self.service or self.name


def parse_cpu(text: Any) -> float | None:
    """'1', '2', '1000m', '0.5' -> vCPUs."""
    s = str(text or "").strip()
    try:
        return float(s[:-1]) / 1000 if s.endswith("m") else float(s)
    except ValueError:
        return None


_MEM = re.compile(r"^([0-9.]+)\s*(Ki|Mi|Gi|Ti|k|K|M|G|T)?$")
_MEM_UNITS = {None: 1, "k": 1e3, "K": 1e3, "M": 1e6, "G": 1e9, "T": 1e12,
              "Ki": 2**10, "Mi": 2**20, "Gi": 2**30, "Ti": 2**40}  # fmt: skip


def parse_memory_gib(text: Any) -> float | None:
    """Kubernetes-style quantities ('512Mi', '1Gi', '256M', bytes) -> GiB."""
    m = _MEM.match(str(text or "").strip())
    if not m:
        return None
    return float(m.group(1)) * _MEM_UNITS[m.group(2)] / 2**30


def _seconds(text: Any) -> float | None:
    s = str(text or "")
    try:
        return float(s[:-1]) if s.endswith("s") else (float(s) if s else None)
    except ValueError:
        return None


def _int(v: Any) -> int | None:
    try:
        return int(v) if v not in (None, "") else None
    except (TypeError, ValueError):
        return None


def _parts(name: str) -> tuple[str, str, str]:
    """projects/P/locations/L/(services|functions)/N -> (P, L, N)."""
    bits = str(name).split("/")
    if len(bits) == 6 and bits[0] == "projects" and bits[2] == "locations":
        return bits[1], bits[3], bits[5]
    return "", "", str(name).rsplit("/", 1)[-1]


def service_workload(item: Mapping[str, Any]) -> Workload:
    """A v2 Service resource -> Workload."""
    project, region, name = _parts(item.get("name", ""))
    template = item.get("template") or {}
    containers = template.get("containers") or [{}]
    limits = (containers[0].get("resources") or {}).get("limits") or {}
    scaling = template.get("scaling") or {}
    max_inst = _int(scaling.get("maxInstanceCount")) or _int(
        (item.get("scaling") or {}).get("maxInstanceCount")
    )
    return Workload(
        "run", name, project, region, "run",
        vcpu=parse_cpu(limits.get("cpu") or "1"),
        memory_gib=parse_memory_gib(limits.get("memory") or "512Mi"),
        max_instances=max_inst or RUN_DEFAULT_MAX_INSTANCES,
        concurrency=_int(template.get("maxInstanceRequestConcurrency")),
        timeout_s=_seconds(template.get("timeout")),
        uri=item.get("uri"),
    )  # fmt: skip


def function_workload(item: Mapping[str, Any]) -> Workload:
    """A v2 Function resource (gen1 or gen2) -> Workload."""
    project, region, name = _parts(item.get("name", ""))
    cfg = item.get("serviceConfig") or {}
    gen2 = item.get("environment") != "GEN_1"
    service = _parts(cfg["service"])[2] if gen2 and cfg.get("service") else None
    return Workload(
        "function", name, project, region, "gen2" if gen2 else "gen1", service,
        vcpu=parse_cpu(cfg.get("availableCpu")) if cfg.get("availableCpu") else None,
        memory_gib=parse_memory_gib(cfg.get("availableMemory") or "256M"),
        max_instances=_int(cfg.get("maxInstanceCount")) or None,
        concurrency=_int(cfg.get("maxInstanceRequestConcurrency")),
        timeout_s=float(cfg["timeoutSeconds"]) if cfg.get("timeoutSeconds") else None,
        uri=cfg.get("uri") or item.get("url"),
    )  # fmt: skip


class Discovery:
    """Lists workloads per project (all regions, or each configured one), keeps those the globs select."""

    def __init__(self, api: GoogleApi, opts: GcpOptions, now: Callable[[], float] = time.monotonic) -> None:
        self.api, self.opts, self.now = api, opts, now
        self._lock = threading.Lock()
        self._cached: tuple[float, list[Workload], list[str]] | None = None

    def workloads(self, refresh: bool = False) -> list[Workload]:
        """Every selected service and function; ProviderError when no project could be listed."""
        with self._lock:
            fresh = self._cached and self.now() - self._cached[0] < self.opts.discovery_ttl_s
            if self._cached is None or refresh or not fresh:
                found, warnings = self._list()
                self._cached = (self.now(), found, warnings)
            return list(self._cached[1])

    def warnings(self) -> list[str]:
        return list(self._cached[2]) if self._cached else []

    def _list(self) -> tuple[list[Workload], list[str]]:
        found: list[Workload] = []
        errors: list[str] = []
        calls = 0
        locations = self.opts.regions or ["-"]
        for project in self.opts.projects:
            for loc in locations:
                for what, url, key, make in (
                    ("services", f"{self.opts.run_endpoint}/v2/projects/{project}/locations/{loc}/services",
                     "services", service_workload),
                    ("functions", f"{self.opts.functions_endpoint}/v2/projects/{project}/locations/{loc}/functions",
                     "functions", function_workload),
                ):  # fmt: skip
                    calls += 1
                    try:
                        for item in self._pages(url, key, f"{what}.list", errors):
                            found.append(make(item))
                    except ProviderError as exc:
                        if getattr(exc, "throttled", False):
                            raise
                        errors.append(f"{project} {what}: {exc}")
        if errors and len(errors) >= calls:
            raise ProviderError("; ".join(errors))
        return [w for w in found if self.selected(w)], errors

    def _pages(self, url: str, key: str, operation: str, notes: list[str]) -> Iterator[Mapping[str, Any]]:
        token: str | None = None
        for _ in range(MAX_PAGES):
            params = {"pageSize": str(PAGE_SIZE), **({"pageToken": token} if token else {})}
            body = self.api.request("GET", url, operation, params=params)
            for item in body.get(key) or [] if isinstance(body, Mapping) else []:
                if isinstance(item, Mapping):
                    yield item
            for where in body.get("unreachable") or [] if isinstance(body, Mapping) else []:
                notes.append(f"{operation}: {where} was unreachable")
            token = body.get("nextPageToken") if isinstance(body, Mapping) else None
            if not token:
                return
        notes.append(f"{operation}: stopped after {MAX_PAGES} pages of {PAGE_SIZE}")

    def selected(self, w: Workload) -> bool:
        """Kept by include/exclude (name or its Cloud Run service name) and regions."""
        names = {w.name, w.metrics_name}
        o = self.opts
        if o.regions and w.region not in o.regions:
            return False
        if o.include and not any(fnmatchcase(n, g) for n in names for g in o.include):
            return False
        return not any(fnmatchcase(n, g) for n in names for g in o.exclude)
