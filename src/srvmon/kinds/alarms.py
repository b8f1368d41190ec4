"""The alarms kind: every alarm with its state, firing ones first; critical when any fires."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from srvmon.fmt import Data, Detail, join
from srvmon.kinds.base import PanelKind, Plan, PlanContext
from srvmon.model import AlarmRow, PanelSnapshot, Status
from srvmon.needs import AlarmsNeed, Failed, Need, Results

if TYPE_CHECKING:
    from srvmon.schema import PanelCfg

ALARM_ORDER = {"ALARM": 0, "INSUFFICIENT_DATA": 1, "OK": 2}
STATE_STATUS: dict[str, Status] = {"ALARM": "crit", "INSUFFICIENT_DATA": "nodata", "OK": "ok"}


@dataclass(frozen=True)
class AlarmsPlan(Plan):
    need: AlarmsNeed

    def needs(self) -> tuple[Need[Any], ...]:
        return (self.need,)


class AlarmsKind(PanelKind[AlarmsPlan]):
    name = "alarms"
    row_types = (AlarmRow,)
    summary = "every alarm and its state (ALARM first); critical when any is firing"
    body = "srvmon.widgets.alarms:AlarmList"
    drill_errors_only = True

    def plan(self, cfg: PanelCfg, ctx: PlanContext) -> AlarmsPlan:
        return AlarmsPlan(ctx.window_for(cfg), AlarmsNeed(cfg.provider or ""))

    def assemble(self, cfg: PanelCfg, plan: AlarmsPlan, results: Results, now: datetime) -> PanelSnapshot:
        alarms = results.get(plan.need)
        if isinstance(alarms, Failed):
            return self.failed(cfg, alarms, now, plan.window)
        ordered = sorted(alarms, key=lambda a: (ALARM_ORDER.get(a.state, 3), a.name))
        rows = tuple(AlarmRow(a.name, a.state, a.reason, a.since, a.resource, a.link, a.severity,
                              STATE_STATUS.get(a.state, "nodata")) for a in ordered)  # fmt: skip
        firing = sum(1 for a in alarms if a.state == "ALARM")
        status: Status = "crit" if firing else ("nodata" if not alarms else "ok")
        return self.panel(cfg, status, now, plan.window, value=float(firing), rows=rows)

    def detail(self, panel: PanelSnapshot) -> Detail:
        rows = [r for r in panel.rows or () if isinstance(r, AlarmRow)]
        firing = [(Data(r.name),) for r in rows if r.state == "ALARM"]
        return ("ALARM: ", *join(firing)) if firing else (f"all {len(rows)} alarms OK",)
