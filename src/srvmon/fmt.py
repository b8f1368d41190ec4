"""The one formatting module: values with units, deltas, durations, times, sizes, sparklines (headless).

Every view uses it - the TUI widgets, txt/md/csv exports and the SVG - so a value reads the same
everywhere. It decides nothing: statuses and numbers come from the Snapshot.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from datetime import datetime, tzinfo

#: What a missing value shows.
NONE = "–"
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


class Data(str):
    """A fragment of untrusted text (a name, a label, a message) inside a detail line: each view makes it
    inert its own way (cleaned in txt and the TUI, a code span in Markdown)."""

    __slots__ = ()


Detail = tuple[str, ...]


def join(items: Sequence[Sequence[str]], sep: str = ", ") -> Detail:
    """Fragments of several items joined with `sep`."""
    out: list[str] = []
    for i, item in enumerate(items):
        if i:
            out.append(sep)
        out.extend(item)
    return tuple(out)


def plain(detail: Detail) -> str:
    """A detail line as cleaned plain text."""
    from srvmon.sanitize import clean

    return "".join(clean(part) if isinstance(part, Data) else part for part in detail)


_SI = ((1e12, "T"), (1e9, "G"), (1e6, "M"), (1e3, "k"))
#: Beyond this magnitude values are written in scientific notation (never hundreds of digits).
_HUGE = 1e15


def finite(value: float | None) -> bool:
    return value is not None and isinstance(value, int | float) and math.isfinite(value)


def trim(x: float, digits: int = 3) -> str:
    """About `digits` significant figures without trailing zeros: 1.23, 12.3, 123."""
    if x == 0:
        return "0"
    if abs(x) >= _HUGE:
        return f"{x:.3g}"
    mag = abs(x)
    decimals = 0 if mag >= 100 else 1 if mag >= 10 else 2 if mag >= 1 else 3
    decimals = max(0, min(decimals, digits))
    text = f"{x:.{decimals}f}"
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def si(x: float) -> str:
    """12345 -> '12.3k', 2_500_000 -> '2.5M'."""
    if abs(x) >= _HUGE:
        return f"{x:.3g}"
    for factor, suffix in _SI:
        if abs(x) >= factor:
            return trim(x / factor) + suffix
    return trim(x)


def fmt_money(value: float) -> str:
    """'$12.34', '$8,687', '$1.2M'."""
    sign = "-" if value < 0 else ""
    a = abs(value)
    if a < 1000:
        return f"{sign}${a:,.2f}"
    if a < 1e6:
        return f"{sign}${a:,.0f}"
    return f"{sign}${si(a)}"


def fmt_value(value: float | None, unit: str = "", *, with_unit: bool = True) -> str:
    """A value in its unit: '123 ms', '1.2 s', '12.5%', '$1,234', '3.4k req/s', '1.5M'."""
    if not finite(value):
        return NONE
    assert value is not None
    u = unit.strip()
    if u == "ms":
        if abs(value) >= 1000:
            return trim(value / 1000) + (" s" if with_unit else "s")
        return trim(value) + (" ms" if with_unit else "ms")
    if u == "s":
        if abs(value) >= 86400:
            return trim(value / 86400) + "d"
        if abs(value) >= 3600:
            return trim(value / 3600) + "h"
        if abs(value) >= 60:
            return trim(value / 60) + "m"
        return trim(value) + "s"
    if u == "%":
        return trim(value) + "%"
    if u in ("$", "usd", "USD"):
        return fmt_money(value)
    if u in ("B", "bytes"):
        return fmt_size(value)
    text = si(value)
    if not with_unit or u in ("", "count", "counts"):
        return text
    return f"{text} {u}"


def fmt_size(n: float) -> str:
    """Bytes in binary units: '512 B', '1.5 KiB', '3 GiB'."""
    for factor, suffix in ((1 << 40, "TiB"), (1 << 30, "GiB"), (1 << 20, "MiB"), (1 << 10, "KiB")):
        if abs(n) >= factor:
            return trim(n / factor) + " " + suffix
    return trim(n) + " B"


def short_unit(unit: str) -> str:
    """The unit when it fits beside a number in a narrow column ('ms', '%', '$'); else ''."""
    return unit if unit.strip() in ("ms", "s", "%", "$", "B") else ""


def fmt_axis(value: float, unit: str) -> str:
    """A compact y-axis tick label, with the unit when it is short ('250ms', '12%', '$4')."""
    return fmt_value(value, unit, with_unit=bool(short_unit(unit))).replace(" ", "")


def fmt_delta(pct: float | None) -> str:
    """'↑12%' / '↓3.4%' / '→0%'; '' when unknown (never a bare arrow or '( wow)')."""
    if not finite(pct):
        return ""
    assert pct is not None
    a = abs(pct)
    arrow = "↑" if pct >= 0.05 else "↓" if pct <= -0.05 else "→"
    if a < 0.05:
        return "→0%"
    body = f"{a:.0f}" if a >= 9.95 else f"{a:.1f}".rstrip("0").rstrip(".")
    if a >= _HUGE:
        body = f"{a:.3g}"
    return f"{arrow}{body}%"


def fmt_age(seconds: float | None) -> str:
    """'12s', '4m', '2h05m', '14h', '3d'; 'never' for None."""
    if not finite(seconds):
        return "never"
    assert seconds is not None
    s = max(0, int(min(seconds, 1e12)))
    if s < 60:
        return f"{s}s"
    if s < 3600:
        return f"{s // 60}m"
    if s < 86400:
        return f"{s // 3600}h{(s % 3600) // 60:02d}m" if s < 36000 else f"{s // 3600}h"
    return f"{s // 86400}d"


def fmt_duration(seconds: float | None) -> str:
    """Time-to-limit style: '45m', '3h05m', '2d'; 'never' when the limit is never reached."""
    return fmt_age(seconds)


def fmt_duration_ms(ms: float | None) -> str:
    """At most 6 cells: '14.0ms', '2455ms', '12.3s', '900s' ('' when unknown)."""
    if ms is None or not math.isfinite(ms):
        return ""
    if abs(round(ms, 1)) < 100:
        return f"{ms:.1f}ms"
    if abs(round(ms)) < 10_000:
        return f"{ms:.0f}ms"
    s = ms / 1000
    if abs(round(s, 1)) < 100:
        return f"{s:.1f}s"
    if abs(round(s)) < 100_000:
        return f"{s:.0f}s"
    return f"{s / 3600:.0f}h"


def fmt_instant(dt: datetime, tz: tzinfo | None = None) -> str:
    """'2026-11-18 12:00 UTC' (or the zone's abbreviation)."""
    local = dt.astimezone(tz)
    return f"{local:%Y-%m-%d %H:%M} {local.tzname() or ''}".rstrip()


def fmt_window(start: datetime, end: datetime, tz: tzinfo | None) -> str:
    """'Wed 18 Nov 08:00 – 12:00' (dates repeated only when they differ), in local time."""
    a = start.astimezone(tz)
    b = end.astimezone(tz)
    if a.date() == b.date():
        return f"{a:%a %d %b %H:%M} – {b:%H:%M}"
    return f"{a:%a %d %b %H:%M} – {b:%a %d %b %H:%M}"


def time_label(epoch_s: float, span_s: float, tz: tzinfo | None, *, spans_days: bool = False) -> str:
    """An x-axis label: '14:05' within a day, 'Tue 14:05' when the window crosses days (up to 2 days),
    'Tue 17 06h' up to a week or so, '17 Nov' beyond: the date is there whenever the window spans days."""
    dt = datetime.fromtimestamp(epoch_s, tz)
    if span_s <= 86400 and not spans_days:
        return dt.strftime("%H:%M")
    if span_s <= 2 * 86400:
        return dt.strftime("%a %H:%M")
    if span_s <= 9 * 86400:
        return dt.strftime("%a %d %Hh")
    return dt.strftime("%d %b")


def time_labels(ticks: Sequence[float], tz: tzinfo | None) -> list[str]:
    """Labels for ascending ticks: monotonic, the date shown whenever they span days, no label repeated
    (a repeat is left blank)."""
    if not ticks:
        return []
    span = ticks[-1] - ticks[0]
    days = {datetime.fromtimestamp(t, tz).date() for t in (ticks[0], ticks[-1])}
    labels = [time_label(t, span, tz, spans_days=len(days) > 1) for t in ticks]
    out: list[str] = []
    seen: set[str] = set()
    for label in labels:
        out.append("" if label in seen else label)
        seen.add(label)
    return out


def nice_ticks(lo: float, hi: float, count: int) -> list[float]:
    """About `count` round tick values covering [lo, hi]."""
    if count < 2 or not (math.isfinite(lo) and math.isfinite(hi)):
        return [lo if math.isfinite(lo) else 0.0]
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


def sparkline(values: Sequence[float | None], width: int) -> str:
    """A one-line sparkline of `width` cells; gaps are spaces; each cell shows its bucket's max."""
    bars = "▁▂▃▄▅▆▇█"
    if width <= 0:
        return ""
    vals = [v if finite(v) else None for v in values]
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
    fraction = min(1.0, max(0.0, fraction if math.isfinite(fraction) else 0.0))
    eighths = int(round(fraction * width * 8))
    full, rem = divmod(eighths, 8)
    text = "█" * full + (parts[rem] if rem and full < width else "")
    return text.ljust(width)


def ellipsize(text: str, width: int) -> str:
    """Fit `text` in `width` cells keeping its start and end ('checkout-…-order'), so distinct names
    stay distinct."""
    if width <= 0:
        return ""
    if len(text) <= width:
        return text
    if width <= 3:
        return text[:width]
    head = (width - 1 + 1) // 2
    tail = width - 1 - head
    return text[:head] + "…" + (text[-tail:] if tail else "")
