"""Log drill-down through Cloud Logging entries:list: a filter built from the LogQuery (every value quoted
for the Logging query language), newest first, paged within `logs_max_pages`."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote as urlquote

from srvmon.model import LogQuery, LogRecord, LogResult
from srvmon.quoting import backslash_escape, unicode_escape

from .auth import GoogleApi
from .options import GcpOptions
from .promql import glob_regex

RUN, FUNCTION = "cloud_run_revision", "cloud_function"
PAGE_MAX = 1000
#: Cloud Logging severities (LogSeverity) from lowest; ERROR and above are errors.
SEVERITIES = ("DEFAULT", "DEBUG", "INFO", "NOTICE", "WARNING", "ERROR", "CRITICAL", "ALERT", "EMERGENCY")
_STATUS = {"2xx": (200, 300), "3xx": (300, 400), "4xx": (400, 500), "5xx": (500, 600)}


def lq(text: str) -> str:
    """A Logging-query-language string literal holding exactly `text` (backslash escapes)."""
    return '"' + backslash_escape(text, '"', unicode_escape) + '"'


def _ts(dt: datetime) -> str:
    return dt.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def resource_clause(names: Sequence[str], gen2_services: Mapping[str, str], opts: GcpOptions) -> str:
    """Which workloads: the named ones (Cloud Run service or function), else the configured selection."""
    if names:
        terms = []
        for n in names:
            svc = gen2_services.get(n, n)
            terms.append(f"(resource.type={lq(RUN)} AND resource.labels.service_name={lq(svc)})")
            terms.append(f"(resource.type={lq(FUNCTION)} AND resource.labels.function_name={lq(n)})")
        return "(" + " OR ".join(terms) + ")"
    run, fn = [f"resource.type={lq(RUN)}"], [f"resource.type={lq(FUNCTION)}"]
    if opts.include:
        rx = lq(f"^(?:{glob_regex(opts.include)})$")
        run.append(f"resource.labels.service_name=~{rx}")
        fn.append(f"resource.labels.function_name=~{rx}")
    if opts.exclude:
        rx = lq(f"^(?:{glob_regex(opts.exclude)})$")
        run.append(f"NOT resource.labels.service_name=~{rx}")
        fn.append(f"NOT resource.labels.function_name=~{rx}")
    if opts.regions:
        regions = " OR ".join(lq(r) for r in opts.regions)
        run.append(f"resource.labels.location=({regions})")
        fn.append(f"resource.labels.region=({regions})")
    return f"(({' AND '.join(run)}) OR ({' AND '.join(fn)}))"


def build_filter(query: LogQuery, opts: GcpOptions, gen2_services: Mapping[str, str] | None = None) -> str:
    """The entries:list filter for a drill-down. ValueError for a field name that is not a field path."""
    w = query.window
    parts = [resource_clause(query.resources, gen2_services or {}, opts),
             f"timestamp>={lq(_ts(w.start))}", f"timestamp<{lq(_ts(w.end))}"]  # fmt: skip
    if query.errors_only:
        parts.append("severity>=ERROR")
    if query.status_class:
        lo, hi = _STATUS.get(query.status_class, (0, 0))
        if not lo:
            raise ValueError(f"status_class {query.status_class!r} is not 2xx, 3xx, 4xx or 5xx")
        parts.append(f"httpRequest.status>={lo} AND httpRequest.status<{hi}")
    if query.text:
        if query.regex:
            rx = lq(query.text)
            parts.append(f"(textPayload=~{rx} OR jsonPayload.message=~{rx})")
        else:
            parts.append(lq(query.text))  # a global restriction: any field holding the text
    if query.request_id:
        rid = lq(query.request_id)
        parts.append(f"(labels.execution_id={rid} OR trace:{rid} OR insertId={rid})")
    for key, value in query.fields.items():
        if not _field_path(key):
            raise ValueError(f"{key!r} is not a log field path (letters, digits, _ and dots)")
        parts.append(f"{key}={lq(value)}")
    return " AND ".join(parts)


def _field_path(key: str) -> bool:
    import re

    return bool(re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)*", key))


def fetch(api: GoogleApi, opts: GcpOptions, query: LogQuery, flt: str) -> LogResult:
    """entries:list across the configured projects, newest first, at most query.limit records."""
    records: list[LogRecord] = []
    warnings: list[str] = []
    token: str | None = None
    url = f"{opts.logging_endpoint}/v2/entries:list"
    partial = False
    for page in range(opts.logs_max_pages):
        body: dict[str, Any] = {
            "resourceNames": [f"projects/{p}" for p in opts.projects],
            "filter": flt,
            "orderBy": "timestamp desc",
            "pageSize": min(PAGE_MAX, query.limit - len(records)),
        }
        if token:
            body["pageToken"] = token
        answer = api.request("POST", url, "entries.list", json_body=body)
        for entry in answer.get("entries") or [] if isinstance(answer, Mapping) else []:
            if isinstance(entry, Mapping):
                records.append(record(entry))
        token = answer.get("nextPageToken") if isinstance(answer, Mapping) else None
        if len(records) >= query.limit:
            partial = bool(token) or len(records) > query.limit
            break
        if not token:
            break
        if page == opts.logs_max_pages - 1:
            partial = True
            warnings.append(
                f"stopped after {opts.logs_max_pages} pages (logs_max_pages); older entries not read"
            )
    records.sort(key=lambda r: r.timestamp, reverse=True)
    return LogResult(tuple(records[: query.limit]), filtered_by_provider=True, partial=partial,
                     warnings=tuple(warnings))  # fmt: skip


def parse_time(text: Any) -> float:
    """RFC 3339 with up to nanoseconds -> epoch seconds (0.0 when unreadable)."""
    s = str(text or "")
    if not s:
        return 0.0
    s = s.replace("Z", "+00:00")
    if "." in s:
        head, _, rest = s.partition(".")
        digits = "".join(ch for ch in rest if ch.isdigit())
        tz = rest[len(digits) :]
        s = f"{head}.{digits[:6].ljust(6, '0')}{tz}"
    try:
        return datetime.fromisoformat(s).timestamp()
    except ValueError:
        return 0.0


def _duration_ms(text: Any) -> float | None:
    s = str(text or "")
    if not s.endswith("s"):
        return None
    try:
        return float(s[:-1]) * 1000.0
    except ValueError:
        return None


def _message(entry: Mapping[str, Any]) -> str:
    if isinstance(entry.get("textPayload"), str):
        return str(entry["textPayload"])
    payload = entry.get("jsonPayload")
    if isinstance(payload, Mapping):
        msg = payload.get("message") or payload.get("msg")
        return str(msg) if msg is not None else json.dumps(payload, sort_keys=True, default=str)[:4000]
    http = entry.get("httpRequest")
    if isinstance(http, Mapping):
        return " ".join(
            str(x) for x in (http.get("requestMethod"), http.get("requestUrl"), http.get("status")) if x
        )
    proto = entry.get("protoPayload")
    if isinstance(proto, Mapping):
        return str(proto.get("methodName") or proto.get("@type") or "")
    return ""


def record(entry: Mapping[str, Any]) -> LogRecord:
    """A LogEntry -> LogRecord (the message is data: never interpreted)."""
    res = _map(entry.get("resource"))
    labels = _map(res.get("labels"))
    http = _map(entry.get("httpRequest"))
    elabels = _map(entry.get("labels"))
    name = labels.get("service_name") or labels.get("function_name") or ""
    trace = str(entry.get("trace") or "")
    request_id = elabels.get("execution_id") or (trace.rsplit("/", 1)[-1] if trace else None)
    project = labels.get("project_id") or _project_of(entry.get("logName"))
    status = http.get("status")
    insert_id = str(entry.get("insertId") or "")
    link = None
    if insert_id and project:
        q = urlquote(f"insertId={lq(insert_id)}", safe="")
        link = f"https://console.cloud.google.com/logs/query;query={q}?project={urlquote(project, safe='')}"
    fields = {k: v for k, v in {
        "project": project, "region": labels.get("location") or labels.get("region"),
        "revision": labels.get("revision_name"), "resource_type": res.get("type"),
        "log": entry.get("logName"), "insert_id": insert_id or None, "trace": trace or None,
        "url": http.get("requestUrl"), "method": http.get("requestMethod"),
    }.items() if v}  # fmt: skip
    return LogRecord(
        timestamp=parse_time(entry.get("timestamp") or entry.get("receiveTimestamp")),
        resource=str(name),
        message=_message(entry),
        level=str(entry.get("severity") or "DEFAULT"),
        status=int(status) if isinstance(status, int | str) and str(status).isdigit() else None,
        duration_ms=_duration_ms(http.get("latency")),
        request_id=str(request_id) if request_id else None,
        fields=fields,
        link=link,
    )


def _map(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def _project_of(log_name: Any) -> str:
    bits = str(log_name or "").split("/")
    return bits[1] if len(bits) > 2 and bits[0] == "projects" else ""
