"""The config schema: pydantic models for settings, providers, boards and panels (extra keys forbidden)."""

from __future__ import annotations

import math
import zoneinfo
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, field_validator, model_validator

from srvmon.model import RANGES, Layout, parse_duration

#: Textual's built-in theme names (the core cannot import Textual; a test keeps this list in step).
THEMES = (
    "textual-dark",
    "textual-light",
    "nord",
    "gruvbox",
    "catppuccin-mocha",
    "textual-ansi",
    "dracula",
    "tokyo-night",
    "monokai",
    "flexoki",
    "catppuccin-latte",
    "solarized-light",
    "solarized-dark",
    "rose-pine",
    "rose-pine-moon",
    "rose-pine-dawn",
    "atom-one-dark",
    "atom-one-light",
    "catppuccin-frappe",
    "catppuccin-macchiato",
    # srvmon's own (srvmon.tui.themes): colour-blind safe (Okabe-Ito) and high contrast (walls, sunlight)
    "srvmon-okabe-ito",
    "srvmon-high-contrast",
)
#: The most grid rows a board may have (a 200x60 wall screen shows 8; more rows scroll).
MAX_GRID_ROWS = 100


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def _duration(v: Any) -> str:
    parse_duration(str(v))
    return str(v)


#: A duration option ("30s", "5m", "1h"), validated by parse_duration; shared by provider options.
Duration = Annotated[str, AfterValidator(_duration)]


def _finite(v: float) -> float:
    if not math.isfinite(v):
        raise ValueError(f"{v} is not a finite number")
    return v


def _positive(v: float) -> float:
    if not math.isfinite(v) or v <= 0:
        raise ValueError(f"{v} must be a finite number greater than zero")
    return v


def _non_negative(v: float) -> float:
    if not math.isfinite(v) or v < 0:
        raise ValueError(f"{v} must be a finite number, zero or more")
    return v


#: A number that must be finite (thresholds, offsets); NaN and inf are rejected.
FiniteFloat = Annotated[float, AfterValidator(_finite)]
#: A finite number > 0 (scales, ceilings, limits).
PositiveFloat = Annotated[float, AfterValidator(_positive)]
#: A finite number >= 0 (prices).
NonNegativeFloat = Annotated[float, AfterValidator(_non_negative)]


def _url(v: str) -> str:
    """An absolute http(s) URL with a host; trailing '/' removed."""
    from urllib.parse import urlsplit

    text = str(v)
    if text != text.strip() or any(ch.isspace() or ord(ch) < 32 or ord(ch) == 127 for ch in text):
        raise ValueError(f"{text!r} is not a URL: it contains spaces or control characters")
    try:
        parts = urlsplit(text)
        port = parts.port  # raises on a bad port
    except ValueError as exc:
        raise ValueError(f"{text!r} is not a URL: {exc}") from None
    if parts.scheme not in ("http", "https"):
        raise ValueError(f"{text!r} is not an http(s) URL; write e.g. https://host:9090")
    if not parts.hostname:
        raise ValueError(f"{text!r} has no host; write e.g. https://host:9090")
    del port
    return text.rstrip("/")


#: An absolute http:// or https:// URL with a host (parsed, not just prefix-checked).
Url = Annotated[str, AfterValidator(_url)]


def _headers(v: dict[str, str]) -> dict[str, str]:
    import re

    for key, value in v.items():
        if not re.fullmatch(r"[!#$%&'*+.^_`|~0-9A-Za-z-]+", key):
            raise ValueError(f"header name {key!r} is not a valid HTTP header name")
        if any(ch in value for ch in "\r\n\0"):
            raise ValueError(f"header {key!r}: the value must not contain CR, LF or NUL")
    return v


#: Extra HTTP request headers: valid names, values without CR/LF/NUL (no header injection).
HeaderMap = Annotated[dict[str, str], AfterValidator(_headers)]


def _non_empty(v: str) -> str:
    if not v.strip():
        raise ValueError("must not be empty")
    return v


#: A string that must not be empty or blank (profile, region, stat names).
NonEmptyStr = Annotated[str, AfterValidator(_non_empty)]


