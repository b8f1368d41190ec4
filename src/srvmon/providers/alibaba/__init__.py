"""Alibaba Cloud Function Compute provider: CloudMonitor metrics and alert rules, BSS cost, SLS logs.

Config: `[providers.NAME] type = "alibaba"` with `region` (and optional `functions`, `profile`,
`log_project`/`log_store`, `cost`, `metric_call_budget`; see options.py). Credentials come from the
standard Alibaba chain only (ALIBABA_CLOUD_ACCESS_KEY_ID / _SECRET / ALIBABA_CLOUD_SECURITY_TOKEN, then the
aliyun CLI's ~/.aliyun/config.json profile), never from the config. Calls are signed REST (ACS3-HMAC-SHA256;
SLS v1) over bounded httpx: no Alibaba SDK is needed.

Panel query syntax (validated by AlibabaProvider.validate_query):

    query = "FunctionTotalInvocations"       an acs_fc metric of every watched function (the FC metric
                                             list: FunctionServerErrors, FunctionClientErrors,
                                             FunctionFunctionErrors, FunctionConcurrencyThrottles,
                                             FunctionResourceThrottles, FunctionAvgDuration,
                                             FunctionP90Duration, FunctionP99Duration, FunctionMaxDuration,
                                             FunctionLatencyAvg, FunctionMaxMemoryUsage,
                                             FunctionOndemandActiveInstance, FunctionAsyncMessagesBacklogV2...)
    query = "RegionConcurrentCount"          a region-level metric (Region*: TotalInvocations, ServerErrors,
                                             Throttles, ConcurrentCount, ConcurrencyLimit...)
    query = "Throttles" | "Errors"           shorthands: Concurrency+Resource throttles; Server+Function errors
    query = {metric = "FunctionServerErrors", functions = ["orders-*"], dimensions = {qualifier = "LATEST"}}
    query = {metrics = ["FunctionHTTPStatus4xx", "FunctionHTTPStatus5xx"]}    summed per bucket (stat sum)
    query = {metric = "...", namespace = "acs_..."}                         another CloudMonitor namespace
    stat     = sum | avg | max | min         which datapoint field is read (Sum/Value, Average, Maximum,
                                             Minimum) and how values meet in a bucket and across functions;
                                             default per metric (counts sum, durations avg/max, memory max).
                                             No percentiles: use FunctionP90Duration / FunctionP99Duration.
    group_by = ["function"] | ["service"] | ["qualifier"] | another datapoint dimension

Without group_by every function's series is combined into one with the stat. Data limits: CloudMonitor
keeps FC metrics 31 days and one call spans at most 31 days, so a month range compared with 4 weeks
earlier gets a compare error saying so; periods are 60/300/900/3600 s (the coarsest dividing the
window step). DescribeMetric* calls share a free quota of 1M a month (metric_call_budget) and 50
calls/s per operation (rate_limit); Throttling.User is retried with backoff, then the poller backs off.
Limits: `region_concurrency` (RegionConcurrentCount vs RegionConcurrencyLimit).
Logs drill-down: SLS GetLogs on log_project/log_store, filtered by `log_function_field`.
"""

from __future__ import annotations

from .provider import AlibabaProvider

__all__ = ["AlibabaProvider"]
