"""Map TOML key paths to line numbers, so config errors can say where a key is."""

from __future__ import annotations

import re
from collections import defaultdict

Path = tuple[str | int, ...]

_HEADER = re.compile(r"^\s*(\[\[?)\s*([^\]]+?)\s*\]\]?\s*(#.*)?$")
_KEY = re.compile(
    r"""^\s*((?:[A-Za-z0-9_-]+|"[^"]*"|'[^']*')(?:\s*\.\s*(?:[A-Za-z0-9_-]+|"[^"]*"|'[^']*'))*)\s*="""
)


def _split_dotted(text: str) -> list[str]:
    parts = re.findall(r'"([^"]*)"|\'([^\']*)\'|([A-Za-z0-9_-]+)', text)
    return [a or b or c for a, b, c in parts]


def key_lines(text: str) -> dict[Path, int]:
    """Line (1-based) of every table header and `key =` line, keyed by its full path.

    Arrays of tables get their index in the path: `[[boards.panels]]` → ("boards", 0, "panels", 2).
    Multi-line values and inline tables are attributed to the line of their key.
    """
    lines: dict[Path, int] = {}
    counts: dict[Path, int] = defaultdict(lambda: -1)
    current: Path = ()
    in_multiline: str | None = None
    for n, raw in enumerate(text.splitlines(), start=1):
        if in_multiline:
            if in_multiline in raw:
                in_multiline = None
            continue
        m = _HEADER.match(raw)
        if m:
            is_array = m.group(1) == "[["
            names = _split_dotted(m.group(2))
            path: list[str | int] = []
            # resolve array-of-table parents to their latest index
            for i, name in enumerate(names):
                path.append(name)
                tp = tuple(path)
                last = i == len(names) - 1
                if last and is_array:
                    counts[tp] += 1
                    path.append(counts[tp])
                elif tp in counts and counts[tp] >= 0:
                    path.append(counts[tp])
            current = tuple(path)
            lines.setdefault(current, n)
            continue
        k = _KEY.match(raw)
        if k:
            full = current + tuple(_split_dotted(k.group(1)))
            lines.setdefault(full, n)
            rest = raw[k.end() :]
            for q in ('"""', "'''"):
                if rest.count(q) == 1:
                    in_multiline = q
    return lines


def line_of(lines: dict[Path, int], path: Path) -> int | None:
    """The line of `path`, or of its nearest ancestor that has one."""
    p = tuple(path)
    while p:
        if p in lines:
            return lines[p]
        p = p[:-1]
    return None
