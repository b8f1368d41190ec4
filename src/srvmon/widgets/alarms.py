"""Alarms panel body: firing (ALARM) and INSUFFICIENT_DATA alarms first, or 'all N alarms OK'."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from rich.console import RenderableType
from rich.text import Text

from srvmon.widgets.base import PanelBody, clean

_ORDER = {"ALARM": 0, "INSUFFICIENT_DATA": 1, "OK": 2}
_STATE = {"ALARM": ("crit", "✖ ALARM"), "INSUFFICIENT_DATA": ("warn", "? NODATA"), "OK": ("ok", "✓ OK")}


class AlarmList(PanelBody):
    """One line per alarm (state, name, reason); when none is firing, a single 'all N alarms OK'."""

    selectable = True

    def sorted_rows(self) -> list[Mapping[str, Any]]:
        rows = list(self.panel.rows or ()) if self.panel is not None else []
        return sorted(rows, key=lambda r: (_ORDER.get(str(r.get("state")), 3), str(r.get("name", ""))))

    def selected(self) -> Mapping[str, Any] | None:
        rows = self.sorted_rows()
        return rows[self.cursor] if self.cursor is not None and self.cursor < len(rows) else None

    def render(self) -> RenderableType:
        if self.panel is None:
            return Text("")
        rows = self.sorted_rows()
        out = Text(no_wrap=True, overflow="ellipsis")
        bad = [r for r in rows if r.get("state") != "OK"]
        if not rows:
            out.append("no alarms defined", style=self.muted())
            return out
        if not bad:
            out.append(f"✓ all {len(rows)} alarms OK", style=self.status_style("ok", bold=True))
            return out
        ok_count = len(rows) - len(bad)
        height = max(1, self.size.height - (1 if ok_count else 0))
        for i, row in enumerate(rows[:height]):
            status, label = _STATE.get(str(row.get("state")), ("nodata", "? " + clean(row.get("state"))))
            line = Text(no_wrap=True, overflow="ellipsis")
            line.append(f"{label:<9}", style=self.status_style(status, bold=True))
            line.append(clean(row.get("name", "")))
            reason = clean(row.get("reason") or "")
            if reason:
                line.append(f"  {reason}", style=self.muted())
            if self.cursor == i:
                line.stylize("reverse")
            out.append_text(line)
            out.append("\n")
        if ok_count:
            out.append(
                f"✓ {ok_count} other alarm{'s' if ok_count != 1 else ''} OK", style=self.status_style("ok")
            )
        out.rstrip()
        return out
