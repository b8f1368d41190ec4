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
title = "Ops board"
preset = "serverless"

[[boards]]
name = "api"
title = "API board"
preset = "serverless"
range = "1h"

[[boards]]
name = "week"
title = "Week board"
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


def wait_for(ok: object, what: str, timeout: float = 20.0, every: float = 0.1) -> object:
    """Poll `ok()` until it returns something truthy (bounded by `timeout`); fail naming `what`."""
    import time

    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        last = ok()  # type: ignore[operator]
        if last:
            return last
        time.sleep(every)  # waiting on another process's condition, bounded by the deadline
    raise AssertionError(f"timed out after {timeout:g}s waiting for {what} (last: {last!r})")