def duration_at_least(seconds: int, why: str) -> AfterValidator:
    """A validator for a Duration that must be at least `seconds` long (the message says `why`)."""

    def check(v: str) -> str:
        if parse_duration(v) < seconds:
            raise ValueError(why)
        return v

    return AfterValidator(check)


def _refresh(v: Any) -> str:
    """A refresh interval: between 1 second and 1 day."""
    seconds = parse_duration(str(v))
    if not 1 <= seconds <= 86400:
        raise ValueError(f"{v!r}: refresh between 1s and 1d, e.g. 30s, 2m or 1h")
    return str(v)


def _range(v: Any) -> str:
    if str(v) not in RANGES:
        raise ValueError(f"{v!r} is not a range; use one of {', '.join(RANGES)}")
    return str(v)


class Settings(_Model):
    """`[settings]`: defaults for every board."""

    refresh: str = "60s"
    """How often boards refetch (e.g. 30s, 2m). A board can override it."""
    range: str = "4h"
    """Default time range: 1h, 4h, 12h, 1d, 1w or 1mo."""
    theme: str = "textual-dark"
    """Textual theme name (colours come from the theme's variables)."""
    timezone: str = "local"
    """'local', 'UTC' or an IANA zone such as 'Europe/Paris', for axis labels."""
    timeout: str = "20s"
    """How long one provider may take per refresh before its panels go stale."""
    layout: Layout = "auto"
    """Board layout: 'auto' (the grid fitted to the screen; one line per panel when it cannot fit), 'grid'
    or 'compact'. `--layout` overrides it."""
    export_dir: str = ""
    """Where `e` (SVG of the screen) writes; empty: the user's documents dir + /srvmon (the path is shown)."""

    @field_validator("refresh")
    @classmethod
    def _v_refresh(cls, v: str) -> str:
        return _refresh(v)

    @field_validator("timeout")
    @classmethod
    def _v_timeout(cls, v: str) -> str:
        if not 1 <= parse_duration(v) <= 600:
            raise ValueError(
                f"{v!r}: a refresh may take between 1s and 10m; a slower provider should fail instead"
            )
        return v

    @field_validator("range")
    @classmethod
    def _v_range(cls, v: str) -> str:
        return _range(v)

    @field_validator("theme")
    @classmethod
    def _theme(cls, v: str) -> str:
        if v not in THEMES:
            import difflib

            close = difflib.get_close_matches(v, THEMES, n=1)
            hint = f"did you mean {close[0]!r}? " if close else ""
            raise ValueError(f"unknown theme {v!r}; {hint}use one of: {', '.join(THEMES)}")
        return v

    @field_validator("timezone")
    @classmethod
    def _tz(cls, v: str) -> str:
        if v not in ("local", "UTC"):
            try:
                zoneinfo.ZoneInfo(v)
            except Exception as exc:
                raise ValueError(
                    f"unknown timezone {v!r}; use 'local', 'UTC' or e.g. 'Europe/Paris'"
                ) from exc
        return v


class ThresholdsCfg(_Model):
    """Colour a panel when its value crosses these (status ok → warn → crit)."""

    warn: FiniteFloat | None = None
    crit: FiniteFloat | None = None
    direction: Literal["above", "below"] = "above"
    """'above': higher is worse (errors, latency); 'below': lower is worse (availability)."""

    @model_validator(mode="after")
    def _order(self) -> ThresholdsCfg:
        if self.warn is not None and self.crit is not None:
            bad = self.crit < self.warn if self.direction == "above" else self.crit > self.warn
            if bad:
                raise ValueError(
                    f"crit ({self.crit}) must be {'≥' if self.direction == 'above' else '≤'} warn ({self.warn}) "
                    f"when direction = {self.direction!r}"
                )
        return self


class PositionCfg(_Model):
    """Where the panel sits on the board's 12-column grid (rows are ~8 lines on a wall screen)."""

    row: int = Field(ge=0, lt=MAX_GRID_ROWS)
    col: int = Field(ge=0, le=11)
    width: int = Field(default=4, ge=1, le=12)
    height: int = Field(default=1, ge=1, le=6)

    @model_validator(mode="after")
    def _fits(self) -> PositionCfg:
        if self.col + self.width > 12:
            raise ValueError(f"col ({self.col}) + width ({self.width}) exceeds the 12-column grid")
        return self


