"""CloudWatch metric widgets' `metrics` arrays: "." / "..." repetition expanded, per-metric options
(stat, period, label, id, visible, yAxis, region), and the srvmon AWS query a widget's series become."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from srvmon.importers.board import clean

MAX_METRICS = 500  # CloudWatch's own limit per widget


@dataclass
class Item:
    """One entry of a `metrics` array, expanded."""

    index: int
    namespace: str = ""
    metric: str = ""
    dims: list[tuple[str, str]] = field(default_factory=list)
    expression: str | None = None
    opts: dict[str, Any] = field(default_factory=dict)

    @property
    def visible(self) -> bool:
        return self.opts.get("visible", True) is not False

    @property
    def id(self) -> str | None:
        v = self.opts.get("id")
        return v if isinstance(v, str) and v else None

    def label(self) -> str | None:
        v = self.opts.get("label")
        return clean(v) if isinstance(v, str) and v else None


def expand(metrics: Any, problems: list[str]) -> list[Item]:
    """The `metrics` array as Items; `problems` gets one line per entry that cannot be read."""
    if isinstance(metrics, list) and metrics and not isinstance(metrics[0], list):
        metrics = [metrics]  # a single metric written without the outer array (as in AWS's own example)
    if not isinstance(metrics, list):
        problems.append("`metrics` is not an array")
        return []
    items: list[Item] = []
    previous: list[str] = []
    for i, raw in enumerate(metrics[:MAX_METRICS]):
        if not isinstance(raw, list) or not raw:
            problems.append(f"metrics[{i}] is not a non-empty array")
            continue
        opts = raw[-1] if isinstance(raw[-1], dict) else {}
        tokens = raw[:-1] if isinstance(raw[-1], dict) else raw
        if not tokens and isinstance(opts.get("expression"), str):
            items.append(Item(i, expression=clean(opts["expression"]), opts=opts))
            continue
        if not all(isinstance(t, str) for t in tokens):
            problems.append(f"metrics[{i}]: every entry before the options object must be a string")
            continue
        toks = [clean(t) for t in tokens]
        if toks and toks[0] == "...":
            rest = toks[1:]
            if len(rest) > len(previous):
                problems.append(f"metrics[{i}]: '...' repeats more than the previous metric has")
                continue
            toks = previous[: len(previous) - len(rest)] + rest
        for j, t in enumerate(toks):
            if t == ".":
                if j >= len(previous):
                    problems.append(f"metrics[{i}]: '.' at position {j} has nothing above it to repeat")
                    break
                toks[j] = previous[j]
        else:
            if len(toks) < 2 or len(toks) % 2:
                problems.append(f"metrics[{i}]: expected [namespace, metric, (dimension, value)...]")
                continue
            previous = toks
            dims = [(toks[k], toks[k + 1]) for k in range(2, len(toks), 2)]
            items.append(Item(i, toks[0], toks[1], dims, None, opts))
    if isinstance(metrics, list) and len(metrics) > MAX_METRICS:
        problems.append(f"only the first {MAX_METRICS} metrics are read")
    return items


def metric_query(item: Item, default_stat: str) -> dict[str, Any]:
    """The srvmon AWS dict query of one metric."""
    stat = item.opts.get("stat") if isinstance(item.opts.get("stat"), str) else default_stat
    out: dict[str, Any] = {"namespace": item.namespace, "metric": item.metric}
    if item.dims:
        out["dimensions"] = dict(item.dims)
    out["stat"] = stat
    return out


def _ids(items: list[Item]) -> dict[int, str]:
    """A CloudWatch id for every metric: its own `id`, else m1, m2 ... (never clashing)."""
    taken = {it.id for it in items if it.id}
    out: dict[int, str] = {}
    n = 1
    for it in items:
        if it.expression is not None:
            continue
        if it.id and re.fullmatch(r"[a-z][A-Za-z0-9_]*", it.id):
            out[it.index] = it.id
            continue
        while f"m{n}" in taken:
            n += 1
        out[it.index] = f"m{n}"
        taken.add(f"m{n}")
    return out


@dataclass
class Plan:
    """What a widget's series become: one srvmon AWS query, and what it leaves out."""

    query: dict[str, Any] | None
    series: int
    notes: list[str] = field(default_factory=list)
    label: str | None = None
    metric: str = ""
    stat: str = "Average"


def plan(items: list[Item], default_stat: str) -> Plan:
    """The query for a widget: one metric -> the MetricStat form; one visible expression -> the expression
    form using the widget's metrics; several visible metrics -> METRICS() over them."""
    visible = [it for it in items if it.visible]
    exprs = [it for it in visible if it.expression is not None]
    metrics = [it for it in items if it.expression is None]
    if not items:
        return Plan(None, 0, ["no readable metrics"])
    if not visible:
        return Plan(None, 0, ["every metric is hidden (visible: false)"])
    ids = _ids(items)
    if not exprs and len(visible) == 1:
        it = visible[0]
        single = metric_query(it, default_stat)
        return Plan(single, 1, label=it.label(), metric=it.metric, stat=single["stat"])
    notes: list[str] = []
    if exprs:
        main = exprs[0]
        if len(exprs) > 1:
            notes.append(
                f"{len(exprs)} expressions are drawn in CloudWatch; srvmon runs one query per panel: "
                f"{main.expression!r} is kept, {', '.join(repr(e.expression) for e in exprs[1:])} are not"
            )
        drawn = [it for it in visible if it.expression is None]
        if drawn:
            notes.append(f"{len(drawn)} visible metric(s) beside the expression are not drawn")
        refs = set(re.findall(r"\b[a-z][A-Za-z0-9_]*\b", main.expression or ""))
        using = {ids[it.index]: metric_query(it, default_stat) for it in metrics if ids[it.index] in refs}
        if "METRICS(" in (main.expression or "").upper():  # METRICS() / METRICS("m") take every metric
            using = {ids[it.index]: metric_query(it, default_stat) for it in metrics}
        query: dict[str, Any] = {"expression": main.expression}
        if using:
            query["using"] = using
        if main.label():
            query["label"] = main.label()
        if (
            isinstance(main.opts.get("period"), int)
            and main.expression
            and main.expression.lstrip().upper().startswith("SELECT")
        ):
            query["period"] = main.opts["period"]
        return Plan(query, 1, notes, label=main.label())
    using = {ids[it.index]: metric_query(it, default_stat) for it in visible}
    labels = [it.label() for it in visible if it.label()]
    if labels:
        notes.append("per-metric labels are not kept: each series is labelled by CloudWatch")
    same = {it.metric for it in visible}
    return Plan(
        {"expression": "METRICS()", "using": using},
        len(visible),
        notes,
        metric=same.pop() if len(same) == 1 else "",
    )


def unit_for(metric: str, axis_label: object = None) -> str:
    """A display unit from the y-axis label or, failing that, the metric's name (a guess, said so)."""
    label = axis_label.strip().lower() if isinstance(axis_label, str) else ""
    by_label = {
        "milliseconds": "ms",
        "ms": "ms",
        "seconds": "s",
        "percent": "%",
        "%": "%",
        "bytes": "B",
        "count": "count",
    }
    if label in by_label:
        return by_label[label]
    m = metric.lower()
    if m == "approximateageofoldestmessage":
        return "s"
    if any(w in m for w in ("duration", "latency", "executiontime", "iteratorage")):
        return "ms"
    if "utilization" in m or "percent" in m:
        return "%"
    if "bytes" in m or m == "dataprocessed":
        return "B"
    return ""
