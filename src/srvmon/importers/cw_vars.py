"""CloudWatch dashboard `variables` -> srvmon board variables: property variables (a dimension name,
everywhere it appears) and pattern variables (a regex over the dashboard's strings) become `${name}`."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from srvmon.importers.board import VariableDraft, clean
from srvmon.importers.jsonin import arr, obj
from srvmon.importers.report import Report

MAX_VARIABLES = 25  # CloudWatch's own limit


@dataclass
class CwVariables:
    drafts: list[VariableDraft] = field(default_factory=list)
    dimensions: dict[str, str] = field(default_factory=dict)
    """Dimension name -> variable name (property variables)."""
    patterns: list[tuple[re.Pattern[str], str]] = field(default_factory=list)
    """(regex, variable name) (pattern variables)."""


def var_name(raw: str, taken: set[str]) -> str:
    """A srvmon variable name from a CloudWatch id / Grafana name (letters, digits, '_'; unique)."""
    name = re.sub(r"[^A-Za-z0-9_]", "_", clean(raw)).strip("_")[:60] or "var"
    if name[0].isdigit():
        name = "v_" + name
    base, n = name, 2
    while name in taken:
        name, n = f"{base}_{n}", n + 1
    taken.add(name)
    return name


def read_variables(raw: Any, widgets: list[Any], report: Report) -> CwVariables:
    out = CwVariables()
    if raw is None:
        return out
    if not isinstance(raw, list):
        report.add("dashboard", "variables", "skipped", "`variables` is not an array")
        return out
    taken: set[str] = set()
    for i, v in enumerate(raw[:MAX_VARIABLES]):
        where = f"variable {i + 1}"
        if not isinstance(v, dict):
            report.add(where, "", "skipped", "not an object")
            continue
        kind = v.get("type")
        target = v.get(kind) if kind in ("property", "pattern") else None
        label = clean(v.get("label") or v.get("id") or target or where)
        if not isinstance(target, str) or not target:
            report.add(
                where, label, "skipped", f"type {kind!r} needs a `{kind}` string (property or pattern)"
            )
            continue
        if kind == "property" and target in ("region", "accountId"):
            report.add(
                where, label, "skipped",
                f"a {target} variable: srvmon reads the regions/accounts configured on the AWS provider",
            )  # fmt: skip
            continue
        name = var_name(str(v.get("id") or target), taken)
        fields: dict[str, Any] = {}
        notes = [f"CloudWatch {kind} variable {target!r} (input {v.get('inputType', 'input')})"]
        values = [
            clean(x.get("value"))
            for x in arr(v.get("values"))
            if isinstance(x, dict) and x.get("value") is not None
        ]
        if values:
            fields["values"] = values
        if isinstance(v.get("search"), str) and isinstance(v.get("populateFrom"), str):
            fields["query"] = {"search": clean(v["search"]), "populate_from": clean(v["populateFrom"])}
        default = v.get("defaultValue")
        default = None if default in (None, "", "__FIRST") else clean(default)
        if default is None and values:
            default = values[0]
        if default is None and kind == "property":
            default = _first_dimension_value(widgets, target)
            if default is not None:
                notes.append(f"default: the value the dashboard was saved with ({default!r})")
        if default is None and kind == "pattern" and re.fullmatch(r"[A-Za-z0-9_.:/-]+", target):
            default = target
        if default is None:
            default = ""
            notes.append("~ no default value in the dashboard: set one (or pass --var)")
            report.add(where, label, "approximated", "no default value: the imported default is empty")
        if values and default not in values:
            values.append(default)
        fields["default"] = default
        if v.get("label"):
            fields["label"] = clean(v["label"])[:64]
        if kind == "property":
            out.dimensions[target] = name
        else:
            try:
                out.patterns.append((re.compile(target), name))
            except re.error as exc:
                report.add(
                    where,
                    label,
                    "skipped",
                    f"pattern {target!r} is not a regular expression srvmon can read: {exc}",
                )
                continue
        out.drafts.append(VariableDraft(name, fields, notes))
    if len(raw) > MAX_VARIABLES:
        report.add("dashboard", "variables", "skipped", f"only the first {MAX_VARIABLES} variables are read")
    return out


def _first_dimension_value(widgets: list[Any], dimension: str) -> str | None:
    for w in widgets:
        metrics = obj(w.get("properties")).get("metrics") if isinstance(w, dict) else None
        for m in metrics if isinstance(metrics, list) else []:
            if isinstance(m, list):
                tokens = [t for t in m if isinstance(t, str)]
                for k in range(2, len(tokens) - 1):
                    if tokens[k] == dimension and tokens[k + 1] not in (".", "..."):
                        return clean(tokens[k + 1])
    return None


def apply_patterns(value: Any, patterns: list[tuple[re.Pattern[str], str]]) -> Any:
    """Every string in `value` (deep) with each pattern variable's matches replaced by `${name}`."""
    if not patterns:
        return value
    if isinstance(value, str):
        text: str = value
        for rx, name in patterns:
            text = rx.sub("${" + name + "}", text)  # the replacement has no backslashes or group refs
        return text
    if isinstance(value, list):
        return [apply_patterns(v, patterns) for v in value]
    if isinstance(value, dict):
        return {k: apply_patterns(v, patterns) for k, v in value.items()}
    return value
