"""Prometheus provider package: PromQL metrics for self-hosted FaaS (OpenFaaS, Knative, Fn) and any exporter.

Panel queries are PromQL strings with $__interval / $__rate_interval / $__range, or
`{promql = "...", fallback = "..." | [...]}` resolved against the server's metric names (detect.py).
"""

from srvmon.providers.prometheus.provider import PrometheusProvider

__all__ = ["PrometheusProvider"]
