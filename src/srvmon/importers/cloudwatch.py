"""CloudWatch dashboard bodies (AWS's "Dashboard Body Structure and Syntax") -> a srvmon board: metric,
alarm, log and text widgets, the 24-column grid, the time range and dashboard variables."""

from __future__ import annotations

import re
from typing import Any

from srvmon.importers import cw_metrics as cwm
from srvmon.importers.board import BoardDraft, PanelDraft, clean, slug
from srvmon.importers.cw_vars import CwVariables, apply_patterns, read_variables
from srvmon.importers.jsonin import DashboardError, obj, parse_json
from srvmon.importers.report import Report
from srvmon.importers.thresholds import from_annotations, tidy
from srvmon.importers.timerange import board_range

MAX_WIDGETS = 500
#: CloudWatch grid units per srvmon grid row (a default metric widget is 6 high).
ROW_UNIT = 6
_REDUCE = {"Sum": "sum", "Average": "avg", "Maximum": "max", "Minimum": "min", "SampleCount": "sum"}


def unwrap(body: Any, where: str) -> dict[str, Any]:
    """The dashboard body: as exported, or inside a GetDashboard answer (DashboardBody is a JSON string)."""
    if isinstance(body, dict) and isinstance(body.get("DashboardBody"), str):
        body = parse_json(body["DashboardBody"], f"{where}: DashboardBody")
    if not isinstance(body, dict):
        raise DashboardError(
            where,
            "a CloudWatch dashboard body is a JSON object",
            'export it with "View/edit source" or `aws cloudwatch get-dashboard`',
        )
    widgets = body.get("widgets")
    if not isinstance(widgets, list):
        raise DashboardError(
            f"{where}: widgets",
            "missing or not an array"
            if widgets is None
            else f"must be an array, not {type(widgets).__name__}",
            'a dashboard body has "widgets": [...] (is this a Grafana dashboard? use `srvmon import grafana`)',
        )
    if len(widgets) > MAX_WIDGETS:
        raise DashboardError(
            f"{where}: widgets",
            f"{len(widgets)} widgets; CloudWatch allows {MAX_WIDGETS}",
            "import a real dashboard body",
        )
    return body


def import_cloudwatch(
    body: Any, *, name: str, where: str, provider: str = "aws"
) -> tuple[BoardDraft, Report]:
    """Convert a CloudWatch dashboard body; DashboardError when it is not one."""
    body = unwrap(body, where)
    widgets: list[Any] = body["widgets"]
    report = Report("cloudwatch", name)
    board = BoardDraft(slug(name, "cloudwatch"), clean(name) or "CloudWatch dashboard", provider)
    board.header = [
        f"Imported by `srvmon import cloudwatch` from {where} (CloudWatch dashboard {clean(name)!r}).",
        f"Append this [[boards]] block to your srvmon config; it reads through the AWS provider {provider!r}",
        f'([providers.{provider}] type = "aws"). Lines marked ~ are approximations; `--report` lists them all.',
    ]
    board.range, range_note = board_range(body.get("start"), body.get("end"), "cloudwatch")
    if range_note:
        board.notes.append(range_note)
        if range_note.startswith("~"):
            report.add("dashboard", "start/end", "approximated", range_note.lstrip("~ "))
    if body.get("periodOverride") or any(
        isinstance(w, dict) and "period" in obj(w.get("properties")) for w in widgets
    ):
        board.notes.append(
            "periods: srvmon picks each query's period from the board range (like periodOverride auto)"
        )
    variables = read_variables(body.get("variables"), widgets, report)
    board.variables = variables.drafts
    regions: dict[str, int] = {}
    for i, w in enumerate(widgets):
        report.items += 1
        _widget(i, w, variables, board, report, regions)
    if len(regions) > 1:
        board.notes.append(
            f"~ the dashboard reads regions {sorted(regions)}: list them all in the provider's `regions`"
        )
        main = max(sorted(regions), key=lambda r: regions[r])
        for i, w in enumerate(widgets):
            props = w.get("properties") if isinstance(w, dict) else None
            region = props.get("region") if isinstance(props, dict) else None
            if isinstance(region, str) and region != main and w.get("type") in ("metric", "log"):
                title = clean(props.get("title") or "")  # type: ignore[union-attr]
                why = f"region {region}: srvmon queries every region configured on the provider"
                report.add(f"widget {i + 1}", title, "approximated", why)
    elif regions:
        board.notes.append(
            f"the dashboard reads region {next(iter(regions))}: the AWS provider's `regions` must include it"
        )
    board.finish(report, ROW_UNIT)
    return board, report


def _box(w: dict[str, Any]) -> tuple[int, int, int, int] | None:
    x, y = w.get("x"), w.get("y")
    if not isinstance(x, int) or not isinstance(y, int) or isinstance(x, bool) or isinstance(y, bool):
        return None
    width, height = w.get("width"), w.get("height")
    return x, y, width if isinstance(width, int) else 6, height if isinstance(height, int) else 6


