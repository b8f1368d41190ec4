"""Find, parse and validate the TOML config into boards and provider specs; errors name file, line, key, fix."""

from __future__ import annotations

import builtins
import difflib
import os
import re
import tomllib
import typing
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, ValidationError
from pydantic_core import ErrorDetails

from srvmon.budget import ApiBudget
from srvmon.clock import Clock
from srvmon.model import BoardInfo, PanelHead, PanelPosition, parse_duration
from srvmon.presets import PresetError, load_preset
from srvmon.providers.base import Provider, ProviderOptions, UnknownProviderType, load_provider_class
from srvmon.schema import BoardCfg, ConfigModel, PanelCfg, Settings, VariableCfg
from srvmon.tomlpos import key_lines, line_of
from srvmon.variables import VariableError, choose_values, substitute_panel

if TYPE_CHECKING:
    from srvmon.runtime import Runtime

ENV_VAR = "SRVMON_CONFIG"
EXAMPLE = "config.example.toml"


@dataclass(frozen=True)
class ConfigIssue:
    file: str
    line: int | None
    key: str
    message: str
    fix: str

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line else self.file
        key = f" {self.key}:" if self.key else ""
        return f"{where}:{key} {self.message}\n    fix: {self.fix}"


class ConfigError(Exception):
    """One or more config problems; str() lists them all, each with file, line, key and a fix."""

    def __init__(self, issues: list[ConfigIssue]) -> None:
        self.issues = issues
        super().__init__("\n".join(str(i) for i in issues))


@dataclass(frozen=True)
class Board:
    """A resolved board: preset merged with user panels, every panel bound to a provider instance."""

    name: str
    title: str
    provider: str | None
    refresh_s: int
    range: str
    panels: tuple[PanelCfg, ...]
    # -- board variables: the definitions, the values in use, and the panels before substitution --
    variables: Mapping[str, VariableCfg] = field(default_factory=dict)
    values: Mapping[str, str] = field(default_factory=dict)
    template: tuple[PanelCfg, ...] = ()

    def info(self) -> BoardInfo:
        """The board as views lay it out before any data."""
        heads = tuple(
            PanelHead(
                p.id,
                p.title,
                p.kind,
                PanelPosition(**p.position.model_dump()) if p.position else None,
                p.description,
                p.provider or "",
            )  # fmt: skip
            for p in self.panels
        )
        return BoardInfo(self.name, self.title, self.range, float(self.refresh_s), heads)

    def providers(self) -> tuple[str, ...]:
        """The provider instances this board's panels use."""
        return tuple(sorted({p.provider for p in self.panels if p.provider}))


@dataclass(frozen=True)
class ProviderSpec:
    name: str
    type: str
    # `builtins.type`: inside this class body the bare name `type` is the field above
    cls: builtins.type[Provider]
    options: ProviderOptions
    #: `api_budget = {...}` (srvmon.budget): read by the runtime, never passed to the provider.
    budget: ApiBudget | None = None


@dataclass
class LoadedConfig:
    path: Path | None
    settings: Settings
    boards: list[Board]
    providers: dict[str, ProviderSpec]
    hint: str | None = None
    demo: bool = False
    _built: dict[str, Provider] = field(default_factory=dict, repr=False)

    def board(self, name: str | None) -> Board:
        if name is None:
            return self.boards[0]
        for b in self.boards:
            if b.name == name:
                return b
        known = ", ".join(b.name for b in self.boards)
        raise ConfigError(
            [
                ConfigIssue(
                    str(self.path or "<demo>"),
                    None,
                    "--board",
                    f"no board named {name!r}",
                    f"use one of: {known}",
                )
            ]
        )

    def provider_names(self) -> list[str]:
        return list(self.providers)

    def build_providers(self, clock: Clock) -> dict[str, Provider]:
        """Instantiate every configured provider (once; later calls return the same objects)."""
        if not self._built:
            for name, spec in self.providers.items():
                self._built[name] = spec.cls(name, spec.options, clock)
        return self._built

    def runtime(self, clock: Clock) -> Runtime:
        """The providers with their worker pools and the refresh deadline (close it when done)."""
        from srvmon.runtime import Runtime

        budgets = {name: spec.budget for name, spec in self.providers.items()}
        return Runtime(self.build_providers(clock), clock, timeout_s=self.timeout_s, budgets=budgets)

    @property
    def timeout_s(self) -> float:
        return parse_duration(self.settings.timeout)


