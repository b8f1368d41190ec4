"""Board variables: `$name` / `${name}` references in panel queries, where each one sits (inside which
string literal, at which key of a dict query), and substitution with values escaped by the panel's
provider. Pure functions: no I/O, no provider calls."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from srvmon.quoting import backslash_escape as _escape

if TYPE_CHECKING:
    from srvmon.schema import PanelCfg, VariableCfg

#: The value meaning "every value" (a variable with `include_all = true`): `--var fn=*`.
ALL = "*"
#: `$name` or `${name}`; names starting with `__` are provider macros ($__rate_interval) and never match.
_REF = re.compile(r"\$(?:\{(?!__)([A-Za-z_][A-Za-z0-9_]*)\}|(?!__)([A-Za-z_][A-Za-z0-9_]*))")
_QUOTES = "\"'`"


class VariableError(ValueError):
    """A variable value that cannot be used where the variable appears (the message says why and how)."""


@dataclass(frozen=True, slots=True)
class VariableContext:
    """Where one `$name` reference sits, so a provider can escape the value for that place."""

    name: str
    text: str
    """The whole string the reference is in (a query string, or one string value of a dict query)."""
    start: int
    end: int
    quote: str | None
    """The string literal around the reference: '"', "'" or '`'; None outside any literal."""
    quote_start: int | None
    """Index of that literal's opening quote in `text`."""
    key: tuple[str, ...] = ()
    """Path of the string inside a dict query, e.g. ("dimensions", "FunctionName"); () for a string query."""
    all: bool = False
    """The value is ALL (every value): the provider writes its own match-everything form or refuses."""

    @property
    def whole(self) -> bool:
        """The reference is the entire string (a dict value such as a CloudWatch dimension)."""
        return self.start == 0 and self.end == len(self.text)

    @property
    def before(self) -> str:
        """The text before the literal the reference is in (or before the reference), right-stripped:
        providers look at it for regex matchers (`=~"`), `matches regex "` and the like."""
        cut = self.quote_start if self.quote_start is not None else self.start
        return self.text[:cut].rstrip()


Escape = Callable[[str, VariableContext], str]


def quote_at(text: str, pos: int) -> tuple[str | None, int | None]:
    """The string literal open at `pos` (its quote char and start), scanning from the start of `text`.
    Backslash escapes are honoured inside '...' and "..." (not inside `...`, as in PromQL raw strings)."""
    quote: str | None = None
    start: int | None = None
    i = 0
    while i < pos:
        ch = text[i]
        if quote is not None:
            if ch == "\\" and quote != "`":
                i += 2
                continue
            if ch == quote:
                quote, start = None, None
        elif ch in _QUOTES:
            quote, start = ch, i
        i += 1
    return quote, start


def references(text: str) -> list[tuple[str, int, int]]:
    """(name, start, end) of every `$name` / `${name}` in `text`, in order."""
    return [(m.group(1) or m.group(2), m.start(), m.end()) for m in _REF.finditer(text)]


def names_in(query: Any) -> set[str]:
    """Every variable name referenced by a query (strings, and strings nested in dicts and lists)."""
    if isinstance(query, str):
        return {name for name, _, _ in references(query)}
    if isinstance(query, Mapping):
        return set().union(*(names_in(v) for v in query.values())) if query else set()
    if isinstance(query, list | tuple):
        return set().union(*(names_in(v) for v in query)) if query else set()
    return set()


def substitute_text(text: str, values: Mapping[str, str], escape: Escape, key: tuple[str, ...] = ()) -> str:
    """`text` with each reference to a variable in `values` replaced by `escape(value, context)`.
    References to other names are left as they are (`$left` in KQL joins, provider macros)."""
    out: list[str] = []
    last = 0
    for name, start, end in references(text):
        if name not in values:
            continue
        value = values[name]
        quote, qstart = quote_at(text, start)
        ctx = VariableContext(name, text, start, end, quote, qstart, key, all=value == ALL)
        out.append(text[last:start])
        out.append(escape(value, ctx))
        last = end
    out.append(text[last:])
    return "".join(out)


def substitute_query(query: Any, values: Mapping[str, str], escape: Escape, key: tuple[str, ...] = ()) -> Any:
    """A query (string, or dict/list of them) with its variables substituted; other values unchanged."""
    if isinstance(query, str):
        return substitute_text(query, values, escape, key)
    if isinstance(query, Mapping):
        return {k: substitute_query(v, values, escape, (*key, str(k))) for k, v in query.items()}
    if isinstance(query, list | tuple):
        return [substitute_query(v, values, escape, key) for v in query]
    return query


def plain(value: str, ctx: VariableContext) -> str:
    """Substitution for display text (titles): the value itself; ALL reads "All"."""
    return "All" if ctx.all else value