class DrilldownCfg(_Model):
    """Overrides for the log query a panel opens on Enter."""

    provider: str | None = None
    resources: list[str] = []
    errors_only: bool = False
    status_class: Literal["2xx", "3xx", "4xx", "5xx"] | None = None
    filter: str | None = None
    regex: bool = False


class PanelCfg(_Model):
    """One `[[boards.panels]]` entry (presets use the same schema)."""

    id: str = Field(pattern=r"^[A-Za-z0-9_.-]+$")
    title: str
    kind: str
    """What the panel shows: one of the registered kinds (srvmon.kinds: timeseries, stat, toplist, gauge,
    alarms, cost, health, logs, text)."""
    provider: str | None = None
    """Provider instance name; defaults to the board's provider."""
    query: str | dict[str, Any] | None = None
    """Provider-specific query (CloudWatch metric, Azure metric, PromQL, demo metric name)."""
    stat: NonEmptyStr | None = None
    """Statistic: sum, avg, max, min, p50, p90, p99 (as the provider understands it)."""
    group_by: list[NonEmptyStr] = []
    unit: str = ""
    """Display unit: ms, s, req/s, %, $, count, B..."""
    range: str | None = None
    """This panel's own range (e.g. '1mo' for a month-over-month panel); default: the board's."""
    compare: Literal["1w", "1d", "4w", "none"] | None = None
    """Overlay: '1w' last week (default), '1d', '4w' (default for 1mo ranges) or 'none'."""
    trend: bool = False
    """Draw a least-squares trend line (and compute time-to-limit for gauges)."""
    thresholds: ThresholdsCfg | None = None
    threshold_on: Literal["value", "delta_pct"] = "value"
    """Apply thresholds to the value, or to its % change vs the compare window."""
    reduce: Literal["last", "avg", "sum", "max", "min"] = "avg"
    """How a series becomes the panel value over the window."""
    aggregate: Literal["sum", "avg", "max", "min"] = "sum"
    """How several series combine into one (point by point)."""
    per_second: bool = False
    """Divide per-bucket sums by the step in seconds (counts → rate/s)."""
    scale: FiniteFloat = 1.0
    """Multiply values (e.g. 100 to turn a ratio into %)."""
    top: int = Field(default=10, ge=1, le=500)
    """Rows in a toplist; series drawn in a timeseries."""
    order: Literal["desc", "asc"] = "desc"
    limit: str | None = None
    """Gauge: name of a provider limit (e.g. 'account_concurrency')."""
    max: PositiveFloat | None = None
    """Gauge: a fixed ceiling (e.g. 100 for a %)."""
    position: PositionCfg | None = None
    drilldown: DrilldownCfg | None = None
    description: str = ""
    """Help text: what the figure is and how it is rated (shown in the TUI and exports)."""
    content: str | None = None
    """Text panel: the markdown shown (rendered safely: no HTML, no terminal escapes)."""

    @field_validator("range")
    @classmethod
    def _v_range(cls, v: str | None) -> str | None:
        return None if v is None else _range(v)

    @field_validator("kind")
    @classmethod
    def _v_kind(cls, v: str) -> str:
        from srvmon import kinds

        if v not in kinds.KINDS:
            raise ValueError(f"unknown panel kind {v!r}; use one of: {', '.join(kinds.names())}")
        return v

    @field_validator("scale")
    @classmethod
    def _v_scale(cls, v: float) -> float:
        if v == 0:
            raise ValueError("scale 0 would show every value as 0; use a non-zero factor")
        return v

    @model_validator(mode="after")
    def _fits_kind(self) -> PanelCfg:
        from srvmon import kinds

        kind = kinds.get(self.kind)
        allowed = kinds.COMMON_FIELDS | kind.fields
        stray = sorted(f for f in self.model_fields_set if f not in allowed)
        if stray:
            users = {f: [k for k, kk in kinds.KINDS.items() if f in kk.fields] for f in stray}
            said = "; ".join(f"`{f}` is for {', '.join(users[f]) or 'no kind'} panels" for f in stray)
            raise ValueError(f"{said}, not {self.kind}: remove it")
        problem = kind.check(self)
        if problem:
            raise ValueError(problem)
        return self