def user_config_path() -> Path:
    from platformdirs import user_config_dir

    return Path(user_config_dir("srvmon")) / "config.toml"


#: The largest config file read (a config is a few KB; this bounds a mistaken path).
MAX_CONFIG_BYTES = 4 * 2**20


def _usable(p: Path, key: str, fix: str) -> Path:
    """`p` if it is a regular file; ConfigError saying what it is instead."""
    if p.is_dir():
        raise ConfigError([ConfigIssue(str(p), None, key, "is a directory, not a config file", fix)])
    if p.exists() and not p.is_file():
        raise ConfigError(
            [ConfigIssue(str(p), None, key, "is not a regular file (a device, FIFO or socket)", fix)]
        )
    if not p.is_file():
        raise ConfigError([ConfigIssue(str(p), None, key, "file not found", fix)])
    return p


def find_config(explicit: str | os.PathLike[str] | None) -> Path | None:
    """`--config`, then `$SRVMON_CONFIG`, then the user config dir; None when there is none."""
    if explicit is not None:
        if not str(explicit).strip():
            raise ConfigError([ConfigIssue("<command line>", None, "--config", "is empty",
                                           "give the path of a config file, or leave out --config")])  # fmt: skip
        return _usable(Path(explicit), "--config", f"check the path, or copy {EXAMPLE} there")
    env = os.environ.get(ENV_VAR)
    if env is not None and env != "":
        return _usable(Path(env), f"${ENV_VAR}", f"fix or unset ${ENV_VAR}")
    p = user_config_path()
    return p if p.is_file() else None


DEMO_TOML = """
[providers.demo]
type = "demo"

[[boards]]
name = "serverless"
preset = "serverless"
"""


def demo_hint() -> str:
    return (
        f"DEMO DATA - no config found. To watch a real account, copy {EXAMPLE} to "
        f"{user_config_path()} (or pass --config FILE / set ${ENV_VAR}) and run `srvmon check`."
    )


def load_config(
    path: str | os.PathLike[str] | None = None,
    *,
    demo: bool = False,
    variables: Mapping[str, str] | None = None,
) -> LoadedConfig:
    """Load the config srvmon should use. With `demo` (or no config anywhere) the built-in demo board.
    `variables`: board variable values (`--var NAME=VALUE`) used instead of the defaults."""
    if demo:
        loaded = parse_config(DEMO_TOML, "<demo>", variables)
        loaded.demo = True
        return loaded
    found = find_config(path)
    if found is None:
        loaded = parse_config(DEMO_TOML, "<demo>", variables)
        loaded.demo = True
        loaded.hint = demo_hint()
        return loaded
    try:
        with found.open("rb") as f:
            data = f.read(MAX_CONFIG_BYTES + 1)
        if len(data) > MAX_CONFIG_BYTES:
            raise ConfigError([ConfigIssue(str(found), None, "", f"larger than {MAX_CONFIG_BYTES // 2**20} MiB",
                                           "point --config at the srvmon TOML file")])  # fmt: skip
        text = data.decode("utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(
            [ConfigIssue(str(found), None, "", f"cannot read: {exc}", "make it a readable UTF-8 text file")]
        ) from exc
    loaded = parse_config(text, str(found), variables)
    loaded.path = found
    return loaded


# ---- parsing and validation ---------------------------------------------------------------------


def _fmt_loc(loc: Iterable[str | int]) -> str:
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def _unwrap(tp: Any) -> Any:
    """Strip Optional/Union-with-None and Annotated to the model/list/dict underneath."""
    origin = typing.get_origin(tp)
    if origin in (typing.Union, getattr(__import__("types"), "UnionType", None)):
        args = [a for a in typing.get_args(tp) if a is not type(None)]
        for a in args:
            if isinstance(a, type) and issubclass(a, BaseModel):
                return a
            if typing.get_origin(a) in (list, dict):
                return a
        return args[0] if args else tp
    return tp


def _model_at(model: type[BaseModel], loc: tuple[str | int, ...]) -> type[BaseModel] | None:
    cur: Any = model
    for part in loc:
        cur = _unwrap(cur)
        origin = typing.get_origin(cur)
        if origin is list and isinstance(part, int):
            cur = typing.get_args(cur)[0]
        elif origin is dict and isinstance(part, str):
            cur = typing.get_args(cur)[1]
        elif isinstance(cur, type) and issubclass(cur, BaseModel) and isinstance(part, str):
            f = cur.model_fields.get(part)
            if f is None:
                return None
            cur = f.annotation
        else:
            return None
    cur = _unwrap(cur)
    return cur if isinstance(cur, type) and issubclass(cur, BaseModel) else None


