"""Serialise a Snapshot: the schema-1 JSON contract, CSV, a Markdown digest, aligned text; atomic writes."""

from __future__ import annotations

import csv
import io
import json
import os
import tempfile
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from srvmon import __version__
from srvmon.model import PanelSnapshot, Snapshot
from srvmon.sanitize import clean

SCHEMA_VERSION = 1
TEXT_FORMATS = ("json", "csv", "md", "txt")
PICTURE_FORMATS = ("svg", "html")
FORMATS = TEXT_FORMATS + PICTURE_FORMATS

STATUS_SYMBOL = {"ok": "✔", "warn": "▲", "crit": "✖", "nodata": "∅", "error": "!"}


def _iso(dt: datetime | None) -> str | None:
    return None if dt is None else dt.astimezone(UTC).isoformat().replace("+00:00", "Z")


def panel_dict(p: PanelSnapshot) -> dict[str, Any]:
    return {
        "id": p.id,
        "title": p.title,
        "kind": p.kind,
        "status": p.status,
        "unit": p.unit,
        "value": p.value,
        "compare_value": p.compare_value,
        "delta_pct": p.delta_pct,
        "trend": None
        if p.trend is None
        else {"slope_per_h": round(p.trend.slope_per_h, 6), "intercept": round(p.trend.intercept, 6)},
        "series": [
            {
                "labels": dict(s.labels),
                "points": [list(pt) for pt in s.points],
                "compare_points": None if s.compare_points is None else [list(pt) for pt in s.compare_points],
            }
            for s in p.series
        ],
        "rows": None if p.rows is None else [dict(r) for r in p.rows],
        "limit": None
        if p.limit is None
        else {"used": p.limit.used, "limit": p.limit.limit, "time_to_limit_s": p.limit.time_to_limit_s},
        "error": p.error,
        "fetched_at": _iso(p.fetched_at),
        "stale": p.stale,
    }


def snapshot_dict(s: Snapshot) -> dict[str, Any]:
    return {
        "srvmon": __version__,
        "schema": SCHEMA_VERSION,
        "board": s.board,
        "generated_at": _iso(s.generated_at),
        "window": {"start": _iso(s.window.start), "end": _iso(s.window.end), "step_s": s.window.step_s},
        "compare": s.compare,
        "demo": s.demo,
        "panels": [panel_dict(p) for p in s.panels],
        "providers": [
            {
                "name": p.name,
                "type": p.type,
                "ok": p.ok,
                "error": p.error,
                "api_calls": p.api_calls,
                "metrics_requested": p.metrics_requested,
                "estimated_cost_usd": p.estimated_cost_usd,
            }
            for p in s.providers
        ],
    }


def to_json(s: Snapshot) -> str:
    return json.dumps(snapshot_dict(s), indent=2, ensure_ascii=False, default=str) + "\n"


def to_csv(s: Snapshot) -> str:
    """One row per panel series point (and compare point), plus one row per panel without series."""
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(["board", "panel", "kind", "series", "which", "timestamp", "value", "status", "unit"])
    for p in s.panels:
        if not p.series:
            w.writerow(
                [s.board, p.id, p.kind, "", "value", _iso(s.generated_at), _num(p.value), p.status, p.unit]
            )
        for ser in p.series:
            name = ",".join(f"{k}={v}" for k, v in ser.labels.items())
            for which, pts in (("current", ser.points), ("compare", ser.compare_points or ())):
                for t, v in pts:
                    w.writerow(
                        [
                            s.board,
                            p.id,
                            p.kind,
                            name,
                            which,
                            _iso(datetime.fromtimestamp(t, UTC)),
                            _num(v),
                            p.status,
                            p.unit,
                        ]
                    )
    return buf.getvalue()


def _num(v: float | None) -> str:
    return "" if v is None else f"{v:g}"


def fmt_value(v: float | None, unit: str = "") -> str:
    """Human value with unit: 1.2k req/s, 312 ms, 45.1 %, $1,234.50."""
    if v is None:
        return "—"
    if unit == "$":
        return f"${v:,.2f}"
    a = abs(v)
    if unit in ("ms", "s", "%") or a < 1000:
        body = f"{v:.0f}" if a >= 100 else (f"{v:.1f}" if a >= 10 else f"{v:.2f}")
        body = body.rstrip("0").rstrip(".") if "." in body else body
    elif a < 1e6:
        body = f"{v / 1e3:.1f}k"
    elif a < 1e9:
        body = f"{v / 1e6:.1f}M"
    else:
        body = f"{v / 1e9:.1f}G"
    return f"{body} {unit}".rstrip() if unit and unit != "count" else body


def fmt_delta(d: float | None) -> str:
    if d is None:
        return ""
    arrow = "↑" if d > 0.5 else ("↓" if d < -0.5 else "→")
    return f"{arrow}{abs(d):.0f}%"


def fmt_duration(seconds: float | None) -> str:
    if seconds is None:
        return "never"
    s = int(seconds)
    if s < 3600:
        return f"{s // 60}m"
    if s < 86400:
        return f"{s // 3600}h{(s % 3600) // 60:02d}m"
    return f"{s // 86400}d{(s % 86400) // 3600}h"