# -- board variables (srvmon.variables) --
#: A variable name: `$name` / `${name}` in queries. Names starting with `__` belong to the providers
#: (`$__rate_interval`, `$__interval`) and are never board variables.
VARIABLE_NAME = r"^[A-Za-z_][A-Za-z0-9_]{0,63}$"


class VariableCfg(_Model):
    """`[boards.variables.NAME]`: the value `$NAME` / `${NAME}` takes in this board's panel queries.

    The value is escaped for each panel's query language by its provider (PromQL, KQL, CloudWatch)."""

    default: str | None = None
    """The value used when none is picked (`--var NAME=VALUE` on the command line, `v` on the board)."""
    values: list[Annotated[str, Field(max_length=1024)]] = Field(default=[], max_length=1000)
    """Allowed values; any other value is an error. Empty: any value (or what `query` lists)."""
    query: str | dict[str, Any] | None = None
    """A provider listing of the allowed values (demo: "functions"; Prometheus: "label_values(m, label)";
    AWS: {search = ..., populate_from = ...}); read when values are picked, never at load."""
    provider: str | None = None
    """The provider `query` is asked of; default: the board's provider."""
    include_all: bool = False
    """Offer `*`, every value: PromQL regex matchers get `.*`, CloudWatch dimensions `*`."""
    label: str = ""
    """Shown when picking a value; default: the variable's name."""
    description: str = ""

    @model_validator(mode="after")
    def _default_allowed(self) -> VariableCfg:
        if self.default is None or not self.values:
            return self
        if self.default not in self.values and not (self.include_all and self.default == "*"):
            raise ValueError(
                f"default {self.default!r} is not one of the allowed values: {', '.join(self.values)}"
            )
        return self


class BoardCfg(_Model):
    """One `[[boards]]` entry: a preset, panels, or both (panels with a preset's id replace it)."""

    name: str = Field(pattern=r"^[A-Za-z0-9_.-]+$")
    title: str | None = None
    preset: str | None = None
    provider: str | None = None
    """Provider instance the board's panels use by default."""
    refresh: str | None = None
    range: str | None = None
    panels: list[PanelCfg] = []
    variables: dict[str, VariableCfg] = {}
    """Board variables: `[boards.variables.NAME]` tables (see VariableCfg)."""

    @field_validator("variables")
    @classmethod
    def _v_variable_names(cls, v: dict[str, VariableCfg]) -> dict[str, VariableCfg]:
        import re

        for name in v:
            if not re.fullmatch(VARIABLE_NAME, name) or name.startswith("__"):
                raise ValueError(
                    f"variable name {name!r}: use letters, digits and '_' (not starting with a digit or '__')"
                )
        return v

    @field_validator("refresh")
    @classmethod
    def _v_refresh(cls, v: str | None) -> str | None:
        return None if v is None else _refresh(v)

    @field_validator("range")
    @classmethod
    def _v_range(cls, v: str | None) -> str | None:
        return None if v is None else _range(v)

    @model_validator(mode="after")
    def _something(self) -> BoardCfg:
        if self.preset is None and not self.panels:
            raise ValueError('a board needs `preset = "..."` or at least one [[boards.panels]]')
        return self


class ProviderCfg(BaseModel):
    """`[providers.NAME]`: `type` picks the provider; the other keys follow its own schema."""

    model_config = ConfigDict(extra="allow", frozen=True)
    type: str

    def options(self) -> dict[str, Any]:
        return dict(self.model_extra or {})


class ConfigModel(_Model):
    settings: Settings = Settings()
    providers: dict[str, ProviderCfg] = {}
    boards: list[BoardCfg] = []


class PresetModel(_Model):
    """A preset board file in srvmon/presets/NAME.toml."""

    name: str
    title: str
    provider_type: str
    description: str = ""
    range: str | None = None
    panels: list[PanelCfg]
