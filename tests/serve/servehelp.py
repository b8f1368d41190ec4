"""Helpers of the serve suite (importable from its tests: tests/serve is put on sys.path by its conftest)."""

from __future__ import annotations

import socket
from pathlib import Path

#: Three demo boards (the serverless preset under different names and ranges).
BOARDS_TOML = """
[settings]
refresh = "{refresh}"
timezone = "UTC"

[providers.demo]
type = "demo"
functions = 12
{budget}

[[boards]]
name = "ops"
preset = "serverless"

[[boards]]
name = "api"
preset = "serverless"
range = "1h"

[[boards]]
name = "week"
preset = "serverless"
range = "1d"
"""


def boards_config(path: Path, refresh: str = "60s", budget: str = "") -> Path:
    path.write_text(BOARDS_TOML.format(refresh=refresh, budget=budget))
    return path


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])
