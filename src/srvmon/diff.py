"""What changed between two snapshots, ranked: status changes first, then the largest relative value moves,
new and cleared alarms, toplist rank changes, cost moves, panels added or removed, events in between."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

from srvmon import codec
from srvmon.analysis import STATUS_ORDER
from srvmon.fmt import STATUS_SYMBOL, Data, Detail, fmt_delta, fmt_instant, fmt_money, fmt_value, plain
from srvmon.model import AlarmRow, CostRow, PanelSnapshot, Snapshot, ToplistRow

Change = Literal["status", "value", "alarm", "rank", "cost", "panel", "event"]
#: Order of the sections (and of items of equal weight).
ORDER: dict[str, int] = {"status": 0, "value": 1, "alarm": 2, "rank": 3, "cost": 4, "panel": 5, "event": 6}
#: A value move smaller than this (relative) is noise, not a change.
MIN_MOVE_PCT = 5.0


@dataclass(frozen=True, slots=True)
class DiffItem:
    change: Change
    panel: str
    title: str
    text: Detail
    #: Sorting weight within its section (bigger first).
    score: float
    worse: bool = False

    def as_dict(self) -> dict[str, Any]:
        return {"change": self.change, "panel": self.panel, "title": self.title, "text": plain(self.text),
                "score": round(self.score, 4), "worse": self.worse}  # fmt: skip


@dataclass(frozen=True, slots=True)
class SnapshotDiff:
    a: Snapshot
    b: Snapshot
    items: tuple[DiffItem, ...]

    @property
    def worse(self) -> bool:
        return any(i.worse for i in self.items)


def diff(a: Snapshot, b: Snapshot) -> SnapshotDiff:
    items: list[DiffItem] = []
    pa = {p.id: p for p in a.panels}
    pb = {p.id: p for p in b.panels}
    for pid, new in pb.items():
        old = pa.get(pid)
        if old is None:
            items.append(DiffItem("panel", pid, new.title, ("new panel: ", new.status), 0.0))
            continue
        items.extend(_panel(old, new))
    for pid, old in pa.items():
        if pid not in pb:
            items.append(DiffItem("panel", pid, old.title, ("panel removed",), 0.0))
    seen = {e.id or (e.time, e.summary) for e in a.events}
    for e in b.events:
        if (e.id or (e.time, e.summary)) not in seen:
            summary = e.summary if len(e.summary) <= 100 else e.summary[:99] + "…"
            items.append(DiffItem("event", "", "", (fmt_instant(e.time), f" {e.kind} ", Data(summary)),
                                  e.time.timestamp()))  # fmt: skip
    items.sort(key=lambda i: (ORDER[i.change], -i.score, i.panel))
    return SnapshotDiff(a, b, tuple(items))


def _panel(old: PanelSnapshot, new: PanelSnapshot) -> list[DiffItem]:
    out: list[DiffItem] = []
    if old.status != new.status:
        step = STATUS_ORDER[new.status] - STATUS_ORDER[old.status]
        text = (f"{STATUS_SYMBOL[old.status]} {old.status} → {STATUS_SYMBOL[new.status]} {new.status}",)
        out.append(DiffItem("status", new.id, new.title, text, abs(step) + (10 if step > 0 else 0), step > 0))
    move = _relative(old.value, new.value)
    if move is not None and abs(move) >= MIN_MOVE_PCT:
        text = (f"{fmt_value(old.value, old.unit)} → {fmt_value(new.value, new.unit)} ({fmt_delta(move)})",)
        out.append(DiffItem("value", new.id, new.title, text, abs(move)))
    # by what the rows are, not by the kind's name: any kind carrying alarm, ranking or cost rows
    out.extend(_alarms(old, new))
    out.extend(_ranks(old, new))
    out.extend(_cost(old, new))
    return out


def _relative(a: float | None, b: float | None) -> float | None:
    if a is None or b is None:
        return None
    if a == 0:
        return None if b == 0 else (100.0 if b > 0 else -100.0) * 10
    return (b - a) / abs(a) * 100.0


def _alarms(old: PanelSnapshot, new: PanelSnapshot) -> list[DiffItem]:
    def firing(p: PanelSnapshot) -> set[str]:
        return {r.name for r in p.rows or () if isinstance(r, AlarmRow) and r.state == "ALARM"}

    before, after = firing(old), firing(new)
    out = [
        DiffItem("alarm", new.id, new.title, ("now firing: ", Data(n)), 1.0, True)
        for n in sorted(after - before)
    ]
    out += [DiffItem("alarm", new.id, new.title, ("cleared: ", Data(n)), 0.5) for n in sorted(before - after)]
    return out


def _ranks(old: PanelSnapshot, new: PanelSnapshot) -> list[DiffItem]:
    def ranks(p: PanelSnapshot) -> dict[str, int]:
        return {r.name: i + 1 for i, r in enumerate(r for r in p.rows or () if isinstance(r, ToplistRow))}

    before, after = ranks(old), ranks(new)
    out = []
    for name, rank in after.items():
        was = before.get(name)
        if was is None:
            out.append(DiffItem("rank", new.id, new.title, ("new in the top: ", Data(name), f" at #{rank}"),
                                100.0 / rank))  # fmt: skip
        elif was != rank:
            out.append(DiffItem("rank", new.id, new.title, (Data(name), f" #{was} → #{rank}"),
                                abs(was - rank) * 10.0 / min(rank, was)))  # fmt: skip
    for name, was in before.items():
        if name not in after:
            out.append(DiffItem("rank", new.id, new.title, ("left the top: ", Data(name), f" (was #{was})"),
                                50.0 / was))  # fmt: skip
    return out


def _cost(old: PanelSnapshot, new: PanelSnapshot) -> list[DiffItem]:
    before = {r.service: r for r in old.rows or () if isinstance(r, CostRow)}
    out = []
    for r in (r for r in new.rows or () if isinstance(r, CostRow)):
        was = before.get(r.service)
        if was is None or was.mtd == r.mtd:
            continue
        move = _relative(was.mtd, r.mtd)
        out.append(DiffItem("cost", new.id, new.title,
                            (Data(r.service), f" {fmt_money(was.mtd)} → {fmt_money(r.mtd)} ({fmt_delta(move)})"),
                            abs(r.mtd - was.mtd)))  # fmt: skip
    return out


# ---- rendering ---------------------------------------------------------------------------------------

_HEADINGS = {"status": "Status changes", "value": "Value moves", "alarm": "Alarms", "rank": "Rankings",
             "cost": "Cost", "panel": "Panels", "event": "Events between the two"}  # fmt: skip


def _sections(d: SnapshotDiff) -> list[tuple[str, Sequence[DiffItem]]]:
    out: list[tuple[str, Sequence[DiffItem]]] = []
    for change, heading in _HEADINGS.items():
        items = [i for i in d.items if i.change == change]
        if items:
            out.append((heading, items))
    return out


def to_txt(d: SnapshotDiff) -> str:
    from srvmon.sanitize import clean

    lines = [f"{clean(d.a.title)}: {fmt_instant(d.a.generated_at)} -> {fmt_instant(d.b.generated_at)}",
             f"{len(d.items)} change(s){'; some panels got worse' if d.worse else ''}", ""]  # fmt: skip
    for heading, items in _sections(d):
        lines.append(heading)
        for i in items:
            mark = "!" if i.worse else " "
            who = f"{clean(i.title)}: " if i.title else ""
            lines.append(f" {mark} {who}{plain(i.text)}")
        lines.append("")
    return "\n".join(lines)


def to_md(d: SnapshotDiff) -> str:
    from srvmon.export import md_detail, md_escape

    lines = [f"### What changed: {md_escape(d.a.title)}", "",
             md_escape(f"{fmt_instant(d.a.generated_at)} → {fmt_instant(d.b.generated_at)}, {len(d.items)} change(s)"),
             ""]  # fmt: skip
    for heading, items in _sections(d):
        lines += [f"**{heading}**", ""]
        for i in items:
            who = f"{md_escape(i.title)}: " if i.title else ""
            lines.append(f"- {'⚠ ' if i.worse else ''}{who}{md_detail(i.text)}")
        lines.append("")
    return "\n".join(lines)


def to_json(d: SnapshotDiff) -> str:
    doc = {"a": codec.iso(d.a.generated_at), "b": codec.iso(d.b.generated_at), "board": d.b.board,
           "worse": d.worse, "changes": [i.as_dict() for i in d.items]}  # fmt: skip
    return codec.dumps(doc)


RENDERERS = {"txt": to_txt, "md": to_md, "json": to_json}
