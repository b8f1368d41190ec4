"""Grafana templating -> srvmon board variables (query, custom, constant, interval, textbox), and every
variable reference in queries and titles rewritten as `${name}` ([[name]] and ${name:format} included)."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from srvmon.importers.board import VariableDraft, clean
from srvmon.importers.cw_vars import var_name
from srvmon.importers.jsonin import arr, obj
from srvmon.importers.report import Report

MAX_VARIABLES = 100
_REF = re.compile(
    r"\[\[([A-Za-z0-9_]+)(?::([A-Za-z0-9_]+))?\]\]|\$\{([A-Za-z0-9_]+)(?::([^}]*))?\}|\$([A-Za-z0-9_]+)"
)
_PROM_LISTING = re.compile(r"^\s*(label_values|label_names|metrics)\s*\(")


@dataclass
class GfVariables:
    drafts: list[VariableDraft] = field(default_factory=list)
    renames: dict[str, str] = field(default_factory=dict)
    """Grafana variable name -> srvmon variable name."""
    datasources: dict[str, str] = field(default_factory=dict)
    """Datasource variables: name -> the plugin type they select."""
    providers: dict[str, str] = field(default_factory=dict)
    """srvmon variable name -> the provider its `query` is asked of."""

    def rewrite(self, text: str, where: str, title: str, report: Report) -> str:
        """`text` with Grafana's variable syntaxes as `${name}`; formats dropped (said so)."""

        def one(m: re.Match[str]) -> str:
            name = m.group(1) or m.group(3) or m.group(5)
            fmt = m.group(2) or m.group(4)
            if name.startswith("__") or name not in self.renames:
                return m.group(0)  # provider macros ($__rate_interval) and unknown names stay as they are
            if fmt and fmt not in ("raw", "text"):
                report.add(
                    where,
                    title,
                    "approximated",
                    f"${{{name}:{fmt}}}: the :{fmt} format is dropped (srvmon escapes values for each query language)",
                )
            return "${" + self.renames[name] + "}"

        return _REF.sub(one, text)

    def rewrite_deep(self, value: Any, where: str, title: str, report: Report) -> Any:
        if isinstance(value, str):
            return self.rewrite(value, where, title, report)
        if isinstance(value, list):
            return [self.rewrite_deep(v, where, title, report) for v in value]
        if isinstance(value, dict):
            return {k: self.rewrite_deep(v, where, title, report) for k, v in value.items()}
        return value


def _current(v: dict[str, Any]) -> tuple[str | None, bool]:
    """(the saved value, was it All)."""
    cur = obj(v.get("current"))
    value = cur.get("value")
    if isinstance(value, list):
        value = value[0] if value else None
    if value in ("$__all", "__all"):
        return None, True
    return (clean(value) if value not in (None, "") else None), False


def _options(v: dict[str, Any]) -> list[str]:
    out = []
    for o in arr(v.get("options")):
        if isinstance(o, dict) and o.get("value") not in (None, "$__all"):
            value = o["value"][0] if isinstance(o["value"], list) and o["value"] else o["value"]
            out.append(clean(value))
    return list(dict.fromkeys(out))


def _custom_values(query: Any) -> list[str]:
    """Grafana custom variables: 'a, b, c', with `key : value` pairs and `\\,` escapes."""
    if not isinstance(query, str):
        return []
    parts = [p.replace("\\,", ",").strip() for p in re.split(r"(?<!\\),", query)]
    values = [p.split(" : ", 1)[1].strip() if " : " in p else p for p in parts]
    return list(dict.fromkeys(clean(v) for v in values if v))


def _cloudwatch_listing(q: Any) -> dict[str, str] | None:
    """Grafana CloudWatch variable queries -> srvmon's AWS listing (dimension values only)."""
    if isinstance(q, dict) and q.get("queryType") == "dimensionValues":
        ns, metric, key = q.get("namespace"), q.get("metricName"), q.get("dimensionKey")
    elif isinstance(q, str) and (
        m := re.fullmatch(r"\s*dimension_values\(([^,]*),([^,]*),([^,]*),([^,)]*)(?:,.*)?\)\s*", q)
    ):
        ns, metric, key = (m.group(i).strip() for i in (2, 3, 4))
    else:
        return None
    if not all(isinstance(x, str) and x for x in (ns, metric, key)):
        return None
    return {"search": f'{{{ns},{key}}} MetricName="{metric}"', "populate_from": str(key)}


