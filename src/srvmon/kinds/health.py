"""The health kind: per function cold starts, timeouts, out-of-memory kills and p99 vs the timeout, rated.

Rules (one place; the widget and every export show these ratings, never their own): any timeout or OOM
kill is critical; p99 at or above 95% of the configured timeout is critical, at or above 80% a warning
(the field's "duration above 80% of its limit" alarm); cold starts on 10% or more of invocations are a
warning. A function's status is the worst of its ratings; the panel's value is how many need attention.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from srvmon import analysis as an
from srvmon.fmt import Data, Detail, fmt_value, join
from srvmon.kinds.base import PanelKind, Plan, PlanContext
from srvmon.model import FunctionHealth, HealthRow, PanelSnapshot, Status
from srvmon.needs import Failed, HealthNeed, Need, Results

if TYPE_CHECKING:
    from srvmon.schema import PanelCfg

TIMEOUT_WARN_PCT = 80.0
TIMEOUT_CRIT_PCT = 95.0
COLD_WARN_PCT = 10.0
#: The most rows a health panel carries (worst first).
MAX_ROWS = 50


def rate(h: FunctionHealth) -> HealthRow:
    """One function's ratings by the rules above."""
    timeouts: Status = "crit" if h.timeouts else "ok"
    oom: Status = "crit" if h.oom else "ok"
    pct = h.timeout_pct
    duration: Status = (
        "nodata"
        if pct is None
        else ("crit" if pct >= TIMEOUT_CRIT_PCT else "warn" if pct >= TIMEOUT_WARN_PCT else "ok")
    )
    cold: Status = (
        "nodata" if h.cold_start_pct is None else ("warn" if h.cold_start_pct >= COLD_WARN_PCT else "ok")
    )
    status = an.worst_status([timeouts, oom, duration if duration != "nodata" else "ok",
                              cold if cold != "nodata" else "ok"])  # fmt: skip
    return HealthRow(
        h.function,
        h.invocations,
        h.cold_starts,
        h.cold_start_pct,
        h.init_ms_avg,
        h.timeouts,
        h.oom,
        h.p50_ms,
        h.p99_ms,
        h.timeout_pct,
        h.gb_seconds,
        h.cost_usd,
        status,
        cold,
        timeouts,
        oom,
        duration,
    )


@dataclass(frozen=True)
class HealthPlan(Plan):
    need: HealthNeed

    def needs(self) -> tuple[Need[Any], ...]:
        return (self.need,)


class HealthKind(PanelKind[HealthPlan]):
    name = "health"
    row_types = (HealthRow,)
    lines = (4, 10)
    summary = "per function: cold starts, timeouts, OOM kills, p99 as % of the timeout, rated worst first"
    fields = frozenset({"top"})
    body = "srvmon.widgets.health:HealthChips"
    drill_errors_only = True

    def plan(self, cfg: PanelCfg, ctx: PlanContext) -> HealthPlan:
        window = ctx.window_for(cfg)
        resources = tuple(cfg.drilldown.resources) if cfg.drilldown else ()
        return HealthPlan(window, HealthNeed(cfg.provider or "", window, resources))

    def assemble(self, cfg: PanelCfg, plan: HealthPlan, results: Results, now: datetime) -> PanelSnapshot:
        found = results.get(plan.need)
        if isinstance(found, Failed):
            return self.failed(cfg, found, now, plan.window)
        rows = [rate(h) for h in found]
        order = an.STATUS_ORDER
        rows.sort(
            key=lambda r: (-order[r.status], -(r.oom + r.timeouts), -(r.p99_timeout_pct or 0), r.function)
        )
        if not rows:
            return self.panel(cfg, "nodata", now, plan.window, rows=())
        bad = sum(1 for r in rows if r.status != "ok")
        notes = (f"{len(rows) - MAX_ROWS} more healthy functions not listed",) if len(rows) > MAX_ROWS else ()
        return self.panel(cfg, an.worst_status(r.status for r in rows), now, plan.window, value=float(bad),
                          rows=tuple(rows[:MAX_ROWS]), notes=notes)  # fmt: skip

    def detail(self, panel: PanelSnapshot) -> Detail:
        rows = [r for r in panel.rows or () if isinstance(r, HealthRow)]
        bad = [r for r in rows if r.status != "ok"]
        if not bad:
            return (f"{len(rows)} functions healthy",)
        return join([
            (Data(r.function), f": {r.timeouts} timeouts, {r.oom} OOM, p99 {fmt_value(r.p99_timeout_pct, '%')} of timeout")
            for r in bad[:3]
        ])  # fmt: skip
