"""Grafana dashboards (Classic, V1 and V2 resources) -> a srvmon board: rows (collapsed or not) flattened,
data sources mapped to srvmon providers (--datasource NAME=PROVIDER), gridPos -> positions, templating
-> board variables."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Mapping
from typing import Any

from srvmon.importers import gf_targets as gt
from srvmon.importers.board import BoardDraft, PanelDraft, clean, slug
from srvmon.importers.gf_model import MAX_PANELS, normalise
from srvmon.importers.gf_panels import Context, convert
from srvmon.importers.gf_vars import read_templating
from srvmon.importers.jsonin import arr, integer
from srvmon.importers.report import Report
from srvmon.importers.timerange import board_range

#: Grafana grid units per srvmon grid row (a default Grafana panel is 8 high).
ROW_UNIT = 8
DEFAULT_PROVIDERS = {"prometheus": "prometheus", "loki": "prometheus", "cloudwatch": "aws", "azure": "azure"}


class Resolver:
    """Grafana data source references -> (family, srvmon provider)."""

    def __init__(self, inputs: dict[str, dict[str, str]], mapping: Mapping[str, str]) -> None:
        self.inputs = inputs
        self.mapping = dict(mapping)
        self.variables: dict[str, str] = {}
        self.used: set[str] = set()
        self.families: dict[str, str] = {}
        """srvmon provider -> the family it was chosen for (its srvmon type follows)."""

    def prometheus_provider(self) -> str | None:
        """The provider --datasource maps a Prometheus data source to (by type, or by input name)."""
        for key, provider in self.mapping.items():
            if key == "prometheus" or self.inputs.get(key, {}).get("type") == "prometheus":
                return provider
        return None

    def __call__(self, ref: Any, hint: str | None = None) -> tuple[str, str] | None:
        """`hint`: the family the target's own fields suggest, for references without a type."""
        kind: str | None = None
        names: list[str] = []
        if isinstance(ref, dict):
            kind = str(ref.get("type") or "") or None
            uid = str(ref.get("uid") or "")
            names = [uid] if uid else []
        elif isinstance(ref, str) and ref:
            names = [ref]
        elif ref is None and len(self.inputs) == 1:
            only = next(iter(self.inputs.values()))
            kind, names = only["type"], [only["uid"]]
        for n in names:
            if n in ("-- Mixed --", "mixed"):
                return "mixed", ""
            if n in ("-- Grafana --", "grafana", "-- Dashboard --", "__expr__"):
                return None
            var = re.fullmatch(r"\$\{?([A-Za-z0-9_]+)\}?", n)
            if var and var.group(1) in self.variables:
                kind = kind or self.variables[var.group(1)]
                names.append(var.group(1))
            if n in self.inputs:
                kind = kind or self.inputs[n]["type"]
        family = gt.FAMILIES.get(kind or "") or (hint if not kind and hint in gt.PROVIDER_TYPES else None)
        if family is None:
            return None
        provider = DEFAULT_PROVIDERS[family]
        if family == "loki":  # srvmon reads Loki through a Prometheus provider: the one Prometheus maps to
            provider = self.prometheus_provider() or provider
        for key in [*names, kind or "", family]:
            if key in self.mapping:
                self.used.add(key)
                provider = self.mapping[key]
                break
        self.families.setdefault(provider, family)
        return family, provider


