"""The timeseries kind: a chart of today's line(s), the compare window dotted behind, an optional trend."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, ClassVar

from srvmon import analysis as an
from srvmon.kinds.base import note_list, r4
from srvmon.kinds.metric import (
    MetricKind,
    MetricPlan,
    answer,
    combined,
    compare_note,
    compare_series,
    effective_compare,
    finite,
    overflow,
    per_series,
    points,
    rate,
    value_of,
)
from srvmon.model import PanelSeries, PanelSnapshot
from srvmon.needs import Failed, Results

if TYPE_CHECKING:
    from srvmon.schema import PanelCfg


class TimeseriesKind(MetricKind):
    name = "timeseries"
    chart = True
    drill_errors_when_bad = True
    lines = (7, 14)
    #: One line per series (the stat kind, its subclass, combines them into one).
    multi_series: ClassVar[bool] = True
    summary = (
        "a chart: today solid, the compare window dotted, trend dashed; grouped queries draw top N lines"
    )
    fields = MetricKind.fields | {"trend", "top"}
    body = "srvmon.widgets.timeseries:TimeseriesView"

    def assemble(self, cfg: PanelCfg, plan: MetricPlan, results: Results, now: datetime) -> PanelSnapshot:
        got = results.get(plan.current)
        if isinstance(got, Failed):
            return self.failed(cfg, got, now, plan.window)
        if not got.ok:
            return self.failed(cfg, got.error or "query failed", now, plan.window)
        step = plan.window.step_s
        previous = answer(results, plan.previous)
        compare = effective_compare(plan, previous)
        ts, vals = combined(cfg, got, step)
        raw = value_of(cfg, plan, results, vals)
        over = overflow(vals, raw)
        value = finite(raw)
        cpts, cvals = compare_series(cfg, plan, previous) if compare else (None, [])
        cvalue = finite(value_of(cfg, plan, results, cvals, previous=True)) if cpts is not None else None
        delta = an.delta_pct(value, cvalue)
        status, why = rate(cfg, plan, value, delta)
        tr = an.trend(ts, vals) if cfg.trend and ts else None
        if self.multi_series and len(got.series) > 1:
            series = per_series(cfg, plan, got, previous if compare else None, cfg.top)
        elif ts:
            series = (PanelSeries({}, points(ts, vals), cpts),)
        else:
            series = ()
        return self.panel(
            cfg, status, now, plan.window,
            value=r4(value), compare_value=r4(cvalue), delta_pct=r4(delta), trend=tr, series=series,
            compare=compare, notes=note_list(got.warnings, over, why, compare_note(plan, results)),
        )  # fmt: skip
