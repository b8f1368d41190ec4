"""Reading untrusted dashboard JSON: bounded size and nesting, and errors that name the file, the key
and a fix (never a traceback)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

#: The largest dashboard file read (CloudWatch bodies are at most 1 MB; Grafana exports a few MB).
MAX_BYTES = 16 * 1024 * 1024
#: The deepest nesting of arrays/objects accepted (real dashboards stay under 20).
MAX_DEPTH = 64


class DashboardError(Exception):
    """A dashboard that cannot be imported: `where` (file and key), what is wrong, and how to fix it."""

    def __init__(self, where: str, message: str, fix: str) -> None:
        super().__init__(f"{where}: {message}\n    fix: {fix}")
        self.where, self.message, self.fix = where, message, fix


def _depth(text: str) -> int:
    """The deepest [ / { nesting outside strings (checked before json.loads, which recurses)."""
    depth = deepest = 0
    in_string = escaped = False
    for ch in text:
        if in_string:
            if escaped:
                escaped = False
            elif ch == "\\":
                escaped = True
            elif ch == '"':
                in_string = False
        elif ch == '"':
            in_string = True
        elif ch in "[{":
            depth += 1
            if depth > deepest:
                deepest = depth
                if deepest > MAX_DEPTH:
                    return deepest
        elif ch in "]}":
            depth -= 1
    return deepest


def parse_json(text: str, where: str) -> Any:
    """JSON text -> value, refusing huge or too deeply nested input with a readable message."""
    if len(text) > MAX_BYTES:
        raise DashboardError(
            where, f"is larger than {MAX_BYTES // (1024 * 1024)} MiB", "import a single dashboard's JSON"
        )
    if _depth(text) > MAX_DEPTH:
        raise DashboardError(
            where,
            f"nests arrays/objects deeper than {MAX_DEPTH} levels",
            "check that this is a dashboard JSON export",
        )
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise DashboardError(
            f"{where}:{exc.lineno}:{exc.colno}",
            f"not valid JSON: {exc.msg}",
            "export the dashboard again (CloudWatch: Actions > View/edit source; Grafana: Share > Export)",
        ) from None


def read_json(path: str) -> Any:
    """Read and parse a dashboard file ('-' = stdin), bounded."""
    import sys

    where = "<stdin>" if path == "-" else path
    try:
        if path == "-":
            raw = sys.stdin.buffer.read(MAX_BYTES + 1)
        else:
            p = Path(path)
            if not p.is_file():
                raise DashboardError(where, "file not found", "check the path")
            with p.open("rb") as f:
                raw = f.read(MAX_BYTES + 1)
    except OSError as exc:
        raise DashboardError(
            where, f"cannot read: {exc.strerror or exc}", "check the path and permissions"
        ) from None
    if len(raw) > MAX_BYTES:
        raise DashboardError(
            where, f"is larger than {MAX_BYTES // (1024 * 1024)} MiB", "import a single dashboard's JSON"
        )
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise DashboardError(where, "is not UTF-8 text", "export the dashboard JSON again") from None
    return parse_json(text, where)


def obj(value: Any) -> dict[str, Any]:
    """`value` when it is a JSON object, else {} (untrusted input: wrong shapes read as empty)."""
    return value if isinstance(value, dict) else {}


def arr(value: Any) -> list[Any]:
    """`value` when it is a JSON array, else []."""
    return value if isinstance(value, list) else []


def integer(value: Any, default: int, lo: int = 0, hi: int = 100_000) -> int:
    """`value` when it is a whole JSON number within [lo, hi], else `default`."""
    if isinstance(value, bool) or not isinstance(value, int | float) or value != value:
        return default
    if isinstance(value, float) and not value.is_integer():
        value = round(value)
    return int(value) if lo <= value <= hi else default