def read_templating(
    dash: dict[str, Any],
    values: Mapping[str, str],
    resolve: Callable[..., tuple[str, str] | None],
    report: Report,
) -> GfVariables:
    """Board variables from `templating.list`; `values` (--var) override the saved values; `resolve`
    maps a datasource reference to (plugin type, srvmon provider)."""
    out = GfVariables()
    templating = obj(dash.get("templating"))
    entries = arr(templating.get("list"))
    taken: set[str] = set()
    for v in entries[:MAX_VARIABLES]:
        if isinstance(v, dict) and v.get("type") == "datasource" and isinstance(v.get("name"), str):
            out.datasources[v["name"]] = str(v.get("query") or v.get("pluginId") or "")
            report.add(
                f"variable {v['name']}",
                v["name"],
                "approximated",
                "a datasource variable: panels read the provider chosen with --datasource",
            )
        elif isinstance(v, dict) and isinstance(v.get("name"), str):
            out.renames[v["name"]] = var_name(v["name"], taken)
    for v in entries[:MAX_VARIABLES]:
        if not isinstance(v, dict) or not isinstance(v.get("name"), str) or v["name"] not in out.renames:
            continue
        _variable(v, out, values, resolve, report)
    unknown = sorted(set(values) - set(out.renames))
    if unknown:
        from srvmon.importers.jsonin import DashboardError

        raise DashboardError(
            "--var",
            f"the dashboard has no variable named {unknown[0]!r}",
            f"use one of: {', '.join(sorted(out.renames)) or '(none)'}",
        )
    return out


def _variable(
    v: dict[str, Any],
    out: GfVariables,
    given: Mapping[str, str],
    resolve: Callable[..., tuple[str, str] | None],
    report: Report,
) -> None:
    gname = v["name"]
    name = out.renames[gname]
    kind = v.get("type")
    where = f"variable {gname}"
    notes = [f"Grafana {kind} variable {gname!r}" + (f" (renamed {name!r})" if name != gname else "")]
    fields: dict[str, Any] = {}
    approx: list[str] = []
    saved, was_all = _current(v)
    allowed: list[str] = []
    if kind == "query":
        q = v.get("query")
        text = (
            q.get("query")
            if isinstance(q, dict) and isinstance(q.get("query"), str)
            else q
            if isinstance(q, str)
            else v.get("definition")
        )
        listing = isinstance(text, str) and _PROM_LISTING.match(text)
        ref = resolve(
            v.get("datasource"), "prometheus" if listing else "cloudwatch" if _cloudwatch_listing(q) else None
        )
        if ref and ref[0] in ("prometheus", "loki") and isinstance(text, str) and _PROM_LISTING.match(text):
            fields["query"] = clean(text)
            out.providers[name] = ref[1]
        elif ref and ref[0] == "cloudwatch" and _cloudwatch_listing(q):
            fields["query"] = _cloudwatch_listing(q)
            out.providers[name] = ref[1]
        else:
            allowed = _options(v)
            approx.append(
                f"its query {text!r} cannot be listed by srvmon: the values saved in the dashboard are used"
            )
        if v.get("regex"):
            approx.append(f"the regex {v['regex']!r} filtering its values is not applied")
    elif kind == "custom":
        allowed = _custom_values(v.get("query")) or _options(v)
    elif kind == "constant":
        allowed = [clean(v.get("query", ""))]
        saved = allowed[0]
    elif kind == "interval":
        allowed = [x for x in _custom_values(v.get("query")) if x != "auto"] or _options(v)
        if v.get("auto"):
            approx.append("the auto interval option is not kept")
    elif kind == "textbox":
        saved = saved or (clean(v["query"]) if isinstance(v.get("query"), str) and v["query"] else None)
    else:
        report.add(where, gname, "skipped", f"{kind} variables have no srvmon equivalent")
        del out.renames[gname]
        return
    if allowed:
        fields["values"] = allowed
    include_all = bool(v.get("includeAll"))
    if include_all:
        fields["include_all"] = True
        if v.get("allValue") not in (None, "", ".*"):
            approx.append(
                f"the custom All value {v['allValue']!r} is replaced by srvmon's All (.* in regex matchers)"
            )
    if v.get("multi"):
        approx.append("multi-value: srvmon substitutes one value (or All) at a time")
    if gname in given or name in given:
        value = given.get(gname, given.get(name, ""))
        if allowed and value not in allowed and not (include_all and value == "*"):
            from srvmon.importers.jsonin import DashboardError

            raise DashboardError(
                f"--var {gname}", f"{value!r} is not an allowed value", f"use one of: {', '.join(allowed)}"
            )
        default: str | None = value
    elif was_all and include_all:
        default = "*"
    else:
        default = saved if saved is not None else (allowed[0] if allowed else None)
    if default is None:
        default = ""
        approx.append("no saved value: the default is empty (pass --var NAME=VALUE)")
    if allowed and default not in allowed and not (include_all and default == "*"):
        allowed.append(default)
    fields["default"] = default
    if v.get("label"):
        fields["label"] = clean(v["label"])[:64]
    if v.get("description"):
        fields["description"] = clean(v["description"])
    if approx:
        report.add(where, gname, "approximated", "; ".join(approx))
    out.drafts.append(VariableDraft(name, fields, notes + [f"~ {a}" for a in approx]))