def check_value(name: str, cfg: VariableCfg, value: str) -> None:
    """VariableError unless `value` is allowed for the variable (its `values`, or `*` with include_all)."""
    if value == ALL:
        if not cfg.include_all:
            raise VariableError(
                f"variable {name!r} has no `*` (All) value; use one of: {_allowed(cfg)}"
                if cfg.values
                else f"variable {name!r} has no `*` (All) value; add include_all = true to offer it"
            )
        return
    if cfg.values and value not in cfg.values:
        raise VariableError(
            f"{value!r} is not an allowed value of variable {name!r}; use one of: {_allowed(cfg)}"
        )
    if any(ord(ch) < 32 or ord(ch) == 127 for ch in value) or len(value) > 1024:
        raise VariableError(f"variable {name!r}: a value must be one line of at most 1024 characters")


def _allowed(cfg: VariableCfg) -> str:
    shown = cfg.values[:20] + (["*"] if cfg.include_all else [])
    more = f" (and {len(cfg.values) - 20} more)" if len(cfg.values) > 20 else ""
    return ", ".join(shown) + more


def choose_values(variables: Mapping[str, VariableCfg], given: Mapping[str, str]) -> dict[str, str]:
    """The value of every variable: `given`, else its default. VariableError names what is missing."""
    out: dict[str, str] = {}
    for name, cfg in variables.items():
        value = given.get(name, cfg.default)
        if value is None:
            raise VariableError(
                f'variable {name!r} has no value; pass --var {name}=VALUE or add default = "..."'
            )
        check_value(name, cfg, value)
        out[name] = value
    return out


def substitute_panel(panel: PanelCfg, values: Mapping[str, str], escape: Escape) -> PanelCfg:
    """The panel with variables substituted: its query (escaped by `escape`), its title, text content
    and drill-down resources/filter (plain values: they are data, escaped by the provider as user text)."""
    if not values:
        return panel
    update: dict[str, Any] = {}
    if panel.query is not None and names_in(panel.query) & set(values):
        update["query"] = substitute_query(panel.query, values, escape)
    if names_in(panel.title) & set(values):
        update["title"] = substitute_text(panel.title, values, plain)
    if panel.content and names_in(panel.content) & set(values):
        update["content"] = substitute_text(panel.content, values, plain)
    d = panel.drilldown
    if d is not None and names_in([*d.resources, d.filter or ""]) & set(values):
        resources = [substitute_text(r, values, plain) for r in d.resources]
        resources = [r for r in resources if r != "All"]  # every resource = no resource filter
        filt = substitute_text(d.filter, values, plain) if d.filter else d.filter
        update["drilldown"] = d.model_copy(update={"resources": resources, "filter": filt})
    return panel.model_copy(update=update) if update else panel


def parse_assignments(items: Sequence[str]) -> dict[str, str]:
    """`["fn=checkout", "env=prod"]` -> {"fn": "checkout", "env": "prod"}; ValueError names a bad item."""
    out: dict[str, str] = {}
    for item in items:
        name, sep, value = item.partition("=")
        name = name.strip()
        if not sep or not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", name):
            raise ValueError(f"--var {item!r}: write NAME=VALUE, e.g. --var function=checkout")
        out[name] = value
    return out


# ---- escaping helpers shared by providers -----------------------------------------------------------


def backslash_escape(value: str, quote: str) -> str:
    """`value` inside a `quote`-delimited literal with backslash escapes (PromQL, KQL, JSON-ish):
    backslash, the quote, and newline/CR/tab escaped; other control characters refused."""

    def refuse(ch: str) -> str:
        raise VariableError(f"the value contains control character {ch!r}")

    return _escape(value, quote, refuse)


_TOKEN = re.compile(r"^[A-Za-z0-9_.:/@-]+$")


def token(value: str, ctx: VariableContext, what: str = "a name, number or duration") -> str:
    """A value written outside any string literal: it must be a plain token (letters, digits, `_.:/@-`),
    never an operator or a quote, so it cannot change the query's structure."""
    if ctx.all:
        raise VariableError(f"${ctx.name} is outside quotes here, where All (`*`) cannot be written")
    if not _TOKEN.match(value):
        raise VariableError(
            f"${ctx.name} is outside quotes here, so its value must be {what} "
            f"(letters, digits, '_', '.', ':', '/', '@', '-'), not {value!r}"
        )
    return value


def default_escape(value: str, ctx: VariableContext) -> str:
    """A provider without its own rules: quoted values may not contain their quote, backslashes or
    control characters; unquoted values must be plain tokens; All is refused."""
    if ctx.all:
        raise VariableError(f"${ctx.name}: this provider has no All (`*`) form; pick a value")
    if ctx.quote is None:
        return value if ctx.key and ctx.whole else token(value, ctx)
    bad = [ch for ch in value if ch in (ctx.quote, "\\") or ord(ch) < 32]
    if bad:
        raise VariableError(f"${ctx.name}: the value contains {bad[0]!r}, which cannot be written here")
    return value