def _legacy_rows(dash: dict[str, Any]) -> list[dict[str, Any]]:
    """schemaVersion < 16 `rows: [{title, collapse, height, panels: [{span}]}]` -> panels with gridPos."""
    out: list[dict[str, Any]] = []
    y = 0
    for row in arr(dash.get("rows")):
        if not isinstance(row, dict):
            continue
        height = re.match(r"\d+", str(row.get("height") or "250"))
        h = max(1, int(height.group(0)) // 30) if height else 8
        x = 0
        note = f"row {row.get('title', '')!r}" + (" (collapsed in Grafana)" if row.get("collapse") else "")
        for p in arr(row.get("panels")):
            if not isinstance(p, dict):
                continue
            w = max(1, min(24, integer(p.get("span"), 4, 1, 12) * 2))
            if x + w > 24:
                x, y = 0, y + h
            out.append(dict(p, gridPos={"x": x, "y": y, "w": w, "h": h}, __note=note))
            x += w
        y += h
    return out


def _flatten(panels: list[Any], report: Report) -> list[dict[str, Any]]:
    """Rows (collapsed: their panels inside; open: the panels after them) -> plain panels with a note."""
    out: list[dict[str, Any]] = []
    note: str | None = None
    for p in panels[:MAX_PANELS]:
        if not isinstance(p, dict):
            continue
        if p.get("type") == "row":
            title = clean(p.get("title") or "")
            collapsed = bool(p.get("collapsed"))
            note = f"row {title!r}" + (" (collapsed in Grafana, shown here)" if collapsed else "")
            report.add(
                "row",
                title,
                "approximated",
                "srvmon has no row headers: the row's panels follow on the grid"
                + (" (expanded)" if collapsed else ""),
            )
            for child in arr(p.get("panels")):
                if isinstance(child, dict):
                    out.append(dict(child, __note=note))
            if collapsed:
                note = None  # top-level panels after a collapsed row are not in it
            continue
        out.append(dict(p, __note=p.get("__note") or note) if note or p.get("__note") else p)
    if len(panels) > MAX_PANELS:
        report.add("dashboard", "panels", "skipped", f"only the first {MAX_PANELS} panels are read")
    return out


def _box(p: dict[str, Any]) -> tuple[int, int, int, int] | None:
    g = p.get("gridPos")
    if not isinstance(g, dict):
        return None
    vals = [g.get(k) for k in ("x", "y", "w", "h")]
    if not all(isinstance(v, int) and not isinstance(v, bool) for v in vals):
        return None
    return vals[0], vals[1], vals[2] or 12, vals[3] or 8  # type: ignore[return-value]


def import_grafana(
    doc: Any, *, where: str, values: Mapping[str, str], datasources: Mapping[str, str]
) -> tuple[BoardDraft, Report, dict[str, str]]:
    """Convert a Grafana dashboard; (board, report, {provider: srvmon type}). DashboardError when the
    JSON is not a dashboard, or --var/--datasource do not match it."""
    from srvmon.importers.jsonin import DashboardError, obj

    report = Report("grafana", "")
    dash, model, inputs = normalise(doc, where, report)
    title = clean(dash.get("title") or "Grafana dashboard")
    report.format, report.dashboard = f"grafana ({model})", title
    resolve = Resolver(inputs, datasources)
    variables = read_templating(dash, values, resolve, report)
    resolve.variables = variables.datasources
    panels = _flatten(dash.get("panels") or _legacy_rows(dash), report)
    ctx = Context(variables, report, resolve)
    drafts: list[tuple[PanelDraft, str | None]] = []
    for i, p in enumerate(panels):
        report.items += 1
        pid = p.get("id")
        ref = (
            f"panel {pid}"
            if isinstance(pid, int | str) and not isinstance(pid, bool) and str(pid)
            else f"panel #{i + 1}"
        )
        draft, provider = convert(p, ref, ctx)
        if draft is None:
            continue
        draft.box = _box(p)
        drafts.append((draft, provider))
    unused = sorted(set(datasources) - resolve.used)
    if unused:
        raise DashboardError(
            "--datasource",
            f"no data source of the dashboard is called {unused[0]!r}",
            "use a data source's name, uid, ${DS_...} input name or type (e.g. prometheus)",
        )
    counts = Counter(prov for _, prov in drafts if prov)
    board_provider = counts.most_common(1)[0][0] if counts else "prometheus"
    board = BoardDraft(slug(title, "grafana"), title, board_provider)
    for d, prov in drafts:
        if prov and prov != board_provider:
            d.fields["provider"] = prov
        board.panels.append(d)
    used = {board_provider} | {prov for _, prov in drafts if prov} | set(variables.providers.values())
    types = {p: gt.PROVIDER_TYPES[resolve.families.get(p, "prometheus")] for p in sorted(used)}
    for v in variables.drafts:
        prov = variables.providers.get(v.name)
        if prov and prov != board_provider:
            v.fields["provider"] = prov
    board.variables = variables.drafts
    board.header = [
        f"Imported by `srvmon import grafana` from {where} (Grafana {model} dashboard {title!r}).",
        "Append this [[boards]] block to your srvmon config; its providers: "
        + ", ".join(f"{n} (type {t})" for n, t in sorted(types.items()))
        + ". Lines marked ~ are approximations; `--report` lists them all.",
    ]
    time = obj(dash.get("time"))
    board.range, note = board_range(time.get("from"), time.get("to"), "grafana")
    if note:
        board.notes.append(note)
        if note.startswith("~"):
            report.add("dashboard", "time", "approximated", note.lstrip("~ "))
    refresh = dash.get("refresh")
    if isinstance(refresh, str) and re.fullmatch(r"\d+[smhd]", refresh):
        board.refresh = refresh
    board.finish(report, ROW_UNIT)
    return board, report, types
