"""`[providers.NAME] type = "gcp"` options: projects, regions, name globs, endpoints, prices (shape-checked)."""

from __future__ import annotations

import re
from typing import Annotated

from pydantic import AfterValidator, Field, field_validator

from srvmon.model import parse_duration
from srvmon.providers.base import NetworkOptions
from srvmon.schema import Duration, NonNegativeFloat, Url

#: A project id: 6-30 lowercase letters, digits and hyphens, starting with a letter, not ending with a
#: hyphen; legacy domain-scoped ids ("example.com:my-project") keep their domain prefix.
PROJECT_ID = re.compile(r"^(?:[a-z0-9][a-z0-9.-]{0,61}[a-z0-9]:)?[a-z][a-z0-9-]{4,28}[a-z0-9]$")
#: A Google Cloud region, e.g. europe-west1, us-central1, northamerica-northeast2.
REGION = re.compile(r"^[a-z]+(?:-[a-z]+)+[0-9]{1,2}$")
#: A service name as Service Usage spells it (for quota_services), e.g. appengine.googleapis.com.
SERVICE = re.compile(r"^[a-z0-9][a-z0-9.-]*\.[a-z]{2,}$")
#: Glob patterns: printable, no quotes or backslashes (they become PromQL/Logging regexes).
GLOB = re.compile(r"^[A-Za-z0-9_.*?\[\]!\-]{1,128}$")
_LOOPBACK = ("127.0.0.1", "localhost", "::1", "[::1]")


def _project(v: str) -> str:
    if not PROJECT_ID.match(v):
        raise ValueError(
            f"{v!r} is not a Google Cloud project id (6-30 lowercase letters, digits and hyphens, "
            "starting with a letter), e.g. shop-prod-123456; use the id, not the display name or number"
        )
    return v


def _region(v: str) -> str:
    if not REGION.match(v):
        raise ValueError(f"{v!r} is not a Google Cloud region; write e.g. europe-west1 or us-central1")
    return v


def _glob(v: str) -> str:
    if not GLOB.match(v):
        raise ValueError(
            f"{v!r} is not a name pattern: use letters, digits, - _ . and the globs * ? [...] only"
        )
    return v


def _service(v: str) -> str:
    if not SERVICE.match(v):
        raise ValueError(f"{v!r} is not a service name; write e.g. appengine.googleapis.com")
    return v


ProjectId = Annotated[str, AfterValidator(_project)]
Region = Annotated[str, AfterValidator(_region)]
Glob = Annotated[str, AfterValidator(_glob)]
ServiceName = Annotated[str, AfterValidator(_service)]


def _secure(v: str) -> str:
    """The bearer token only travels over TLS; plain http only to this machine (emulators, tests)."""
    from urllib.parse import urlsplit

    parts = urlsplit(v)
    if parts.scheme != "https" and (parts.hostname or "") not in _LOOPBACK:
        raise ValueError(f"{v!r}: Google APIs carry a bearer token, so the endpoint must be https://")
    if parts.path not in ("", "/") or parts.query:
        raise ValueError(f"{v!r}: give the API's origin only (scheme, host, port), without a path")
    return v


GoogleUrl = Annotated[Url, AfterValidator(_secure)]


class GcpOptions(NetworkOptions):
    """Google Cloud: Cloud Run services and Cloud Functions (gen1, gen2) in one or more projects.

    Credentials come from google-auth's standard chain (Application Default Credentials: the file named
    by GOOGLE_APPLICATION_CREDENTIALS, `gcloud auth application-default login`, the metadata server);
    nothing secret lives here."""

    projects: list[ProjectId] = Field(min_length=1, max_length=50)
    """Project ids whose Cloud Run services and Cloud Functions are watched (metrics, logs, discovery)."""
    regions: list[Region] = []
    """Only these regions (e.g. ["europe-west1"]); empty = every region."""
    include: list[Glob] = []
    """Glob patterns of service/function names to keep, e.g. ["checkout-*"]; empty = all."""
    exclude: list[Glob] = []
    """Glob patterns of names dropped after `include`, e.g. ["*-canary"]."""
    metrics_scope_project: ProjectId | None = None
    """A scoping project whose metrics scope holds every project above: PromQL then goes to it once
    (filtered to `projects`) instead of once per project."""
    credentials_file: str | None = None
    """A service-account or authorized-user JSON file to use instead of the default chain (a path; the
    file itself stays outside the config)."""
    quota_project: ProjectId | None = None
    """The project billed for API quota (x-goog-user-project), needed with user credentials on some APIs."""
    quota_services: list[ServiceName] = []
    """Services whose quotas feed the quota gauges, e.g. ["appengine.googleapis.com"]; empty = all."""
    monitoring_endpoint: GoogleUrl = "https://monitoring.googleapis.com"
    """Cloud Monitoring (PromQL at /v1/projects/P/location/global/prometheus, alert policies at /v3)."""
    run_endpoint: GoogleUrl = "https://run.googleapis.com"
    """Cloud Run Admin API v2 (services.list)."""
    functions_endpoint: GoogleUrl = "https://cloudfunctions.googleapis.com"
    """Cloud Functions API v2 (functions.list; lists gen1 and gen2 functions)."""
    logging_endpoint: GoogleUrl = "https://logging.googleapis.com"
    """Cloud Logging API v2 (entries:list)."""
    ca_bundle: str | None = None
    """A PEM file of extra trusted CAs (TLS-inspecting proxies, local test servers)."""
    concurrency: int = Field(default=4, ge=1, le=32)
    """Requests in flight at once (queries x projects)."""
    scrape_interval: Duration = "60s"
    """How often the queried metrics are sampled (Cloud Run and Functions: 60 s); sets $__rate_interval."""
    discovery_ttl: Duration = "10m"
    """How long the lists of services and functions are reused."""
    logs_max_pages: int = Field(default=5, ge=1, le=50)
    """entries:list pages read per drill-down at most (Logging allows 60 reads a minute per project)."""
    price_per_vcpu_s: NonNegativeFloat = 0.000024
    """USD per vCPU-second for the cost estimate (Cloud Run and gen2 list price, request-based billing,
    tier 1; instance-based billing is 0.000018)."""
    price_per_gib_s: NonNegativeFloat = 0.0000025
    """USD per GiB-second of memory (Cloud Run / gen2; also gen1's per GB-second price)."""
    price_per_ghz_s: NonNegativeFloat = 0.00001
    """USD per GHz-second of CPU for gen1 functions (tier 1)."""

    @field_validator("regions", "projects", "include", "exclude", "quota_services")
    @classmethod
    def _v_unique(cls, v: list[str]) -> list[str]:
        seen = sorted({x for x in v if v.count(x) > 1})
        if seen:
            raise ValueError(f"listed twice: {', '.join(seen)}")
        return v

    @property
    def scrape_s(self) -> int:
        return parse_duration(self.scrape_interval)

    @property
    def discovery_ttl_s(self) -> int:
        return parse_duration(self.discovery_ttl)

    def metric_projects(self) -> list[str]:
        """The projects whose PromQL endpoint is asked."""
        return [self.metrics_scope_project] if self.metrics_scope_project else list(self.projects)
