"""Grafana's three dashboard JSON models -> one classic-shaped dashboard: Classic as is, the V1 resource
(classic inside `spec`), the V2 resource (elements + layout + variable kinds); also the HTTP API's
{"dashboard": ...} wrapper. `__inputs` (${DS_...}, ${VAR_...}) are substituted first."""

from __future__ import annotations

import re
from typing import Any

from srvmon.importers.jsonin import DashboardError, arr, integer, obj
from srvmon.importers.report import Report

MAX_PANELS = 1000


def normalise(doc: Any, where: str, report: Report) -> tuple[dict[str, Any], str, dict[str, dict[str, str]]]:
    """(classic dashboard, model name, input datasources {input name: {"type", "uid"}})."""
    if not isinstance(doc, dict):
        raise DashboardError(
            where, "a Grafana dashboard is a JSON object", "export it with Share > Export > Save to file"
        )
    if isinstance(doc.get("dashboard"), dict) and "meta" in doc:  # GET /api/dashboards/uid/... answer
        doc = doc["dashboard"]
    model = "classic"
    api = str(doc.get("apiVersion") or "")
    if doc.get("kind") == "Dashboard" and isinstance(doc.get("spec"), dict):
        model = "v2" if re.search(r"/v2", api) or "elements" in doc["spec"] else "v1"
        inputs = doc.get("__inputs")
        doc = dict(doc["spec"], **({"__inputs": inputs} if inputs else {}))
    elif "elements" in doc and "layout" in doc:
        model = "v2"
    if model != "v2" and "widgets" in doc and "panels" not in doc:
        raise DashboardError(
            where, "this looks like a CloudWatch dashboard body", "use `srvmon import cloudwatch`"
        )
    doc, inputs = substitute_inputs(doc, report)
    if model == "v2":
        doc = from_v2(doc, report)
    if not isinstance(doc.get("panels", []), list) or not isinstance(doc.get("rows", []), list):
        raise DashboardError(f"{where}: panels", "must be an array", "export the dashboard JSON again")
    if "panels" not in doc and "rows" not in doc:
        raise DashboardError(
            where, "has no `panels` (nor V2 `elements`)", "export a Grafana dashboard (Share > Export)"
        )
    return doc, model, inputs


def substitute_inputs(
    doc: dict[str, Any], report: Report
) -> tuple[dict[str, Any], dict[str, dict[str, str]]]:
    """Replace ${NAME} of every `__inputs` entry: constants by their value, data sources by a uid that
    keeps the input's name (resolved to a srvmon provider later)."""
    inputs = doc.get("__inputs")
    if not isinstance(inputs, list):
        return doc, {}
    values: dict[str, str] = {}
    sources: dict[str, dict[str, str]] = {}
    for item in inputs:
        if not isinstance(item, dict) or not isinstance(item.get("name"), str):
            continue
        name = item["name"]
        if item.get("type") == "datasource":
            values[name] = name
            sources[name] = {"type": str(item.get("pluginId") or ""), "uid": name}
        elif item.get("type") == "constant":
            values[name] = str(item.get("value", ""))
        else:
            report.add(
                "dashboard", f"__inputs {name}", "skipped", f"input type {item.get('type')!r} is not known"
            )

    def sub(v: Any) -> Any:
        if isinstance(v, str):
            return re.sub(r"\$\{([A-Za-z0-9_]+)\}", lambda m: values.get(m.group(1), m.group(0)), v)
        if isinstance(v, list):
            return [sub(x) for x in v]
        if isinstance(v, dict):
            return {k: sub(x) for k, x in v.items() if k != "__inputs"}
        return v

    return sub(doc), sources


# ---- V2 ------------------------------------------------------------------------------------------------


def _query_of(q: dict[str, Any]) -> dict[str, Any]:
    """A V2 PanelQuery -> a classic target (v2beta1 DataQuery `group`, v2alpha1 query `kind`)."""
    spec = obj(q.get("spec"))
    query = obj(spec.get("query"))
    group = query.get("group") or (query.get("kind") if query.get("kind") != "DataQuery" else "")
    ds = obj(query.get("datasource"))
    target = dict(obj(query.get("spec")))
    target["refId"] = spec.get("refId", "")
    target["hide"] = bool(spec.get("hidden"))
    target["datasource"] = {"type": str(group or ""), "uid": str(ds.get("name") or ds.get("uid") or "")}
    return target


def _panel_of(
    name: str, element: dict[str, Any], box: dict[str, int] | None, report: Report
) -> dict[str, Any]:
    spec = obj(element.get("spec"))
    if element.get("kind") == "LibraryPanel":
        return {
            "type": "__library",
            "id": spec.get("id"),
            "title": spec.get("title", name),
            "libraryPanel": spec.get("libraryPanel"),
            "gridPos": box,
        }
    viz = obj(spec.get("vizConfig"))
    vspec = obj(viz.get("spec"))
    data = obj(spec.get("data"))
    dspec = obj(data.get("spec"))
    queries = [q for q in arr(dspec.get("queries")) if isinstance(q, dict)]
    return {
        "id": spec.get("id"),
        "type": viz.get("group") or viz.get("kind") or "",
        "title": spec.get("title", ""),
        "description": spec.get("description", ""),
        "targets": [_query_of(q) for q in queries],
        "fieldConfig": vspec.get("fieldConfig") or {},
        "options": vspec.get("options") or {},
        "transformations": arr(dspec.get("transformations")),
        "gridPos": box,
    }


