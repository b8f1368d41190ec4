"""`[providers.NAME] type = "prometheus"` options: endpoint, auth from the environment, TLS, detection."""

from __future__ import annotations

import re
from typing import Annotated, Literal

from pydantic import AfterValidator, Field, field_validator

from srvmon.model import parse_duration
from srvmon.providers.base import NetworkOptions
from srvmon.providers.prometheus.loki import check_selector
from srvmon.schema import Duration, HeaderMap, NonEmptyStr, PositiveFloat, Url

_ENV_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,127}$")
_LABEL = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


def _scrape(v: str) -> str:
    if not 1 <= parse_duration(v) <= 3600:
        raise ValueError(f"scrape_interval {v!r} must be between 1s and 1h")
    return v


def _label(v: str) -> str:
    if not _LABEL.match(v):
        raise ValueError(f"{v!r} is not a Prometheus/Loki label name (letters, digits, _)")
    return v


ScrapeInterval = Annotated[Duration, AfterValidator(_scrape)]
LabelName = Annotated[str, AfterValidator(_label)]


class PrometheusOptions(NetworkOptions):
    """Where Prometheus (or Thanos, Mimir, Cortex, VictoriaMetrics) answers, and how to reach it."""

    url: Url
    """Base URL of the Prometheus HTTP API, e.g. http://prometheus:9090 (no /api/v1)."""
    bearer_token_env: str | None = None
    """Name of the environment variable holding a bearer token (the token never lives in config)."""
    basic_auth_user_env: str | None = None
    """Environment variable holding the basic-auth user name."""
    basic_auth_password_env: str | None = None
    """Environment variable holding the basic-auth password."""
    verify_tls: bool = True
    """Verify the server's TLS certificate."""
    ca_file: str | None = None
    """PEM file of the CA that signed the server's certificate (implies verification)."""
    headers: HeaderMap = {}
    """Extra request headers, e.g. {"X-Scope-OrgID" = "tenant-1"} for Mimir/Cortex/Loki tenants."""
    scrape_interval: ScrapeInterval = "60s"
    """The scrape interval of the metrics queried; sets $__rate_interval (>= 4 scrapes)."""
    concurrency: int = Field(default=4, ge=1, le=32, strict=True)
    """How many queries run at once against the server."""
    alertmanager_url: Url | None = None
    """Alertmanager base URL; when set, alarms come from its /api/v2/alerts instead of Prometheus rules."""
    loki_url: Url | None = None
    """Loki base URL for log drill-down (LogQL); unset = no logs."""
    loki_selector: str = '{job=~".+"}'
    """LogQL stream selector every log query starts from, e.g. {namespace="openfaas-fn"}."""
    loki_resource_label: LabelName = "function"
    """Loki stream label naming the function/service (e.g. function, service_name, app)."""
    max_scale: PositiveFloat = 20
    """Replica ceiling for the `max_scale` capacity limit (OpenFaaS com.openfaas.scale.max default 20;
    Knative autoscaling.knative.dev/max-scale)."""
    replicas_query: NonEmptyStr | None = None
    """PromQL returning replicas per function for the `max_scale` limit; unset = detect
    (OpenFaaS gateway_service_count, Knative kn_revision_pods_count / autoscaler_actual_pods)."""
    detect: bool = True
    """Resolve `{promql, fallback}` queries against the metric names the server has (cached 5 min)."""
    preset: Literal["openfaas", "knative", "fn"] = "openfaas"
    """The board shown when the config has no [[boards]]: which FaaS platform this server watches."""

    @field_validator("loki_selector")
    @classmethod
    def _v_selector(cls, v: str) -> str:
        return check_selector(v)

    @field_validator("bearer_token_env", "basic_auth_user_env", "basic_auth_password_env")
    @classmethod
    def _v_env(cls, v: str | None) -> str | None:
        if v is not None and not _ENV_NAME.match(v):
            raise ValueError(f"{v!r} is not an environment variable name (letters, digits, _)")
        return v

    @property
    def scrape_s(self) -> int:
        return parse_duration(self.scrape_interval)
