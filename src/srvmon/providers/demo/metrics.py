"""Demo metric queries: parse, build each series in closed form on the window's buckets, rank top-N."""

from __future__ import annotations

from bisect import bisect_left
from datetime import UTC, datetime

from srvmon.model import MetricQuery, QueryResult, Series, TimeWindow
from srvmon.providers.demo.catalog import QueryError, parse
from srvmon.providers.demo.families import entities, group_small
from srvmon.providers.demo.fleet import Fleet, Incidents
from srvmon.providers.demo.lambdas import lambda_groups
from srvmon.providers.demo.rhythm import rhythm_array
from srvmon.providers.demo.series import Ctx, Values


def run(fleet: Fleet, inc: Incidents, q: MetricQuery, window: TimeWindow, now_s: int) -> QueryResult:
    """Answer one query; a bad query becomes QueryResult(error=...)."""
    try:
        pq = parse(q.query, q.stat, q.group_by)
    except QueryError as exc:
        return QueryResult(q.ref_id, error=str(exc))
    if window.step_s <= 0 or window.end_s <= window.start_s:
        return QueryResult(q.ref_id, series=())
    ts = tuple(window.timestamps())
    ctx = Ctx(
        fleet, inc, ts, window.step_s, rhythm_array(window.start_s, window.end_s, window.step_s, inc.anchor_s)
    )
    if pq.spec.family == "lambda":
        groups = lambda_groups(ctx, pq, q.limit, q.order)
    else:
        groups = group_small(pq, entities(ctx, pq))
    if q.limit is not None:
        groups = _top(groups, q.limit, q.order)
    out = []
    done = bisect_left(ts, now_s)  # buckets from `now` on have no data yet
    future: tuple[None, ...] = (None,) * (len(ts) - done)
    for labels, values in groups:
        if len(values) != len(ts):
            raise ValueError(f"{len(values)} values for {len(ts)} buckets")
        out.append(Series(labels=labels, timestamps=ts, values=(*values[:done], *future)))
    return QueryResult(q.ref_id, series=tuple(out))


def _top(
    groups: list[tuple[dict[str, str], Values]], limit: int, order: str
) -> list[tuple[dict[str, str], Values]]:
    desc = order != "asc"
    ranked = sorted(groups, key=lambda g: (-sum(g[1]) if desc else sum(g[1]), sorted(g[0].items())))
    return ranked[: max(0, limit)]


def current(
    fleet: Fleet,
    inc: Incidents,
    query: str | dict[str, object],
    stat: str | None,
    now_s: int,
    group_by: tuple[str, ...] = (),
) -> list[tuple[dict[str, str], float]]:
    """The value of a query in the last complete minute (for limits and alarms)."""
    end = now_s // 60 * 60
    window = TimeWindow.ending_at(datetime.fromtimestamp(end, UTC), 60, 60)
    res = run(fleet, inc, MetricQuery("now", "demo", query, stat, group_by), window, end + 1)
    return [(dict(s.labels), s.values[-1] or 0.0) for s in res.series if s.values]
