"""Capacity against ceilings as limits(): project quotas (serviceruntime.googleapis.com/quota/*, App Engine
included) and instances against each service's max instances."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from srvmon.model import Limit

from .discovery import Workload
from .options import GcpOptions
from .promql import QUOTA_KEY, QUOTA_LIMIT, QUOTA_RATE, QUOTA_USAGE, selection

Instant = Callable[[str], list[tuple[dict[str, str], float]]]


def quota_exprs(opts: GcpOptions) -> tuple[str, str, str]:
    """(allocation usage now, per-minute rate usage, limits) as instant PromQL."""
    sel = "{" + selection("quota", opts) + "}"
    usage = f"max by ({QUOTA_KEY}) ({QUOTA_USAGE}{sel})"
    rate = f"60 * sum by ({QUOTA_KEY}) (rate({QUOTA_RATE}{sel}[5m]))"
    limit = f"max by ({QUOTA_KEY}, limit_name) ({QUOTA_LIMIT}{sel})"
    return usage, rate, limit


def _key(labels: dict[str, str]) -> tuple[str, str, str, str]:
    return (labels.get("project_id", ""), labels.get("service", ""), labels.get("quota_metric", ""),
            labels.get("location", ""))  # fmt: skip


def quota_limits(instant: Instant, opts: GcpOptions) -> list[Limit]:
    """`quota` (the quota nearest its limit, in %) first, then `quota:<service>/<quota_metric>/<limit_name>`
    for every quota with a usage and a positive limit. Allocation quotas compare usage now; per-minute
    rate quotas compare the last 5 minutes' average per minute."""
    usage_q, rate_q, limit_q = quota_exprs(opts)
    usage = {_key(lab): v for lab, v in instant(usage_q)}
    rate = {_key(lab): v for lab, v in instant(rate_q)}
    out: list[Limit] = []
    for labels, ceiling in instant(limit_q):
        if ceiling <= 0:  # -1 is "unlimited"
            continue
        key = _key(labels)
        name = labels.get("limit_name", "")
        used = rate.get(key) if "PerMinute" in name else usage.get(key)
        if used is None:
            continue
        project, service, metric, location = key
        where = f"{project}" + (f" {location}" if location and location != "global" else "")
        out.append(Limit(f"quota:{service}/{metric}/{name}", used, ceiling, resource=f"{where}: {metric}",
                         unit="per minute" if "PerMinute" in name else ""))  # fmt: skip
    out.sort(key=lambda lim: lim.name)
    if out:
        top = max(out, key=lambda lim: lim.used / lim.limit)
        out.insert(
            0, Limit("quota", round(100 * top.used / top.limit, 4), 100.0, resource=top.resource, unit="%")
        )
    return out


def instance_limits(instant: Instant, opts: GcpOptions, workloads: Sequence[Workload]) -> list[Limit]:
    """`instances` (the workload nearest its max instances) first, then `instances:<name>` each.

    Cloud Run services and gen2 functions count container/instance_count (all states); gen1 functions
    function/active_instances. Workloads without a ceiling (gen1 without max instances) are left out."""
    run = (
        "sum by (project_id, service_name) (run_googleapis_com:container_instance_count{"
        + selection("run", opts)
        + "})"
    )
    gen1 = "sum by (project_id, function_name) (cloudfunctions_googleapis_com:function_active_instances{" + selection(
        "functions", opts) + "})"  # fmt: skip
    now: dict[tuple[str, str], float] = {}
    if any(w.generation != "gen1" for w in workloads):
        now.update({(lab.get("project_id", ""), lab.get("service_name", "")): v for lab, v in instant(run)})
    if any(w.generation == "gen1" for w in workloads):
        now.update({(lab.get("project_id", ""), lab.get("function_name", "")): v for lab, v in instant(gen1)})
    out = []
    for w in sorted(workloads, key=lambda w: (w.project, w.name)):
        if not w.max_instances:
            continue
        used = now.get((w.project, w.metrics_name), 0.0)
        out.append(
            Limit(f"instances:{w.name}", used, float(w.max_instances), resource=w.name, unit="instances")
        )
    if out:
        top = max(out, key=lambda lim: lim.used / lim.limit)
        out.insert(0, Limit("instances", top.used, top.limit, resource=top.resource, unit="instances"))
    return out