def _fix_for(err: ErrorDetails, model: type[BaseModel], loc: tuple[str | int, ...]) -> str:
    kind = err["type"]
    if kind == "extra_forbidden":
        parent = _model_at(model, loc[:-1])
        allowed = sorted(parent.model_fields) if parent else []
        key = str(loc[-1])
        close = difflib.get_close_matches(key, allowed, n=1)
        hint = f"did you mean `{close[0]}`? " if close else ""
        return f"{hint}remove `{key}`; allowed keys here: {', '.join(allowed)}"
    if kind == "missing":
        return f"add `{loc[-1]} = ...` (see {EXAMPLE})"
    if kind.startswith("literal_error") or kind == "enum":
        return "use one of the values listed above"
    if kind in ("int_parsing", "float_parsing", "int_type", "float_type"):
        return "write a number without quotes, e.g. 80"
    if kind in ("string_type",):
        return 'write a quoted string, e.g. "4h"'
    if kind in ("bool_type", "bool_parsing"):
        return "write true or false (no quotes)"
    if kind == "string_pattern_mismatch":
        return "use only letters, digits, '_', '-' and '.'"
    if kind in ("greater_than_equal", "less_than_equal", "greater_than", "less_than"):
        return "change the number to fit the allowed range above"
    return f"see the comments for this key in {EXAMPLE}"


def _issues_from(
    exc: ValidationError,
    model: type[BaseModel],
    file: str,
    lines: dict[Any, int],
    prefix: tuple[str | int, ...] = (),
) -> list[ConfigIssue]:
    out = []
    for err in exc.errors():
        loc = tuple(
            p for p in err["loc"] if not (isinstance(p, str) and ("[" in p or p.startswith("function-")))
        )
        msg = err["msg"].removeprefix("Value error, ")
        full = prefix + loc
        out.append(ConfigIssue(file, line_of(lines, full), _fmt_loc(full), msg, _fix_for(err, model, loc)))
    return out


def parse_config(
    text: str, file: str = "<string>", variables: Mapping[str, str] | None = None
) -> LoadedConfig:
    """Validate config text fully; raise ConfigError with every problem found. `variables`: values of
    board variables (`--var`), each applied to every board defining it (one no board defines is an error)."""
    try:
        raw = tomllib.loads(text)
    except RecursionError:
        raise ConfigError([ConfigIssue(file, None, "", "not valid TOML: nested too deeply",
                                       "flatten the nested arrays/tables")]) from None  # fmt: skip
    except tomllib.TOMLDecodeError as exc:
        msg = str(exc)
        m = re.search(r"\s*\(at line (\d+), column \d+\)", msg)
        line = getattr(exc, "lineno", None) or (int(m.group(1)) if m else None)
        msg = msg.replace(m.group(0), "") if m else msg
        raise ConfigError(
            [
                ConfigIssue(
                    file,
                    line,
                    "",
                    f"not valid TOML: {msg}",
                    "check quotes, brackets and `key = value` syntax on that line",
                )
            ]
        ) from exc
    lines = key_lines(text)
    try:
        cfg = ConfigModel.model_validate(raw)
    except ValidationError as exc:
        raise ConfigError(_issues_from(exc, ConfigModel, file, lines)) from exc

    issues: list[ConfigIssue] = []
    specs = _provider_specs(cfg, file, lines, issues)
    given = dict(variables or {})
    boards = _resolve_boards(cfg, specs, file, lines, issues, given)
    defined = {name for b in cfg.boards for name in b.variables}
    for name in sorted(set(given) - defined):
        issues.append(
            ConfigIssue(
                file,
                None,
                f"--var {name}",
                f"no board defines a variable named {name!r}",
                f"use one of: {', '.join(sorted(defined))}"
                if defined
                else "add [boards.variables.NAME] to a board",
            )
        )
    if issues:
        raise ConfigError(issues)
    return LoadedConfig(path=None, settings=cfg.settings, boards=boards, providers=specs)


