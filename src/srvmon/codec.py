"""Snapshot <-> the schema-1 JSON document, both ways and exactly: `load(dump(s)) == s`.

The JSON is the contract scripts rely on (docs/snapshot.md, docs/snapshot.schema.json): additive within
schema 1. It is always valid JSON (no NaN/Infinity) and inert: raw C1 controls, DEL and bidi overrides
inside strings are written as \\u escapes, so no terminal or viewer ever receives them raw.
"""

from __future__ import annotations

import json
import math
import typing
from collections.abc import Mapping
from dataclasses import fields, is_dataclass
from datetime import UTC, datetime
from typing import Any

from srvmon.kinds import traits
from srvmon.model import (
    ChangeEvent,
    Compare,
    CostSummary,
    DrillTarget,
    HealthRow,
    LimitInfo,
    PanelPosition,
    PanelSeries,
    PanelSnapshot,
    ProviderStatus,
    Row,
    Snapshot,
    Thresholds,
    TimeWindow,
    Trend,
)

SCHEMA_VERSION = 1


#: Old row keys kept as aliases for one version (documented in docs/snapshot.md).
ROW_ALIASES: dict[type[Any], dict[str, str]] = {HealthRow: {"timeout_pct": "p99_timeout_pct"}}


class SnapshotFormatError(ValueError):
    """A JSON document that is not a srvmon schema-1 snapshot; the message names the field."""


# ---- encoding ---------------------------------------------------------------------------------------


def iso(dt: datetime | None) -> str | None:
    return None if dt is None else dt.astimezone(UTC).isoformat().replace("+00:00", "Z")


def _num(v: Any) -> Any:
    if isinstance(v, float) and not math.isfinite(v):
        return None
    return v


def _plain(obj: Any) -> Any:
    """A dataclass/tuple/mapping/datetime value as JSON-ready data (non-finite floats become null)."""
    if isinstance(obj, datetime):
        return iso(obj)
    if is_dataclass(obj) and not isinstance(obj, type):
        return {f.name: _plain(getattr(obj, f.name)) for f in fields(obj)}
    if isinstance(obj, Mapping):
        return {str(k): _plain(v) for k, v in obj.items()}
    if isinstance(obj, list | tuple):
        return [_plain(v) for v in obj]
    return _num(obj)


def row_dict(row: Row) -> dict[str, Any]:
    out: dict[str, Any] = _plain(row)
    for old, new in ROW_ALIASES.get(type(row), {}).items():
        out[old] = out[new]
    return out


def panel_dict(p: PanelSnapshot) -> dict[str, Any]:
    return {
        "id": p.id,
        "title": p.title,
        "kind": p.kind,
        "status": p.status,
        "unit": p.unit,
        "value": _num(p.value),
        "compare_value": _num(p.compare_value),
        "delta_pct": _num(p.delta_pct),
        "trend": _plain(p.trend),
        "series": [
            {
                "labels": dict(s.labels),
                "points": _plain(s.points),
                "compare_points": None if s.compare_points is None else _plain(s.compare_points),
            }  # fmt: skip
            for s in p.series
        ],
        "rows": None if p.rows is None else [row_dict(r) for r in p.rows],
        "limit": _plain(p.limit),
        "error": p.error,
        "fetched_at": iso(p.fetched_at),
        "stale": p.stale,
        "provider": p.provider,
        "thresholds": _plain(p.thresholds),
        "position": _plain(p.position),
        "description": p.description,
        "compare": _plain(p.compare),
        "notes": list(p.notes),
        "drill": _plain(_drill(p.drill)),
        "cost": _plain(p.cost),
        "range": p.range,
        "events": list(p.events),
    }


def _drill(d: DrillTarget | None) -> dict[str, Any] | None:
    if d is None:
        return None
    return {"provider": d.provider, "window": _window(d.window), "resources": list(d.resources),
            "errors_only": d.errors_only, "status_class": d.status_class, "text": d.text, "regex": d.regex}  # fmt: skip


def _window(w: TimeWindow) -> dict[str, Any]:
    return {"start": iso(w.start), "end": iso(w.end), "step_s": w.step_s}


def provider_dict(p: ProviderStatus) -> dict[str, Any]:
    return {"name": p.name, "type": p.type, "ok": p.ok, "error": p.error, "api_calls": p.api_calls,
            "metrics_requested": p.metrics_requested, "estimated_cost_usd": _num(p.estimated_cost_usd),
            "demo": p.demo, "calls": p.calls, "failed": p.failed, "partial": p.partial, "state": p.state,
            "warnings": list(p.warnings)}  # fmt: skip


def snapshot_dict(s: Snapshot, version: str) -> dict[str, Any]:
    return {
        "srvmon": version,
        "schema": SCHEMA_VERSION,
        "board": s.board,
        "title": s.title,
        "generated_at": iso(s.generated_at),
        "window": _window(s.window),
        "compare": s.compare,
        "range": s.range,
        "refresh_s": _num(s.refresh_s),
        "demo": s.demo,
        "panels": [panel_dict(p) for p in s.panels],
        "providers": [provider_dict(p) for p in s.providers],
        "events": [_plain(e) for e in s.events],
    }


