"""PromQL text helpers: safe quoting of user text, window variables, and bucket alignment of matrices."""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from srvmon.model import Series, TimeWindow
from srvmon.quoting import backslash_escape, hex_escape

_LABEL_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
#: RE2 metacharacters; everything else is literal inside a regex.
_RE2_META = set("\\.+*?()|[]{}^$")


def quote(text: str) -> str:
    """A PromQL/LogQL double-quoted string literal holding exactly `text` (Go string escaping)."""
    return '"' + backslash_escape(text, '"', hex_escape) + '"'


def regex_escape(text: str) -> str:
    """`text` as an RE2 regex matching it literally (before string quoting)."""
    return "".join("\\" + ch if ch in _RE2_META else ch for ch in str(text))


def label_name(name: str) -> str:
    """Validate a label name (they cannot be quoted in PromQL); ValueError names the culprit."""
    if not _LABEL_NAME.match(name):
        raise ValueError(f"{name!r} is not a valid Prometheus label name")
    return name


def matcher(label: str, values: Sequence[str]) -> str:
    """`label="v"` for one value, `label=~"v1|v2"` (each escaped literally) for several."""
    label_name(label)
    if len(values) == 1:
        return f"{label}={quote(values[0])}"
    return f"{label}=~{quote('|'.join(regex_escape(v) for v in values))}"


def duration(seconds: float) -> str:
    """Seconds as a PromQL duration ('60s')."""
    return f"{max(1, int(math.ceil(seconds)))}s"


def rate_interval(step_s: int, scrape_s: int) -> int:
    """Grafana's $__rate_interval: at least four scrapes, and never shorter than step + one scrape."""
    return max(step_s + scrape_s, 4 * scrape_s)


def expand(promql: str, window: TimeWindow, scrape_s: int) -> str:
    """Replace $__interval, $__rate_interval, $__range (and their _s forms) for this window."""
    values = {
        "__rate_interval": duration(rate_interval(window.step_s, scrape_s)),
        "__interval_s": str(window.step_s),
        "__interval": duration(window.step_s),
        "__range_s": str(window.duration_s),
        "__range": duration(window.duration_s),
    }
    pattern = re.compile(r"\$(?:\{(" + "|".join(values) + r")\}|(" + "|".join(values) + r")(?![A-Za-z0-9_]))")
    return pattern.sub(lambda m: values[m.group(1) or m.group(2)], promql)


def range_params(window: TimeWindow) -> dict[str, str]:
    """query_range parameters: one evaluation at the END of every bucket.

    The value for the bucket [t, t+step) is evaluated at t+step, so `rate(x[$__interval])` or
    `increase(...)` there covers exactly that bucket; `align` maps it back to t.
    """
    step = window.step_s
    return {"start": str(window.start_s + step), "end": str(window.end_s), "step": str(step)}


def _num(text: Any) -> float | None:
    try:
        value = float(text)
    except (TypeError, ValueError):
        return None
    return None if math.isnan(value) or math.isinf(value) else value


def series_labels(metric: Mapping[str, str], group_by: Sequence[str]) -> dict[str, str]:
    """group_by values when asked for (missing ones ''), otherwise every label but __name__."""
    if group_by:
        return {g: str(metric.get(g, "")) for g in group_by}
    return {str(k): str(v) for k, v in metric.items() if k != "__name__"}


def align(
    result: Iterable[Mapping[str, Any]], window: TimeWindow, group_by: Sequence[str]
) -> tuple[list[Series], list[str]]:
    """Matrix result -> Series on window.timestamps(); series sharing labels are summed (warned)."""
    stamps = tuple(window.timestamps())
    index = {t: i for i, t in enumerate(stamps)}
    merged: dict[tuple[tuple[str, str], ...], list[float | None]] = {}
    order: list[tuple[tuple[str, str], ...]] = []
    duplicates = 0
    for item in result:
        if not isinstance(item, Mapping):
            continue
        metric = item.get("metric") or {}
        if not isinstance(metric, Mapping):
            continue
        labels = series_labels(metric, group_by)
        key = tuple(labels.items())
        values: list[float | None] = [None] * len(stamps)
        raw = item.get("values")
        for pair in raw if isinstance(raw, list) else []:
            try:
                ts = int(round(float(pair[0]))) - window.step_s
            except (TypeError, ValueError, IndexError, KeyError):
                continue
            i = index.get(ts)
            if i is not None:
                values[i] = _num(pair[1])
        if key in merged:
            duplicates += 1
            old = merged[key]
            merged[key] = [
                None if a is None and b is None else (a or 0.0) + (b or 0.0)
                for a, b in zip(old, values, strict=True)
            ]
        else:
            merged[key] = values
            order.append(key)
    warnings = []
    if duplicates:
        warnings.append(
            f"{duplicates} series shared the same {', '.join(group_by) or 'labels'} and were summed; "
            "aggregate with `by (...)` in the query"
        )
    return [Series(dict(k), stamps, tuple(merged[k])) for k in order], warnings


def rank(series: Sequence[Series], limit: int | None, order: str = "desc") -> list[Series]:
    """The top `limit` series by window total (the MetricQuery top-N hint); all when limit is None."""
    if limit is None or len(series) <= limit:
        return list(series)
    ranked = sorted(series, key=lambda s: sum(s.present()), reverse=(order != "asc"))
    return ranked[:limit]