def _widget(
    i: int, w: Any, variables: CwVariables, board: BoardDraft, report: Report, regions: dict[str, int]
) -> None:
    source = f"widget {i + 1}"
    if not isinstance(w, dict) or not isinstance(w.get("properties", {}), dict):
        report.add(source, "", "skipped", "not a widget object with `properties`")
        board.skipped.append(f"{source}: not a widget object")
        return
    props = apply_patterns(w.get("properties") or {}, variables.patterns)
    kind = w.get("type")
    title = clean(props.get("title") or "")
    region = props.get("region")
    if isinstance(region, str) and kind in ("metric", "log"):
        regions[region] = regions.get(region, 0) + 1
    if kind == "metric":
        draft = _metric(source, title, props, variables, report)
    elif kind == "alarm":
        draft = _alarms(source, title, props.get("alarms"), props, report)
    elif kind == "log":
        draft = _log(source, title, props, report)
    elif kind == "text":
        draft = _text(source, props, report)
    else:
        why = {
            "explorer": "metrics explorer widgets select resources by tags; rebuild it as a metric widget",
            "custom": "custom widgets run a Lambda function to draw; srvmon cannot run them",
        }.get(str(kind), f"widget type {kind!r} is not known")
        report.add(source, title, "skipped", why)
        board.skipped.append(f"{source} {title!r} ({kind}): {why}")
        return
    if draft is None:
        last = report.diagnostics[-1] if report.diagnostics else None
        board.skipped.append(f"{source} {title!r} ({kind}): {last.reason if last else 'not imported'}")
        return
    draft.box = _box(w)
    draft.ref = source
    board.panels.append(draft)


def _metric(
    source: str, title: str, props: dict[str, Any], variables: CwVariables, report: Report
) -> PanelDraft | None:
    view = str(props.get("view") or "timeSeries")
    annotations = obj(props.get("annotations"))
    if not props.get("metrics") and annotations.get("alarms"):
        return _alarms(source, title, annotations.get("alarms"), props, report, graph=True)
    problems: list[str] = []
    items = cwm.expand(props.get("metrics"), problems)
    for it in items:  # property variables: the dimension takes the variable everywhere it appears
        it.dims = [
            (n, "${" + variables.dimensions[n] + "}" if n in variables.dimensions else v) for n, v in it.dims
        ]
    default_stat = str(props["stat"]) if isinstance(props.get("stat"), str) else "Average"
    plan = cwm.plan(items, default_stat)
    label = f"{source} {title!r}" if title else source
    src = f"{label} (metric, {view})"
    if plan.query is None:
        reason = "; ".join(problems + plan.notes) or "no metrics"
        report.add(source, title, "skipped", reason)
        return None
    notes: list[str] = []
    fields: dict[str, Any] = {
        "title": title or plan.label or plan.metric or "CloudWatch metric",
        "query": plan.query,
    }
    approx: list[str] = list(problems) + plan.notes
    if view in ("timeSeries", ""):
        fields["kind"] = "timeseries"
        if plan.series > 1 or plan.query.get("expression", "").upper().startswith(("SEARCH", "SELECT")):
            fields["top"] = max(10, min(500, plan.series))
        if props.get("stacked") is True:
            approx.append("stacked areas are drawn as separate lines")
    elif view == "singleValue":
        if plan.series > 1:
            fields["kind"] = "toplist"
            fields["top"] = min(500, plan.series)
            approx.append(f"{plan.series} numbers are shown as a ranked list")
        else:
            fields["kind"] = "stat"
        fields["reduce"] = _REDUCE.get(plan.stat, "avg") if props.get("setPeriodToTimeRange") else "last"
    elif view == "gauge":
        fields["kind"] = "gauge"
        left = obj(obj(props.get("yAxis")).get("left"))
        top = left.get("max")
        fields["max"] = (
            float(top) if isinstance(top, int | float) and not isinstance(top, bool) and top > 0 else 100.0
        )
        if not (isinstance(top, int | float) and top > 0):
            approx.append("the gauge has no yAxis.left.max: srvmon uses 100")
        if left.get("min") not in (None, 0):
            approx.append(f"the gauge starts at {left.get('min')}; srvmon gauges start at 0")
        fields["reduce"] = "last"
    elif view in ("bar", "pie", "table"):
        fields["kind"] = "toplist"
        fields["top"] = max(10, min(500, plan.series))
        approx.append(f"a {view} view is shown as a ranked list of the series' values")
    else:
        fields["kind"] = "timeseries"
        approx.append(f"view {view!r} is not known: drawn as a time series")
    y_axis = obj(props.get("yAxis"))
    left = obj(y_axis.get("left"))
    unit = cwm.unit_for(plan.metric, left.get("label"))
    if unit:
        fields["unit"] = unit
    if unit and not left.get("label"):
        notes.append(f"unit {fields['unit']!r} guessed from the metric name")
    if fields["kind"] == "timeseries" and (left.get("min") is not None or left.get("max") is not None):
        approx.append("the y-axis range is not kept (srvmon scales to the data)")
    if isinstance(y_axis.get("right"), dict) or any(it.opts.get("yAxis") == "right" for it in items):
        approx.append("series on the right y-axis share the panel's single axis")
    thresholds, t_notes = from_annotations(annotations.get("horizontal"))
    if thresholds:
        if fields["kind"] == "gauge" and fields.get("max"):
            scale = 100.0 / fields["max"]
            thresholds = {k: (tidy(v * scale) if isinstance(v, float) else v) for k, v in thresholds.items()}
            notes.append("thresholds are written as % of the gauge's max, as srvmon gauges compare them")
        fields["thresholds"] = thresholds
    approx += t_notes
    if annotations.get("vertical"):
        approx.append("vertical annotations (time markers) are not imported")
    if props.get("accountId") or any(it.opts.get("accountId") for it in items):
        approx.append("accountId: srvmon reads the accounts configured on the AWS provider")
    report_panel(report, source, title, approx)
    return PanelDraft(fields, src, notes=notes + [f"~ {a}" for a in approx])


