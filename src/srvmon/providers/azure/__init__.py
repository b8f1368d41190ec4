"""Azure provider: Azure Functions via Azure Monitor metrics, Application Insights, Durable Functions.

Config: `[providers.NAME] type = "azure"` with `subscription_id`, optional `resource_groups`,
`resource_ids`, `name_patterns`, `workspace_id` / `app_insights`, `cloud`, `credential`, `timeout`,
`max_response_mb` (see options.py). Heavy SDKs (azure.*, httpx) are imported only when a call is made.
Every call (ARM, metrics, logs, Durable Task API) is bounded by `timeout` and `max_response_mb`
(transport.py); throttling hands Retry-After to the poller instead of waiting inline.

Panel query syntax (validated by AzureProvider.validate_query):

    query = "FunctionExecutionCount"          a Microsoft.Web/sites metric with its usual aggregation
                                              (Requests, Http4xx, Http5xx, FunctionExecutionUnits: Total;
                                              HttpResponseTime (s), MemoryWorkingSet (B): Average)
    query = {metric = "Http5xx", namespace = "Microsoft.Web/sites", aggregation = "Total",
             filter = "Instance eq '*'", apps = ["checkout-*"], target = "apps" | "app_insights"}
    query = "GBSeconds" | "CostUSD"           FunctionExecutionUnits (MB-ms) as GB-s, or USD at price_per_gb_s
    query = "InstanceCount" | "InstancePct"   instances serving (MemoryWorkingSet split by Instance), or
                                              as % of each app's scale-out ceiling (fullest app unless
                                              grouped by app)
    query = "Exceptions" | "FailedRequests" | "AIRequests" | "FunctionDuration" | "DependencyDuration"
                                              metrics of the `app_insights` components (Count / Average ms)
    query = "durable:Running"                 Durable Functions orchestrations now, by runtimeStatus
                                              (Pending, Running, Completed, ContinuedAsNew, Failed,
                                              Terminated, Suspended) or "durable:OldestRunningAge" (s);
                                              the value sits on the window's last bucket (use reduce = "last")
    stat     = sum | avg | max | min | count  (Azure Total/Average/Maximum/Minimum/Count; no percentiles)
    group_by = ["app"] | ["resource_group"] | ["region"] | ["plan"] | a metric dimension ("Instance")

Without group_by, series of all apps are combined per bucket with the metric's own aggregation
(Total summed, Maximum/Minimum max/min, Average weighted by the apps' requests where Azure counts
them, else a plain mean; the result's warnings say which); group by "app" for one series per app.
Flex Consumption apps' executions come from their OnDemand*/AlwaysReady* metrics (metric_plan.py).
Limits: `instances` (the app nearest its scale-out ceiling) and `instances:<app>`.
Logs drill-down: KQL over requests/exceptions/traces of the workspace (else the components);
resources = ["durable:<app pattern>"] (or fields = {source = "durable"}) lists failed orchestrations
with their history and output.
"""

from __future__ import annotations

from .provider import AzureProvider

__all__ = ["AzureProvider"]
