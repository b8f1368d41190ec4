"""The neutral board an importer produces (BoardDraft: panels, variables, notes) and its TOML writer:
pretty, commented (approximations marked `~`), and loading back to exactly the same board."""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from typing import Any

from pydantic import ValidationError

from srvmon.importers.layout import Box, place
from srvmon.importers.report import Report
from srvmon.schema import BoardCfg, PanelCfg, VariableCfg

#: PanelCfg keys in the order they are written.
PANEL_ORDER = (
    "id", "title", "kind", "provider", "query", "stat", "group_by", "unit", "range", "compare", "trend",
    "thresholds", "threshold_on", "reduce", "aggregate", "per_second", "scale", "top", "order", "limit",
    "max", "position", "drilldown", "description", "content",
)  # fmt: skip
VARIABLE_ORDER = ("default", "values", "query", "provider", "include_all", "label", "description")
WIDTH = 108


def clean(text: Any) -> str:
    """Untrusted text as a valid, printable string (lone surrogates and NULs replaced)."""
    s = str(text).encode("utf-8", "replace").decode("utf-8")
    return s.replace("\x00", "\ufffd")


def slug(text: str, fallback: str) -> str:
    """A panel id from a title: lower case letters, digits and '-' (max 48), or `fallback`."""
    s = re.sub(r"[^a-z0-9]+", "-", clean(text).lower()).strip("-")[:48].strip("-")
    return s or fallback


@dataclass
class PanelDraft:
    """One srvmon panel to write; `fields` are PanelCfg keys (position and id are set by finish())."""

    fields: dict[str, Any]
    source: str
    """Where it came from, e.g. 'widget 3 (metric, timeSeries)' (written as a comment)."""
    box: Box | None = None
    """Its place on the source grid (x, y, w, h), None when the source had none."""
    notes: list[str] = field(default_factory=list)
    """Comments above the panel; approximations start with '~'."""
    ref: str = ""
    """Short reference for the report, e.g. 'widget 3' (default: `source`)."""


@dataclass
class VariableDraft:
    name: str
    fields: dict[str, Any]
    notes: list[str] = field(default_factory=list)


@dataclass
class BoardDraft:
    """A whole imported board."""

    name: str
    title: str
    provider: str | None = None
    range: str | None = None
    refresh: str | None = None
    header: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    variables: list[VariableDraft] = field(default_factory=list)
    panels: list[PanelDraft] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    """Comment lines at the end: what was not imported and why."""

    def finish(self, report: Report, row_unit: float, source_columns: int = 24) -> None:
        """Give panels unique ids and grid positions, and drop (into the report) any that srvmon's
        schema refuses, so what is written always loads."""
        positions = place([p.box for p in self.panels], row_unit, source_columns)
        seen: set[str] = set()
        kept: list[PanelDraft] = []
        for p, (row, col, width, height) in zip(self.panels, positions, strict=True):
            base = slug(str(p.fields.get("id") or p.fields.get("title") or ""), f"panel-{len(seen) + 1}")
            pid, n = base, 2
            while pid in seen:
                pid, n = f"{base}-{n}", n + 1
            p.fields["id"] = pid
            p.fields["position"] = {"row": row, "col": col, "width": width, "height": height}
            p.fields = {k: deep_clean(v) for k, v in p.fields.items() if v is not None}
            try:
                PanelCfg.model_validate(p.fields)
            except ValidationError as exc:
                first = exc.errors()[0]
                report.add(
                    p.source, str(p.fields.get("title", "")), "skipped", f"srvmon refuses it: {first['msg']}"
                )
                self.skipped.append(f"{p.source}: not imported: {first['msg']}")
                continue
            seen.add(pid)
            kept.append(p)
        self.panels = kept
        for v in self.variables:
            v.fields = {k: deep_clean(x) for k, x in v.fields.items() if x is not None}
            VariableCfg.model_validate(v.fields)
        report.imported = len(kept)

    # -- output -------------------------------------------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        """The `[[boards]]` entry as plain data (what the TOML loads back to)."""
        out: dict[str, Any] = {"name": self.name, "title": self.title}
        for key in ("provider", "range", "refresh"):
            if getattr(self, key) is not None:
                out[key] = getattr(self, key)
        if self.variables:
            out["variables"] = {v.name: dict(v.fields) for v in self.variables}
        out["panels"] = [dict(p.fields) for p in self.panels]
        return out

    def validate(self) -> BoardCfg:
        return BoardCfg.model_validate(self.to_dict())

    def to_toml(self) -> str:
        lines: list[str] = [*_comments(self.header), ""]
        lines += _comments(self.notes)
        lines.append("[[boards]]")
        for key in ("name", "title", "provider", "range", "refresh"):
            value = getattr(self, key)
            if value is not None:
                lines.append(f"{key} = {_value(value)}")
        for v in self.variables:
            lines.append("")
            lines += _comments(v.notes)
            lines += _table(("boards", "variables", v.name), _ordered(v.fields, VARIABLE_ORDER), array=False)
        for p in self.panels:
            lines.append("")
            lines += _comments([p.source, *p.notes])
            lines += _table(("boards", "panels"), _ordered(p.fields, PANEL_ORDER), array=True)
        if self.skipped:
            lines += ["", "# ---- not imported " + "-" * 70]
            lines += _comments(self.skipped)
        return "\n".join(lines).rstrip() + "\n"