def matrix_series(body: Any, window: TimeWindow, group_by: Sequence[str]) -> tuple[list[Series], list[str]]:
    """A query_range answer -> aligned Series and notes (the server's warnings/infos, then alignment's).

    Raises ValueError when the answer is not a matrix (the message names what it was)."""
    data = body.get("data") if isinstance(body, Mapping) else None
    if not isinstance(data, Mapping) or data.get("resultType") != "matrix":
        kind = data.get("resultType") if isinstance(data, Mapping) else None
        raise ValueError(f"unexpected query_range answer (resultType {kind!r})")
    series, notes = align(matrix_items(body), window, group_by)
    return series, server_notes(body) + notes


def matrix_items(body: Any) -> list[Mapping[str, Any]]:
    """The raw result items of a query_range answer ([] when it is not a matrix)."""
    data = body.get("data") if isinstance(body, Mapping) else None
    if not isinstance(data, Mapping) or data.get("resultType") != "matrix":
        return []
    return [i for i in data.get("result") or [] if isinstance(i, Mapping)]


def server_notes(body: Any) -> list[str]:
    """The `warnings` and `infos` a Prometheus-API answer carries."""
    if not isinstance(body, Mapping):
        return []
    return [str(w) for key in ("warnings", "infos") for w in _as_list(body.get(key))]


def vector_values(body: Any) -> list[tuple[dict[str, str], float]]:
    """An instant-query answer (vector or scalar) -> (labels, value) per sample, NaN/inf dropped."""
    data = body.get("data") if isinstance(body, Mapping) else None
    out: list[tuple[dict[str, str], float]] = []
    if not isinstance(data, Mapping):
        return out
    result = data.get("result")
    if data.get("resultType") == "scalar" and isinstance(result, list):
        value = _num(result[1]) if len(result) == 2 else None
        return [({}, value)] if value is not None else []
    for item in result if isinstance(result, list) else []:
        if not isinstance(item, Mapping):
            continue
        pair = item.get("value") or [None, None]
        value = _num(pair[1] if isinstance(pair, list | tuple) and len(pair) > 1 else None)
        metric = item.get("metric") or {}
        if value is not None and isinstance(metric, Mapping):
            out.append(({str(k): str(v) for k, v in metric.items()}, value))
    return out


def _as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    return list(value) if isinstance(value, list | tuple) else [value]


# ---- board variables ---------------------------------------------------------------------------------


def escape_variable(value: str, ctx: Any) -> str:
    """A board variable's value in PromQL (`ctx` is a srvmon.variables.VariableContext).

    Inside a string literal: Go string escaping, plus RE2 escaping after `=~` / `!~` (All is `.*`
    there, and refused in an exact matcher); outside literals (`[$window]`, `by ($label)`): a plain
    label name, number or duration only, so a value can never add operators or close a selector."""
    from srvmon.variables import VariableError, backslash_escape, token

    if ctx.quote is None:
        return token(value, ctx, "a label name, number or duration")
    regex = ctx.before.endswith(("=~", "!~"))
    if ctx.all:
        if not regex:
            raise VariableError(
                f'${ctx.name} = All (`*`) needs a regex matcher: write label=~"${ctx.name}" in the query'
            )
        body = ".*"
    else:
        body = regex_escape(value) if regex else value
    if ctx.quote == "`":  # raw string: no escapes at all, so a backtick cannot be written
        if "`" in body or any(ord(ch) < 32 for ch in body):
            raise VariableError(
                f"${ctx.name}: a value inside a `raw string` cannot contain ` or control characters"
            )
        return body
    return backslash_escape(body, ctx.quote)


_VARIABLE_QUERY = re.compile(r"^\s*(label_values|label_names|metrics)\s*\((.*)\)\s*$", re.DOTALL)


def _split_last_comma(text: str) -> tuple[str, str] | None:
    """'sum(x{a="b,c"}), label' -> ('sum(x{a="b,c"})', 'label'): the last comma outside (), {}, [] and quotes."""
    depth, quote, cut = 0, "", -1
    i = 0
    while i < len(text):
        ch = text[i]
        if quote:
            if ch == "\\":
                i += 1
            elif ch == quote:
                quote = ""
        elif ch in "\"'`":
            quote = ch
        elif ch in "({[":
            depth += 1
        elif ch in ")}]":
            depth -= 1
        elif ch == "," and depth == 0:
            cut = i
        i += 1
    return None if cut < 0 else (text[:cut].strip(), text[cut + 1 :].strip())


def variable_query(text: str) -> tuple[str, str | None, str | None]:
    """Grafana's Prometheus variable queries -> (function, selector, label or regex):
    `label_values(label)`, `label_values(selector, label)`, `label_names()`, `label_names(selector)`,
    `metrics(regex)`. ValueError names what is supported."""
    m = _VARIABLE_QUERY.match(text or "")
    if m is None:
        raise ValueError(
            f"variable query {text!r}: use label_values(label), label_values(metric, label), "
            "label_names() or metrics(regex)"
        )
    fn, args = m.group(1), m.group(2).strip()
    if fn == "label_values":
        split = _split_last_comma(args)
        selector, label = split if split else (None, args)
        label_name(label)
        return fn, selector or None, label
    if fn == "label_names":
        return fn, args or None, None
    return fn, None, args or ".*"
