"""One Grafana panel -> one srvmon panel: type -> kind, fieldConfig units, thresholds steps -> warn/crit
with direction, reduce calcs, min/max, text content, alert lists, logs; what is lost goes to the report."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from srvmon.importers import gf_targets as gt
from srvmon.importers.board import PanelDraft, clean
from srvmon.importers.gf_vars import GfVariables
from srvmon.importers.jsonin import arr, obj
from srvmon.importers.report import Report
from srvmon.importers.thresholds import from_steps, tidy

KINDS = {
    "timeseries": "timeseries", "graph": "timeseries", "stat": "stat", "singlestat": "stat", "gauge": "gauge",
    "bargauge": "toplist", "table": "toplist", "table-old": "toplist", "piechart": "toplist",
    "grafana-piechart-panel": "toplist", "barchart": "toplist", "logs": "logs", "text": "text", "alertlist": "alarms",
}  # fmt: skip
APPROXIMATE_KINDS = {
    "bargauge": "bars are shown as a ranked list", "table": "the table is shown as a ranked list of series values",
    "table-old": "the table is shown as a ranked list", "piechart": "the pie is shown as a ranked list",
    "grafana-piechart-panel": "the pie is shown as a ranked list", "barchart": "the bars are shown as a ranked list",
    "singlestat": "singlestat (Grafana's old stat panel) is read as a stat",
}  # fmt: skip
#: Grafana unit ids -> (srvmon unit, scale).
UNITS: dict[str, tuple[str, float]] = {
    "": ("", 1.0), "none": ("", 1.0), "short": ("", 1.0), "reqps": ("req/s", 1.0), "rps": ("req/s", 1.0),
    "ops": ("ops/s", 1.0), "wps": ("writes/s", 1.0), "rpm": ("req/min", 1.0), "cps": ("/s", 1.0),
    "s": ("s", 1.0), "ms": ("ms", 1.0), "µs": ("µs", 1.0), "us": ("µs", 1.0), "ns": ("ns", 1.0),
    "m": ("min", 1.0), "h": ("h", 1.0), "d": ("d", 1.0), "dtdurations": ("s", 1.0), "dtdurationms": ("ms", 1.0),
    "percent": ("%", 1.0), "percentunit": ("%", 100.0), "bytes": ("B", 1.0), "decbytes": ("B", 1.0),
    "bits": ("bit", 1.0), "Bps": ("B/s", 1.0), "binBps": ("B/s", 1.0), "currencyUSD": ("$", 1.0), "count": ("count", 1.0),
}  # fmt: skip
REDUCE = {"lastNotNull": "last", "last": "last", "mean": "avg", "sum": "sum", "max": "max", "min": "min",
          "current": "last", "avg": "avg", "total": "sum"}  # fmt: skip


@dataclass
class Context:
    variables: GfVariables
    report: Report
    resolve: Callable[..., tuple[str, str] | None]
    """datasource ref -> (family, srvmon provider)."""


def convert(panel: dict[str, Any], ref: str, ctx: Context) -> tuple[PanelDraft | None, str | None]:
    """(the draft, its provider), or (None, None) when it is not imported (reported)."""
    report = ctx.report
    ptype = str(panel.get("type") or "")
    raw_title = clean(panel.get("title") or "")
    label = raw_title or ptype
    title = ctx.variables.rewrite(raw_title, ref, label, report)
    if ptype == "__library" or panel.get("libraryPanel"):
        report.add(
            ref,
            label,
            "skipped",
            "a library panel: export the dashboard with library panels inlined (Export > externally)",
        )
        return None, None
    kind = KINDS.get(ptype)
    if kind is None:
        report.add(ref, label, "skipped", f"Grafana {ptype!r} panels have no srvmon equivalent")
        return None, None
    approx: list[str] = [APPROXIMATE_KINDS[ptype]] if ptype in APPROXIMATE_KINDS else []
    notes: list[str] = []
    fields: dict[str, Any] = {"title": title or ptype.capitalize(), "kind": kind}
    if panel.get("description"):
        fields["description"] = clean(panel["description"])[:500]
    provider: str | None = None
    if kind == "text":
        opts = obj(panel.get("options"))
        content = opts.get("content", panel.get("content", ""))
        mode = opts.get("mode", panel.get("mode", "markdown"))
        if mode == "html":
            approx.append("HTML content is shown as text (no HTML is rendered)")
        fields["content"] = ctx.variables.rewrite(
            clean(content if isinstance(content, str) else ""), ref, label, report
        )
    elif kind == "alarms":
        opts = obj(panel.get("options"))
        filters = {
            k: opts[k]
            for k in ("alertName", "stateFilter", "folder", "alertInstanceLabelFilter", "datasource")
            if opts.get(k)
        }
        if filters:
            approx.append(
                f"alert list filters {sorted(filters)} are not kept: srvmon lists every alarm of the provider"
            )
        provider = _alarm_provider(panel, ctx)
        if provider is None:
            approx.append("Grafana-managed alerts: the panel lists the board provider's alarms")
    else:
        provider, query = _targets(panel, ptype, ref, label, ctx)
        if query is None:
            return None, None
        approx += query.approx
        if kind == "logs" or query.logs is not None:
            fields["kind"] = "logs"
            if query.logs:
                fields["drilldown"] = query.logs
        else:
            fields["query"] = query.query
            if query.group_by:
                fields["group_by"] = query.group_by
            if kind == "timeseries" and (query.series > 1 or query.many):
                fields["top"] = max(10, min(500, query.series))
            if kind in ("stat", "gauge") and (query.series > 1 or query.many):
                what = f"{query.series} series" if query.series > 1 else "one value per matching series"
                approx.append(f"Grafana shows {what}; srvmon shows one value (their sum)")
            _field_config(panel, ptype, fields, approx, notes)
    for key, why in (
        ("transformations", "transformations are not applied"),
        ("repeat", "a repeated panel is imported once (with the variable's value)"),
    ):
        if panel.get(key):
            approx.append(why)
    if panel.get("timeShift"):
        approx.append(f"timeShift {panel['timeShift']!r} is not kept")
    if panel.get("timeFrom"):
        approx.append(f"relative time {panel['timeFrom']!r} is not kept: the panel shows the board range")
    if panel.get("__note"):
        notes.append(str(panel["__note"]))
    if approx:
        report.add(ref, label, "approximated", "; ".join(approx))
    src = f"{ref} {label!r} ({ptype})"
    return PanelDraft(fields, src, notes=notes + [f"~ {a}" for a in approx], ref=ref), provider


def _alarm_provider(panel: dict[str, Any], ctx: Context) -> str | None:
    got = ctx.resolve(panel.get("datasource")) if panel.get("datasource") else None
    return got[1] if got else None


def _targets(
    panel: dict[str, Any], ptype: str, ref: str, label: str, ctx: Context
) -> tuple[str | None, gt.Query | None]:
    report = ctx.report
    targets = [t for t in arr(panel.get("targets")) if isinstance(t, dict)]
    visible = [t for t in targets if not t.get("hide")]
    hidden = [t for t in targets if t.get("hide")]
    if not visible:
        report.add(ref, label, "skipped", "no visible targets")
        return None, None
    resolved: list[tuple[dict[str, Any], tuple[str, str]]] = []
    for t in visible:
        ds = t.get("datasource") or panel.get("datasource")
        family = gt.family_of_target(t)
        if family == "prometheus" and ptype == "logs":
            family = "loki"
        got = ctx.resolve(ds, family)
        if got is not None and got[0] == "mixed":
            got = (
                ctx.resolve(t.get("datasource"), family)
                if t.get("datasource")
                else ctx.resolve({"type": family})
            )
        if got is None:
            report.add(
                f"{ref} target {t.get('refId', '?')}",
                label,
                "skipped",
                f"data source {ds!r} is not one srvmon reads (Prometheus, CloudWatch, Azure Monitor, Loki)",
            )
            continue
        resolved.append((ctx.variables.rewrite_deep(t, ref, label, report), got))
    if not resolved:
        return None, None
    family, provider = resolved[0][1]
    same = [t for t, got in resolved if got == (family, provider)]
    others = [t for t, got in resolved if got != (family, provider)]
    query = {
        "prometheus": lambda: gt.prometheus(same),
        "loki": lambda: gt.loki(same),
        "cloudwatch": lambda: gt.cloudwatch(
            same, [ctx.variables.rewrite_deep(h, ref, label, report) for h in hidden]
        ),
        "azure": lambda: gt.azure(same, ptype),
    }[family]()
    if others:
        query.approx.append(
            f"targets {', '.join(str(t.get('refId', '?')) for t in others)} read another data source and are not imported"
        )
    if query.skip:
        report.add(ref, label, "skipped", query.skip)
        return None, None
    return provider, query


def _num(v: Any) -> float | None:
    return float(v) if isinstance(v, int | float) and not isinstance(v, bool) else None


def _field_config(
    panel: dict[str, Any], ptype: str, fields: dict[str, Any], approx: list[str], notes: list[str]
) -> None:
    fc = obj(panel.get("fieldConfig"))
    d = obj(fc.get("defaults"))
    opts = obj(panel.get("options"))
    unit_id = d.get("unit")
    if ptype == "graph":
        yaxes = arr(panel.get("yaxes"))
        unit_id = yaxes[0].get("format") if yaxes and isinstance(yaxes[0], dict) else unit_id
    if ptype == "singlestat":
        unit_id = panel.get("format", unit_id)
    scale = 1.0
    if isinstance(unit_id, str):
        if unit_id in UNITS:
            unit, scale = UNITS[unit_id]
        elif unit_id.startswith("suffix:"):
            unit = unit_id.split(":", 1)[1].strip()
        else:
            unit = ""
            approx.append(f"unit {unit_id!r} is not known to srvmon: no unit")
        if unit:
            fields["unit"] = clean(unit)[:16]
        if scale != 1.0:
            fields["scale"] = scale
            notes.append(f"values x{scale:g}: Grafana's {unit_id!r} is a 0-1 ratio")
    lo, hi = _num(d.get("min")), _num(d.get("max"))
    thresholds, t_approx = from_steps(d.get("thresholds"), lo, hi)
    if ptype == "graph" and isinstance(panel.get("thresholds"), list):
        thresholds, t_approx = _graph_thresholds(panel["thresholds"])
    if ptype == "singlestat" and isinstance(panel.get("thresholds"), str):
        thresholds, t_approx = _singlestat_thresholds(panel)
    approx += t_approx
    if thresholds and scale != 1.0:
        thresholds = {k: (tidy(v * scale) if isinstance(v, float) else v) for k, v in thresholds.items()}
    reduce = obj(opts.get("reduceOptions"))
    calcs = arr(reduce.get("calcs"))
    calc = calcs[0] if calcs else (panel.get("valueName") if ptype == "singlestat" else None)
    if fields["kind"] in ("stat", "gauge", "toplist"):
        if isinstance(calc, str):
            if calc in REDUCE:
                fields["reduce"] = REDUCE[calc]
            else:
                fields["reduce"] = "last"
                approx.append(f"reduce {calc!r} is not one srvmon has: the last value is shown")
        elif fields["kind"] != "toplist":
            fields["reduce"] = "last"  # Grafana's default calculation: last non-null
        if reduce.get("values") is True:
            approx.append("'all values' display: srvmon shows one value per series")
    if fields["kind"] == "gauge":
        top = hi * scale if hi is not None else (100.0 if fields.get("unit") == "%" else None)
        if top is None and thresholds:
            top = max(v for v in thresholds.values() if isinstance(v, float)) * 1.25
            approx.append("the gauge has no max: srvmon uses 1.25 x the highest threshold")
        if top is None or top <= 0:
            top = 100.0
            approx.append("the gauge has no max: srvmon uses 100")
        fields["max"] = top
        if lo not in (None, 0.0):
            approx.append(f"the gauge starts at {lo:g}; srvmon gauges start at 0")
        if thresholds:
            thresholds = {
                k: (tidy(v / top * 100.0) if isinstance(v, float) else v) for k, v in thresholds.items()
            }
            notes.append("thresholds are written as % of the gauge's max, as srvmon gauges compare them")
    if thresholds:
        fields["thresholds"] = thresholds
    if d.get("mappings"):
        approx.append("value mappings are not kept")
    if arr(fc.get("overrides")):
        approx.append("per-series field overrides are not kept")
    if ptype == "graph" and (panel.get("stack") or panel.get("percentage")):
        approx.append("stacking is drawn as separate lines")
    custom = obj(d.get("custom"))
    stacking = obj(custom.get("stacking"))
    if stacking.get("mode") not in (None, "none"):
        approx.append("stacking is drawn as separate lines")


def _graph_thresholds(items: list[Any]) -> tuple[dict[str, Any] | None, list[str]]:
    """The old graph panel's thresholds: [{value, colorMode: critical|warning, op: gt|lt}]."""
    warn = crit = None
    ops = set()
    for t in items:
        if not isinstance(t, dict) or _num(t.get("value")) is None:
            continue
        ops.add(str(t.get("op", "gt")))
        if t.get("colorMode") == "warning":
            warn = _num(t["value"])
        else:
            crit = _num(t["value"])
    if warn is None and crit is None:
        return None, []
    direction = "below" if ops == {"lt"} else "above"
    out: dict[str, Any] = {k: v for k, v in (("warn", warn), ("crit", crit)) if v is not None}
    if direction == "below":
        out["direction"] = "below"
    return out, (["thresholds on both sides: srvmon keeps 'higher is worse'"] if len(ops) > 1 else [])


def _singlestat_thresholds(panel: dict[str, Any]) -> tuple[dict[str, Any] | None, list[str]]:
    """singlestat `thresholds: "80,90"` (warn, crit); `colors` reversed means lower is worse."""
    try:
        values = [float(x) for x in str(panel.get("thresholds", "")).split(",") if x.strip()]
    except ValueError:
        return None, ["the singlestat thresholds are not numbers"]
    if not values:
        return None, []
    from srvmon.importers.thresholds import level_of

    colors = arr(panel.get("colors"))
    below = bool(colors) and level_of(colors[0]) == "crit"
    if below:
        return (
            {"crit": values[0], **({"warn": values[1]} if len(values) > 1 else {}), "direction": "below"},
            [],
        )
    return ({"warn": values[0], "crit": values[1]} if len(values) > 1 else {"crit": values[0]}), []
