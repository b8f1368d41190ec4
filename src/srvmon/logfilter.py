"""Local log filtering (text or regex, errors only, status class, fields) for providers that did not filter."""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from srvmon.model import LogQuery, LogRecord

ERROR_LEVELS = frozenset(
    {"error", "err", "fatal", "critical", "crit", "alert", "emergency", "emerg", "panic"}
)
#: Message markers of a failed invocation even when no level/status is known.
_ERROR_MARKERS = re.compile(
    r"Task timed out after|Runtime exited with error|Runtime\.\w*Error|Runtime\.OutOfMemory|"
    r"Process exited before completing request|Traceback \(most recent call last\)|"
    r"\"errorType\"|\bUnhandled\b|\t(?:ERROR|FATAL)\t|\[(?:ERROR|FATAL|CRITICAL)\]|"
    r"\"status\"\s*:\s*\"(?:error|timeout|failure)\""
)
#: Cheap substring pre-check: a message containing none of these cannot match _ERROR_MARKERS.
_MARKER_KEYS = (
    "ERROR",
    "FATAL",
    "CRITICAL",
    "Task timed out",
    "Runtime",
    "Process exited",
    "Traceback",
    "errorType",
    "Unhandled",
    '"status"',
)
_STATUS_CLASS = re.compile(r"^([1-5])(?:xx|XX)$")
_STATUS_CODE = re.compile(r"^[1-5][0-9][0-9]$")


class FilterError(ValueError):
    """The filter cannot be used (bad regex, bad status class); the message says why."""


def message_fields(message: str) -> dict[str, Any] | None:
    """Top-level fields of a JSON-object message, or None when the message is not one."""
    if not message or message[0] != "{":
        stripped = message.lstrip() if message else ""
        if not stripped.startswith("{"):
            return None
        message = stripped
    try:
        obj = json.loads(message)
    except (ValueError, RecursionError):
        return None
    return obj if isinstance(obj, dict) else None


def record_fields(record: LogRecord) -> dict[str, Any]:
    """The record's structured fields: JSON message fields, overridden by provider-given fields."""
    out = message_fields(record.message) or {}
    if record.fields:
        out = {**out, **record.fields}
    return out


def is_error(record: LogRecord) -> bool:
    """Error-level, 5xx, or a message that shows a failed invocation (timeout, OOM, traceback)."""
    if record.level and record.level.strip().lower() in ERROR_LEVELS:
        return True
    if record.status is not None and record.status >= 500:
        return True
    message = record.message
    if not isinstance(message, str):
        return False
    for key in _MARKER_KEYS:
        if key in message:
            return _ERROR_MARKERS.search(message) is not None
    return False


def parse_status_class(text: str | None) -> tuple[int, int] | None:
    """'5xx' -> (500, 599), '503' -> (503, 503), None/'' -> None; FilterError otherwise."""
    if not text:
        return None
    t = text.strip()
    m = _STATUS_CLASS.match(t)
    if m:
        base = int(m.group(1)) * 100
        return base, base + 99
    if _STATUS_CODE.match(t):
        return int(t), int(t)
    raise FilterError(f"status {text!r} is not a status class; use 2xx, 4xx, 5xx or a code like 503")


@dataclass(frozen=True)
class LogFilter:
    """What to keep. Text matches the message case-insensitively (as a substring or a regex)."""

    text: str | None = None
    regex: bool = False
    errors_only: bool = False
    status_class: str | None = None
    resources: tuple[str, ...] = ()
    request_id: str | None = None
    fields: Mapping[str, str] = field(default_factory=dict)

    @classmethod
    def from_query(cls, query: LogQuery) -> LogFilter:
        return cls(
            text=query.text,
            regex=query.regex,
            errors_only=query.errors_only,
            status_class=query.status_class,
            resources=tuple(query.resources),
            request_id=query.request_id,
            fields=dict(query.fields),
        )

    @property
    def empty(self) -> bool:
        return (
            not (self.text or self.errors_only or self.status_class or self.resources or self.request_id)
            and not self.fields
        )

    def compile(self) -> Callable[[LogRecord], bool]:
        """A fast predicate; raises FilterError for an invalid regex or status class."""
        checks: list[Callable[[LogRecord], bool]] = []
        if self.resources:
            wanted = frozenset(self.resources)
            checks.append(lambda r: r.resource in wanted)
        if self.request_id:
            rid = self.request_id
            checks.append(lambda r: r.request_id == rid or (r.request_id is None and rid in r.message))
        status = parse_status_class(self.status_class)
        if status is not None:
            lo, hi = status
            checks.append(lambda r: r.status is not None and lo <= r.status <= hi)
        if self.errors_only:
            checks.append(is_error)
        if self.text:
            if self.regex:
                try:
                    pattern = re.compile(self.text, re.IGNORECASE)
                except re.error as exc:
                    raise FilterError(f"invalid regex {self.text!r}: {exc}") from None
                search = pattern.search
                checks.append(lambda r: search(r.message) is not None)
            else:
                needle = self.text.casefold()
                if needle.isascii():
                    low = needle.lower()
                    checks.append(lambda r: low in r.message.lower())
                else:
                    checks.append(lambda r: needle in r.message.casefold())
        if self.fields:
            wanted_fields = dict(self.fields)
            checks.append(lambda r: _fields_match(r, wanted_fields))
        if not checks:
            return lambda r: True
        if len(checks) == 1:
            return checks[0]
        return lambda r: all(c(r) for c in checks)

    def apply(self, records: Iterable[LogRecord]) -> list[LogRecord]:
        keep = self.compile()
        return [r for r in records if keep(r)]


_BUILTIN_FIELDS: dict[str, Callable[[LogRecord], Any]] = {
    "resource": lambda r: r.resource,
    "level": lambda r: r.level,
    "status": lambda r: r.status,
    "request_id": lambda r: r.request_id,
}


def _fields_match(record: LogRecord, wanted: Mapping[str, str]) -> bool:
    fields: dict[str, Any] | None = None
    for key, expected in wanted.items():
        if key in _BUILTIN_FIELDS:
            value = _BUILTIN_FIELDS[key](record)
        else:
            if fields is None:
                fields = record_fields(record)
            if key not in fields:
                return False
            value = fields[key]
        if _as_text(value).casefold() != str(expected).casefold():
            return False
    return True


def _as_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return value
    if isinstance(value, dict | list):
        return json.dumps(value, sort_keys=True)
    return str(value)


def apply_query(query: LogQuery, records: Iterable[LogRecord]) -> list[LogRecord]:
    """Filter `records` locally by everything in `query` (used when the provider did not filter)."""
    return LogFilter.from_query(query).apply(records)
