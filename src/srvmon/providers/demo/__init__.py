"""The demo provider: a simulated serverless account, deterministic from a seed and the clock.

Fleet: one API Gateway API per service (`<service>-api`), ~40 Lambda functions by default spread over
the services with Zipf-like traffic, 6 DynamoDB tables with provisioned capacity, SQS queues with a
dead-letter queue, 2 Step Functions state machines, an account concurrency limit and cost per service.
Traffic follows a daily and weekly rhythm with ~3 %/week growth and hash noise; every value is a pure
function of (seed, entity, bucket start), so any window is reproducible in any order or size.

Options (`[providers.NAME] type = "demo"`): seed = 42, functions = 40 (1..10000),
services = ["checkout", "catalog", "auth", "notify"], account_concurrency = 1000.

Live incidents, placed relative to the clock when the provider starts: a deploy 35 min ago that
triples the checkout API's p99 and raises its 5xx; the `orders` table climbing toward its write
capacity (a few hours to the limit); one function throttling; the DLQ growing; one service's cost
+30 % over the last 7 days; 2 of 12 alarms in ALARM; timeouts, OOM kills and cold starts in the logs.

Change events (`events()`, see events.py): the deploy 35 min ago (v2.14.0 on the checkout service),
the release before it, a reserved-concurrency change on the throttling function 3 h ago, and the
alarm transitions behind `alarms()`.

Query syntax (panel `query`):
  query = "api.requests"                                   # a metric name
  query = { metric = "sqs.visible", where = { dlq = "true" } }   # where: dim = value | [values]
  group_by = ["service"]        # any of the metric's dimensions; labels are their values
  stat = "p99"                  # sum | avg | p50 | p90 | p99 | max | min, as the metric allows

Catalog (dimensions; default stat first):
  api.requests, api.4xx, api.5xx           count per bucket (api, service; sum)
  api.latency, api.integration_latency     ms (api, service; avg p50 p90 p99 max min)
  auth.latency                             ms, the authorizer (api, service)
  lambda.invocations, lambda.errors, lambda.throttles   count per bucket (function, service; sum)
  lambda.duration                          ms (function, service)
  lambda.concurrency                       concurrent executions (function, service; max avg min);
                                           ungrouped = the whole account
  dynamodb.latency                         ms (table)
  dynamodb.consumed_rcu/consumed_wcu/provisioned_rcu/provisioned_wcu   units/s (table; avg max min)
  dynamodb.utilization                     % consumed/provisioned, higher of read/write (table; max)
  dynamodb.throttles                       count (table)
  sqs.visible, sqs.oldest_age_s            messages, seconds (queue, dlq "true"/"false"; max)
  sqs.sent                                 count (queue, dlq)
  sfn.started, sfn.succeeded, sfn.failed   count (state_machine)
Ungrouped series combine entities: counts and capacity sum, latencies are traffic-weighted means,
utilisation and queue age take the maximum. Top-N hints (MetricQuery.limit/order) pre-rank functions
by static weight and incident state, so 10,000 functions cost about what 40 do.

Logs (`logs()`): START/END/REPORT lines and JSON app lines per (function, minute), generated on
demand, filtered here (resources = functions, services or APIs; text substring, case-insensitive, or
regex; errors_only; status_class; request_id = every line of that invocation; fields; limit), newest
first. Without resources, the 50 busiest functions plus those in an incident.
"""

from srvmon.providers.demo.provider import DemoOptions, DemoProvider

__all__ = ["DemoOptions", "DemoProvider"]
