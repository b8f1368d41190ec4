"""Backslash-escaped string literals for query languages (PromQL/LogQL, Cloud Logging, KQL): one escaper,
with each language's rule for the other control characters."""

from __future__ import annotations

from collections.abc import Callable

_NAMED = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}


def backslash_escape(text: str, quote: str, control: Callable[[str], str]) -> str:
    """`text` for inside a `quote`-delimited literal: backslash and the quote backslashed, newline, CR and tab
    as \\n \\r \\t, any other control character (C0, DEL) as `control(ch)` says (which may raise)."""
    out = []
    for ch in str(text):
        if ch == "\\" or ch == quote:
            out.append("\\" + ch)
        elif ch in _NAMED:
            out.append(_NAMED[ch])
        elif ord(ch) < 0x20 or ord(ch) == 0x7F:
            out.append(control(ch))
        else:
            out.append(ch)
    return "".join(out)


def hex_escape(ch: str) -> str:
    """\\xHH (Go strings: PromQL, LogQL)."""
    return f"\\x{ord(ch):02x}"


def unicode_escape(ch: str) -> str:
    """\\uHHHH (Cloud Logging query language)."""
    return f"\\u{ord(ch):04x}"
