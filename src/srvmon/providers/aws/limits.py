"""Capacity against limits: account/reserved Lambda concurrency, code storage, DynamoDB, SQS message age."""

from __future__ import annotations

from datetime import datetime

from srvmon.model import Limit, TimeWindow
from srvmon.providers.aws.discovery import Inventory
from srvmon.providers.aws.errors import describe, is_throttle
from srvmon.providers.aws.metrics import MetricsRunner
from srvmon.providers.aws.queries import Leaf
from srvmon.providers.aws.session import Sessions, Target
from srvmon.providers.base import ProviderError, UsageCounter

#: How far back "current usage" looks: the max over the last 15 minutes.
LOOKBACK_S = 900


def _peak(values: tuple[float | None, ...] | None) -> float | None:
    present = [v for v in values or () if v is not None]
    return max(present) if present else None


def fetch_limits(
    sessions: Sessions,
    counter: UsageCounter,
    runner: MetricsRunner,
    inventory: Inventory,
    targets: list[Target],
    now: datetime,
) -> list[Limit]:
    """All limits in one GetMetricData round plus one GetAccountSettings per target.

    Names: account_concurrency, claimed_concurrency, unreserved_concurrency, code_storage (per target);
    reserved_concurrency (per function with a reservation); dynamodb_capacity (per provisioned table,
    % of provisioned) and dynamodb_top_table; sqs_message_age (per queue, vs retention) and
    sqs_top_queue_age."""
    window = TimeWindow.ending_at(now, LOOKBACK_S, 60)
    multi = len(targets) > 1
    leaves: list[Leaf] = []
    settings: dict[Target, dict] = {}
    errors: list[str] = []
    throttled = False
    for t in targets:
        counter.call("GetAccountSettings")
        try:
            settings[t] = sessions.client("lambda", t).get_account_settings()
        except Exception as exc:
            errors.append(describe(exc, "GetAccountSettings"))
            throttled = throttled or is_throttle(exc)
        for metric in ("ConcurrentExecutions", "ClaimedAccountConcurrency", "UnreservedConcurrentExecutions"):
            leaves.append(Leaf(t, "AWS/Lambda", metric, (), "Maximum", ()))
    for fn in inventory.functions():
        if fn.reserved is not None and fn.target in targets:
            leaves.append(
                Leaf(
                    fn.target,
                    "AWS/Lambda",
                    "ConcurrentExecutions",
                    (("FunctionName", fn.name),),
                    "Maximum",
                    (),
                )
            )
    for table in inventory.of("table"):
        for metric, cap in (
            ("ConsumedReadCapacityUnits", table.read_capacity),
            ("ConsumedWriteCapacityUnits", table.write_capacity),
        ):
            if cap:
                leaves.append(
                    Leaf(
                        table.target,
                        "AWS/DynamoDB",
                        metric,
                        (("TableName", table.name),),
                        "Sum",
                        (),
                        capacity=cap,
                    )
                )
    for queue in inventory.of("queue"):
        leaves.append(
            Leaf(
                queue.target,
                "AWS/SQS",
                "ApproximateAgeOfOldestMessage",
                (("QueueName", queue.name),),
                "Maximum",
                (),
            )
        )
    fetched = runner.fetch(leaves, window, now)
    if fetched.errors and len(fetched.errors) == len({leaf.key() for leaf in leaves}) and not settings:
        first = next(iter(fetched.errors.values()))
        raise ProviderError("; ".join([*errors, first[0]]), throttled=throttled or first[1])

    def peak(t: Target, ns: str, metric: str, dims: tuple[tuple[str, str], ...], stat: str) -> float | None:
        return _peak(fetched.values.get((t, ns, metric, dims, stat)))

    out: list[Limit] = []
    for t in targets:
        where = f"{t.account}/{t.region}" if multi else ""
        s = settings.get(t)
        if not s:
            continue
        limit = s.get("AccountLimit", {})
        usage = s.get("AccountUsage", {})
        conc = float(limit.get("ConcurrentExecutions") or 0)
        if conc:
            used = peak(t, "AWS/Lambda", "ConcurrentExecutions", (), "Maximum")
            out.append(Limit("account_concurrency", used or 0.0, conc, where, "executions"))
            claimed = peak(t, "AWS/Lambda", "ClaimedAccountConcurrency", (), "Maximum")
            out.append(Limit("claimed_concurrency", claimed or 0.0, conc, where, "executions"))
        unreserved = float(limit.get("UnreservedConcurrentExecutions") or 0)
        if unreserved:
            used = peak(t, "AWS/Lambda", "UnreservedConcurrentExecutions", (), "Maximum")
            out.append(Limit("unreserved_concurrency", used or 0.0, unreserved, where, "executions"))
        if limit.get("TotalCodeSize"):
            out.append(
                Limit(
                    "code_storage",
                    float(usage.get("TotalCodeSize") or 0),
                    float(limit["TotalCodeSize"]),
                    where,
                    "B",
                )
            )
    for fn in inventory.functions():
        if fn.reserved is not None and fn.target in targets:
            used = peak(
                fn.target, "AWS/Lambda", "ConcurrentExecutions", (("FunctionName", fn.name),), "Maximum"
            )
            out.append(Limit("reserved_concurrency", used or 0.0, float(fn.reserved), fn.name, "executions"))
    tables: list[Limit] = []
    for table in inventory.of("table"):
        pcts = []
        for metric, cap in (
            ("ConsumedReadCapacityUnits", table.read_capacity),
            ("ConsumedWriteCapacityUnits", table.write_capacity),
        ):
            total = peak(table.target, "AWS/DynamoDB", metric, (("TableName", table.name),), "Sum")
            if cap and total is not None:
                pcts.append(total / 60.0 / cap * 100.0)
        if table.read_capacity or table.write_capacity:
            tables.append(
                Limit("dynamodb_capacity", round(max(pcts, default=0.0), 3), 100.0, table.name, "%")
            )
    out.extend(tables)
    if tables:
        top = max(tables, key=lambda lim: lim.used)
        out.append(Limit("dynamodb_top_table", top.used, 100.0, top.resource, "%"))
    queues: list[Limit] = []
    for queue in inventory.of("queue"):
        age = peak(
            queue.target, "AWS/SQS", "ApproximateAgeOfOldestMessage", (("QueueName", queue.name),), "Maximum"
        )
        if queue.retention_s:
            queues.append(Limit("sqs_message_age", age or 0.0, float(queue.retention_s), queue.name, "s"))
    out.extend(queues)
    if queues:
        top = max(queues, key=lambda lim: lim.used / lim.limit)
        out.append(Limit("sqs_top_queue_age", top.used, top.limit, top.resource, "s"))
    return out