def deep_clean(value: Any) -> Any:
    if isinstance(value, str):
        return clean(value)
    if isinstance(value, dict):
        return {clean(k): deep_clean(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [deep_clean(v) for v in value]
    return value


def _ordered(fields: dict[str, Any], order: tuple[str, ...]) -> dict[str, Any]:
    head = {k: fields[k] for k in order if k in fields}
    return head | {k: v for k, v in fields.items() if k not in head}


def _comments(lines: list[str]) -> list[str]:
    """Comment lines, wrapped; control characters in untrusted text become spaces (never a new line)."""
    import textwrap

    out: list[str] = []
    for line in lines:
        text = re.sub(r"[\x00-\x1f\x7f]", " ", clean(line))
        out += ["# " + w for w in textwrap.wrap(text, WIDTH - 2, subsequent_indent="  ")] or ["#"]
    return out


# ---- TOML values ------------------------------------------------------------------------------------

_BARE = re.compile(r"^[A-Za-z0-9_-]+$")
_ESC = {"\\": "\\\\", '"': '\\"', "\b": "\\b", "\t": "\\t", "\n": "\\n", "\f": "\\f", "\r": "\\r"}


def _key(k: str) -> str:
    return k if _BARE.match(k) else _basic(k)


def _basic(s: str) -> str:
    out = []
    for ch in s:
        if ch in _ESC:
            out.append(_ESC[ch])
        elif ord(ch) < 32 or ord(ch) == 127:
            out.append(f"\\u{ord(ch):04x}")
        else:
            out.append(ch)
    return '"' + "".join(out) + '"'


def _string(s: str, inline: bool) -> str:
    if "\n" in s and not inline:  # multi-line basic string: markdown stays readable
        body = "".join(
            ch
            if ch in "\n"
            else _ESC.get(ch, ch if ord(ch) >= 32 and ord(ch) != 127 else f"\\u{ord(ch):04x}")
            for ch in s
        )
        return '"""\n' + body + '"""'
    printable = not any(ord(ch) < 32 or ord(ch) == 127 for ch in s)
    if printable and "'" not in s and ('"' in s or "\\" in s):
        return "'" + s + "'"  # literal string: PromQL and regexes without doubled backslashes
    return _basic(s)


def _value(v: Any, inline: bool = False) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int):
        return str(v)
    if isinstance(v, float):
        if not math.isfinite(v):
            raise ValueError(f"cannot write {v} in TOML")
        return repr(v)
    if isinstance(v, str):
        return _string(v, inline)
    if isinstance(v, list):
        return "[" + ", ".join(_value(x, True) for x in v) + "]"
    if isinstance(v, dict):
        if not v:
            return "{}"
        return "{ " + ", ".join(f"{_key(k)} = {_value(x, True)}" for k, x in v.items()) + " }"
    raise TypeError(f"cannot write {type(v).__name__} in TOML")


def _table(path: tuple[str, ...], fields: dict[str, Any], array: bool) -> list[str]:
    """A table header and its keys; a dict value too long to read inline becomes a sub-table (written
    after the plain keys, as TOML requires)."""
    head = ".".join(_key(p) for p in path)
    lines = [f"[[{head}]]" if array else f"[{head}]"]
    subtables: list[tuple[str, dict[str, Any]]] = []
    for k, v in fields.items():
        text = f"{_key(k)} = {_value(v)}"
        if isinstance(v, dict) and v and len(text) > WIDTH:
            subtables.append((k, v))
            continue
        lines.append(text)
    if len(lines) == 1 and subtables and not array:
        lines = []  # a table holding only sub-tables needs no header of its own (TOML defines it implicitly)
    for k, v in subtables:
        if lines:
            lines.append("")
        lines += _table((*path, k), v, array=False)
    return lines
