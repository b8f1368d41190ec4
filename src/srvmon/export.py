"""Text exports of a Snapshot - the schema-1 JSON, CSV, a Markdown digest, aligned text - and atomic writes.

Every export only formats the Snapshot (srvmon.fmt, each kind's `detail`); untrusted text is inert in
each: cleaned of controls in txt/csv, in code spans in Markdown, escaped in JSON (srvmon.codec).
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable
from datetime import UTC, datetime

from srvmon import codec, kinds
from srvmon.fmt import STATUS_SYMBOL, Data, Detail, fmt_delta, fmt_instant, fmt_value, plain
from srvmon.model import COMPARE_LABELS, PanelSnapshot, Snapshot
from srvmon.sanitize import clean
from srvmon.writer import write_atomic

TEXT_FORMATS = ("json", "csv", "md", "txt")
PICTURE_FORMATS = ("svg", "html")
FORMATS = TEXT_FORMATS + PICTURE_FORMATS
TITLE_WIDTH = 44


def version() -> str:
    from srvmon import __version__

    return str(__version__)


def to_json(s: Snapshot) -> str:
    return codec.dumps(codec.snapshot_dict(s, version()))


def _cell(text: str) -> str:
    """A CSV cell that no spreadsheet runs as a formula, with no control characters."""
    text = clean(text)
    return "'" + text if text[:1] in ("=", "+", "-", "@") else text


def _num(v: float | None) -> str:
    return "" if v is None else format(v, ".15g")


def to_csv(s: Snapshot) -> str:
    """One row per panel series point (and compare point), plus one row per panel without series."""
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(
        ["board", "panel", "kind", "series", "which", "timestamp", "value", "status", "unit", "detail"]
    )
    for p in s.panels:
        base = [_cell(s.board), _cell(p.id), p.kind]
        if not p.series:
            w.writerow(
                [*base, "", "value", codec.iso(s.generated_at), _num(p.value), p.status, _cell(p.unit), ""]
            )
        for ser in p.series:
            name = _cell(",".join(f"{k}={v}" for k, v in ser.labels.items()))
            for which, pts in (("current", ser.points), ("compare", ser.compare_points or ())):
                for t, v in pts:
                    w.writerow([*base, name, which, codec.iso(datetime.fromtimestamp(t, UTC)), _num(v), p.status,
                                _cell(p.unit), ""])  # fmt: skip
    for e in s.events:  # change events: one row each, the summary in `detail`
        w.writerow([_cell(s.board), "", "event", _cell(",".join(e.resources)), _cell(e.kind), codec.iso(e.time), "",
                    "", "", _cell(e.summary)])  # fmt: skip
    return buf.getvalue()


def detail(p: PanelSnapshot) -> Detail:
    """What stands out on a panel: its error, else its kind's detail."""
    if p.error:
        return ("STALE: " if p.stale else "ERROR: ", Data(p.error))
    return kinds.get(p.kind).detail(p) if p.kind in kinds.KINDS else ()


def compare_text(s: Snapshot) -> str:
    """'last week', '4 weeks earlier'... for the board's compare; '' when compare is off."""
    if not s.compare:
        return ""
    days = {"1d": 1, "1w": 7, "4w": 28}.get(s.compare)
    return COMPARE_LABELS.get(days or 0, s.compare)


# ---- Markdown -----------------------------------------------------------------------------------------

#: Characters that can start Markdown syntax inside a table cell: code, emphasis, links/images, HTML,
#: entities, tables, strike-through.
_MD_PUNCT = set("\\`*_[]()<>!|~&#")


#: What a Markdown viewer may turn into a link on its own (GFM autolinks, linkify): schemes, www., emails.
_LINKABLE = re.compile(r"[a-z][a-z0-9+.-]*://|\bwww\.|\b(mailto|javascript|data|file):|[\w.+-]+@[\w-]+\.\w",
                       re.IGNORECASE)  # fmt: skip


def md_escape(text: str) -> str:
    """Text (titles, labels) made literal: every Markdown metacharacter backslash-escaped (no link,
    image, HTML or emphasis can form); anything a viewer could autolink goes in a code span instead."""
    if _LINKABLE.search(text):
        return md_code(text)
    return "".join("\\" + ch if ch in _MD_PUNCT else ch for ch in clean(text))


def md_code(text: str) -> str:
    """Untrusted text as a code span: rendered literally by every Markdown viewer (no links, no HTML,
    no autolinks); pipes escaped for tables."""
    body = clean(text).replace("|", "\\|")
    if not body:
        return ""
    run = longest = 0
    for ch in body:
        run = run + 1 if ch == "`" else 0
        longest = max(longest, run)
    fence = "`" * (longest + 1)
    pad = " " if body.startswith("`") or body.endswith("`") or body.startswith(" ") else ""
    return f"{fence}{pad}{body}{pad}{fence}"