def _provider_specs(
    cfg: ConfigModel, file: str, lines: dict[Any, int], issues: list[ConfigIssue]
) -> dict[str, ProviderSpec]:
    specs: dict[str, ProviderSpec] = {}
    for name, pcfg in cfg.providers.items():
        where = ("providers", name)
        try:
            cls = load_provider_class(pcfg.type)
        except UnknownProviderType as exc:
            issues.append(
                ConfigIssue(
                    file,
                    line_of(lines, (*where, "type")),
                    f"providers.{name}.type",
                    str(exc),
                    "set `type` to one of the installed providers (`srvmon providers` lists them)",
                )
            )
            continue
        except Exception as exc:  # a provider plugin that fails to import
            issues.append(
                ConfigIssue(
                    file,
                    line_of(lines, (*where, "type")),
                    f"providers.{name}.type",
                    f"provider {pcfg.type!r} failed to load: {type(exc).__name__}: {exc}",
                    "reinstall the plugin, or run `srvmon providers` to see its error",
                )
            )
            continue
        raw = pcfg.options()
        # -- API budget (srvmon.budget): a key of every provider block, taken out before its options --
        budget = None
        if "api_budget" in raw:
            try:
                budget = ApiBudget.model_validate(raw.pop("api_budget"))
            except ValidationError as exc:
                issues.extend(_issues_from(exc, ApiBudget, file, lines, (*where, "api_budget")))
                continue
        # -- end API budget ---------------------------------------------------------------------------
        try:
            options = cls.Options.model_validate(raw)
        except ValidationError as exc:
            issues.extend(_issues_from(exc, cls.Options, file, lines, where))
            continue
        specs[name] = ProviderSpec(name, pcfg.type, cls, options, budget)
    return specs


def _default_boards(cfg: ConfigModel, specs: dict[str, ProviderSpec]) -> list[BoardCfg]:
    out = []
    for name, spec in specs.items():
        preset = spec.cls.preset_for(spec.options)
        if preset:
            board_name = name if len(specs) > 1 else preset
            out.append(BoardCfg(name=board_name, preset=preset, provider=name))
    return out


def _resolve_boards(
    cfg: ConfigModel,
    specs: dict[str, ProviderSpec],
    file: str,
    lines: dict[Any, int],
    issues: list[ConfigIssue],
    given: Mapping[str, str],
) -> list[Board]:
    board_cfgs = cfg.boards or _default_boards(cfg, specs)
    if not board_cfgs and not issues:
        issues.append(
            ConfigIssue(
                file,
                None,
                "boards",
                "no boards and no provider with a default preset",
                f'add a [[boards]] table with preset = "..." or panels (see {EXAMPLE})',
            )
        )
    boards: list[Board] = []
    seen: set[str] = set()
    for bi, bcfg in enumerate(board_cfgs):
        where: tuple[str | int, ...] = ("boards", bi)
        if bcfg.name in seen:
            issues.append(
                ConfigIssue(
                    file,
                    line_of(lines, (*where, "name")),
                    f"boards[{bi}].name",
                    f"duplicate board name {bcfg.name!r}",
                    "give each board a unique name",
                )
            )
        seen.add(bcfg.name)
        board = _resolve_board(cfg, bcfg, where, specs, file, lines, issues, given)
        if board:
            boards.append(board)
    return boards


