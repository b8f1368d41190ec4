"""The cost kind: month-to-date per service vs the same part of last month, week over week, forecast.

Rules (analysis.CostCalendar): UTC days; today's partial day counts; last month is compared up to the
same point (clamped to its length); the forecast and any status on change need one complete day.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import TYPE_CHECKING, Any

from srvmon import analysis as an
from srvmon.fmt import Data, Detail, fmt_delta, fmt_money, join
from srvmon.kinds.base import PanelKind, Plan, PlanContext, thresholds
from srvmon.model import Compare, CostRow, CostSummary, PanelSeries, PanelSnapshot, Status, TimeWindow
from srvmon.needs import CostNeed, Failed, Need, Results

if TYPE_CHECKING:
    from srvmon.schema import PanelCfg

EARLY_NOTE = "first day of the month: compared with last month from the 2nd"


@dataclass(frozen=True)
class CostPlan(Plan):
    need: CostNeed
    calendar: an.CostCalendar

    def needs(self) -> tuple[Need[Any], ...]:
        return (self.need,)


def cost_window(cal: an.CostCalendar) -> TimeWindow:
    """Daily buckets from the 1st of last month through today (inclusive)."""
    s, t = cal.prev_month_start, cal.today
    return TimeWindow(_midnight(s), _midnight(t) + timedelta(days=1), 86400)


def _midnight(d: date) -> datetime:
    return datetime(d.year, d.month, d.day, tzinfo=UTC)


def _epoch(d: date) -> int:
    return int(_midnight(d).timestamp())


class CostKind(PanelKind[CostPlan]):
    name = "cost"
    row_types = (CostRow,)
    sparkline = False
    lines = (4, 12)
    summary = "month-to-date cost per service vs the same part of last month, week over week, forecast"
    fields = frozenset({"thresholds", "threshold_on", "top"})
    body = "srvmon.widgets.cost:CostView"

    def plan(self, cfg: PanelCfg, ctx: PlanContext) -> CostPlan:
        cal = an.CostCalendar.at(ctx.end)
        window = cost_window(cal)
        return CostPlan(window, CostNeed(cfg.provider or "", window), cal)

    def assemble(self, cfg: PanelCfg, plan: CostPlan, results: Results, now: datetime) -> PanelSnapshot:
        items = results.get(plan.need)
        if isinstance(items, Failed):
            return self.failed(cfg, items, now, plan.window)
        cal = plan.calendar
        by_service = an.cost_by_service(items)
        compare = Compare((cal.month_start - cal.prev_month_start).days, "last month (same days)")
        if not by_service:
            return self.panel(cfg, "nodata", now, plan.window, rows=(), compare=compare)
        th = thresholds(cfg)
        on_change = cfg.threshold_on == "delta_pct"
        early = cal.today.day < 2
        rows = []
        for svc, days in by_service.items():
            f = an.cost_figures(days, cal)
            basis = f.wow_pct if on_change else f.mtd
            st: Status = "ok" if basis is None else an.threshold_status(basis, th)
            rows.append(CostRow(svc, f.mtd, f.last_month_same_days, f.delta_pct, f.wow_pct, f.forecast, st))
        rows.sort(key=lambda r: r.mtd, reverse=True)
        daily = an.cost_daily(by_service)
        total = an.cost_figures(daily, cal)
        notes: list[str] = []
        if on_change and early:
            panel_status: Status = "nodata"
            notes.append(EARLY_NOTE)
        else:
            basis = total.delta_pct if on_change else total.mtd
            panel_status = an.threshold_status(basis, th) if basis is not None else "ok"
        status = an.worst_status([panel_status, *(r.status for r in rows)])
        shift = compare.shift_days * 86400
        pts = tuple((_epoch(d), round(a, 2)) for d, a in sorted(daily.items()) if d >= cal.month_start)
        cpts = tuple((_epoch(d) + shift, round(a * cal.prev_weight(d), 2)) for d, a in sorted(daily.items())
                     if cal.prev_weight(d) > 0)  # fmt: skip
        summary = CostSummary(total.mtd, total.last_month_same_days, total.delta_pct, total.wow_pct,
                              total.forecast, round(cal.days_elapsed, 4))  # fmt: skip
        if total.forecast is None:
            notes.append("forecast after the first complete day of the month")
        return self.panel(
            cfg, status, now, plan.window,
            value=total.mtd, compare_value=total.last_month_same_days, delta_pct=total.delta_pct,
            rows=tuple(rows[: max(cfg.top, 10)]), series=(PanelSeries({"service": "total"}, pts, cpts),),
            compare=compare, cost=summary, notes=tuple(notes),
        )  # fmt: skip

    def detail(self, panel: PanelSnapshot) -> Detail:
        rows = [r for r in panel.rows or () if isinstance(r, CostRow)][:3]
        items = []
        for r in rows:
            wow = fmt_delta(r.wow_pct)
            items.append((Data(r.service), f" {fmt_money(r.mtd)}" + (f" ({wow} wow)" if wow else "")))
        return join(items)
