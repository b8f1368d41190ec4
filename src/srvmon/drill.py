"""Drill-down: the LogQuery behind a panel (its DrillTarget) narrowed by a selected row or series, and the
logs around a change event."""

from __future__ import annotations

from datetime import UTC, datetime

from srvmon import kinds
from srvmon.model import (
    AlarmRow,
    ChangeEvent,
    CostRow,
    EventRow,
    HealthRow,
    LogQuery,
    LogRow,
    PanelSeries,
    PanelSnapshot,
    Row,
    ServiceEdge,
    ServiceNode,
    ShareRow,
    TimeWindow,
    ToplistRow,
)


def resources_of(row: Row | PanelSeries | None) -> tuple[str, ...]:
    """The resources a selected row or series stands for (function, resource, label values, name)."""
    if row is None:
        return ()
    if isinstance(row, HealthRow):
        return (row.function,)
    if isinstance(row, ToplistRow):
        return (row.resource or row.name,)
    if isinstance(row, AlarmRow | LogRow):
        return (row.resource,) if row.resource else ()
    if isinstance(row, ShareRow):
        return (row.name,)
    if isinstance(row, EventRow):
        return row.resources[:1]
    if isinstance(row, CostRow):
        return ()
    # -- service map rows: a Lambda function's logs (other services have no log group) --
    if isinstance(row, ServiceNode):
        return (row.name,) if row.type == "AWS::Lambda::Function" else ()
    if isinstance(row, ServiceEdge):
        return (row.target,) if row.target_type == "AWS::Lambda::Function" else ()
    return tuple(str(v) for v in row.labels.values() if v)


def log_query(
    panel: PanelSnapshot, row: Row | PanelSeries | None = None, *, limit: int = 1000
) -> LogQuery | None:
    """The logs Enter opens for `panel` (and its selected row); None when the panel has no drill-down."""
    target = panel.drill
    if target is None:
        return None
    errors_only = target.errors_only
    if panel.status in ("warn", "crit") and kinds.traits(panel.kind).drill_errors_when_bad:
        errors_only = errors_only or target.status_class is not None
    request_id = row.request_id if isinstance(row, LogRow) else None
    query = LogQuery(
        provider=target.provider,
        window=target.window,
        resources=resources_of(row) or target.resources,
        text=target.text,
        regex=target.regex,
        errors_only=errors_only,
        status_class=target.status_class,
        request_id=request_id,
        limit=limit,
    )
    return query


#: How far before and after a change event its logs are read (Enter on an event).
EVENT_MARGIN_S = 5 * 60


def event_query(
    event: ChangeEvent | EventRow, *, margin_s: int = EVENT_MARGIN_S, limit: int = 1000
) -> LogQuery:
    """The logs around a change event: its resources, from `margin_s` before to `margin_s` after it."""
    t = int(event.time.timestamp())
    window = TimeWindow(
        datetime.fromtimestamp(t - margin_s, UTC), datetime.fromtimestamp(t + margin_s, UTC), 60
    )
    return LogQuery(provider=event.provider, window=window, resources=tuple(event.resources), limit=limit)
