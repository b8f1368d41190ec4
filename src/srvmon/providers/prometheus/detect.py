"""Which metric generation a server has: metric names referenced by PromQL, and choosing among candidates.

Presets are data, but Knative renamed its metrics (OpenCensus `revision_request_count` ->
OpenTelemetry `kn_serving_invocation_duration_seconds_*`) and Fn's names vary by version, so a panel
query may list candidates: `query = {promql = "...", fallback = "..." | ["...", ...]}`. The provider
takes the first candidate whose every metric name exists on the server (from
/api/v1/label/__name__/values?match[]=..., cached); when none does, the first one runs (and shows no data).
"""

from __future__ import annotations

import re
from collections.abc import Collection, Mapping
from typing import Any

_KEYWORDS = {
    "by", "without", "on", "ignoring", "group_left", "group_right", "offset", "bool",
    "and", "or", "unless", "atan2", "inf", "nan",
    "sum", "min", "max", "avg", "group", "stddev", "stdvar", "count", "count_values",
    "bottomk", "topk", "quantile",
}  # fmt: skip
_LABEL_LIST_KEYWORDS = {"by", "without", "on", "ignoring", "group_left", "group_right"}
_TOKEN = re.compile(
    r"""(?P<str>"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'|`[^`]*`)
      |(?P<comment>\#[^\n]*)
      |(?P<brace>\{)|(?P<bracket>\[)|(?P<paren>\()
      |(?P<ident>[A-Za-z_:][A-Za-z0-9_:]*)
      |(?P<num>\d[0-9.eE+\-a-z]*)
      |(?P<other>.)""",
    re.VERBOSE | re.DOTALL,
)
_NAME_MATCHER = re.compile(r"""__name__\s*=\s*(?:"((?:[^"\\]|\\.)*)"|'((?:[^'\\]|\\.)*)')""")


def _skip_group(text: str, pos: int, open_ch: str, close_ch: str) -> tuple[int, str]:
    """From just after `open_ch`, the position after its matching close, and the text inside."""
    depth, i, quote_ch = 1, pos, ""
    while i < len(text):
        ch = text[i]
        if quote_ch:
            if ch == "\\" and quote_ch != "`":
                i += 1
            elif ch == quote_ch:
                quote_ch = ""
        elif ch in "\"'`":
            quote_ch = ch
        elif ch == open_ch:
            depth += 1
        elif ch == close_ch:
            depth -= 1
            if depth == 0:
                return i + 1, text[pos:i]
        i += 1
    return len(text), text[pos:]


def referenced_metrics(promql: str) -> set[str]:
    """Metric names a PromQL expression selects (`foo{...}`, `foo[5m]`, `{__name__="foo"}`)."""
    names: set[str] = set()
    pos, prev_ident = 0, ""
    while pos < len(promql):
        m = _TOKEN.match(promql, pos)
        if m is None:  # pragma: no cover - the pattern matches any character
            break
        pos = m.end()
        kind = m.lastgroup
        if kind == "brace":
            pos, inside = _skip_group(promql, pos, "{", "}")
            for nm in _NAME_MATCHER.finditer(inside):
                names.add(nm.group(1) or nm.group(2) or "")
        elif kind == "bracket":
            pos, _ = _skip_group(promql, pos, "[", "]")
        elif kind == "paren" and prev_ident in _LABEL_LIST_KEYWORDS:
            pos, _ = _skip_group(promql, pos, "(", ")")
        elif kind == "ident":
            ident = m.group("ident")
            rest = promql[pos:].lstrip()
            if prev_ident == "offset":
                pass
            elif ident.lower() in _KEYWORDS or rest.startswith("("):
                prev_ident = ident.lower()
                continue
            else:
                names.add(ident)
            prev_ident = ident.lower()
            continue
        if kind not in ("comment",) and not (kind == "other" and m.group().isspace()):
            prev_ident = ""
    names.discard("")
    return names


