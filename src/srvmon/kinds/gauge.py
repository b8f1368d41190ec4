"""The gauge kind: a capacity against its limit (provider limit or fixed max), % used and time to limit."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from srvmon import analysis as an
from srvmon.fmt import Data, Detail, fmt_duration, fmt_value
from srvmon.kinds.base import note_list, r4, thresholds
from srvmon.kinds.metric import (
    MetricKind,
    MetricPlan,
    answer,
    combined,
    compare_note,
    compare_series,
    effective_compare,
    points,
    transform,
    value_of,
)
from srvmon.model import LimitInfo, PanelSeries, PanelSnapshot, Series, ShareRow, Status
from srvmon.needs import Failed, LimitsNeed, Results

if TYPE_CHECKING:
    from srvmon.schema import PanelCfg


class GaugeKind(MetricKind):
    name = "gauge"
    row_types = (ShareRow,)
    chart = True
    lines = (4, 7)
    summary = "a capacity against its limit: % used (thresholds are % of the limit), trend and time to limit"
    fields = MetricKind.fields | {"trend", "limit", "max", "top"}
    body = "srvmon.widgets.gauge:GaugeView"

    def check(self, cfg: PanelCfg) -> str | None:
        if cfg.limit is None and cfg.max is None:
            return "a gauge panel needs `limit` (a provider limit name) or `max`"
        return super().check(cfg)

    def limits_need(self, cfg: PanelCfg) -> LimitsNeed | None:
        return LimitsNeed(cfg.provider or "") if cfg.limit else None

    def assemble(self, cfg: PanelCfg, plan: MetricPlan, results: Results, now: datetime) -> PanelSnapshot:
        got = results.get(plan.current)
        if isinstance(got, Failed):
            return self.failed(cfg, got, now, plan.window)
        if not got.ok:
            return self.failed(cfg, got.error or "query failed", now, plan.window)
        step = plan.window.step_s
        ts, vals = combined(cfg, got, step)
        value = value_of(cfg, plan, results, vals)
        previous = answer(results, plan.previous)
        compare = effective_compare(plan, previous)
        cpts, cvals = compare_series(cfg, plan, previous) if compare else (None, [])
        cvalue = value_of(cfg, plan, results, cvals, previous=True) if cpts is not None else None
        tr = an.trend(ts, vals) if ts else None
        series = (PanelSeries({}, points(ts, vals), cpts),) if ts else ()
        ceiling, resource = cfg.max, ""
        if plan.limits is not None:
            limits = results.get(plan.limits)
            if isinstance(limits, Failed):
                return self.failed(
                    cfg, f"limit {cfg.limit!r} unavailable: {limits.message}", now, plan.window
                )
            found = next((lim for lim in limits if lim.name == cfg.limit), None)
            why = getattr(limits, "unavailable", {}).get(cfg.limit) if found is None else None
            if why:  # the provider says which call failed and why (e.g. GetAccountSettings denied)
                return self.failed(cfg, f"limit {cfg.limit!r} unavailable: {why}", now, plan.window)
            if found is None:
                known = ", ".join(sorted({lim.name for lim in limits})) or "none"
                return self.failed(cfg, f"provider {cfg.provider!r} reports no limit named {cfg.limit!r} "
                                        f"(it reports: {known})", now, plan.window)  # fmt: skip
            ceiling, resource = found.limit, found.resource
        notes = note_list(got.warnings, compare_note(plan, results))
        if not ceiling:
            return self.panel(
                cfg, "error", now, plan.window, error="the limit is 0 or unknown", series=series
            )
        used = value if value is not None else an.reduce_values(vals, "last")
        level = an.trend_value(tr, ts[0], ts[-1]) if tr else used
        ttl = an.time_to_limit(level, ceiling, tr.slope_per_h if tr else None)
        status: Status = "nodata"
        if used is not None:
            status = an.threshold_status(used / ceiling * 100.0, thresholds(cfg))
        rows = None
        if len(got.series) > 1:

            def val(s: Series) -> float | None:
                return an.reduce_values(transform(cfg, step, s.values), cfg.reduce)

            rows = tuple(ShareRow(s.name(), r4(val(s))) for s in an.top_n(got.series, val, 3, "desc"))
        info = LimitInfo(used=r4(used) or 0.0, limit=ceiling, time_to_limit_s=r4(ttl), resource=resource)
        return self.panel(
            cfg, status, now, plan.window,
            value=r4(value), compare_value=r4(cvalue), delta_pct=r4(an.delta_pct(value, cvalue)), trend=tr,
            series=series, limit=info, rows=rows, compare=compare, notes=notes,
        )  # fmt: skip

    def detail(self, panel: PanelSnapshot) -> Detail:
        lim = panel.limit
        if lim is None:
            return ()
        pct = lim.used / lim.limit * 100 if lim.limit else 0.0
        top = [r for r in panel.rows or () if isinstance(r, ShareRow)]
        who = top[0].name if top else lim.resource
        where: Detail = (" (", Data(who), ")") if who else ()
        return (f"{pct:.0f}% of {fmt_value(lim.limit, panel.unit)}", *where,
                f", time to limit {fmt_duration(lim.time_to_limit_s)}")  # fmt: skip
