"""Alarms panel body: firing (ALARM) and INSUFFICIENT_DATA alarms first, or 'all N alarms OK'."""

from __future__ import annotations

from rich.console import RenderableType
from rich.text import Text

from srvmon.fmt import STATUS_SYMBOL
from srvmon.model import AlarmRow
from srvmon.widgets.base import PanelBody, clean

_LABEL = {"ALARM": "ALARM", "INSUFFICIENT_DATA": "NODATA", "OK": "OK"}


class AlarmList(PanelBody):
    """One line per alarm (state, name, reason) in the core's order; when none is firing, 'all N alarms OK'."""

    selectable = True

    def render(self) -> RenderableType:
        if self.panel is None:
            return Text("")
        rows = [r for r in self.panel.rows or () if isinstance(r, AlarmRow)]
        out = Text(no_wrap=True, overflow="ellipsis")
        bad = [r for r in rows if r.state != "OK"]
        if not rows:
            out.append("no alarms defined", style=self.muted())
            return out
        if not bad:
            out.append(
                f"{STATUS_SYMBOL['ok']} all {len(rows)} alarms OK", style=self.status_style("ok", bold=True)
            )
            return out
        ok_count = len(rows) - len(bad)
        height = max(1, self.size.height - (1 if ok_count else 0))
        for i, row in enumerate(rows[:height]):
            label = f"{STATUS_SYMBOL.get(row.status, '?')} {_LABEL.get(row.state, clean(row.state))}"
            line = Text(no_wrap=True, overflow="ellipsis")
            line.append(f"{label:<9}", style=self.status_style(row.status, bold=True))
            line.append(clean(row.name))
            if row.reason:
                line.append(f"  {clean(row.reason)}", style=self.muted())
            if self.cursor == i:
                line.stylize("reverse")
            out.append_text(line)
            out.append("\n")
        if ok_count:
            out.append(f"{STATUS_SYMBOL['ok']} {ok_count} other alarm{'s' if ok_count != 1 else ''} OK",
                       style=self.status_style("ok"))  # fmt: skip
        out.rstrip()
        return out