#: Characters JSON would write raw inside strings but no terminal or viewer should receive: C1, DEL, bidi.
_ESCAPE = {c: f"\\u{c:04x}" for c in [0x7F, *range(0x80, 0xA0), 0x061C, 0x200E, 0x200F, *range(0x202A, 0x202F),
                                      *range(0x2066, 0x206A), 0x2028, 0x2029, 0xFEFF]}  # fmt: skip


def dumps(doc: Any) -> str:
    """Pretty, valid (allow_nan=False), readable (UTF-8 kept) and inert JSON text."""
    text = json.dumps(doc, indent=2, ensure_ascii=False, allow_nan=False)
    return text.translate(_ESCAPE) + "\n"


# ---- decoding ---------------------------------------------------------------------------------------


def _dt(v: Any, where: str) -> datetime:
    if not isinstance(v, str):
        raise SnapshotFormatError(f"{where}: expected an RFC 3339 time, got {type(v).__name__}")
    try:
        dt = datetime.fromisoformat(v.replace("Z", "+00:00"))
    except ValueError:
        raise SnapshotFormatError(f"{where}: {v!r} is not an RFC 3339 time") from None
    return dt if dt.tzinfo else dt.replace(tzinfo=UTC)


def _opt_dt(v: Any, where: str) -> datetime | None:
    return None if v is None else _dt(v, where)


def _points(v: Any, where: str) -> tuple[tuple[int, float | None], ...]:
    if not isinstance(v, list):
        raise SnapshotFormatError(f"{where}: expected a list of [epoch_s, value] pairs")
    out = []
    for i, pt in enumerate(v):
        if not (isinstance(pt, list) and len(pt) == 2 and isinstance(pt[0], int)):
            raise SnapshotFormatError(f"{where}[{i}]: expected [epoch_s, value]")
        out.append((pt[0], _float(pt[1], f"{where}[{i}]")))
    return tuple(out)


def _float(v: Any, where: str) -> float | None:
    if v is None:
        return None
    if isinstance(v, bool) or not isinstance(v, int | float):
        raise SnapshotFormatError(f"{where}: expected a number or null")
    number: float = v  # ints stay ints: equality with the written value holds
    return number


_HINTS: dict[type[Any], dict[str, Any]] = {}


def _hints(cls: type[Any]) -> dict[str, Any]:
    if cls not in _HINTS:
        _HINTS[cls] = typing.get_type_hints(cls)
    return _HINTS[cls]


def _build(cls: type[Any], data: Any, where: str) -> Any:
    """A frozen dataclass from its dict: datetimes parsed, mappings and tuples rebuilt, unknown keys ignored."""
    if not isinstance(data, dict):
        raise SnapshotFormatError(f"{where}: expected an object")
    kwargs: dict[str, Any] = {}
    hints = _hints(cls)
    for f in fields(cls):
        if f.name not in data:
            continue
        value = data[f.name]
        hint = hints[f.name]
        text = str(hint)
        if "datetime" in text and value is not None:
            value = _dt(value, f"{where}.{f.name}")
        elif ("tuple" in text or "Sequence" in text) and isinstance(value, list):
            value = tuple(tuple(v) if isinstance(v, list) else v for v in value)
        elif "Mapping" in text and isinstance(value, dict):
            value = dict(value)
        kwargs[f.name] = value
    try:
        return cls(**kwargs)
    except TypeError as exc:
        raise SnapshotFormatError(f"{where}: {exc}") from None


def _opt(cls: type[Any], data: Any, where: str) -> Any:
    return None if data is None else _build(cls, data, where)


def _window_from(data: Any, where: str) -> TimeWindow:
    if not isinstance(data, dict):
        raise SnapshotFormatError(f"{where}: expected {{start, end, step_s}}")
    step = data.get("step_s")
    if not isinstance(step, int) or step <= 0:
        raise SnapshotFormatError(f"{where}.step_s: expected a positive integer")
    return TimeWindow(_dt(data.get("start"), f"{where}.start"), _dt(data.get("end"), f"{where}.end"), step)


