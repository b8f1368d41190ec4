"""Turn a panel (and its selected row or series) into the LogQuery its drill-down opens."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from srvmon.model import RANGES, LogQuery, PanelSnapshot, TimeWindow


def _status_class(panel_id: str, title: str) -> str | None:
    text = f"{panel_id} {title}".lower()
    for cls in ("5xx", "4xx"):
        if cls in text:
            return cls
    if "backend error" in text or "fatal" in text:
        return "5xx"
    if "user error" in text:
        return "4xx"
    return None


def _resources(row: Mapping[str, Any] | None) -> tuple[str, ...]:
    if not row:
        return ()
    for key in ("function", "resource"):
        v = row.get(key)
        if v:
            return (str(v),)
    labels = row.get("labels")
    if isinstance(labels, Mapping) and labels:
        return tuple(str(v) for v in labels.values() if v)
    name = row.get("name")
    return (str(name),) if name else ()


def build_log_query(
    panel: PanelSnapshot | None,
    cfg: Any,
    row: Mapping[str, Any] | None,
    window: TimeWindow,
    *,
    default_provider: str | None,
    kind: str,
    panel_id: str,
    title: str,
) -> LogQuery | None:
    """The log query for Enter on a panel: provider, resources, window, errors/status filters.

    Returns None when no provider can be determined.
    """
    dd = getattr(cfg, "drilldown", None)
    provider = (
        getattr(dd, "provider", None)
        or (panel.provider if panel else None)
        or getattr(cfg, "provider", None)
        or default_provider
    )
    if not provider:
        return None
    panel_range = getattr(cfg, "range", None)
    if panel_range in RANGES:
        window = TimeWindow.ending_at(window.end, RANGES[panel_range], window.step_s)
    resources = _resources(row) or tuple(getattr(dd, "resources", None) or ())
    status_class = getattr(dd, "status_class", None) or _status_class(panel_id, title)
    errors_only = (
        bool(getattr(dd, "errors_only", False))
        or kind in ("alarms", "health", "logs")
        or (status_class in ("4xx", "5xx"))
    )
    if panel is not None and panel.status in ("warn", "crit") and kind in ("stat", "timeseries", "toplist"):
        errors_only = errors_only or status_class is not None
    request_id = row.get("request_id") if row else None
    return LogQuery(
        provider=provider,
        window=window,
        resources=resources,
        text=getattr(dd, "filter", None),
        regex=bool(getattr(dd, "regex", False)),
        errors_only=errors_only,
        status_class=status_class,
        request_id=str(request_id) if request_id else None,
    )
