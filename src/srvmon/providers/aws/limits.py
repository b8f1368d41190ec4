"""Capacity against limits: account/reserved Lambda concurrency, code storage, DynamoDB, SQS message age."""

from __future__ import annotations

from collections.abc import Callable, Collection
from datetime import datetime
from typing import Any

from srvmon.model import Limit, TimeWindow
from srvmon.providers.aws.discovery import Inventory
from srvmon.providers.aws.errors import describe, is_throttle, retry_after
from srvmon.providers.aws.metrics import MetricsRunner
from srvmon.providers.aws.queries import Leaf
from srvmon.providers.aws.session import Sessions, Target
from srvmon.providers.base import ProviderError, UsageCounter

#: How far back "current usage" looks: the max over the last 15 minutes.
LOOKBACK_S = 900
#: Limits read from GetAccountSettings (per target); the others need the resource inventory.
ACCOUNT_LIMITS = ("account_concurrency", "claimed_concurrency", "unreserved_concurrency", "code_storage")
ALL_LIMITS = (
    *ACCOUNT_LIMITS,
    "reserved_concurrency",
    "dynamodb_capacity",
    "dynamodb_top_table",
    "sqs_message_age",
    "sqs_top_queue_age",
)


class LimitList(list[Limit]):
    """The answer of `limits()`: the limits that could be read, plus `unavailable`: limit name -> why it
    could not be read (e.g. "GetAccountSettings failed: AccessDeniedException: ..."). A plain list to
    callers that only want the values."""

    def __init__(self, items: Collection[Limit] = (), unavailable: dict[str, str] | None = None) -> None:
        super().__init__(items)
        self.unavailable: dict[str, str] = dict(unavailable or {})


def _peak(values: tuple[float | None, ...] | None) -> float | None:
    present = [v for v in values or () if v is not None]
    return max(present) if present else None


def fetch_limits(
    sessions: Sessions,
    counter: UsageCounter,
    runner: MetricsRunner,
    inventory: Callable[[], Inventory],
    targets: list[Target],
    now: datetime,
    names: Collection[str] = (),
) -> LimitList:
    """The limits named (all when `names` is empty) in one GetMetricData round, plus one
    GetAccountSettings per target when an account-level limit is asked for; the inventory is listed
    only when a per-resource limit is.

    Names: account_concurrency, claimed_concurrency, unreserved_concurrency, code_storage (per target);
    reserved_concurrency (per function with a reservation); dynamodb_capacity (per provisioned table,
    % of provisioned) and dynamodb_top_table; sqs_message_age (per queue, vs retention) and
    sqs_top_queue_age. A limit that cannot be read is in `unavailable` with the failed call and why;
    when no asked-for limit can be read, that reason is raised as ProviderError."""
    wanted = set(names) or set(ALL_LIMITS)
    unknown = wanted - set(ALL_LIMITS)
    if unknown:
        raise ProviderError(
            f"no AWS limit named {', '.join(sorted(unknown))}; AWS limits: {', '.join(ALL_LIMITS)}"
        )
    window = TimeWindow.ending_at(now, LOOKBACK_S, 60)
    multi = len(targets) > 1
    leaves: list[Leaf] = []
    settings: dict[Target, dict[str, Any]] = {}
    unavailable: dict[str, str] = {}
    errors: list[str] = []
    throttled = False
    wait: float | None = None
    for t in targets if wanted & set(ACCOUNT_LIMITS) else []:
        counter.call("GetAccountSettings")
        try:
            settings[t] = sessions.client("lambda", t).get_account_settings()
        except Exception as exc:
            reason = f"GetAccountSettings failed: {describe(exc)}"
            where = f" ({t.account}/{t.region})" if multi else ""
            errors.append(reason + where)
            for name in ACCOUNT_LIMITS:
                unavailable.setdefault(name, reason + where)
            throttled = throttled or is_throttle(exc)
            wait = retry_after(exc) if is_throttle(exc) else wait
        for metric in ("ConcurrentExecutions", "ClaimedAccountConcurrency", "UnreservedConcurrentExecutions"):
            leaves.append(Leaf(t, "AWS/Lambda", metric, (), "Maximum", ()))
    inv = inventory() if wanted - set(ACCOUNT_LIMITS) else Inventory()
    for fn in inv.functions() if "reserved_concurrency" in wanted else []:
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
    for table in inv.of("table") if wanted & {"dynamodb_capacity", "dynamodb_top_table"} else []:
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
    for queue in inv.of("queue") if wanted & {"sqs_message_age", "sqs_top_queue_age"} else []:
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
    if (
        leaves
        and fetched.errors
        and len(fetched.errors) == len({leaf.key() for leaf in leaves})
        and not settings
    ):
        first = next(iter(fetched.errors.values()))
        raise ProviderError(
            "; ".join([*errors, first.message]),
            throttled=throttled or first.throttled,
            retry_after_s=wait if wait is not None else first.retry_after_s,
        )

    def peak(t: Target, ns: str, metric: str, dims: tuple[tuple[str, str], ...], stat: str) -> float | None:
        return _peak(fetched.values.get((t, ns, metric, dims, stat)))

    out = LimitList(unavailable=unavailable)
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
    for fn in inv.functions():
        if fn.reserved is not None and fn.target in targets:
            used = peak(
                fn.target, "AWS/Lambda", "ConcurrentExecutions", (("FunctionName", fn.name),), "Maximum"
            )
            out.append(Limit("reserved_concurrency", used or 0.0, float(fn.reserved), fn.name, "executions"))
    tables: list[Limit] = []
    for table in inv.of("table"):
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
    for queue in inv.of("queue"):
        age = peak(
            queue.target, "AWS/SQS", "ApproximateAgeOfOldestMessage", (("QueueName", queue.name),), "Maximum"
        )
        if queue.retention_s:
            queues.append(Limit("sqs_message_age", age or 0.0, float(queue.retention_s), queue.name, "s"))
    out.extend(queues)
    if queues:
        top = max(queues, key=lambda lim: lim.used / lim.limit)
        out.append(Limit("sqs_top_queue_age", top.used, top.limit, top.resource, "s"))
    out[:] = [lim for lim in out if lim.name in wanted]
    readable = {lim.name for lim in out}
    for name in readable:
        out.unavailable.pop(name, None)
    if names and not readable and out.unavailable:
        name = sorted(wanted)[0]
        raise ProviderError(
            f"{name}: {out.unavailable.get(name) or next(iter(out.unavailable.values()))}",
            throttled=throttled,
            retry_after_s=wait,
        )
    return out
