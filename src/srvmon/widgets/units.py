"""Unit-aware number, delta, age and time formatting shared by the panel widgets (no Textual)."""

from __future__ import annotations

import math
from collections.abc import Sequence
from datetime import datetime, tzinfo

#: Status -> symbol, so status is never shown by colour alone.
STATUS_SYMBOL: dict[str, str] = {"ok": "✓", "warn": "▲", "crit": "✖", "nodata": "∅", "error": "⊘"}
#: Status -> theme variable holding its colour.
STATUS_VAR: dict[str, str] = {
    "ok": "success",
    "warn": "warning",
    "crit": "error",
    "nodata": "foreground-muted",
    "error": "error",
}

_SI = ((1e12, "T"), (1e9, "G"), (1e6, "M"), (1e3, "k"))


def _trim(x: float, digits: int = 3) -> str:
    """About `digits` significant figures without trailing zeros: 1.23, 12.3, 123."""
    if x == 0:
        return "0"
    mag = abs(x)
    decimals = 0 if mag >= 100 else 1 if mag >= 10 else 2 if mag >= 1 else 3
    decimals = max(0, min(decimals, digits))
    text = f"{x:.{decimals}f}"
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def si(x: float) -> str:
    """12345 -> '12.3k', 2_500_000 -> '2.5M'."""
    for factor, suffix in _SI:
        if abs(x) >= factor:
            return _trim(x / factor) + suffix
    return _trim(x)


def fmt_value(value: float | None, unit: str = "", *, with_unit: bool = True) -> str:
    """A value in its unit: '123 ms', '1.2 s', '12.5%', '$1.2k', '3.4k req/s', '1.5M'."""
    if value is None or (isinstance(value, float) and (math.isnan(value) or math.isinf(value))):
        return "–"
    u = unit.strip()
    if u == "ms":
        if abs(value) >= 1000:
            return _trim(value / 1000) + (" s" if with_unit else "s")
        return _trim(value) + (" ms" if with_unit else "ms")
    if u == "s":
        if abs(value) >= 3600:
            return _trim(value / 3600) + "h"
        if abs(value) >= 60:
            return _trim(value / 60) + "m"
        return _trim(value) + "s"
    if u == "%":
        return _trim(value) + "%"
    if u in ("$", "usd", "USD"):
        return ("-$" if value < 0 else "$") + si(abs(value))
    if u in ("B", "bytes"):
        for factor, suffix in ((1 << 40, "TiB"), (1 << 30, "GiB"), (1 << 20, "MiB"), (1 << 10, "KiB")):
            if abs(value) >= factor:
                return _trim(value / factor) + " " + suffix
        return _trim(value) + " B"
    text = si(value)
    if not with_unit or u in ("", "count", "counts"):
        return text
    return f"{text} {u}"


def fmt_axis(value: float, unit: str) -> str:
    """A compact y-axis tick label."""
    return fmt_value(value, unit, with_unit=unit in ("ms", "s", "%", "$", "B")).replace(" ", "")


def fmt_delta(pct: float | None) -> str:
    """'↑ 12%' / '↓ 3.4%' / '→ 0%' / '' when unknown."""
    if pct is None or math.isnan(pct):
        return ""
    arrow = "↑" if pct > 0.05 else "↓" if pct < -0.05 else "→"
    return f"{arrow} {_trim(abs(pct), 2)}%"


def fmt_age(seconds: float | None) -> str:
    """'12s', '4m', '2h', '3d'."""
    if seconds is None:
        return "never"
    s = max(0, int(seconds))
    if s < 60:
        return f"{s}s"
    if s < 3600:
        return f"{s // 60}m"
    if s < 86400:
        return f"{s // 3600}h{(s % 3600) // 60:02d}m" if s < 36000 else f"{s // 3600}h"
    return f"{s // 86400}d"


def fmt_duration(seconds: float | None) -> str:
    """Time-to-limit style: '45m', '3h', '2d', 'never'."""
    if seconds is None:
        return "—"
    return fmt_age(seconds)


def nice_ticks(lo: float, hi: float, count: int) -> list[float]:
    """About `count` round tick values covering [lo, hi]."""
    if count < 2 or not (math.isfinite(lo) and math.isfinite(hi)):
        return [lo]
    if hi <= lo:
        hi = lo + (abs(lo) or 1.0)
    raw = (hi - lo) / (count - 1)
    mag = 10 ** math.floor(math.log10(raw))
    step = next(m * mag for m in (1, 2, 2.5, 5, 10) if m * mag >= raw)
    start = math.floor(lo / step) * step
    ticks: list[float] = []
    v = start
    while v <= hi + step * 0.5 and len(ticks) < count + 3:
        ticks.append(round(v, 10))
        v += step
    return ticks


def time_label(epoch_s: float, span_s: float, tz: tzinfo | None) -> str:
    """Local-time x label: '14:05' for short spans, 'Mon 14h' for days, '11-03' beyond a week."""
    dt = datetime.fromtimestamp(epoch_s, tz)
    if span_s <= 86400:
        return dt.strftime("%H:%M")
    if span_s <= 8 * 86400:
        return dt.strftime("%a %Hh")
    return dt.strftime("%m-%d")


def sparkline(values: Sequence[float | None], width: int) -> str:
    """A one-line sparkline of `width` cells; gaps are spaces; each cell shows its bucket's max."""
    bars = "▁▂▃▄▅▆▇█"
    if width <= 0:
        return ""
    vals = list(values)
    if not vals:
        return " " * width
    cells: list[float | None] = []
    n = len(vals)
    for i in range(width):
        a = i * n // width
        b = max(a + 1, (i + 1) * n // width)
        chunk = [v for v in vals[a:b] if v is not None]
        cells.append(max(chunk) if chunk else None)
    present = [c for c in cells if c is not None]
    if not present:
        return " " * width
    lo, hi = min(present), max(present)
    span = hi - lo
    out = []
    for c in cells:
        if c is None:
            out.append(" ")
        elif span == 0:
            out.append(bars[3])
        else:
            out.append(bars[min(7, int((c - lo) / span * 7.999))])
    return "".join(out)


def bar(fraction: float, width: int) -> str:
    """A horizontal bar of `width` cells filled to `fraction` with eighth-block precision."""
    parts = " ▏▎▍▌▋▊▉█"
    fraction = min(1.0, max(0.0, fraction))
    eighths = int(round(fraction * width * 8))
    full, rem = divmod(eighths, 8)
    text = "█" * full + (parts[rem] if rem and full < width else "")
    return text.ljust(width)
