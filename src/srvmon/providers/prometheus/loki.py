"""Loki drill-down: a LogQuery as LogQL (user text escaped, never pasted) and query_range streams as LogRecords."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any

from srvmon.model import LogQuery, LogRecord
from srvmon.providers.prometheus.promql import label_name, quote, regex_escape

_SELECTOR_EXAMPLE = '{namespace="openfaas-fn"}'
_MATCHER = re.compile(
    r"""\s*(?P<name>[A-Za-z_][A-Za-z0-9_]*)\s*(?P<op>=~|!~|!=|=)\s*"""
    r"""(?P<value>"(?:[^"\\\n]|\\.)*"|`[^`]*`)\s*(?P<sep>,?)"""
)


def check_selector(text: str) -> str:
    """A LogQL stream selector as Loki accepts it: {label op "value", ...} with at least one matcher that
    cannot match an empty value. ValueError says where it goes wrong and shows an example."""
    base = text.strip()

    def bad(why: str) -> ValueError:
        return ValueError(
            f"loki_selector {text!r} is not a LogQL stream selector: {why}; write e.g. {_SELECTOR_EXAMPLE}"
        )

    if not (base.startswith("{") and base.endswith("}")) or len(base) < 2:
        raise bad("it must be label matchers inside { }")
    inner, pos, strict = base[1:-1], 0, False
    found: list[str] = []
    while pos < len(inner) and inner[pos:].strip():
        m = _MATCHER.match(inner, pos)
        if m is None:
            raise bad(f'expected label="value" at {inner[pos:].strip()[:20]!r}')
        value = m["value"][1:-1]
        found.append(f"{m['name']}{m['op']}{m['value']}")
        if value and (m["op"] == "=" or (m["op"] == "=~" and not _matches_empty(value))):
            strict = True
        pos = m.end()
        if not m["sep"] and inner[pos:].strip():
            raise bad(f"expected , between matchers at {inner[pos:].strip()[:20]!r}")
    if not strict:
        raise bad('Loki needs at least one matcher that cannot match an empty value (such as job=~".+")')
    return "{" + ", ".join(found) + "}"


def _matches_empty(pattern: str) -> bool:
    try:
        return re.fullmatch(pattern, "") is not None
    except re.error:  # RE2 syntax Python does not know: let Loki judge it
        return False


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


#: The most lines one drill-down asks Loki for (its own default max_entries_limit_per_query is 5,000).
MAX_LINES = 5000


def params(query: LogQuery, expr: str) -> dict[str, str]:
    """query_range parameters: newest first (backward), one line more than wanted to tell a cap."""
    return {
        "query": expr,
        "start": str(query.window.start_s * 1_000_000_000),
        "end": str(query.window.end_s * 1_000_000_000),
        "limit": str(min(query.limit, MAX_LINES) + 1),
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
