"""Threshold colours -> srvmon warn/crit with a direction: CloudWatch horizontal annotations and Grafana
threshold steps (named colours, hex and rgb() by hue)."""

from __future__ import annotations

import colorsys
import math
import re
from typing import Any, Literal

Level = Literal["ok", "warn", "crit"]
_NAMED = {"red": "crit", "orange": "warn", "yellow": "warn", "green": "ok", "blue": "ok", "purple": "ok"}


def level_of(color: Any) -> Level | None:
    """'red'/'dark-red'/#F2495C -> crit, orange/yellow -> warn, green/blue/... -> ok; None when unknown."""
    if not isinstance(color, str) or not color.strip():
        return None
    c = color.strip().lower()
    for name, lvl in _NAMED.items():
        if name in c:
            return lvl  # type: ignore[return-value]
    rgb: tuple[float, float, float] | None = None
    m = re.fullmatch(r"#([0-9a-f]{3}|[0-9a-f]{6})([0-9a-f]{2})?", c)
    if m:
        h = m.group(1)
        h = "".join(ch * 2 for ch in h) if len(h) == 3 else h
        rgb = (int(h[0:2], 16) / 255, int(h[2:4], 16) / 255, int(h[4:6], 16) / 255)
    m = re.fullmatch(r"rgba?\(\s*(\d+)\s*,\s*(\d+)\s*,\s*(\d+)\s*(,\s*[\d.]+\s*)?\)", c)
    if m:
        rgb = (int(m.group(1)) / 255, int(m.group(2)) / 255, int(m.group(3)) / 255)
    if rgb is None:
        return None
    hue, light, sat = colorsys.rgb_to_hls(*rgb)
    if sat < 0.25 or light < 0.12 or light > 0.92:
        return "ok"  # greys, black, white: no severity
    deg = hue * 360
    if deg < 18 or deg >= 330:
        return "crit"
    if deg < 66:
        return "warn"
    return "ok"


def _num(v: Any) -> float | None:
    if isinstance(v, bool) or not isinstance(v, int | float) or not math.isfinite(v):
        return None
    return float(v)


def tidy(v: float) -> float:
    """A threshold without float noise (0.9 * 100 -> 90.0)."""
    return float(f"{v:.10g}")


def _pack(warn: float | None, crit: float | None, direction: str) -> dict[str, Any] | None:
    if warn is None and crit is None:
        return None
    out: dict[str, Any] = {}
    if warn is not None and crit is not None:
        bad = crit < warn if direction == "above" else crit > warn
        if bad:
            warn, crit = crit, warn
    if warn is not None:
        out["warn"] = warn
    if crit is not None:
        out["crit"] = crit
    if direction != "above":
        out["direction"] = direction
    return out


def from_annotations(horizontal: Any) -> tuple[dict[str, Any] | None, list[str]]:
    """CloudWatch horizontal annotations -> (thresholds, approximations). `fill: below` means lower is
    worse; a single line is the critical level unless coloured as a warning."""
    if not isinstance(horizontal, list) or not horizontal:
        return None, []
    approx: list[str] = []
    lines: list[tuple[float, Level | None, str]] = []
    for a in horizontal:
        if isinstance(a, list):
            approx.append("band annotations (a shaded range) are not thresholds: not imported")
            continue
        if not isinstance(a, dict) or a.get("visible") is False or _num(a.get("value")) is None:
            continue
        label = str(a.get("label") or "").lower()
        lvl = level_of(a.get("color"))
        if lvl in (None, "ok") and re.search(r"crit|alarm|error|breach|sev", label):
            lvl = "crit"
        elif lvl in (None, "ok") and "warn" in label:
            lvl = "warn"
        lines.append((_num(a.get("value")) or 0.0, lvl, str(a.get("fill") or "")))
    if not lines:
        return None, approx
    fills = {f for _, _, f in lines if f in ("above", "below")}
    direction = "below" if fills == {"below"} else "above"
    if len(fills) > 1:
        approx.append("annotations shade both above and below: srvmon keeps 'higher is worse'")
    if len(lines) == 1:
        value, lvl, _ = lines[0]
        return _pack(value if lvl == "warn" else None, None if lvl == "warn" else value, direction), approx
    ordered = sorted(lines, key=lambda x: x[0], reverse=direction == "below")
    if len(ordered) > 2:
        approx.append(f"{len(ordered)} annotation lines: the two nearest the bad side are kept as warn/crit")
        ordered = ordered[-2:]
    return _pack(ordered[0][0], ordered[1][0], direction), approx


def from_steps(
    thresholds: Any, lo: float | None = None, hi: float | None = None
) -> tuple[dict[str, Any] | None, list[str]]:
    """Grafana `thresholds` {mode, steps: [{color, value}]} -> (thresholds, approximations). A step
    applies from its value up; green->orange->red is 'above', red->orange->green is 'below'."""
    if not isinstance(thresholds, dict) or not isinstance(thresholds.get("steps"), list):
        return None, []
    approx: list[str] = []
    steps: list[tuple[float, Level]] = []
    base: Level | None = None
    for s in thresholds["steps"]:
        if not isinstance(s, dict):
            continue
        lvl = level_of(s.get("color")) or "ok"
        value = _num(s.get("value"))
        if value is None:
            base = lvl
            continue
        steps.append((value, lvl))
    steps.sort(key=lambda x: x[0])
    if thresholds.get("mode") == "percentage":
        if lo is None and hi is None:
            approx.append("percentage thresholds without min/max: read as absolute values")
        else:
            low, high = lo or 0.0, hi if hi is not None else 100.0
            steps = [(low + (high - low) * v / 100.0, lvl) for v, lvl in steps]
    levels = [base or "ok"] + [lvl for _, lvl in steps]
    if all(lv == "ok" for lv in levels):
        return None, approx
    rank = {"ok": 0, "warn": 1, "crit": 2}
    if rank[levels[0]] > rank[levels[-1]]:  # bad at the bottom: lower is worse
        first_not_crit = next((v for v, lvl in steps if lvl != "crit"), None)
        first_ok = next((v for v, lvl in steps if lvl == "ok"), None)
        if levels[0] == "crit":
            crit, warn = first_not_crit, (first_ok if first_ok != first_not_crit else None)
        else:
            crit, warn = None, first_ok
        direction = "below"
    else:
        warn = next((v for v, lvl in steps if lvl == "warn"), None)
        crit = next((v for v, lvl in steps if lvl == "crit"), None)
        direction = "above"
    if any(rank[b] < rank[a] for a, b in zip(levels, levels[1:], strict=False)) and direction == "above":
        approx.append("the colours go back down after a worse step: srvmon keeps the first warn/crit levels")
    return _pack(warn, crit, direction), approx
