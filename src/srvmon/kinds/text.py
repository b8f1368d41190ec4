"""The text kind: a note on the board (markdown content shown as inert text; imported dashboards use it)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from srvmon.kinds.base import PanelKind, Plan, PlanContext
from srvmon.model import DrillTarget, PanelSnapshot, Status, TimeWindow
from srvmon.needs import Results

if TYPE_CHECKING:
    from srvmon.schema import PanelCfg


@dataclass(frozen=True)
class TextPlan(Plan):
    pass


class TextKind(PanelKind[TextPlan]):
    name = "text"
    notes_are_content = True
    summary = "static text (markdown: headings, lists, emphasis; links shown as text, never followed)"
    fields = frozenset({"content"})
    body = "srvmon.widgets.text:TextView"

    def check(self, cfg: PanelCfg) -> str | None:
        return None if cfg.content is not None else "a text panel needs `content`"

    def plan(self, cfg: PanelCfg, ctx: PlanContext) -> TextPlan:
        return TextPlan(ctx.window_for(cfg))

    def assemble(self, cfg: PanelCfg, plan: TextPlan, results: Results, now: datetime) -> PanelSnapshot:
        return self.panel(cfg, "ok", now, plan.window, notes=(cfg.content or "",))

    def drill(self, cfg: PanelCfg, window: TimeWindow, status: Status) -> DrillTarget | None:
        return None  # a note has nothing to drill into
