"""Prometheus provider package: PromQL metrics for self-hosted FaaS (OpenFaaS, Knative, Fn) and any exporter.

Config::

    [providers.faas]
    type = "prometheus"
    url = "http://prometheus.monitoring:9090"      # Thanos / Mimir / Cortex / VictoriaMetrics work too
    bearer_token_env = "PROM_TOKEN"                # optional; the token itself stays in the environment
    headers = { "X-Scope-OrgID" = "team-a" }       # optional tenant header
    alertmanager_url = "http://alertmanager:9093"  # optional; else alarms = Prometheus alerting rules
    loki_url = "http://loki:3100"                  # optional log drill-down (LogQL)
    max_scale = 20                                 # ceiling for the `max_scale` capacity limit

Panel queries:

* a PromQL string. `$__interval` (the window step), `$__rate_interval` (max(step + scrape,
  4 x scrape)), `$__range` (the window length) and their `_s` forms (plain seconds) are filled in.
  Each bucket [t, t+step) is evaluated at t+step, so `increase(x[$__interval])` is that bucket's
  count. `group_by` names the labels that identify a series (they become its labels); series the
  query leaves with equal group labels are summed. The compare overlay runs the same PromQL over the
  shifted window (no `offset` is pasted into it).
* `{promql = "...", fallback = "..." | ["...", ...]}`: candidates for servers with different metric
  names (Knative OpenCensus vs OpenTelemetry, Fn fn_api_* vs fn_*). The first candidate whose every
  metric name exists on the server runs (detect.py); with none, the first.

User text that goes into PromQL or LogQL passes through promql.quote / promql.regex_escape.
"""

from srvmon.providers.prometheus.provider import PrometheusProvider

__all__ = ["PrometheusProvider"]