def report_panel(report: Report, source: str, title: str, approx: list[str]) -> None:
    if approx:
        report.add(source, title, "approximated", "; ".join(approx))


def _alarm_name(arn: Any) -> str:
    text = clean(arn)
    return text.split(":alarm:", 1)[1] if ":alarm:" in text else text


def _alarms(
    source: str, title: str, arns: Any, props: dict[str, Any], report: Report, graph: bool = False
) -> PanelDraft:
    names = [_alarm_name(a) for a in arns] if isinstance(arns, list) else []
    what = "an alarm graph" if graph else "the alarm widget"
    approx = [
        f"srvmon's alarms panel lists every alarm of the provider; {what} showed {len(names)}: {', '.join(names[:10])}"
    ]
    states = props.get("states")
    if isinstance(states, list) and states:
        approx.append(f"states filter {states} not kept (alarms are sorted ALARM first)")
    report_panel(report, source, title, approx)
    fields = {"title": title or "Alarms", "kind": "alarms"}
    return PanelDraft(
        fields,
        f"{source} {title!r} ({'metric alarm graph' if graph else 'alarm'})",
        notes=[f"~ {a}" for a in approx],
    )


def _log(source: str, title: str, props: dict[str, Any], report: Report) -> PanelDraft | None:
    query = props.get("query")
    if not isinstance(query, str) or not query.strip():
        report.add(source, title, "skipped", "a log widget without a `query`")
        return None
    groups = re.findall(r"SOURCE\s+'([^']+)'", query) + re.findall(r'SOURCE\s+"([^"]+)"', query)
    body = re.sub(r"SOURCE\s+('[^']*'|\"[^\"]*\")\s*\|?", "", query)
    commands = [c.strip() for c in re.split(r"\n\s*\|", "\n" + body.strip().lstrip("|")) if c.strip()]
    drill: dict[str, Any] = {}
    fields: dict[str, Any] = {"title": title or "Logs", "kind": "logs"}
    approx: list[str] = []
    if groups:
        drill["resources"] = groups
    else:
        approx.append("no SOURCE log groups in the query: the panel reads the provider's Lambda log groups")
    kept: list[str] = []
    for c in commands:
        m = re.fullmatch(r"filter\s+@message\s+like\s+/(.*)/([a-z]*)", c)
        s = re.fullmatch(r'filter\s+@message\s+like\s+"((?:[^"\\]|\\.)*)"', c)
        lim = re.fullmatch(r"limit\s+(\d+)", c)
        if m and "filter" not in drill:
            drill["filter"] = ("(?i)" if "i" in m.group(2) else "") + m.group(1)
            drill["regex"] = True
        elif s and "filter" not in drill:
            drill["filter"] = s.group(1).replace('\\"', '"')
        elif lim:
            fields["top"] = max(1, min(500, int(lim.group(1))))
        elif re.match(r"(fields|sort|display)\b", c):
            continue  # the logs panel shows time, resource and message, newest first
        else:
            kept.append(c)
    if kept:
        approx.append(
            f"Logs Insights commands not carried over (the panel lists matching records): {' | '.join(kept)}"
        )
    if drill:
        fields["drilldown"] = drill
    if props.get("view") not in (None, "table"):
        approx.append(f"the {props.get('view')} view is shown as a list of records")
    report_panel(report, source, title, approx)
    notes = [f"Logs Insights query: {' | '.join(commands)}"[:400]] + [f"~ {a}" for a in approx]
    return PanelDraft(fields, f"{source} {title!r} (log)", notes=notes)


def _text(source: str, props: dict[str, Any], report: Report) -> PanelDraft | None:
    markdown = props.get("markdown")
    if not isinstance(markdown, str):
        report.add(source, "", "skipped", "a text widget without `markdown`")
        return None
    heading = next((ln.lstrip("#").strip() for ln in markdown.splitlines() if ln.strip()), "")
    title = clean(heading)[:60] or "Text"
    return PanelDraft(
        {"title": title, "kind": "text", "content": clean(markdown)}, f"{source} {title!r} (text)"
    )
