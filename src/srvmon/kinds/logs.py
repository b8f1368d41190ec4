"""The logs kind: the most recent matching records (errors by default), their messages extracted."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from srvmon import analysis as an
from srvmon.fmt import Data, Detail
from srvmon.kinds.base import PanelKind, Plan, PlanContext, thresholds
from srvmon.logtext import display_message
from srvmon.model import LogQuery, LogRow, PanelSnapshot, Status
from srvmon.needs import Failed, LogsNeed, Need, Results

if TYPE_CHECKING:
    from srvmon.schema import PanelCfg

#: Records a logs panel asks for at least (its count is the panel's value).
MIN_RECORDS = 50


@dataclass(frozen=True)
class LogsPlan(Plan):
    need: LogsNeed

    def needs(self) -> tuple[Need[Any], ...]:
        return (self.need,)


class LogsKind(PanelKind[LogsPlan]):
    name = "logs"
    row_types = (LogRow,)
    summary = "the most recent matching log records (errors only unless drilldown.errors_only = false)"
    fields = frozenset({"top", "thresholds"})
    body = "srvmon.widgets.logs:LogList"
    drill_errors_only = True

    def plan(self, cfg: PanelCfg, ctx: PlanContext) -> LogsPlan:
        window = ctx.window_for(cfg)
        d = cfg.drilldown
        query = LogQuery(
            provider=cfg.provider or "",
            window=window,
            resources=tuple(d.resources) if d else (),
            text=d.filter if d else None,
            regex=d.regex if d else False,
            errors_only=d.errors_only if d else True,
            status_class=d.status_class if d else None,
            limit=max(cfg.top, MIN_RECORDS),
        )
        return LogsPlan(window, LogsNeed(query.provider, cfg.id, query))

    def assemble(self, cfg: PanelCfg, plan: LogsPlan, results: Results, now: datetime) -> PanelSnapshot:
        result = results.get(plan.need)
        if isinstance(result, Failed):
            return self.failed(cfg, result, now, plan.window)
        records = sorted(result.records, key=lambda r: r.timestamp, reverse=True)
        rows = tuple(
            LogRow(
                datetime.fromtimestamp(r.timestamp, UTC),
                r.resource,
                display_message(r),
                r.level,
                r.status,
                r.request_id,
                r.link,
            )  # fmt: skip
            for r in records[: cfg.top]
        )
        count = float(len(result.records))
        status: Status = "nodata" if not rows else an.threshold_status(count, thresholds(cfg))
        capped = getattr(result, "truncated", False) or result.partial
        notes = (f"capped at {len(result.records)} records",) if capped else ()
        return self.panel(cfg, status, now, plan.window, value=count, rows=rows,
                          notes=notes + tuple(result.warnings))  # fmt: skip

    def detail(self, panel: PanelSnapshot) -> Detail:
        rows = [r for r in panel.rows or () if isinstance(r, LogRow)]
        if not rows:
            return ()
        r = rows[0]
        return (f"{int(panel.value or 0)} records; latest ", Data(r.resource), ": ", Data(r.message[:120]))