def _resolve_board(
    cfg: ConfigModel,
    bcfg: BoardCfg,
    where: tuple[str | int, ...],
    specs: dict[str, ProviderSpec],
    file: str,
    lines: dict[Any, int],
    issues: list[ConfigIssue],
    given: Mapping[str, str],
) -> Board | None:
    key = _fmt_loc(where)
    panels: dict[str, PanelCfg] = {}
    title = bcfg.title
    board_provider = bcfg.provider
    preset_range = None
    if board_provider is not None and board_provider not in cfg.providers:
        issues.append(
            ConfigIssue(
                file,
                line_of(lines, (*where, "provider")),
                f"{key}.provider",
                f"no provider named {board_provider!r}",
                f"define [providers.{board_provider}] or use one of: {', '.join(specs) or '(none)'}",
            )
        )
        return None
    if bcfg.preset:
        try:
            preset = load_preset(bcfg.preset)
        except PresetError as exc:
            issues.append(
                ConfigIssue(
                    file,
                    line_of(lines, (*where, "preset")),
                    f"{key}.preset",
                    str(exc),
                    "use one of the presets listed above",
                )
            )
            return None
        preset_range = preset.range
        title = title or preset.title
        if board_provider is None:
            matching = [n for n, c in cfg.providers.items() if c.type == preset.provider_type]
            if len(matching) == 1 and matching[0] not in specs:
                return None  # the matching provider failed validation; its own error is reported
            if len(matching) != 1:
                what = "no" if not matching else f"{len(matching)}"
                issues.append(
                    ConfigIssue(
                        file,
                        line_of(lines, (*where, "preset")),
                        f"{key}.provider",
                        f"preset {bcfg.preset!r} needs a provider of type {preset.provider_type!r}; {what} configured",
                        f'add [providers.NAME] type = "{preset.provider_type}"'
                        if not matching
                        else f'add provider = "..." to this board (one of: {", ".join(matching)})',
                    )
                )
                return None
            board_provider = matching[0]
        for p in preset.panels:
            panels[p.id] = p
    user_ids: dict[str, int] = {}
    for pi, p in enumerate(bcfg.panels):
        if p.id in user_ids:
            first = line_of(lines, (*where, "panels", user_ids[p.id], "id"))
            issues.append(
                ConfigIssue(
                    file,
                    line_of(lines, (*where, "panels", pi, "id")),
                    f"{key}.panels[{pi}].id",
                    f"duplicate panel id {p.id!r} (also at {key}.panels[{user_ids[p.id]}]"
                    + (f", line {first}" if first else "")
                    + ")",
                    "give each panel a unique id (a panel with a preset panel's id replaces it)",
                )
            )
            continue
        user_ids[p.id] = pi
        panels[p.id] = p
    configured = list(cfg.providers)
    if board_provider is None and len(configured) == 1:
        board_provider = configured[0]
    user_index = {p.id: i for i, p in enumerate(bcfg.panels)}
    bound: list[PanelCfg] = []
    template: list[PanelCfg] = []
    try:
        values = choose_values(bcfg.variables, {k: v for k, v in given.items() if k in bcfg.variables})
    except VariableError as exc:
        issues.append(
            ConfigIssue(file, line_of(lines, (*where, "variables")), f"{key}.variables", str(exc), _VAR_FIX)
        )
        return None
    for vname, vcfg in bcfg.variables.items():
        if vcfg.provider is not None and vcfg.provider not in cfg.providers:
            vloc = (*where, "variables", vname, "provider")
            issues.append(
                ConfigIssue(
                    file,
                    line_of(lines, vloc),
                    _fmt_loc(vloc),
                    f"no provider named {vcfg.provider!r}",
                    f"use one of: {', '.join(cfg.providers) or '(none)'}",
                )
            )
    for p in panels.values():
        ploc: tuple[str | int, ...] = (
            (*where, "panels", user_index[p.id]) if p.id in user_index else (*where, "preset")
        )
        pkey = _fmt_loc(ploc) if p.id in user_index else f"{key}.preset({bcfg.preset}).{p.id}"
        prov = p.provider or board_provider
        if prov is None:
            issues.append(
                ConfigIssue(
                    file,
                    line_of(lines, ploc),
                    f"{pkey}.provider",
                    f"panel {p.id!r} has no provider and the board has several to choose from",
                    f'add provider = "..." to the panel or the board (one of: {", ".join(specs)})',
                )
            )
            continue
        if prov in cfg.providers and prov not in specs:
            continue  # that provider's own error is already reported
        if prov not in specs:
            issues.append(
                ConfigIssue(
                    file,
                    line_of(lines, (*ploc, "provider")),
                    f"{pkey}.provider",
                    f"no provider named {prov!r}",
                    f"define [providers.{prov}] or use one of: {', '.join(specs) or '(none)'}",
                )
            )
            continue
        spec = specs[prov]
        bound_raw = p.model_copy(update={"provider": prov})
        template.append(bound_raw)
        try:  # board variables: substituted before the provider validates the query
            p = substitute_panel(bound_raw, values, spec.cls.escape_variable)
        except VariableError as exc:
            issues.append(
                ConfigIssue(file, line_of(lines, (*ploc, "query")), f"{pkey}.query", str(exc), _VAR_FIX)
            )
            continue
        if p.query is not None:
            err = spec.cls.validate_query(p.query, p.stat)
            if err:
                issues.append(
                    ConfigIssue(
                        file,
                        line_of(lines, (*ploc, "query")),
                        f"{pkey}.query",
                        f"invalid {spec.type} query: {err}",
                        f"fix the query for provider {prov!r} (type {spec.type})",
                    )
                )
                continue
        bound.append(p)
    _check_overlaps(bound, user_index, where, key, bcfg.preset, file, lines, issues)
    refresh = bcfg.refresh or cfg.settings.refresh
    rng = bcfg.range or preset_range or cfg.settings.range
    return Board(
        name=bcfg.name,
        title=title or bcfg.name,
        provider=board_provider,
        refresh_s=parse_duration(refresh),
        range=rng,
        panels=tuple(bound),
        variables=dict(bcfg.variables),
        values=values,
        template=tuple(template),
    )


