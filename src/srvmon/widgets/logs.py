"""Logs panel body: the most recent error records (time, resource, status, message), newest first."""

from __future__ import annotations

from datetime import datetime

from rich.console import RenderableType
from rich.text import Text

from srvmon.widgets.base import PanelBody, clean


class LogList(PanelBody):
    """Recent errors; every field is untrusted text and is shown sanitised, never as markup."""

    selectable = True

    def _time(self, value: object) -> str:
        try:
            if isinstance(value, int | float):
                dt = datetime.fromtimestamp(value, self.tz)
            else:
                dt = datetime.fromisoformat(str(value)).astimezone(self.tz)
            return dt.strftime("%H:%M:%S")
        except (ValueError, OSError, TypeError):
            return "--:--:--"

    def render(self) -> RenderableType:
        p = self.panel
        if p is None:
            return Text("")
        rows = list(p.rows or ())
        out = Text(no_wrap=True, overflow="ellipsis")
        if not rows:
            out.append("✓ no errors in this window", style=self.status_style("ok"))
            return out
        for i, row in enumerate(rows[: max(1, self.size.height)]):
            line = Text(no_wrap=True, overflow="ellipsis")
            line.append(self._time(row.get("time") or row.get("timestamp")), style=self.muted())
            line.append(f" {clean(row.get('resource', ''))[:24]}", style=self.fg("primary"))
            status = row.get("status")
            if status is not None:
                line.append(
                    f" {clean(status)}", style=self.status_style("crit" if str(status) >= "5" else "warn")
                )
            line.append(" " + clean(row.get("message", "")))
            if self.cursor == i:
                line.stylize("reverse")
            out.append_text(line)
            out.append("\n")
        out.rstrip()
        return out
