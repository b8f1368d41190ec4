"""Built-in preset boards: TOML files in this package, validated with the user panel schema."""

from __future__ import annotations

import tomllib
from functools import cache
from importlib import resources

from pydantic import ValidationError

from srvmon.schema import PresetModel


class PresetError(Exception):
    pass


def preset_names() -> list[str]:
    return sorted(
        p.name.removesuffix(".toml")
        for p in resources.files(__package__).iterdir()
        if p.name.endswith(".toml")
    )


@cache
def load_preset(name: str) -> PresetModel:
    """Load and validate a preset; PresetError names the known presets or the broken key."""
    if name not in preset_names():
        raise PresetError(f"unknown preset {name!r}; known presets: {', '.join(preset_names()) or '(none)'}")
    path = resources.files(__package__) / f"{name}.toml"
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
        return PresetModel.model_validate(data)
    except (tomllib.TOMLDecodeError, ValidationError) as exc:
        raise PresetError(f"built-in preset {name!r} is invalid: {exc}") from exc
