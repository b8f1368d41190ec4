"""Cloudflare provider: Workers analytics (GraphQL `workersInvocationsAdaptive`), the Workers list, Workers Logs.

Config: ``[providers.NAME] type = "cloudflare"`` with ``account_id`` and ``api_token_env`` (the name of
the environment variable holding an API token with Account Analytics Read and Workers Scripts Read,
plus Workers Observability Read for logs); optional ``include``/``exclude`` script globs,
``query_budget``, ``endpoint``, ``ca_file``, ``logs`` (see options.py). srvmon only ever reads.

Panel query syntax (checked by ``CloudflareProvider.validate_query``):

    query = "workers:requests"        invocations per bucket (use per_second = true for req/s)
    query = "workers:errors"          failed invocations (scriptThrewException, exceededResources, ...)
    query = "workers:subrequests"     fetch() subrequests made by the Workers
    query = "workers:error_rate"      errors / requests x 100 per bucket (%)
    query = "workers:cpu_time"        CPU time per invocation, ms; stat = p50 (default) | p25 | p75 |
                                      p90 | p95 | p99 | p999
    query = "workers:wall_time"       wall-clock duration per invocation, ms (same stats), when the
                                      account's settings offer wallTime quantiles
    query = {metric = "errors", scripts = ["checkout-*"], status = ["exceededResources"]}
                                      the same metrics, narrowed to scripts (globs) and statuses
    group_by = ["script"] | ["status"] | ["script", "status"]
                                      labels `script` (the scriptName) and `status` (success,
                                      clientDisconnected, scriptThrewException, exceededResources,
                                      internalError)

Without group_by a query is one account-wide series computed by Cloudflare (quantiles exact over the
merged sample). Every result carries the warning "Cloudflare analytics are sampled". Data reaches back
as far as the dataset's `notOlderThan` (about three months); a window beyond that is an error on its
panel, one partly beyond is drawn with a gap. Logs drill-down reads Workers Logs through the Workers
Observability telemetry API (see logs.py).
"""

from __future__ import annotations

from .provider import CloudflareProvider

__all__ = ["CloudflareProvider"]
