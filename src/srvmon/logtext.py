"""A log record's human message: what a JSON log line says in words (used by the logs table, the recent-
errors panel and every export), found under the keys loggers use, else a compact key=value summary."""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

from srvmon.logfilter import message_fields
from srvmon.model import LogRecord

#: The most characters of a message (or a key=value summary) kept for one cell.
CELL_CHARS = 1000

# ---- the MESSAGE cell of a JSON message ------------------------------------------------------------

#: Where a JSON log line keeps its human message, most preferred first (keys match case-insensitively;
#: a pair is a nested key, or the flat dotted key "error.message"). Lambda's JSON log format nests
#: the error object under "message"; pino/bunyan/zap/logrus use "msg"; Serilog "@m"; structlog "event".
MESSAGE_KEYS: tuple[tuple[str, ...], ...] = (
    ("message",),
    ("msg",),
    ("@message",),
    ("@m",),
    ("errorMessage",),
    ("error_message",),
    ("error", "message"),
    ("err", "message"),
    ("exception", "message"),
    ("event",),
    ("log",),
    ("text",),
    ("textPayload",),
    ("error",),
    ("err",),
)
#: An object under these keys is the logged payload itself (summarised as key=value if it has no message).
_PAYLOAD_KEYS = frozenset({("message",), ("msg",), ("@message",), ("@m",)})
#: For an error message found under these keys, the error's type goes in front ("TypeError: …").
_ERROR_TYPE_KEYS: dict[tuple[str, ...], tuple[tuple[str, ...], ...]] = {
    ("errorMessage",): (("errorType",),),
    ("error_message",): (("error_type",), ("error_class",)),
    ("error", "message"): (("error", "type"), ("error", "name")),
    ("err", "message"): (("err", "type"), ("err", "name")),
    ("exception", "message"): (("exception", "type"),),
}
#: Keys whose value the TIME column already shows.
_TIME_KEYS = frozenset({"timestamp", "time", "@timestamp", "ts", "@t", "datetime"})
#: Keys whose value the LEVEL / STS / DURATION columns show (dropped only when the row shows the same).
_LEVEL_KEYS = frozenset({"level", "lvl", "severity", "loglevel", "@l", "levelname", "severitytext"})
_STATUS_KEYS = frozenset({"status", "statuscode", "httpstatus", "httpstatuscode"})
_DURATION_KEYS = frozenset({"duration", "durationms", "elapsedms", "latencyms", "responsetimems"})
#: Nested values (objects) that would be used as the message are looked into this deep.
_MAX_DEPTH = 3


def display_message(record: LogRecord, *, shown: Iterable[str] = ()) -> str:
    """What MESSAGE shows: for a JSON-object message its human message ("message", "msg",
    "errorMessage", "error.message", "@message", …), else a compact `key=value` summary of the
    fields the other columns (and the `shown` field columns) do not already show, else the raw
    text. Not yet cleaned."""
    message = record.message
    if not isinstance(message, str):
        return str(message)
    fields = message_fields(message)
    if not fields:
        return message
    found = _human_message(fields, 0)
    if found is not None:
        return found
    return _key_values(fields, record, frozenset(shown)) or message


def _lookup(fields: dict[str, Any], path: tuple[str, ...]) -> Any:
    """fields["error"]["message"] or fields["error.message"] for ("error", "message"); any case."""
    if len(path) > 1:
        flat = _get(fields, ".".join(path))
        if flat is not None:
            return flat
        parent = _get(fields, path[0])
        return _lookup(parent, path[1:]) if isinstance(parent, dict) else None
    return _get(fields, path[0])


def _get(fields: dict[str, Any], key: str) -> Any:
    if key in fields:
        return fields[key]
    low = key.lower()
    for k, v in fields.items():
        if k.lower() == low:
            return v
    return None


def _human_message(fields: dict[str, Any], depth: int) -> str | None:
    for path in MESSAGE_KEYS:
        value = _lookup(fields, path)
        if value is None or isinstance(value, (bool, list)):
            continue
        if isinstance(value, str):
            if not value.strip():
                continue
            inner = message_fields(value) if depth < _MAX_DEPTH and value.lstrip()[:1] == "{" else None
            if inner:
                inner_text = _human_message(inner, depth + 1) or _key_values(inner, None)
                if inner_text:
                    return inner_text
            return _with_error_type(fields, path, value)
        if isinstance(value, dict):
            if value and depth < _MAX_DEPTH:
                # An object logged as the message ("message": {...}) is the payload: summarise it.
                # Under "error"/"event"/… only a message inside it counts.
                found = _human_message(value, depth + 1)
                if found is None and path in _PAYLOAD_KEYS:
                    found = _key_values(value, None)
                if found:
                    return found
            continue
        if isinstance(value, (int, float)):
            return str(value)
    return None


def _with_error_type(fields: dict[str, Any], path: tuple[str, ...], message: str) -> str:
    for type_path in _ERROR_TYPE_KEYS.get(path, ()):
        kind = _lookup(fields, type_path)
        if isinstance(kind, str) and kind.strip() and not message.startswith(kind):
            return f"{kind}: {message}"
    return message


def _norm_key(key: str) -> str:
    return key.lower().replace("_", "").replace("-", "")


def _shown_elsewhere(key: str, value: Any, record: LogRecord | None) -> bool:
    """True when another column of the row already shows this field (so MESSAGE need not)."""
    k = _norm_key(key)
    if k in _TIME_KEYS:
        return True
    if record is None:
        return False
    if isinstance(value, str) and value == record.resource:
        return True
    if k in _LEVEL_KEYS:
        return record.level is not None and str(value).lower() == record.level.lower()
    if k in _STATUS_KEYS:
        return record.status is not None and str(value) == str(record.status)
    if k in _DURATION_KEYS:
        return (
            record.duration_ms is not None
            and isinstance(value, (int, float))
            and not isinstance(value, bool)
            and abs(value - record.duration_ms) < 0.5
        )
    return False


def _key_values(fields: dict[str, Any], record: LogRecord | None, skip: frozenset[str] = frozenset()) -> str:
    """'user=alice order=42 cart={"items":3}': plain values first, objects after, the request id last;
    fields the row's other columns already show are left out (all of them kept if nothing else is)."""
    plain: list[tuple[str, Any]] = []
    nested: list[tuple[str, Any]] = []
    last: list[tuple[str, Any]] = []
    for key, value in fields.items():
        if key in skip or _shown_elsewhere(key, value, record):
            continue
        if record is not None and record.request_id and value == record.request_id:
            last.append((key, value))
        elif isinstance(value, (dict, list)):
            nested.append((key, value))
        else:
            plain.append((key, value))
    items = plain + nested + last or list(fields.items())
    parts: list[str] = []
    size = 0
    for key, value in items:
        part = f"{key}={_kv_value(value)}"
        parts.append(part)
        size += len(part) + 1
        if size > CELL_CHARS:
            break
    return " ".join(parts)


def _kv_value(value: Any) -> str:
    if isinstance(value, str):
        if value and not any(c.isspace() or c in '="' for c in value[:CELL_CHARS]):
            return value
        return json.dumps(value[:CELL_CHARS], ensure_ascii=False)
    try:
        text = json.dumps(value, ensure_ascii=False, separators=(",", ":"), default=str)
    except (TypeError, ValueError, RecursionError):
        text = str(value)
    return text[:CELL_CHARS]
