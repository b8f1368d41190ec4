"""Dashboard time ranges -> the nearest srvmon range (1h, 4h, 12h, 1d, 1w, 1mo), said when not exact."""

from __future__ import annotations

import math
import re
from typing import Any

from srvmon.model import RANGES

_ISO = re.compile(r"^-P(?:(\d+)Y)?(?:(\d+)M)?(?:(\d+)W)?(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+)S)?)?$")
_GRAFANA = re.compile(r"^now-(\d+)([smhdwMy])$")
_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 7 * 86400, "M": 30 * 86400, "y": 365 * 86400}


def _seconds(start: Any, flavour: str) -> int | None:
    if not isinstance(start, str):
        return None
    text = start.strip()
    if flavour == "cloudwatch":
        m = _ISO.match(text.upper())
        if not m or not any(m.groups()):
            return None
        y, mo, w, d, h, mi, s = (int(g) if g else 0 for g in m.groups())
        return y * 365 * 86400 + mo * 30 * 86400 + w * 7 * 86400 + d * 86400 + h * 3600 + mi * 60 + s
    m = _GRAFANA.match(text)
    return int(m.group(1)) * _UNITS[m.group(2)] if m else None


def board_range(start: Any, end: Any, flavour: str) -> tuple[str | None, str | None]:
    """(srvmon range or None for the default, a comment; '~' first when it is an approximation)."""
    if start is None or start == "":
        return None, None
    relative_end = end in (None, "", "now")
    seconds = _seconds(start, flavour)
    if seconds is None or seconds <= 0 or not relative_end:
        return (
            None,
            f"~ time range {start!r}..{end or 'now'} is not a relative range: the board shows srvmon's default range",
        )
    name = min(RANGES, key=lambda r: abs(math.log(RANGES[r] / seconds)))
    if RANGES[name] == seconds:
        return name, None
    return name, f"~ the dashboard shows {start!r}; srvmon's closest range is {name}"
