"""What the metric kinds (timeseries, stat, gauge, toplist) share: the query plan with its compare and
"now" windows, value transforms, and the status rule for thresholds on the value or on the % change."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from srvmon import analysis as an
from srvmon.kinds.base import PanelKind, Plan, PlanContext, r4, thresholds
from srvmon.model import (
    Compare,
    MetricQuery,
    PanelSeries,
    QueryResult,
    Series,
    Status,
    TimeWindow,
    compare_for,
)
from srvmon.needs import Failed, LimitsNeed, MetricNeed, Need, Results

if TYPE_CHECKING:
    from srvmon.schema import PanelCfg

#: Fields every metric kind reads.
METRIC_FIELDS = frozenset(
    {
        "query",
        "stat",
        "group_by",
        "compare",
        "reduce",
        "aggregate",
        "per_second",
        "scale",
        "thresholds",
        "threshold_on",
    }
)
#: "Now" values (reduce = "last") are read at this resolution over this span, whatever the chart range.
NOW_STEP_S = 60
NOW_SPAN_S = 15 * 60
COMPARE_OFF_NOTE = "status needs the comparison with the earlier window (compare is off)"


def compare_days(cfg: PanelCfg, window: TimeWindow) -> int | None:
    """The panel's compare shift: its own `compare`, else 4 weeks for month-long windows, else 1 week."""
    if cfg.compare == "none":
        return None
    if cfg.compare:
        return {"1d": 1, "1w": 7, "4w": 28}[cfg.compare]
    return 28 if window.duration_s >= 28 * 86400 else 7


@dataclass(frozen=True)
class MetricPlan(Plan):
    current: MetricNeed
    #: The same query over the compare window (None: no compare, or compare off).
    previous: MetricNeed | None = None
    compare: Compare | None = None
    #: Compare is off in this view although the panel has one (thresholds on change cannot be rated).
    compare_off: bool = False
    #: Finest-resolution copies for "now" values (reduce = "last") when the chart step is coarser.
    now: MetricNeed | None = None
    now_previous: MetricNeed | None = None
    limits: LimitsNeed | None = None

    def needs(self) -> tuple[Need[Any], ...]:
        found = (self.current, self.previous, self.now, self.now_previous, self.limits)
        return tuple(n for n in found if n is not None)


class MetricKind(PanelKind[MetricPlan]):
    """Base of the kinds whose data is a metric `query`."""

    fields = METRIC_FIELDS
    #: Ask the provider for the top N series (toplists, grouped charts).
    ranked = False

    def check(self, cfg: PanelCfg) -> str | None:
        return None if cfg.query is not None else f"a {cfg.kind} panel needs `query`"

    def query(self, cfg: PanelCfg) -> MetricQuery:
        many = self.ranked or bool(cfg.group_by)
        return MetricQuery("", cfg.provider or "", cfg.query or "", cfg.stat, tuple(cfg.group_by),
                           limit=cfg.top if many else None, order=cfg.order)  # fmt: skip

    def plan(self, cfg: PanelCfg, ctx: PlanContext) -> MetricPlan:
        window = ctx.window_for(cfg)
        q = self.query(cfg)
        days = compare_days(cfg, window)
        previous = MetricNeed.of(q, window.shifted(days)) if days and ctx.compare else None
        now = now_previous = None
        if cfg.reduce == "last" and window.step_s > NOW_STEP_S:
            now_window = TimeWindow.ending_at(window.end, NOW_SPAN_S, NOW_STEP_S)
            now = MetricNeed.of(q, now_window)
            if days and ctx.compare:
                now_previous = MetricNeed.of(q, now_window.shifted(days))
        return MetricPlan(
            window,
            MetricNeed.of(q, window),
            previous,
            compare_for(days) if days and ctx.compare else None,
            bool(days) and not ctx.compare,
            now,
            now_previous,
            self.limits_need(cfg),
        )

    def limits_need(self, cfg: PanelCfg) -> LimitsNeed | None:
        return None


# ---- helpers shared by the metric kinds --------------------------------------------------------------


def transform(cfg: PanelCfg, step_s: int, values: Sequence[float | None]) -> list[float | None]:
    return an.transform(values, step_s=step_s, per_second=cfg.per_second, scale=cfg.scale)


def combined(cfg: PanelCfg, result: QueryResult, step_s: int) -> tuple[tuple[int, ...], list[float | None]]:
    """All series combined point by point (`aggregate`), transformed (`per_second`, `scale`)."""
    ts, vals = an.combine(result.series, cfg.aggregate)
    return ts, transform(cfg, step_s, vals)


def answer(results: Results, need: MetricNeed | None) -> QueryResult | None:
    """A successful answer to `need`, or None (missing, failed, or an error result)."""
    if need is None:
        return None
    got = results.get(need)
    if isinstance(got, Failed):
        return None
    found = got if got.ok else None
    return found


