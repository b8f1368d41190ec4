"""Azure provider: Azure Functions via Azure Monitor metrics, Application Insights, Durable Functions.

Config: `[providers.NAME] type = "azure"` with `subscription_id`, optional `resource_groups`,
`resource_ids`, `name_patterns`, `workspace_id` / `app_insights`, `cloud`, `credential` (see options.py).
Heavy SDKs (azure.*, httpx) are imported only when a call is made.

Panel query syntax (validated by AzureProvider.validate_query):

    query = "FunctionExecutionCount"          a Microsoft.Web/sites metric with its usual aggregation
                                              (Requests, Http4xx, Http5xx: Total; HttpResponseTime,
                                              MemoryWorkingSet: Average)
    query = {metric = "Http5xx", namespace = "Microsoft.Web/sites", aggregation = "Total",
             filter = "Instance eq '*'", apps = ["checkout-*"]}
    query = "GBSeconds" | "CostUSD"           FunctionExecutionUnits (MB-ms) as GB-s, or USD at price_per_gb_s
    query = "InstanceCount"                   instances serving (MemoryWorkingSet split by Instance)
    query = "durable:Running"                 Durable Functions orchestrations now, by runtimeStatus
                                              (Pending, Running, Completed, ContinuedAsNew, Failed,
                                              Terminated, Suspended) or "durable:OldestRunningAge" (s)
    stat     = sum | avg | max | min | count  (Azure Total/Average/Maximum/Minimum/Count)
    group_by = ["app"] | ["resource_group"] | ["region"] | ["plan"] | a metric dimension ("Instance")

Limits: `instances` (the app nearest its scale-out ceiling) and `instances:<app>`.
Logs drill-down: LogQuery over requests/exceptions/traces; `fields = {source = "durable"}` lists
failed orchestrations with their history and output.
"""

from __future__ import annotations

from .provider import AzureProvider

__all__ = ["AzureProvider"]
