"""Log drill-down through Log Service (SLS) GetLogs on the functions' logstore (log_project/log_store).

GET /logstores/{logstore}?type=log&from=<s>&to=<s>&query=<search>&line=<=100&offset=&reverse=true answers a
JSON array of log dicts ("__time__", "__topic__", "__source__", then the fields: functionName, message,
level, requestId, qualifier, instanceId ...); the x-log-progress header says "Complete" or "Incomplete".
The search narrows by function, words and error markers server-side; everything in the LogQuery (regex,
status class, fields) is then applied exactly by srvmon.logfilter. Log text is data, never markup.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from typing import Any

from srvmon.logfilter import apply_query
from srvmon.model import LogQuery, LogRecord, LogResult
from srvmon.providers.base import ProviderError

from .client import AliClient, AliError
from .options import AlibabaOptions

LINES_PER_CALL = 100
MAX_CALLS = 10
LOG_POLICY = "AliyunLogReadOnlyAccess"
_ERROR_WORDS = '(ERROR or FATAL or Exception or Traceback or "timed out" or "out of memory")'
_META = ("__time__", "__time_ns_part__", "__topic__", "__source__", "__tag__:__receive_time__")


def quote_term(text: str) -> str:
    """A phrase for the SLS search syntax: double-quoted, with \\ and \" escaped."""
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def search(query: LogQuery, field: str) -> str:
    parts = []
    if query.resources:
        parts.append("(" + " or ".join(f"{field}: {quote_term(r)}" for r in query.resources) + ")")
    if query.text and not query.regex:
        parts.append(quote_term(query.text))
    if query.request_id:
        parts.append(quote_term(query.request_id))
    if query.errors_only or (query.status_class or "").startswith("5"):
        parts.append(_ERROR_WORDS)
    return " and ".join(parts) or "*"


def to_record(raw: Mapping[str, Any], field: str) -> LogRecord | None:
    try:
        ts = float(raw.get("__time__"))  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None
    if not math.isfinite(ts):
        return None
    fields = {str(k): v for k, v in raw.items() if k not in _META}
    message = fields.get("message", fields.get("content"))
    if not isinstance(message, str):
        message = json.dumps(fields, sort_keys=True, default=str)
    level = fields.get("level")
    rid = fields.get("requestId") or fields.get("request_id")
    return LogRecord(
        timestamp=ts,
        resource=str(fields.get(field) or ""),
        message=message,
        level=str(level) if level else None,
        request_id=str(rid) if rid else None,
        fields=fields,
    )


def get_logs(client: AliClient, options: AlibabaOptions, query: LogQuery) -> LogResult:
    field = options.log_function_field
    resource = f"/logstores/{options.log_store}"
    text = search(query, field)
    records: list[LogRecord] = []
    warnings: list[str] = []
    complete = True
    offset = 0
    for _ in range(MAX_CALLS):
        line = min(LINES_PER_CALL, query.limit - offset)
        if line <= 0:
            break
        params = {
            "type": "log",
            "from": str(query.window.start_s),
            "to": str(query.window.end_s),
            "query": text,
            "line": str(line),
            "offset": str(offset),
            "reverse": "true",
        }
        try:
            body, headers = client.sls_get(resource, params)
        except AliError as exc:
            if exc.kind == "denied":
                raise ProviderError(
                    f"{exc}; logs need the RAM policy {LOG_POLICY} on {options.log_project}"
                ) from exc
            raise
        if headers.get("x-log-progress", "Complete") != "Complete":
            complete = False
        rows = body if isinstance(body, list) else []
        records.extend(r for r in (to_record(x, field) for x in rows if isinstance(x, dict)) if r)
        offset += len(rows)
        if len(rows) < line:
            break
    if not complete:
        warnings.append(
            "Log Service said the search was incomplete (x-log-progress: Incomplete); retry for more"
        )
    kept = apply_query(query, records)
    kept.sort(key=lambda r: r.timestamp, reverse=True)
    partial = offset >= query.limit or not complete
    return LogResult(
        tuple(kept[: query.limit]), filtered_by_provider=True, partial=partial, warnings=tuple(warnings)
    )