#: Said on a panel whose sums or points went past what a 64-bit float holds (they are left out, never NaN).
OVERFLOW_NOTE = "values beyond ±1.8e308 (the float range) were left out: check the query and its `scale`"


def overflow(vals: Sequence[float | None], *values: float | None) -> list[str]:
    """OVERFLOW_NOTE when a point or a reduced value is infinite (an overflowing sum), else nothing."""
    isfinite = math.isfinite
    bad = any(v is not None and not isfinite(v) for v in (*vals, *values))
    return [OVERFLOW_NOTE] if bad else []


def finite(value: float | None) -> float | None:
    """The value, or None when it overflowed (its status is then "nodata", with OVERFLOW_NOTE)."""
    return value if value is not None and math.isfinite(value) else None


def value_of(cfg: PanelCfg, plan: MetricPlan, results: Results, vals: list[float | None],
             previous: bool = False) -> float | None:  # fmt: skip
    """The panel value: `reduce` over the window, or for "last" the latest point at the finest resolution."""
    now_need = plan.now_previous if previous else plan.now
    if cfg.reduce == "last" and now_need is not None:
        fine = answer(results, now_need)
        if fine is not None and fine.series:
            _, fvals = combined(cfg, fine, now_need.window.step_s)
            latest = an.reduce_values(fvals, "last")
            if latest is not None:
                return latest
    return an.reduce_values(vals, cfg.reduce)


def rate(
    cfg: PanelCfg, plan: MetricPlan, value: float | None, delta: float | None
) -> tuple[Status, list[str]]:
    """Status by the thresholds, on the value or on the % change (which needs the compare window)."""
    if value is None:
        return "nodata", []
    if cfg.threshold_on == "delta_pct":
        if plan.compare is None:
            return "nodata", [COMPARE_OFF_NOTE] if plan.compare_off else ["status needs a compare window"]
        if delta is None:
            return "nodata", [f"no value {plan.compare.label} to compare with"]
        return an.threshold_status(delta, thresholds(cfg)), []
    return an.threshold_status(value, thresholds(cfg)), []


def points(
    ts: Sequence[int], vals: Sequence[float | None], shift_s: int = 0
) -> tuple[tuple[int, float | None], ...]:
    return tuple((t + shift_s, r4(v)) for t, v in zip(ts, vals, strict=False))


def label_key(labels: Any) -> tuple[tuple[str, str], ...]:
    return tuple(sorted(labels.items()))


def compare_series(cfg: PanelCfg, plan: MetricPlan, previous: QueryResult | None
                   ) -> tuple[tuple[tuple[int, float | None], ...] | None, list[float | None]]:  # fmt: skip
    """Last week's combined line on today's axis, and its transformed values."""
    if previous is None or not previous.series or plan.compare is None:
        return None, []
    cts, cvals = combined(cfg, previous, plan.window.step_s)
    return points(cts, cvals, plan.compare.shift_days * 86400), cvals


def per_series(cfg: PanelCfg, plan: MetricPlan, current: QueryResult, previous: QueryResult | None,
               top: int) -> tuple[PanelSeries, ...]:  # fmt: skip
    """The `top` busiest series, each with its own compare line."""
    step = plan.window.step_s
    shift = plan.compare.shift_days * 86400 if plan.compare else 0
    by_labels = {label_key(s.labels): s for s in (previous.series if previous else ())}
    chosen: list[Series] = an.top_n(current.series, lambda s: an.reduce_values(s.values, "sum"), top, "desc")
    out = []
    for s in chosen:
        c = by_labels.get(label_key(s.labels))
        cpts = points(c.timestamps, transform(cfg, step, c.values), shift) if c is not None else None
        out.append(PanelSeries(dict(s.labels), points(s.timestamps, transform(cfg, step, s.values)), cpts))
    return tuple(out)


def effective_compare(plan: MetricPlan, previous: QueryResult | None) -> Compare | None:
    """The panel's compare, or None when the source says it has no history (it reports only the present,
    so a "week-ago" value would be today's again)."""
    if plan.compare is None:
        return None
    if previous is not None and not previous.series and any("no history" in w for w in previous.warnings):
        return None
    return plan.compare


def compare_note(plan: MetricPlan, results: Results) -> list[str]:
    """Says when the compare window was asked for but could not be read."""
    if plan.previous is None or plan.compare is None:
        return []
    got = results.get(plan.previous)
    if isinstance(got, Failed):
        return [f"{plan.compare.label}: {got.message}"]
    if not got.ok:
        return [f"{plan.compare.label}: {got.error}"]
    return [f"{plan.compare.label}: {w}" for w in got.warnings if "no history" in w]
