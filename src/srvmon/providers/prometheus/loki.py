"""Loki drill-down: a LogQuery as LogQL (user text escaped, never pasted) and query_range streams as LogRecords."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from srvmon.model import LogQuery, LogRecord
from srvmon.providers.prometheus.promql import label_name, quote, regex_escape

#: Line filter for errors_only: the usual words for a failed invocation.
ERROR_PATTERN = r"(?i)(error|exception|fatal|panic|timed out|traceback|\bstatus[=: ]+5\d\d\b)"
_LEVEL_KEYS = ("level", "detected_level", "severity", "lvl")


def selector(base: str, resource_label: str, resources: tuple[str, ...]) -> str:
    """The stream selector: `base` plus resource_label matching exactly the given names."""
    base = base.strip()
    if not (base.startswith("{") and base.endswith("}")):
        raise ValueError(f'loki_selector {base!r} must be a LogQL stream selector like {{namespace="fn"}}')
    if not resources:
        return base
    label_name(resource_label)
    if len(resources) == 1:
        extra = f"{resource_label}={quote(resources[0])}"
    else:
        extra = f"{resource_label}=~{quote('|'.join(regex_escape(r) for r in resources))}"
    inner = base[1:-1].strip()
    return "{" + (f"{inner}, {extra}" if inner else extra) + "}"


def logql(query: LogQuery, base: str, resource_label: str) -> str:
    """LogQL for a drill-down; every piece of user text goes through quote()/regex_escape()."""
    parts = [selector(base, resource_label, query.resources)]
    if query.text:
        parts.append(f"|~ {quote(query.text)}" if query.regex else f"|= {quote(query.text)}")
    if query.request_id:
        parts.append(f"|= {quote(query.request_id)}")
    if query.errors_only:
        parts.append(f"|~ {quote(ERROR_PATTERN)}")
    if query.status_class:
        digit = query.status_class[:1]
        if digit.isdigit():
            pattern = r"\b" + digit + r"\d\d\b"
            parts.append(f"|~ {quote(pattern)}")
    if query.fields:
        parts.append("| json")
        parts.extend(f"| {label_name(k)}={quote(str(v))}" for k, v in query.fields.items())
    return " ".join(parts)


def params(query: LogQuery, expr: str) -> dict[str, str]:
    return {
        "query": expr,
        "start": str(query.window.start_s * 1_000_000_000),
        "end": str(query.window.end_s * 1_000_000_000),
        "limit": str(query.limit),
        "direction": "backward",
    }


def _level(stream: Mapping[str, str], line: str) -> str | None:
    for key in _LEVEL_KEYS:
        if stream.get(key):
            return str(stream[key]).lower()
    if line.startswith("{"):
        try:
            obj = json.loads(line)
        except ValueError:
            return None
        if isinstance(obj, dict):
            for key in _LEVEL_KEYS:
                value = obj.get(key)
                if isinstance(value, str):
                    return value.lower()
    return None


def records(body: Any, resource_label: str, limit: int) -> list[LogRecord]:
    """Loki query_range `streams` -> newest-first LogRecords (lines kept verbatim: untrusted data)."""
    data = body.get("data") if isinstance(body, Mapping) else None
    result = data.get("result") if isinstance(data, Mapping) else None
    out: list[LogRecord] = []
    for stream in result or []:
        if not isinstance(stream, Mapping):
            continue
        labels = {str(k): str(v) for k, v in (stream.get("stream") or {}).items()}
        for pair in stream.get("values") or []:
            try:
                ts = int(pair[0]) / 1e9
                line = str(pair[1])
            except (TypeError, ValueError, IndexError):
                continue
            out.append(
                LogRecord(
                    timestamp=ts,
                    resource=labels.get(resource_label, ""),
                    message=line,
                    level=_level(labels, line),
                    fields=labels,
                )
            )
    out.sort(key=lambda r: r.timestamp, reverse=True)
    return out[:limit]
