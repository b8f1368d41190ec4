"""`[providers.NAME] type = "prometheus"` options: endpoint, auth from the environment, TLS, detection."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from srvmon.model import parse_duration
from srvmon.providers.base import NetworkOptions
from srvmon.schema import Duration, HeaderMap, PositiveFloat, Url


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
    scrape_interval: Duration = "60s"
    """The scrape interval of the metrics queried; sets $__rate_interval (>= 4 scrapes)."""
    concurrency: int = Field(default=4, ge=1, le=32)
    """How many queries run at once against the server."""
    alertmanager_url: Url | None = None
    """Alertmanager base URL; when set, alarms come from its /api/v2/alerts instead of Prometheus rules."""
    loki_url: Url | None = None
    """Loki base URL for log drill-down (LogQL); unset = no logs."""
    loki_selector: str = '{job=~".+"}'
    """LogQL stream selector every log query starts from, e.g. {namespace="openfaas-fn"}."""
    loki_resource_label: str = "function"
    """Loki stream label naming the function/service (e.g. function, service_name, app)."""
    max_scale: PositiveFloat = 20
    """Replica ceiling for the `max_scale` capacity limit (OpenFaaS com.openfaas.scale.max default 20;
    Knative autoscaling.knative.dev/max-scale)."""
    replicas_query: str | None = None
    """PromQL returning replicas per function for the `max_scale` limit; unset = detect
    (OpenFaaS gateway_service_count, Knative kn_revision_pods_count / autoscaler_actual_pods)."""
    detect: bool = True
    """Resolve `{promql, fallback}` queries against the metric names the server has (cached 5 min)."""
    preset: Literal["openfaas", "knative", "fn"] = "openfaas"
    """The board shown when the config has no [[boards]]: which FaaS platform this server watches."""

    @property
    def scrape_s(self) -> int:
        return parse_duration(self.scrape_interval)
