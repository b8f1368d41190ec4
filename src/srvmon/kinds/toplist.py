"""The toplist kind: resources ranked by their value over the window, each with its change and status."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from srvmon import analysis as an
from srvmon.fmt import Data, Detail, fmt_value, join
from srvmon.kinds.base import note_list, r4, thresholds
from srvmon.kinds.metric import (
    MetricKind,
    MetricPlan,
    answer,
    compare_note,
    effective_compare,
    label_key,
    transform,
)
from srvmon.model import PanelSnapshot, Status, ToplistRow
from srvmon.needs import Failed, Results

if TYPE_CHECKING:
    from srvmon.schema import PanelCfg


class ToplistKind(MetricKind):
    name = "toplist"
    row_types = (ToplistRow,)
    drill_errors_when_bad = True
    sparkline = False
    lines = (4, 12)
    summary = "a ranking (most called, worst p99): value, change and status per resource"
    fields = MetricKind.fields | {"top", "order"}
    body = "srvmon.widgets.toplist:TopList"
    ranked = True

    def assemble(self, cfg: PanelCfg, plan: MetricPlan, results: Results, now: datetime) -> PanelSnapshot:
        got = results.get(plan.current)
        if isinstance(got, Failed):
            return self.failed(cfg, got, now, plan.window)
        if not got.ok:
            return self.failed(cfg, got.error or "query failed", now, plan.window)
        step = plan.window.step_s
        previous = answer(results, plan.previous)
        compare = effective_compare(plan, previous)
        by_labels = {label_key(s.labels): s for s in (previous.series if previous and compare else ())}
        th_on_delta = cfg.threshold_on == "delta_pct"
        rows: list[ToplistRow] = []
        for s in got.series:
            v = an.reduce_values(transform(cfg, step, s.values), cfg.reduce)
            c = by_labels.get(label_key(s.labels))
            cv = an.reduce_values(transform(cfg, step, c.values), cfg.reduce) if c is not None else None
            d = an.delta_pct(v, cv)
            basis = d if th_on_delta else v
            st: Status = "nodata" if v is None else an.threshold_status(basis, thresholds(cfg))
            if v is not None and th_on_delta and basis is None:
                st = "nodata"
            rows.append(ToplistRow(s.name(), next(iter(s.labels.values()), ""), r4(v), r4(cv), r4(d), st,
                                   dict(s.labels)))  # fmt: skip
        ranked: list[ToplistRow] = an.top_n(rows, lambda r: r.value, cfg.top, cfg.order)
        notes = note_list(got.warnings, compare_note(plan, results))
        if not ranked:
            return self.panel(cfg, "nodata", now, plan.window, rows=(), compare=compare, notes=notes)
        status = an.worst_status(r.status for r in ranked if r.status != "nodata")
        lead = ranked[0]
        return self.panel(
            cfg, status, now, plan.window,
            value=lead.value, compare_value=lead.compare_value, delta_pct=lead.delta_pct, rows=tuple(ranked),
            compare=compare, notes=notes,
        )  # fmt: skip

    def detail(self, panel: PanelSnapshot) -> Detail:
        rows = [r for r in panel.rows or () if isinstance(r, ToplistRow)]
        return join([(Data(r.name), f" {fmt_value(r.value, panel.unit)}") for r in rows[:3]])
