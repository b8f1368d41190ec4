"""Google Cloud provider package: Cloud Run services and Cloud Functions (gen1, gen2) in one or more projects.

Config::

    [providers.gcp]
    type = "gcp"
    projects = ["shop-prod-123456"]        # project ids (not display names)
    regions = ["europe-west1"]             # optional; default every region
    include = ["checkout-*"]               # optional name globs; exclude = ["*-canary"]

Credentials: google-auth's standard chain (GOOGLE_APPLICATION_CREDENTIALS, `gcloud auth
application-default login`, the metadata server) or `credentials_file`. Calls (all read-only):
Cloud Monitoring's PromQL API (`GET /v1/projects/P/location/global/prometheus/api/v1/query_range`,
`.../api/v1/query`), alert policies (`GET /v3/projects/P/alertPolicies`), Cloud Run Admin API v2
`services.list`, Cloud Functions API v2 `functions.list`, Cloud Logging `POST /v2/entries:list`.
IAM: roles/monitoring.viewer, roles/run.viewer, roles/cloudfunctions.viewer, roles/logging.viewer.

Panel queries (validated when the config is loaded):

* ``FAMILY:METRIC`` optionally followed by ``{label op "value", ...}`` (ops = != =~ !~) - a catalogued
  metric of Cloud Run (``run:``, also gen2 functions) or Cloud Functions gen1 (``functions:``); the
  metric is the Cloud Monitoring type without its domain, e.g. ``run:request_count``,
  ``run:request_latencies``, ``run:container/instance_count``, ``run:container/max_request_concurrencies``,
  ``run:container/billable_instance_time``, ``run:container/startup_latencies``,
  ``functions:function/execution_count{status!="ok"}``, ``functions:function/execution_times``,
  ``functions:function/active_instances``, ``functions:function/user_memory_bytes`` (gcp/promql.py CATALOG).
  It runs as PromQL on the mapped name (``run_googleapis_com:request_count``: first ``/`` -> ``:``,
  other specials -> ``_``; distributions as ``_bucket/_sum/_count``) with the configured selection
  (include/exclude, regions) added as matchers. ``stat``: counters ``rate`` (per second, default) or
  ``sum`` (per bucket); gauges ``sum`` (default), ``avg``, ``max``, ``min``; distributions ``avg``
  (default), ``pNN`` (``p50``, ``p95``, ``p99``, ``p99.9``: histogram_quantile), ``rate``/``count``
  (observations per second / per bucket; startup_latencies ``count`` = cold starts) and ``sum``.
  Units: latencies in ms (gen1 execution_times converted from ns), memory in bytes.
  ``group_by`` takes label names or the aliases ``service`` (service_name / function_name),
  ``region`` (location / region), ``project`` (project_id), which also name the result labels.
* ``run:instances_pct`` - each Cloud Run service's instances in % of its max instances (discovery),
  the busiest kept per group (``group_by = ["service"]`` lists them).
* ``quota:usage_pct`` - quota use in % of its limit (serviceruntime.googleapis.com/quota/*: allocation
  quotas now, per-minute rate quotas over $__rate_interval), max over quotas; ``group_by = ["quota"]``
  ranks them. Gauges use the `quota` limit (100 %); limits() also gives every quota's raw figures.
* Any other string, or ``{promql = "..."}``, is raw PromQL for Cloud Monitoring. ``$__run_filter``,
  ``$__functions_filter`` and ``$__quota_filter`` expand to the configured selection as matchers (e.g.
  ``run_googleapis_com:request_count{$__run_filter, response_code_class="5xx"}``), and the window
  variables ``$__interval``, ``$__rate_interval``, ``$__range`` (and ``_s`` forms) are filled as for
  the Prometheus provider (each bucket evaluated at its end).

Several projects: each PromQL query runs once per project (or once in `metrics_scope_project`); without
`group_by`, each project's series is kept apart (label project_id) and the panel's `aggregate` combines
them; with a `group_by` that lacks `project`, equal groups are summed (counts, rates) or the larger kept
(quantiles, averages, %).

Limits: ``quota``, ``quota:<service>/<quota_metric>/<limit_name>``, ``instances`` (the workload nearest its
max instances) and ``instances:<name>``. Cost: an estimate, billable instance time x list price
(gcp/cost.py) - Cloud Billing's export needs BigQuery, which srvmon does not read.
"""

from srvmon.providers.gcp.provider import GcpProvider

__all__ = ["GcpProvider"]