def _detail(p: PanelSnapshot) -> str:
    """A short, plain description of what stands out on the panel (rows, limit)."""
    if p.error:
        return ("STALE: " if p.stale else "ERROR: ") + clean(p.error)
    if p.kind == "gauge" and p.limit:
        pct = p.limit.used / p.limit.limit * 100 if p.limit.limit else 0
        top = f" ({clean(str(p.rows[0]['name']))})" if p.rows else ""
        return f"{pct:.0f}% of {fmt_value(p.limit.limit, p.unit)}{top}, time to limit {fmt_duration(p.limit.time_to_limit_s)}"
    if p.kind == "alarms" and p.rows is not None:
        firing = [clean(str(r["name"])) for r in p.rows if r["state"] == "ALARM"]
        return f"ALARM: {', '.join(firing)}" if firing else f"all {len(p.rows)} alarms OK"
    if p.kind == "toplist" and p.rows:
        return ", ".join(f"{clean(str(r['name']))} {fmt_value(r['value'], p.unit)}" for r in p.rows[:3])
    if p.kind == "cost" and p.rows:
        return ", ".join(
            f"{clean(str(r['service']))} ${r['mtd']:,.0f} ({fmt_delta(r.get('wow_pct'))} wow)"
            for r in p.rows[:3]
        )
    if p.kind == "health" and p.rows:
        bad = [r for r in p.rows if r.get("status") != "ok"]
        return (
            ", ".join(
                f"{clean(str(r['function']))}: {r['timeouts']} timeouts, {r['oom']} OOM" for r in bad[:3]
            )
            or f"{len(p.rows)} functions healthy"
        )
    if p.trend is not None:
        return f"trend {p.trend.slope_per_h:+.3g}/h"
    return ""


def _local(dt: datetime) -> str:
    return dt.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")


def to_md(s: Snapshot) -> str:
    lines = [
        f"### {s.title}{' (DEMO DATA)' if s.demo else ''}",
        "",
        f"{_local(s.window.start)} → {_local(s.window.end)}"
        + (f", compared with {s.compare} earlier" if s.compare else ""),
        "",
        "| | Panel | Value | vs before | Detail |",
        "|---|---|---|---|---|",
    ]
    for p in s.panels:
        cells = [
            f"{STATUS_SYMBOL[p.status]} {p.status}",
            clean(p.title),
            fmt_value(p.value, p.unit),
            fmt_delta(p.delta_pct),
            _detail(p),
        ]
        lines.append("| " + " | ".join(c.replace("|", "\\|") for c in cells) + " |")
    lines += [
        "",
        "Providers: "
        + ", ".join(
            f"{p.name} ({p.type}) {'ok' if p.ok else 'ERROR: ' + clean(p.error or '')}, {p.api_calls} API calls, "
            f"${p.estimated_cost_usd:.4f}"
            for p in s.providers
        ),
        "",
    ]
    return "\n".join(lines)


def to_txt(s: Snapshot) -> str:
    head = f"{s.title}{'  [DEMO DATA]' if s.demo else ''}"
    sub = f"{_local(s.window.start)} -> {_local(s.window.end)}  step {s.window.step_s}s" + (
        f"  compare {s.compare}" if s.compare else ""
    )
    rows = [
        (
            f"{STATUS_SYMBOL[p.status]} {p.status:<6}",
            clean(p.title)[:44],
            fmt_value(p.value, p.unit),
            fmt_delta(p.delta_pct),
            _detail(p),
        )
        for p in s.panels
    ]
    widths = [max(len(r[i]) for r in rows) if rows else 0 for i in range(4)]
    out = [head, sub, ""]
    for r in rows:
        out.append("  ".join(c.ljust(widths[i]) if i < 4 else c for i, c in enumerate(r)).rstrip())
    out.append("")
    for p in s.providers:
        state = "ok" if p.ok else f"ERROR {clean(p.error or '')}"
        out.append(
            f"provider {p.name} ({p.type}): {state}; {p.api_calls} API calls, "
            f"{p.metrics_requested} metrics, ${p.estimated_cost_usd:.4f}"
        )
    return "\n".join(out) + "\n"


RENDERERS: dict[str, Callable[[Snapshot], str]] = {"json": to_json, "csv": to_csv, "md": to_md, "txt": to_txt}


def render(s: Snapshot, fmt: str, *, size: tuple[int, int] = (160, 48), hint: str | None = None) -> str:
    if fmt in RENDERERS:
        return RENDERERS[fmt](s)
    if fmt in PICTURE_FORMATS:
        from srvmon.tui import export as tui_export  # the only Textual import, and only for pictures

        fn = tui_export.render_svg if fmt == "svg" else tui_export.render_html
        return fn(s, size, hint=hint)
    raise ValueError(f"unknown format {fmt!r}; use one of {', '.join(FORMATS)}")


def write_atomic(path: str | os.PathLike[str], text: str) -> None:
    """Write via a temp file in the same directory and rename, so readers never see half a file.

    Targets that exist but are not regular files (/dev/null, /dev/stdout, a FIFO) are written in
    place: renaming over them would replace the device or pipe with a plain file.
    """
    target = Path(path)
    if target.exists() and not target.is_file():
        with open(target, "w", encoding="utf-8", newline="") as f:
            f.write(text)
        return
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent or ".")
    try:
        # mkstemp makes 0600 files: keep the target's mode, or what a plain open() would give (umask)
        if target.exists():
            mode = target.stat().st_mode & 0o7777
        else:
            umask = os.umask(0)
            os.umask(umask)
            mode = 0o666 & ~umask
        os.chmod(tmp, mode)
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as f:
            f.write(text)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
