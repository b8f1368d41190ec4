"""Health panel body: per-function chips — cold start %, timeouts, out-of-memory, duration % of timeout."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from rich.console import RenderableType
from rich.text import Text
from textual import events

from srvmon.widgets.base import PanelBody, clean
from srvmon.widgets.units import STATUS_SYMBOL, fmt_value

#: Duration as % of the configured timeout: warn at 80% (the field's rule of thumb), crit at 95%.
TIMEOUT_WARN_PCT = 80.0
TIMEOUT_CRIT_PCT = 95.0
COLD_WARN_PCT = 10.0


def chip_status(kind: str, value: float | None) -> str:
    """ok / warn / crit for one chip."""
    if value is None:
        return "nodata"
    if kind in ("timeouts", "oom"):
        return "crit" if value > 0 else "ok"
    if kind == "timeout_pct":
        return "crit" if value >= TIMEOUT_CRIT_PCT else "warn" if value >= TIMEOUT_WARN_PCT else "ok"
    if kind == "cold_start_pct":
        return "warn" if value >= COLD_WARN_PCT else "ok"
    return "ok"


def _num(row: Mapping[str, Any], key: str) -> float | None:
    v = row.get(key)
    return float(v) if isinstance(v, int | float) else None


class HealthChips(PanelBody):
    """One line per function, worst first: name, then chips coloured (and marked) by their status."""

    selectable = True

    def on_click(self, event: events.Click) -> None:
        index = event.y - 1
        if self.panel is not None and 0 <= index < len(self.panel.rows or ()):
            self.cursor = index
            self.refresh()

    def _chip(self, line: Text, label: str, kind: str, value: float | None, text: str) -> None:
        status = chip_status(kind, value)
        line.append(" ")
        line.append(
            f"{STATUS_SYMBOL[status] if status != 'ok' else ''}{label} {text}".strip(),
            style=self.status_style(status, bold=status in ("warn", "crit")),
        )

    def render(self) -> RenderableType:
        p = self.panel
        if p is None:
            return Text("")
        rows = list(p.rows or ())
        width = max(20, self.size.width)
        out = Text(no_wrap=True, overflow="ellipsis")
        bad = sum(1 for r in rows if r.get("status") not in ("ok", None))
        out.append(
            f"{len(rows)} functions, {bad} need attention · dur = p99 as % of the timeout\n",
            style=self.muted(),
        )
        name_w = min(28, max(8, width // 4))
        for i, row in enumerate(rows[: max(1, self.size.height - 1)]):
            status = str(row.get("status") or "ok")
            line = Text(no_wrap=True, overflow="ellipsis")
            line.append(STATUS_SYMBOL.get(status, " "), style=self.status_style(status))
            name = clean(row.get("function", "?"))
            line.append(f" {name[:name_w]:<{name_w}}")
            cold = _num(row, "cold_start_pct")
            self._chip(line, "cold", "cold_start_pct", cold, fmt_value(cold, "%"))
            timeouts = _num(row, "timeouts")
            self._chip(line, "timeouts", "timeouts", timeouts, fmt_value(timeouts))
            oom = _num(row, "oom")
            self._chip(line, "OOM", "oom", oom, fmt_value(oom))
            tpct = _num(row, "timeout_pct")
            self._chip(line, "dur", "timeout_pct", tpct, fmt_value(tpct, "%"))
            if self.cursor == i:
                line.stylize("reverse")
            out.append_text(line)
            out.append("\n")
        if not rows:
            out.append("no invocations in this window", style=self.muted())
        out.rstrip()
        return out
