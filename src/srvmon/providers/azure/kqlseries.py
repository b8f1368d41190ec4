"""KQL metric panels: `query = {kql = "..."}` run on Log Analytics / App Insights (the logs client), the
result table turned into series; Grafana's Log Analytics macros expanded; board variables escaped."""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from srvmon.model import QueryResult, Series, TimeWindow

from .kql import kql_datetime

_NUMERIC = {"long", "int", "real", "decimal", "double"}
MAX_KQL = 10_000  # Log Analytics' own limit on query text


def validate(query: Mapping[str, Any]) -> str | None:
    """Config-time check of {kql = "..."}: a message, or None."""
    unknown = set(query) - {"kql"}
    if unknown:
        return f"unknown key(s) {sorted(unknown)} in a KQL query; allowed: kql"
    text = query.get("kql")
    if not isinstance(text, str) or not text.strip():
        return "`kql` must be a KQL query returning a time column and numeric columns"
    if len(text) > MAX_KQL:
        return f"`kql` is longer than {MAX_KQL} characters"
    return None


def _timespan(seconds: int) -> str:
    return f"{seconds}s"


def expand(kql: str, window: TimeWindow) -> str:
    """Grafana's Azure Log Analytics macros for this window: $__timeFilter(col) / $__timeFilter(),
    $__timeFrom(), $__timeTo(), $__interval (the window step)."""
    start, end = kql_datetime(window.start), kql_datetime(window.end)

    def time_filter(m: re.Match[str]) -> str:
        col = (m.group(1) or "").strip() or "TimeGenerated"
        if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", col):
            return m.group(0)
        return f"({col} >= {start} and {col} < {end})"

    text = re.sub(r"\$__timeFilter\(\s*([A-Za-z0-9_]*)\s*\)", time_filter, kql)
    text = re.sub(r"\$__timeFrom\(\s*\)|\$__timeFrom\b", start, text)
    text = re.sub(r"\$__timeTo\(\s*\)|\$__timeTo\b", end, text)
    return re.sub(r"\$__interval\b", _timespan(window.step_s), text)


def _epoch(v: Any) -> float | None:
    if isinstance(v, datetime):
        return v.timestamp()
    try:
        return datetime.fromisoformat(str(v).replace("Z", "+00:00")).timestamp()
    except ValueError:
        return None


def _num(v: Any) -> float | None:
    if isinstance(v, bool) or v is None or v == "":
        return None
    try:
        f = float(v)
    except (TypeError, ValueError):
        return None
    return f if f == f and f not in (float("inf"), float("-inf")) else None


def table_series(
    ref_id: str, tables: Sequence[tuple[str, Any]], window: TimeWindow, group_by: Sequence[str]
) -> QueryResult:
    """Rows -> series: the first datetime column is the time, numeric columns are values (named by
    a `series` label when there are several), string columns are labels (only `group_by` when given).
    Rows in one bucket add up (bin the query by $__interval for one row per bucket)."""
    stamps = tuple(window.timestamps())
    start, step, n = window.start_s, window.step_s, window.points
    acc: dict[tuple[tuple[str, str], ...], list[float | None]] = defaultdict(lambda: [None] * n)
    warnings: list[str] = []
    for _target, table in tables:
        cols = [str(c) for c in table.columns]
        types = [str(t).lower() for t in (getattr(table, "columns_types", None) or [""] * len(cols))]
        rows = list(table.rows)
        time_i = next((i for i, t in enumerate(types) if t == "datetime"), None)
        if time_i is None:
            time_i = next((i for i in range(len(cols)) if rows and isinstance(rows[0][i], datetime)), None)
        if time_i is None:
            return QueryResult(
                ref_id,
                error="the KQL result has no datetime column; summarize ... by bin(TimeGenerated, $__interval)",
            )
        values_i = [i for i, t in enumerate(types) if t in _NUMERIC and i != time_i]
        label_i = [i for i in range(len(cols)) if i != time_i and i not in values_i]
        if not values_i:
            return QueryResult(ref_id, error="the KQL result has no numeric column to chart")
        for row in rows:
            t = _epoch(row[time_i])
            if t is None:
                continue
            idx = int((t - start) // step)
            if not 0 <= idx < n:
                continue
            labels = {cols[i]: str(row[i]) for i in label_i if not group_by or cols[i] in group_by}
            for i in values_i:
                v = _num(row[i])
                if v is None:
                    continue
                key = dict(labels, series=cols[i]) if len(values_i) > 1 else labels
                slot = acc[tuple(sorted(key.items()))]
                slot[idx] = v if slot[idx] is None else (slot[idx] or 0.0) + v
    series = tuple(Series(dict(k), stamps, tuple(v)) for k, v in acc.items())
    return QueryResult(ref_id, series=series, warnings=tuple(warnings))


# ---- board variables -----------------------------------------------------------------------------------


def escape_variable(value: str, ctx: Any) -> str:
    """A board variable's value in an Azure panel query (`ctx`: srvmon.variables.VariableContext).

    KQL (`kql`): inside "..."/'...' backslash escaping, inside verbatim @"..." the quote doubled;
    outside literals a plain token. OData (`filter`): inside '...' the quote doubled, All is `*`.
    Metric names and namespaces: plain tokens. `apps` entries are patterns: All is `*`."""
    from srvmon.variables import VariableError, backslash_escape, token

    head = ctx.key[:1]
    if head == ("kql",):
        if ctx.quote is None:
            return token(value, ctx, "a column name, number or timespan")
        if ctx.all:
            raise VariableError(f"${ctx.name}: All (`*`) cannot be written inside a KQL string; pick a value")
        if ctx.before.endswith("@") and ctx.quote in "\"'":  # verbatim string: only the quote is special
            if any(ord(ch) < 32 for ch in value):
                raise VariableError(f"${ctx.name}: a verbatim KQL string cannot hold control characters")
            return value.replace(ctx.quote, ctx.quote * 2)
        return backslash_escape(value, ctx.quote)
    if head == ("filter",):
        if ctx.quote != "'":
            return token(value, ctx, "a dimension name")
        if ctx.all:
            if ctx.text[ctx.start - 1 : ctx.start] == "'" and ctx.text[ctx.end : ctx.end + 1] == "'":
                return "*"
            raise VariableError(
                f"${ctx.name} = All (`*`) must be a whole quoted OData value, as in eq '${ctx.name}'"
            )
        if any(ord(ch) < 32 for ch in value):
            raise VariableError(f"${ctx.name}: the value must be one line")
        return value.replace("'", "''")
    if head == ("apps",):
        return "*" if ctx.all else token(value, ctx, "a Function App name or pattern")
    return token(value, ctx, "a metric name")