def candidates(query: str | Mapping[str, Any]) -> list[str]:
    """The PromQL candidates of a panel query, in preference order."""
    if isinstance(query, str):
        return [query]
    first = query.get("promql")
    rest = query.get("fallback") or []
    if isinstance(rest, str):
        rest = [rest]
    return [q for q in [first, *rest] if isinstance(q, str) and q.strip()]


def balance(promql: str) -> str | None:
    """Unclosed or stray brackets and quotes (outside string literals): a message, or None."""
    pairs = {")": "(", "]": "[", "}": "{"}
    stack: list[tuple[str, int]] = []
    i = 0
    while i < len(promql):
        ch = promql[i]
        if ch in "\"'`":
            end = i + 1
            while end < len(promql) and promql[end] != ch:
                end += 2 if promql[end] == "\\" and ch != "`" else 1
            if end >= len(promql):
                return f"unterminated string starting at character {i + 1}"
            i = end + 1
            continue
        if ch == "#":
            nl = promql.find("\n", i)
            i = len(promql) if nl < 0 else nl
            continue
        if ch in "([{":
            stack.append((ch, i))
        elif ch in ")]}":
            if not stack or stack[-1][0] != pairs[ch]:
                return f"unexpected {ch!r} at character {i + 1}"
            stack.pop()
        i += 1
    if stack:
        ch, at = stack[-1]
        return f"{ch!r} at character {at + 1} is never closed"
    return None


def validate(query: Any) -> str | None:
    """Config-time check of a panel query (shape, brackets, quotes): an error message, or None."""
    if isinstance(query, str):
        if not query.strip():
            return "query is empty; write a PromQL expression"
        problem = balance(query)
        return f"PromQL: {problem}" if problem else None
    if not isinstance(query, Mapping):
        return 'query must be a PromQL string or {promql = "...", fallback = "..."}'
    unknown = set(query) - {"promql", "fallback"}
    if unknown:
        return f"unknown query key(s) {', '.join(sorted(unknown))}; allowed: promql, fallback"
    if not isinstance(query.get("promql"), str) or not query["promql"].strip():
        return "query.promql must be a non-empty PromQL string"
    fb = query.get("fallback")
    if fb is not None and not (
        isinstance(fb, str) or (isinstance(fb, list) and all(isinstance(x, str) for x in fb))
    ):
        return "query.fallback must be a PromQL string or a list of them"
    for n, promql in enumerate(candidates(query)):
        problem = balance(promql)
        if problem:
            return f"{'query.promql' if n == 0 else f'query.fallback[{n - 1}]'}: {problem}"
    return None


def choose(options: list[str], available: Collection[str] | None) -> str:
    """The first candidate whose metrics all exist; the first one when unknown or none match."""
    if not options:
        raise ValueError("no PromQL in query")
    if available is None or len(options) == 1:
        return options[0]
    for promql in options:
        if referenced_metrics(promql) <= set(available):
            return promql
    return options[0]


#: Metric names that identify each FaaS family and generation (what `generation` looks at).
MARKERS = (
    "gateway_function_invocation_total", "kn_serving_invocation_duration_seconds_count", "kn_revision_pods_count",
    "revision_request_count", "revision_app_request_count", "fn_api_calls", "fn_calls",
)  # fmt: skip


def generation(available: Collection[str]) -> dict[str, str | None]:
    """Which FaaS metric families a server exposes (shown by `srvmon check`)."""
    names = set(available)
    knative: str | None = None
    if "kn_serving_invocation_duration_seconds_count" in names or "kn_revision_pods_count" in names:
        knative = "opentelemetry (kn_serving_*)"
    elif "revision_request_count" in names or "revision_app_request_count" in names:
        knative = "opencensus (revision_request_*)"
    fn: str | None = None
    if "fn_api_calls" in names:
        fn = "fn_api_*"
    elif "fn_calls" in names:
        fn = "fn_*"
    openfaas = "gateway_*" if "gateway_function_invocation_total" in names else None
    return {"openfaas": openfaas, "knative": knative, "fn": fn}
