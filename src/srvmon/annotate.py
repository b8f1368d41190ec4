"""Change events onto a board's panels: which events concern each panel (its `events` ids), and, when a
panel's level shifted right after one of them, the plain sentence saying so (the panel's first note).

Pure: runs in the poller after the panels are assembled, so every view shows the same markers and words.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from dataclasses import replace
from datetime import UTC

from srvmon.changepoint import detect
from srvmon.changes import CAUSE_KINDS, events_for, explain
from srvmon.model import ChangeEvent, PanelSeries, PanelSnapshot, TimeWindow

#: At most this many series of one panel are searched for a shift.
MAX_SERIES = 8


def event_id(e: ChangeEvent) -> str:
    """A stable id: the provider's own, else one derived from what the event is."""
    if e.id:
        return e.id
    digest = hashlib.sha1(f"{e.provider}|{e.time.isoformat()}|{e.kind}|{e.summary}".encode()).hexdigest()
    return f"ev-{digest[:12]}"


def board_events(events: Iterable[ChangeEvent], window: TimeWindow) -> tuple[ChangeEvent, ...]:
    """The events of a refresh, each with its id, in the window, oldest first, once each."""
    seen: dict[str, ChangeEvent] = {}
    for e in events:
        if window.start <= e.time <= window.end:
            ident = event_id(e)
            seen.setdefault(ident, replace(e, id=ident))
    return tuple(sorted(seen.values(), key=lambda e: (e.time, e.id)))


def panel_resources(panel: PanelSnapshot) -> tuple[str, ...]:
    """The resources a panel shows: its drill-down resources, else its series' label values."""
    if panel.drill is not None and panel.drill.resources:
        return panel.drill.resources
    names: list[str] = []
    for s in panel.series:
        names.extend(str(v) for v in s.labels.values() if v and str(v) != "total")
    return tuple(dict.fromkeys(names))


def _shift_sentence(panel: PanelSnapshot, events: Sequence[ChangeEvent], step_s: int) -> str | None:
    """The sentence for the most telling explained shift among the panel's series, or None."""
    best: tuple[float, str] | None = None
    series: Sequence[PanelSeries] = panel.series[:MAX_SERIES]
    for s in series:
        shift = detect(list(s.points))
        if shift is None:
            continue
        mine = events_for([v for v in s.labels.values() if v], events) if s.labels else list(events)
        label = f"{panel.title} ({s.name()})" if s.labels and len(series) > 1 else panel.title
        sentence = explain(shift, mine, panel.unit, UTC, label=label, step_s=step_s)
        if sentence is None:
            continue
        weight = abs(shift.pct) if shift.pct is not None else abs(shift.delta)
        if best is None or weight > best[0]:
            best = (weight, sentence)
    return best[1] if best else None


def annotate(panels: Sequence[PanelSnapshot], events: Sequence[ChangeEvent],
             window: TimeWindow) -> tuple[PanelSnapshot, ...]:  # fmt: skip
    """Each chart panel with its events' ids (the causes, not alarm transitions) and, when its level
    shifted just after one of them, that sentence as its first note."""
    from srvmon import kinds  # not at the top: the registry imports this module (kinds.events)

    if not events:
        return tuple(panels)
    out = []
    for p in panels:
        if not kinds.traits(p.kind).chart or p.stale or p.status == "error":
            out.append(p)
            continue
        pwin = p.drill.window if p.drill is not None else window
        mine = [e for e in events_for(panel_resources(p), events, kinds=CAUSE_KINDS)
                if pwin.start <= e.time < pwin.end]  # fmt: skip
        if not mine:
            out.append(p)
            continue
        sentence = _shift_sentence(p, mine, pwin.step_s)
        notes = ((sentence,) if sentence else ()) + p.notes
        out.append(replace(p, events=tuple(event_id(e) for e in mine), notes=notes))
    return tuple(out)
