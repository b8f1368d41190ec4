"""Oracle Cloud Infrastructure Functions provider: OCI Monitoring metrics (MQL, namespace oci_faas) and alarms.

Config: `[providers.NAME] type = "oci"` with `region` and `compartment_id` (OCIDs are shape-checked), and
`auth = "config_file"` (an API key profile of ~/.oci/config: user, fingerprint, tenancy, key_file) or
`auth = "instance_principal"` (see options.py). Keys never live in the srvmon config. Calls are signed REST
(OCI HTTP signatures, rsa-sha256) over bounded httpx, paced under the 10 TPS per-tenancy limit: the `oci`
SDK is not needed.

Panel query syntax (validated by OciProvider.validate_query):

    query = "FunctionInvocationCount"          an oci_faas metric: FunctionInvocationCount,
                                               FunctionExecutionDuration (ms), FunctionResponseCount,
                                               AllocatedTotalConcurrency / AllocatedProvisionedConcurrency (MB)
    query = "Errors" | "Throttled" | "Successes"   FunctionResponseCount with responseType Error / Throttled
                                               (429) / Success
    query = {metric = "FunctionResponseCount", dimensions = {responseType = "Error"}, functions = ["orders*"]}
    query = {mql = 'FunctionExecutionDuration[$interval]{resourceDisplayName = "orders"}.grouping().max()'}
                                               raw MQL; srvmon puts its interval where $interval stands
    query = {metric = "...", namespace = "oci_..."}           another Monitoring namespace
    stat     = sum | avg | max | min | count | rate | p50 | p90 | p95 | p99   (MQL sum(), mean(), max(),
                                               min(), count(), rate(), percentile(0.99)); default per metric
    group_by = ["function"] (resourceDisplayName) | ["function_id"] (resourceId) | ["application"]
               (applicationId) | ["response"] (responseType) | another dimension name

Without group_by the query is .grouping(): every function's stream aggregated into one by the statistic.
Data limits: OCI returns 1-minute data for the last 7 days, 5-minute for 30 days and hourly for 90 days, and
datapoint timestamps close their interval; srvmon picks the interval per window (the week-ago copy of a
4-hour board comes at 5 minutes, spread over 1-minute buckets, and says so). Limits: `total_concurrency`
and `provisioned_concurrency` (allocated MB against total_concurrency_mb / provisioned_concurrency_mb).
Logs and cost are not offered (OCI Logging Search and Usage API are not wired in).
"""

from __future__ import annotations

from .provider import OciProvider

__all__ = ["OciProvider"]