def md_detail(d: Detail) -> str:
    return "".join(md_code(part) if isinstance(part, Data) else md_escape(part) for part in d)


def to_md(s: Snapshot) -> str:
    cmp = compare_text(s)
    lines = [
        f"### {md_escape(s.title)}{' (DEMO DATA)' if s.demo else ''}",
        "",
        f"{fmt_instant(s.window.start)} → {fmt_instant(s.window.end)} ({md_escape(s.range)})"
        + (f", compared with {cmp}" if cmp else ""),
        "",
        "| | Panel | Value | vs before | Detail |",
        "|---|---|---|---|---|",
    ]
    for p in s.panels:
        notes = (
            ()
            if kinds.traits(p.kind).notes_are_content
            else tuple(part for n in p.notes for part in ("; ", Data(n)))
        )
        cells = [
            f"{STATUS_SYMBOL[p.status]} {p.status}",
            md_escape(p.title),
            md_escape(fmt_value(p.value, p.unit)),
            md_escape(fmt_delta(p.delta_pct)),
            md_detail(detail(p) + notes).removeprefix("; "),
        ]
        lines.append("| " + " | ".join(cells) + " |")
    lines += ["", "Providers: " + ", ".join(
        f"{md_code(p.name)} ({md_escape(p.type)}) {md_code(p.state)}, {p.api_calls} API calls, "
        f"${p.estimated_cost_usd:.4f}" for p in s.providers), ""]  # fmt: skip
    warnings = [f"- {md_code(p.name)}: {md_code(w)}" for p in s.providers for w in p.warnings]
    if warnings:
        lines += [*warnings, ""]
    if s.events:
        lines += ["Changes in the window:", ""]
        lines += [f"- {fmt_instant(e.time)} {md_escape(e.kind)} {md_code(e.resources[0]) + ' ' if e.resources else ''}"
                  f"{md_code(e.summary)}" + (f" by {md_code(e.actor)}" if e.actor else "") for e in s.events[-20:]]  # fmt: skip
        lines.append("")
    return "\n".join(lines)


# ---- aligned text ----------------------------------------------------------------------------------------


def to_txt(s: Snapshot) -> str:
    head = f"{clean(s.title)}{'  [DEMO DATA]' if s.demo else ''}"
    sub = (
        f"{fmt_instant(s.window.start)} -> {fmt_instant(s.window.end)}  [{s.range}]  step {s.window.step_s}s"
    )
    if s.compare:
        sub += f"  compare {s.compare} ({compare_text(s)})"
    rows = [
        (f"{STATUS_SYMBOL[p.status]} {p.status:<6}", clean(p.title)[:TITLE_WIDTH], fmt_value(p.value, p.unit),
         fmt_delta(p.delta_pct), plain(detail(p)))
        for p in s.panels
    ]  # fmt: skip
    widths = [max((len(r[i]) for r in rows), default=0) for i in range(4)]
    out = [head, sub, ""]
    for p, r in zip(s.panels, rows, strict=True):
        out.append("  ".join(c.ljust(widths[i]) if i < 4 else c for i, c in enumerate(r)).rstrip())
        if not kinds.traits(p.kind).notes_are_content:
            out.extend(f"{' ' * (widths[0] + 2)}· {clean(n)}" for n in p.notes)
    if s.events:
        out += ["", "changes in the window:"]
        out += [f"  {fmt_instant(e.time)}  {e.kind:<11} {clean(e.resources[0]) if e.resources else '':<24} "
                f"{clean(e.summary)}" + (f"  (by {clean(e.actor)})" if e.actor else "") for e in s.events[-20:]]  # fmt: skip
    out.append("")
    for pr in s.providers:
        out.append(f"provider {clean(pr.name)} ({clean(pr.type)}): {clean(pr.state)}; {pr.api_calls} API calls, "
                   f"{pr.metrics_requested} metrics, ${pr.estimated_cost_usd:.4f}")  # fmt: skip
        out.extend(f"  · {clean(w)}" for w in pr.warnings)
    return "\n".join(out) + "\n"


RENDERERS: dict[str, Callable[[Snapshot], str]] = {"json": to_json, "csv": to_csv, "md": to_md, "txt": to_txt}


def render(s: Snapshot, fmt: str) -> str:
    """A text export; pictures (svg, html) are rendered by the TUI layer (srvmon.tui.export)."""
    if fmt in RENDERERS:
        return RENDERERS[fmt](s)
    raise ValueError(f"unknown text format {fmt!r}; use one of {', '.join(TEXT_FORMATS)}")


__all__ = ["FORMATS", "PICTURE_FORMATS", "RENDERERS", "TEXT_FORMATS", "render", "write_atomic"]
