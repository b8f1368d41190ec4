"""The events kind: what changed in the window (deploys, config changes, scaling, alarm transitions), newest first."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from srvmon.annotate import event_id
from srvmon.fmt import Data, Detail, join
from srvmon.kinds.base import PanelKind, Plan, PlanContext
from srvmon.model import EventRow, PanelSnapshot
from srvmon.needs import EventsNeed, Failed, Need, Results

if TYPE_CHECKING:
    from srvmon.schema import PanelCfg


@dataclass(frozen=True)
class EventsPlan(Plan):
    need: EventsNeed

    def needs(self) -> tuple[Need[Any], ...]:
        return (self.need,)


class EventsKind(PanelKind[EventsPlan]):
    name = "events"
    row_types = (EventRow,)
    summary = (
        "change events in the window, newest first (deploys, config, scaling, permissions, alarm states)"
    )
    fields = frozenset({"top"})
    body = "srvmon.widgets.events:EventList"

    def plan(self, cfg: PanelCfg, ctx: PlanContext) -> EventsPlan:
        window = ctx.window_for(cfg)
        resources = tuple(cfg.drilldown.resources) if cfg.drilldown else ()
        return EventsPlan(window, EventsNeed(cfg.provider or "", window, resources))

    def assemble(self, cfg: PanelCfg, plan: EventsPlan, results: Results, now: datetime) -> PanelSnapshot:
        found = results.get(plan.need)
        if isinstance(found, Failed):
            return self.failed(cfg, found, now, plan.window)
        events = sorted(found, key=lambda e: (e.time, e.id), reverse=True)
        rows = tuple(EventRow(event_id(e), e.time, e.kind, e.summary, tuple(e.resources), e.actor, e.link,
                              e.provider or cfg.provider or "", e.version)
                     for e in events[: max(cfg.top, 10)])  # fmt: skip
        return self.panel(
            cfg, "ok" if rows else "nodata", now, plan.window, value=float(len(events)), rows=rows
        )

    def detail(self, panel: PanelSnapshot) -> Detail:
        rows = [r for r in panel.rows or () if isinstance(r, EventRow)][:3]
        return join([(f"{r.time:%H:%M} ", Data(r.summary)) for r in rows])
