"""Health panel body: per-function chips - cold start %, timeouts, OOM, p99 % of timeout - as the core rated them."""

from __future__ import annotations

from rich.console import RenderableType
from rich.text import Text
from textual import events

from srvmon.fmt import STATUS_SYMBOL, ellipsize, fmt_value
from srvmon.model import HealthRow, Status
from srvmon.widgets.base import PanelBody, clean


class HealthChips(PanelBody):
    """One line per function, worst first: name, then chips coloured (and marked) by their rating."""

    selectable = True

    def on_click(self, event: events.Click) -> None:
        index = event.y - 1
        if 0 <= index < self.row_count():
            self.cursor = index
            self.refresh()

    def _chip(self, line: Text, label: str, status: Status, text: str) -> None:
        line.append(" ")
        mark = STATUS_SYMBOL[status] if status in ("warn", "crit") else ""
        line.append(f"{mark}{label} {text}", style=self.status_style(status, bold=status in ("warn", "crit")))

    def render(self) -> RenderableType:
        p = self.panel
        if p is None:
            return Text("")
        rows = [r for r in p.rows or () if isinstance(r, HealthRow)]
        width = max(20, self.size.width)
        out = Text(no_wrap=True, overflow="ellipsis")
        bad = sum(1 for r in rows if r.status != "ok")
        out.append(
            f"{len(rows)} functions, {bad} need attention · dur = p99 as % of the timeout\n",
            style=self.muted(),
        )
        name_w = min(28, max(8, width // 4))
        for i, row in enumerate(rows[: max(1, self.size.height - 1)]):
            line = Text(no_wrap=True, overflow="ellipsis")
            line.append(STATUS_SYMBOL.get(row.status, " "), style=self.status_style(row.status))
            line.append(f" {ellipsize(clean(row.function), name_w):<{name_w}}")
            self._chip(line, "cold", row.cold_status, fmt_value(row.cold_start_pct, "%"))
            self._chip(line, "timeouts", row.timeouts_status, str(row.timeouts))
            self._chip(line, "OOM", row.oom_status, str(row.oom))
            self._chip(line, "dur", row.duration_status, fmt_value(row.p99_timeout_pct, "%"))
            if self.cursor == i:
                line.stylize("reverse")
            out.append_text(line)
            out.append("\n")
        if not rows:
            out.append("no invocations in this window", style=self.muted())
        out.rstrip()
        return out