def _layout_items(
    layout: Any, y0: int, report: Report, out: list[tuple[str, dict[str, int] | None, str | None]]
) -> int:
    """Flatten a V2 layout into (element name, grid box, row note); returns the next free y."""
    if not isinstance(layout, dict):
        return y0
    kind, spec = layout.get("kind"), obj(layout.get("spec"))
    if kind == "GridLayout":
        bottom = y0
        for item in arr(spec.get("items")):
            s = item.get("spec") if isinstance(item, dict) else None
            if not isinstance(s, dict):
                continue
            ref = obj(s.get("element")).get("name")
            box = {k: integer(s.get(k), 0) for k in ("x", "y", "width", "height")}
            box = {"x": box["x"], "y": box["y"] + y0, "w": box["width"] or 12, "h": box["height"] or 8}
            out.append((str(ref), box, None))
            bottom = max(bottom, box["y"] + box["h"])
        return bottom
    if kind == "AutoGridLayout":
        for item in arr(spec.get("items")):
            s = item.get("spec") if isinstance(item, dict) else None
            if isinstance(s, dict):
                out.append((str(obj(s.get("element")).get("name")), None, "placed automatically in Grafana"))
        return y0
    if kind in ("RowsLayout", "TabsLayout"):
        entries = spec.get("rows") if kind == "RowsLayout" else spec.get("tabs")
        y = y0
        for entry in arr(entries):
            es = entry.get("spec") if isinstance(entry, dict) else None
            if not isinstance(es, dict):
                continue
            start = len(out)
            y = _layout_items(es.get("layout"), y + 1, report, out)
            what = "row" if kind == "RowsLayout" else "tab"
            title = str(es.get("title", ""))
            collapsed = " (collapsed in Grafana, shown here)" if es.get("collapse") else ""
            note = f"{what} {title!r}{collapsed}"
            why = f"srvmon has no {'row headers' if what == 'row' else 'tabs'}: its panels follow on the grid"
            report.add(what, title, "approximated", why + (" (expanded)" if collapsed else ""))
            out[start:] = [(n, b, note if r is None else f"{note}; {r}") for n, b, r in out[start:]]
        return y
    report.add("dashboard", "layout", "approximated", f"layout kind {kind!r} is not known: panels are flowed")
    return y0


def _variable_of(v: dict[str, Any]) -> dict[str, Any]:
    """A V2 variable kind -> a classic templating entry."""
    kind = str(v.get("kind") or "")
    spec = dict(obj(v.get("spec")))
    types = {"QueryVariable": "query", "CustomVariable": "custom", "ConstantVariable": "constant", "IntervalVariable": "interval",
             "TextVariable": "textbox", "DatasourceVariable": "datasource", "AdhocVariable": "adhoc", "GroupByVariable": "groupby"}  # fmt: skip
    out = dict(spec, type=types.get(kind, kind))
    if kind == "QueryVariable" and isinstance(spec.get("query"), dict):
        q = spec["query"]
        group = q.get("group") or (q.get("kind") if q.get("kind") != "DataQuery" else "")
        ds = obj(q.get("datasource"))
        out["datasource"] = {"type": group, "uid": ds.get("name", "")}
        out["query"] = q.get("spec") or {}
    return out


def from_v2(spec: dict[str, Any], report: Report) -> dict[str, Any]:
    """A V2 dashboard spec -> classic: panels with gridPos (rows/tabs flattened), templating, time."""
    elements = obj(spec.get("elements"))
    items: list[tuple[str, dict[str, int] | None, str | None]] = []
    _layout_items(spec.get("layout"), 0, report, items)
    listed = {n for n, _, _ in items}
    items += [(n, None, "not in the layout") for n in elements if n not in listed]
    panels = []
    for name, box, note in items[:MAX_PANELS]:
        element = elements.get(name)
        if not isinstance(element, dict):
            report.add("layout", name, "skipped", "the layout names an element that does not exist")
            continue
        panel = _panel_of(name, element, box, report)
        if note:
            panel["__note"] = note
        panels.append(panel)
    time = obj(spec.get("timeSettings"))
    return {
        "title": spec.get("title", ""),
        "panels": panels,
        "templating": {"list": [_variable_of(v) for v in arr(spec.get("variables")) if isinstance(v, dict)]},
        "time": {"from": time.get("from", "now-6h"), "to": time.get("to", "now")},
        "refresh": time.get("autoRefresh", ""),
    }
