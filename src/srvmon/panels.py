"""Turn one panel's config plus its provider answers into a PanelSnapshot (value, compare, trend, status)."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace
from datetime import UTC, date, datetime
from typing import Any, TypedDict

from srvmon import analysis as an
from srvmon.model import (
    Alarm,
    CostItem,
    FunctionHealth,
    Limit,
    LimitInfo,
    LogResult,
    PanelPosition,
    PanelSeries,
    PanelSnapshot,
    QueryResult,
    Series,
    Status,
    Thresholds,
    TimeWindow,
)
from srvmon.schema import PanelCfg

ALARM_ORDER = {"ALARM": 0, "INSUFFICIENT_DATA": 1, "OK": 2}

# a panel's value transform (per-second rate and scale) applied to one series' values
Transform = Callable[[Sequence[float | None]], list[float | None]]


class ToplistRow(TypedDict):
    """One row of a toplist panel (a plain dict at runtime)."""

    name: str
    resource: str
    labels: dict[str, str]
    value: float | None
    compare_value: float | None
    delta_pct: float | None
    status: Status


def _thresholds(p: PanelCfg) -> Thresholds:
    t = p.thresholds
    return Thresholds(t.warn, t.crit, t.direction) if t else Thresholds()


def base(p: PanelCfg, status: Status, now: datetime, **kw: Any) -> PanelSnapshot:
    pos = PanelPosition(**p.position.model_dump()) if p.position else None
    # thresholds on the % change are not levels on the value axis: charts must not draw them as such
    drawn = _thresholds(p) if p.threshold_on == "value" else Thresholds()
    return PanelSnapshot(
        id=p.id,
        title=p.title,
        kind=p.kind,
        status=status,
        unit=p.unit,
        fetched_at=now,
        provider=p.provider or "",
        thresholds=drawn,
        position=pos,
        description=p.description,
        **kw,
    )


def failed(p: PanelCfg, reason: str, previous: PanelSnapshot | None, now: datetime) -> PanelSnapshot:
    """A panel whose fetch failed: the previous values kept and marked stale, or an error panel."""
    if previous is not None and previous.status != "error":
        return replace(previous, stale=True, error=reason)
    return base(p, "error", now, error=reason)


def _status(p: PanelCfg, value: float | None, delta: float | None) -> Status:
    if value is None:
        return "nodata"
    return an.threshold_status(delta if p.threshold_on == "delta_pct" else value, _thresholds(p))


def _pts(
    ts: Sequence[int], vals: Sequence[float | None], shift: int = 0
) -> tuple[tuple[int, float | None], ...]:
    return tuple((t + shift, v) for t, v in zip(ts, vals, strict=False))


def _label_key(labels: Mapping[str, str]) -> tuple[tuple[str, str], ...]:
    return tuple(sorted(labels.items()))


def metric_panel(
    p: PanelCfg,
    window: TimeWindow,
    cur: QueryResult,
    cmp: QueryResult | None,
    shift_s: int,
    limits: Mapping[str, Limit] | None,
    now: datetime,
) -> PanelSnapshot:
    step = window.step_s

    def tf(vals: Sequence[float | None]) -> list[float | None]:
        return an.transform(vals, step_s=step, per_second=p.per_second, scale=p.scale)

    if p.kind == "toplist":
        return _toplist(p, cur, cmp, tf, now)
    ts, vals = an.combine(cur.series, p.aggregate)
    vals = tf(vals)
    value = an.reduce_values(vals, p.reduce)
    cvalue = None
    cpts = None
    if cmp is not None and cmp.ok and cmp.series:
        cts, cvals = an.combine(cmp.series, p.aggregate)
        cvals = tf(cvals)
        cvalue = an.reduce_values(cvals, p.reduce)
        cpts = _pts(cts, cvals, shift_s)
    delta = an.delta_pct(value, cvalue)
    tr = an.trend(ts, vals) if (p.trend or p.kind == "gauge") and ts else None
    status = _status(p, value, delta)
    series: tuple[PanelSeries, ...]
    if p.kind == "timeseries" and len(cur.series) > 1:
        series = _many_series(p, cur.series, cmp, shift_s, tf)
    elif ts:
        series = (PanelSeries(labels={}, points=_pts(ts, vals), compare_points=cpts),)
    else:
        series = ()
    limit = None
    rows = None
    if p.kind == "gauge":
        lim = p.max
        if p.limit is not None:
            found = (limits or {}).get(p.limit)
            if found is None:
                return base(p, "error", now, error=f"provider has no limit named {p.limit!r}", series=series)
            lim = found.limit
        if lim:
            used = value if value is not None else an.reduce_values(vals, "last")
            # extrapolate from where the trend line is now, not from a noisy last point
            level = an.trend_value(tr, ts[0], ts[-1]) if tr else used
            ttl = an.time_to_limit(level, lim, tr.slope_per_h if tr else None)
            limit = LimitInfo(used=used if used is not None else 0.0, limit=lim, time_to_limit_s=ttl)
            pct = None if used is None else used / lim * 100.0
            status = "nodata" if used is None else an.threshold_status(pct, _thresholds(p))
        if len(cur.series) > 1:
            ranked = an.top_n(cur.series, lambda s: an.reduce_values(tf(s.values), p.reduce), 3, "desc")
            rows = tuple(
                {"name": s.name(), "value": _r(an.reduce_values(tf(s.values), p.reduce))} for s in ranked
            )
    return base(
        p,
        status,
        now,
        value=_r(value),
        compare_value=_r(cvalue),
        delta_pct=_r(delta),
        trend=tr if p.trend or p.kind == "gauge" else None,
        series=series,
        limit=limit,
        rows=rows,
    )


def _many_series(
    p: PanelCfg, series: Sequence[Series], cmp: QueryResult | None, shift_s: int, tf: Transform
) -> tuple[PanelSeries, ...]:
    compare_by = {_label_key(s.labels): s for s in (cmp.series if cmp is not None and cmp.ok else ())}
    chosen = an.top_n(series, lambda s: an.reduce_values(s.values, "sum"), p.top, "desc")
    out = []
    for s in chosen:
        c = compare_by.get(_label_key(s.labels))
        out.append(
            PanelSeries(
                labels=dict(s.labels),
                points=_pts(s.timestamps, tf(s.values)),
                compare_points=_pts(c.timestamps, tf(c.values), shift_s) if c else None,
            )
        )
    return tuple(out)


def _toplist(
    p: PanelCfg, cur: QueryResult, cmp: QueryResult | None, tf: Transform, now: datetime
) -> PanelSnapshot:
    compare_by = {_label_key(s.labels): s for s in (cmp.series if cmp is not None and cmp.ok else ())}
    rows_all: list[ToplistRow] = []
    for s in cur.series:
        v = an.reduce_values(tf(s.values), p.reduce)
        c = compare_by.get(_label_key(s.labels))
        cv = an.reduce_values(tf(c.values), p.reduce) if c else None
        d = an.delta_pct(v, cv)
        rows_all.append(
            {
                "name": s.name(),
                "resource": next(iter(s.labels.values()), ""),
                "labels": dict(s.labels),
                "value": _r(v),
                "compare_value": _r(cv),
                "delta_pct": _r(d),
                "status": _status(p, v, d),
            }
        )
    rows = an.top_n(rows_all, lambda r: r["value"], p.top, p.order)
    if not rows:
        return base(p, "nodata", now, rows=())
    status = an.worst_status(r["status"] for r in rows if r["status"] != "nodata")
    lead = rows[0]
    return base(
        p,
        status,
        now,
        value=lead["value"],
        compare_value=lead["compare_value"],
        delta_pct=lead["delta_pct"],
        rows=tuple(rows),
    )


def alarms_panel(p: PanelCfg, alarms: Sequence[Alarm], now: datetime) -> PanelSnapshot:
    ordered = sorted(alarms, key=lambda a: (ALARM_ORDER.get(a.state, 3), a.name))
    rows = tuple(
        {
            "name": a.name,
            "state": a.state,
            "reason": a.reason,
            "since": a.since.isoformat() if a.since else None,
            "resource": a.resource,
            "link": a.link,
        }
        for a in ordered
    )
    firing = sum(1 for a in alarms if a.state == "ALARM")
    status: Status = "crit" if firing else ("nodata" if not alarms else "ok")
    return base(p, status, now, value=float(firing), rows=rows)


def cost_panel(p: PanelCfg, items: Sequence[CostItem], today: date, now: datetime) -> PanelSnapshot:
    s = an.cost_summary(items, today)
    if not s["rows"]:
        return base(p, "nodata", now, rows=())
    th = _thresholds(p)
    rows = []
    for r in s["rows"]:
        basis = r["wow_pct"] if p.threshold_on == "delta_pct" else r["mtd"]
        rows.append({**r, "status": "ok" if basis is None else an.threshold_status(basis, th)})
    panel_basis = s["delta_pct"] if p.threshold_on == "delta_pct" else s["mtd"]
    status = an.worst_status(
        [an.threshold_status(panel_basis, th) if panel_basis is not None else "ok"]
        + [r["status"] for r in rows]
    )
    ms, pms = an.month_start(today), an.prev_month_start(today)
    shift = _epoch(ms) - _epoch(pms)  # last month's days drawn on this month's axis
    elapsed = today - ms
    pts = tuple((_epoch(d), round(a, 2)) for d, a in s["daily"])
    cpts = tuple((_epoch(d) + shift, round(a, 2)) for d, a in s["daily_last_month"] if d - pms <= elapsed)
    series = (PanelSeries(labels={"service": "total"}, points=pts, compare_points=cpts),)
    return base(
        p,
        status,
        now,
        value=s["mtd"],
        compare_value=s["last_month_same_days"],
        delta_pct=s["delta_pct"],
        rows=tuple(rows),
        series=series,
    )


def _epoch(d: date) -> int:
    return int(datetime(d.year, d.month, d.day, tzinfo=UTC).timestamp())


def health_panel(
    p: PanelCfg, health: Sequence[FunctionHealth], now: datetime, warn_timeout_pct: float = 80.0
) -> PanelSnapshot:
    rows = []
    for h in sorted(health, key=lambda h: (-(h.oom + h.timeouts), -(h.timeout_pct or 0), h.function)):
        st: Status = "ok"
        if h.oom or h.timeouts:
            st = "crit"
        elif (h.timeout_pct or 0) >= warn_timeout_pct:
            st = "warn"
        rows.append({**h.row(), "status": st})
    if not rows:
        return base(p, "nodata", now, rows=())
    bad = sum(1 for r in rows if r["status"] != "ok")
    return base(
        p,
        an.worst_status(r["status"] for r in rows),
        now,
        value=float(bad),
        rows=tuple(rows[: max(p.top, 50)]),
    )


def logs_panel(p: PanelCfg, result: LogResult, now: datetime) -> PanelSnapshot:
    rows = tuple(
        {
            "time": datetime.fromtimestamp(r.timestamp, tz=now.tzinfo).isoformat(),
            "resource": r.resource,
            "level": r.level,
            "status": r.status,
            "request_id": r.request_id,
            "message": r.message,
        }
        for r in result.records[: p.top]
    )
    status: Status = "nodata" if not rows else an.threshold_status(float(len(result.records)), _thresholds(p))
    return base(p, status, now, value=float(len(result.records)), rows=rows)


def _r(v: float | None, nd: int = 4) -> float | None:
    return None if v is None else round(v, nd)
