"""An estimated compute cost: billable instance time x list price (Cloud Billing's export needs BigQuery).

Cloud Run services and gen2 functions: `container/billable_instance_time` per day x (vCPU x
price_per_vcpu_s + GiB x price_per_gib_s), sizes from discovery. Gen1 functions: execution time per day
(function/execution_times) x (GB x price_per_gib_s + GHz x price_per_ghz_s), GHz from the memory tier.
Free tiers, committed-use discounts, minimum instances idle outside requests, 100 ms rounding (gen1),
networking and other services are not included, and Cloud Monitoring keeps system metrics for six
weeks, so the first days of last month may be missing. Every item is labelled "(estimate)".
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import UTC, datetime

from srvmon.model import CostItem, Series, TimeWindow

from .discovery import Workload
from .options import GcpOptions
from .promql import selection

#: Gen1 CPU clock (GHz) per memory size (MB), as Cloud Functions (1st gen) pricing lists them.
GEN1_GHZ = {128: 0.2, 256: 0.4, 512: 0.8, 1024: 1.4, 2048: 2.4, 4096: 4.8, 8192: 4.8, 16384: 4.8, 32768: 4.8}
LABEL = " (estimate)"

Range = Callable[[str, TimeWindow, Sequence[str]], list[Series]]


def gen1_ghz(memory_gib: float | None) -> float:
    mb = int(round((memory_gib or 0.25) * 1024))
    tiers = sorted(GEN1_GHZ)
    return GEN1_GHZ[next((t for t in tiers if t >= mb), tiers[-1])]


def estimate(
    run_range: Range, opts: GcpOptions, workloads: Sequence[Workload], window: TimeWindow
) -> list[CostItem]:
    """Daily estimated USD per workload over `window` (daily steps)."""
    by_service = {(w.project, w.metrics_name): w for w in workloads if w.generation != "gen1"}
    by_gen1 = {(w.project, w.name): w for w in workloads if w.generation == "gen1"}
    out: list[CostItem] = []
    if by_service:
        expr = ("sum by (project_id, service_name) (increase(run_googleapis_com:container_billable_instance_time{"
                + selection("run", opts) + "}[1d]))")  # fmt: skip
        for s in run_range(expr, window, ("project_id", "service_name")):
            w = by_service.get((s.labels.get("project_id", ""), s.labels.get("service_name", "")))
            if w is None:
                continue
            per_s = (w.vcpu or 1.0) * opts.price_per_vcpu_s + (w.memory_gib or 0.5) * opts.price_per_gib_s
            out += _items(w.name, s, per_s)
    if by_gen1:
        expr = ("1e-9 * sum by (project_id, function_name) (increase(cloudfunctions_googleapis_com:function_execution_times_sum{"
                + selection("functions", opts) + "}[1d]))")  # fmt: skip
        for s in run_range(expr, window, ("project_id", "function_name")):
            w = by_gen1.get((s.labels.get("project_id", ""), s.labels.get("function_name", "")))
            if w is None:
                continue
            gb = (w.memory_gib or 0.25) * 2**30 / 1e9
            per_s = gb * opts.price_per_gib_s + gen1_ghz(w.memory_gib) * opts.price_per_ghz_s
            out += _items(w.name, s, per_s)
    return out


def _items(name: str, s: Series, usd_per_s: float) -> list[CostItem]:
    return [
        CostItem(name + LABEL, datetime.fromtimestamp(t, UTC).date(), round(v * usd_per_s, 6))
        for t, v in zip(s.timestamps, s.values, strict=True)
        if v is not None
    ]