def panel_from(d: Any, where: str) -> PanelSnapshot:
    if not isinstance(d, dict):
        raise SnapshotFormatError(f"{where}: expected an object")
    kind = d.get("kind")
    if not isinstance(kind, str) or not isinstance(d.get("id"), str):
        raise SnapshotFormatError(f"{where}: needs string `id` and `kind`")
    rows = None
    if d.get("rows") is not None:
        if not traits(kind).row_types or not isinstance(d["rows"], list):
            raise SnapshotFormatError(f"{where}.rows: a {kind} panel has no rows")
        rows = tuple(_build(_row_type(kind, r, f"{where}.rows[{i}]"), r, f"{where}.rows[{i}]")
                     for i, r in enumerate(d["rows"]))  # fmt: skip
    series = []
    for i, s in enumerate(d.get("series") or []):
        w = f"{where}.series[{i}]"
        if not isinstance(s, dict):
            raise SnapshotFormatError(f"{w}: expected an object")
        cp = s.get("compare_points")
        series.append(PanelSeries(dict(s.get("labels") or {}), _points(s.get("points") or [], f"{w}.points"),
                                  None if cp is None else _points(cp, f"{w}.compare_points")))  # fmt: skip
    drill = d.get("drill")
    return PanelSnapshot(
        id=d["id"],
        title=str(d.get("title", "")),
        kind=kind,
        status=d.get("status", "nodata"),
        unit=str(d.get("unit", "")),
        value=_float(d.get("value"), f"{where}.value"),
        compare_value=_float(d.get("compare_value"), f"{where}.compare_value"),
        delta_pct=_float(d.get("delta_pct"), f"{where}.delta_pct"),
        trend=_opt(Trend, d.get("trend"), f"{where}.trend"),
        series=tuple(series),
        rows=rows,
        limit=_opt(LimitInfo, d.get("limit"), f"{where}.limit"),
        error=d.get("error"),
        fetched_at=_opt_dt(d.get("fetched_at"), f"{where}.fetched_at"),
        stale=bool(d.get("stale", False)),
        provider=str(d.get("provider", "")),
        thresholds=_opt(Thresholds, d.get("thresholds"), f"{where}.thresholds") or Thresholds(),
        position=_opt(PanelPosition, d.get("position"), f"{where}.position"),
        description=str(d.get("description", "")),
        compare=_opt(Compare, d.get("compare"), f"{where}.compare"),
        notes=tuple(str(n) for n in d.get("notes") or ()),
        drill=None if drill is None else DrillTarget(
            provider=str(drill.get("provider", "")), window=_window_from(drill.get("window"), f"{where}.drill.window"),
            resources=tuple(drill.get("resources") or ()), errors_only=bool(drill.get("errors_only")),
            status_class=drill.get("status_class"), text=drill.get("text"), regex=bool(drill.get("regex"))),
        cost=_opt(CostSummary, d.get("cost"), f"{where}.cost"),
        range=d.get("range"),
        events=tuple(str(e) for e in d.get("events") or ()),
    )  # fmt: skip


def _row_type(kind: str, data: Any, where: str) -> type[Any]:
    """The row type of one row of a `kind` panel (by its `row` key when the kind has several)."""
    found = traits(kind).row_types
    if len(found) == 1:
        return found[0]
    role = data.get("row") if isinstance(data, dict) else None
    for cls in found:
        if role == cls.__dataclass_fields__["row"].default:
            return cls
    kinds = ", ".join(repr(c.__dataclass_fields__["row"].default) for c in found)
    raise SnapshotFormatError(f"{where}.row: expected one of {kinds}, got {role!r}")


def snapshot_from(doc: Any) -> Snapshot:
    """A Snapshot from a parsed schema-1 document; SnapshotFormatError names what is wrong."""
    if not isinstance(doc, dict):
        raise SnapshotFormatError("not a srvmon snapshot: the document is not a JSON object")
    if doc.get("schema") != SCHEMA_VERSION:
        raise SnapshotFormatError(
            f"schema {doc.get('schema')!r} is not supported (this srvmon reads schema 1)"
        )
    panels = doc.get("panels")
    if not isinstance(panels, list):
        raise SnapshotFormatError("panels: expected a list")
    providers = []
    for i, p in enumerate(doc.get("providers") or []):
        if not isinstance(p, dict):
            raise SnapshotFormatError(f"providers[{i}]: expected an object")
        providers.append(ProviderStatus(
            name=str(p.get("name", "")), type=str(p.get("type", "")), ok=bool(p.get("ok")), error=p.get("error"),
            api_calls=int(p.get("api_calls") or 0), metrics_requested=int(p.get("metrics_requested") or 0),
            estimated_cost_usd=float(p.get("estimated_cost_usd") or 0.0), demo=bool(p.get("demo")),
            calls=int(p.get("calls") or 0), failed=int(p.get("failed") or 0),
            warnings=tuple(str(w) for w in p.get("warnings") or ())))  # fmt: skip
    events = tuple(_build(ChangeEvent, e, f"events[{i}]") for i, e in enumerate(doc.get("events") or []))
    return Snapshot(
        board=str(doc.get("board", "")),
        title=str(doc.get("title") or doc.get("board", "")),
        generated_at=_dt(doc.get("generated_at"), "generated_at"),
        window=_window_from(doc.get("window"), "window"),
        compare=doc.get("compare"),
        panels=tuple(panel_from(p, f"panels[{i}]") for i, p in enumerate(panels)),
        providers=tuple(providers),
        range=str(doc.get("range") or "4h"),
        refresh_s=float(doc.get("refresh_s") or 60.0),
        events=events,
    )


def loads(text: str) -> Snapshot:
    """A Snapshot from JSON text (bounded nesting); SnapshotFormatError for anything else."""
    try:
        doc = json.loads(text)
    except (ValueError, RecursionError) as exc:
        raise SnapshotFormatError(f"not valid JSON: {exc}") from None
    return snapshot_from(doc)
