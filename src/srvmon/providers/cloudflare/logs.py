"""Log drill-down through Workers Logs: `POST /accounts/{id}/workers/observability/telemetry/query`.

The Workers Observability telemetry API is the documented read API over Workers Logs (the same store
the dashboard's Query Builder searches). Queries run as `dry` (nothing is saved), view "events",
newest first, paged by moving the timeframe's end before the oldest event seen. Workers Logs keep
7 days (3 on the free plan) and only for Workers deployed with `[observability] enabled = true`;
Logpush has no read API (it pushes to your own storage), so it is not used.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from srvmon.logfilter import apply_query, parse_status_class
from srvmon.model import LogQuery, LogRecord, LogResult
from srvmon.providers.base import ProviderError
from srvmon.providers.cloudflare.client import CloudflareClient
from srvmon.providers.cloudflare.options import DEFAULT_ENDPOINT
from srvmon.providers.httpio import HttpError

DATASET = "cloudflare-workers"
#: How far back Workers Logs reach on paid plans (free plans: 3 days).
RETENTION_S = 7 * 86400
PAGE_SIZE = 500
MAX_PAGES = 5


def body(query: LogQuery, frm_ms: int, to_ms: int, limit: int, resource: str | None) -> dict[str, Any]:
    """The telemetry query for one page: filters for what the API can filter, a needle for the text."""
    filters: list[dict[str, Any]] = []
    if resource:
        filters.append({"key": "$workers.scriptName", "operation": "eq", "type": "string", "value": resource})
    if query.errors_only:
        filters.append({"key": "$metadata.level", "operation": "eq", "type": "string", "value": "error"})
    status = parse_status_class(query.status_class)
    if status is not None:
        lo, hi = status
        key = "$workers.event.response.status"
        filters.append({"key": key, "operation": "gte", "type": "number", "value": lo})
        filters.append({"key": key, "operation": "lte", "type": "number", "value": hi})
    if query.request_id:
        filters.append(
            {"key": "$workers.requestId", "operation": "eq", "type": "string", "value": query.request_id}
        )
    params: dict[str, Any] = {
        "datasets": [DATASET],
        "filters": filters,
        "filterCombination": "and",
        "limit": limit,
    }
    if query.text:
        params["needle"] = {"value": query.text, "isRegex": query.regex, "matchCase": False}
    return {
        "queryId": "srvmon-drilldown",
        "view": "events",
        "dry": True,
        "limit": limit,
        "timeframe": {"from": frm_ms, "to": to_ms},
        "parameters": params,
    }


def _get(d: Any, *path: str) -> Any:
    for p in path:
        if not isinstance(d, Mapping):
            return None
        d = d.get(p)
    return d


def _obj(v: Any) -> Mapping[str, Any]:
    return v if isinstance(v, Mapping) else {}


def _num(v: Any) -> float | None:
    return float(v) if isinstance(v, int | float) and not isinstance(v, bool) else None


def record(event: Mapping[str, Any], link: str | None) -> LogRecord | None:
    """One telemetry event as a LogRecord (its texts kept as inert data)."""
    ts = _num(event.get("timestamp"))
    if ts is None:
        return None
    meta = _obj(event.get("$metadata"))
    wk = _obj(event.get("$workers"))
    message = str(meta.get("message") or "")
    error = meta.get("error")
    if isinstance(error, str) and error and error not in message:
        message = f"{message}: {error}" if message else error
    status = _num(_get(wk, "event", "response", "status")) or _num(meta.get("statusCode"))
    fields = {
        k: v
        for k, v in {
            "outcome": wk.get("outcome"),
            "event_type": wk.get("eventType"),
            "cpu_ms": wk.get("cpuTimeMs"),
            "method": _get(wk, "event", "request", "method"),
            "url": _get(wk, "event", "request", "url"),
            "ray_id": _get(wk, "event", "rayId"),
            "trigger": meta.get("trigger"),
            "error": error,
        }.items()
        if v is not None
    }
    request_id = wk.get("requestId") or meta.get("requestId")
    return LogRecord(
        timestamp=ts / 1000.0,
        resource=str(wk.get("scriptName") or meta.get("service") or ""),
        message=message,
        level=str(meta["level"]) if meta.get("level") else None,
        status=int(status) if status is not None else None,
        duration_ms=_num(wk.get("wallTimeMs")),
        request_id=str(request_id) if request_id else None,
        fields=fields,
        link=link,
    )


def read_logs(
    client: CloudflareClient, query: LogQuery, now: datetime, allowed: Sequence[str] | None
) -> LogResult:
    """Newest records first, at most `query.limit`. `allowed`: the scripts include/exclude keep (None = all).
    Raises ProviderError with the fix when the API refuses (permission, Workers Logs not enabled)."""
    opts = client.options
    warnings: list[str] = []
    resources = list(query.resources)
    if allowed is not None:
        resources = [r for r in resources if r in allowed] if resources else list(allowed)
        if not resources:
            return LogResult(
                (), filtered_by_provider=True, warnings=("no Worker script matches include/exclude",)
            )
    start_ms = int(query.window.start_s * 1000)
    earliest_ms = int((now.timestamp() - RETENTION_S) * 1000)
    if start_ms < earliest_ms:
        start_ms = earliest_ms
        warnings.append("Workers Logs keep 7 days (3 on the free plan): older records are not available")
    to_ms = int(query.window.end_s * 1000)
    single = resources[0] if len(resources) == 1 else None
    link = (
        f"https://dash.cloudflare.com/{opts.account_id}/workers-and-pages/observability"
        if opts.endpoint == DEFAULT_ENDPOINT
        else None
    )
    records: list[LogRecord] = []
    more = False  # the last page was full: older records may exist
    path = f"/accounts/{opts.account_id}/workers/observability/telemetry/query"
    for _ in range(MAX_PAGES):
        if to_ms <= start_ms or len(records) >= query.limit:
            break
        limit = min(PAGE_SIZE, query.limit - len(records))
        try:
            answer = client.rest(
                "POST", path, "telemetry_query", json_body=body(query, start_ms, to_ms, limit, single)
            )
        except HttpError as exc:
            if exc.status in (401, 403):
                raise ProviderError(
                    f"{exc} (the API token needs Workers Observability Read for log drill-down; "
                    "or set logs = false)"
                ) from exc
            raise
        events = _get(answer, "result", "events", "events")
        page = [e for e in events if isinstance(e, Mapping)] if isinstance(events, list) else []
        for e in page:
            rec = record(e, link)
            if rec is not None:
                records.append(rec)
        more = len(page) >= limit
        if not more:
            break
        oldest = min((_num(e.get("timestamp")) or to_ms) for e in page)
        to_ms = int(oldest) - 1
    partial = more
    local = dataclasses.replace(query, text=None, resources=tuple(resources))  # the API matched the text
    kept = apply_query(local, records)
    kept.sort(key=lambda r: r.timestamp, reverse=True)
    if len(kept) > query.limit:
        partial = True
    if not kept and not query.text and not query.errors_only and not query.status_class:
        warnings.append(
            "no Workers Logs events: logs are stored only for Workers deployed with "
            "[observability] enabled = true (wrangler)"
        )
    return LogResult(
        tuple(kept[: query.limit]), filtered_by_provider=True, partial=partial, warnings=tuple(warnings)
    )
