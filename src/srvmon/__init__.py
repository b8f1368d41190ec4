"""srvmon: a terminal screenboard for serverless operations."""

from __future__ import annotations

from typing import Any


def _version() -> str:
    # importlib.metadata costs ~30 ms to import: resolved only when asked for.
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("srvmon")
    except PackageNotFoundError:  # running from a source tree without install
        return "0.0.0+unknown"


def __getattr__(name: str) -> Any:
    if name == "__version__":
        value = _version()
        globals()["__version__"] = value
        return value
    raise AttributeError(f"module 'srvmon' has no attribute {name!r}")