def _check_overlaps(panels: list[PanelCfg], user_index: dict[str, int], where: tuple[str | int, ...], key: str,
                    preset: str | None, file: str, lines: dict[Any, int], issues: list[ConfigIssue]) -> None:  # fmt: skip
    """Two panels may not cover the same grid cell: name both, with their lines."""
    taken: dict[tuple[int, int], PanelCfg] = {}

    def loc(p: PanelCfg) -> tuple[str, int | None]:
        if p.id in user_index:
            ploc = (*where, "panels", user_index[p.id], "position")
            return _fmt_loc(ploc), line_of(lines, ploc) or line_of(lines, ploc[:-1])
        return f"{key}.preset({preset}).{p.id}", line_of(lines, (*where, "preset"))

    for p in panels:
        pos = p.position
        if pos is None:
            continue
        clash = None
        for r in range(pos.row, pos.row + pos.height):
            for c in range(pos.col, pos.col + pos.width):
                if (c, r) in taken and clash is None:
                    clash = taken[(c, r)]
                taken.setdefault((c, r), p)
        if clash is not None:
            here, line = loc(p)
            there, other_line = loc(clash)
            issues.append(
                ConfigIssue(
                    file,
                    line,
                    here,
                    f"panel {p.id!r} overlaps panel {clash.id!r} ({there}"
                    + (f", line {other_line}" if other_line else "")
                    + ")",
                    "move one of them (position row/col) or make them narrower",
                )
            )


# ---- board variables ----------------------------------------------------------------------------

_VAR_FIX = "pick another value (--var NAME=VALUE), or change the variable's default/values"


def resolve_variables(
    loaded: LoadedConfig, values: Mapping[str, str], board: str | None = None
) -> LoadedConfig:
    """The config with boards re-resolved for new variable `values` (the TUI's `v`, `--var` on the
    command line): every board defining a variable (or only `board`) gets it; the others are kept.
    Pure and cheap: no provider is built. ConfigError names an unknown variable or a refused value."""
    file = str(loaded.path or "<demo>")
    targets = [b for b in loaded.boards if board is None or b.name == board]
    unknown = sorted(set(values) - {n for b in targets for n in b.variables})
    if unknown:
        defined = sorted({n for b in targets for n in b.variables})
        raise ConfigError(
            [
                ConfigIssue(
                    file,
                    None,
                    f"--var {unknown[0]}",
                    f"no board{f' {board!r}' if board else ''} defines a variable named {unknown[0]!r}",
                    f"use one of: {', '.join(defined)}"
                    if defined
                    else "add [boards.variables.NAME] to the board",
                )
            ]
        )
    issues: list[ConfigIssue] = []
    boards: list[Board] = []
    for bi, b in enumerate(loaded.boards):
        mine = {k: v for k, v in values.items() if k in b.variables}
        if b not in targets or not mine:
            boards.append(b)
            continue
        try:
            chosen = choose_values(b.variables, {**b.values, **mine})
        except VariableError as exc:
            issues.append(ConfigIssue(file, None, f"--var {next(iter(mine))}", str(exc), _VAR_FIX))
            continue
        panels = []
        for p in b.template:
            spec = loaded.providers[p.provider or ""]
            try:
                panel = substitute_panel(p, chosen, spec.cls.escape_variable)
            except VariableError as exc:
                issues.append(
                    ConfigIssue(file, None, f"boards[{bi}].panels({p.id}).query", str(exc), _VAR_FIX)
                )
                continue
            err = spec.cls.validate_query(panel.query, panel.stat) if panel.query is not None else None
            if err:
                issues.append(
                    ConfigIssue(
                        file,
                        None,
                        f"boards[{bi}].panels({p.id}).query",
                        f"invalid {spec.type} query with these variable values: {err}",
                        _VAR_FIX,
                    )
                )
                continue
            panels.append(panel)
        boards.append(replace(b, panels=tuple(panels), values=chosen))
    if issues:
        raise ConfigError(issues)
    return replace(loaded, boards=boards)
