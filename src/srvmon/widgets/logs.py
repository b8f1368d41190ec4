"""Logs panel body: the most recent records (time, resource, status, extracted message), newest first."""

from __future__ import annotations

from rich.console import RenderableType
from rich.text import Text

from srvmon.fmt import STATUS_SYMBOL
from srvmon.model import LogRow
from srvmon.widgets.base import PanelBody, clean


class LogList(PanelBody):
    """Recent errors; every field is untrusted text and is shown sanitised, never as markup."""

    selectable = True

    def render(self) -> RenderableType:
        p = self.panel
        if p is None:
            return Text("")
        rows = [r for r in p.rows or () if isinstance(r, LogRow)]
        out = Text(no_wrap=True, overflow="ellipsis")
        if not rows:
            out.append(
                f"{STATUS_SYMBOL['ok']} no matching records in this window", style=self.status_style("ok")
            )
            return out
        for i, row in enumerate(rows[: max(1, self.size.height)]):
            line = Text(no_wrap=True, overflow="ellipsis")
            line.append(row.time.astimezone(self.tz).strftime("%H:%M:%S"), style=self.muted())
            line.append(f" {clean(row.resource)[:24]}", style=self.fg("primary"))
            if row.status is not None:
                line.append(
                    f" {row.status}", style=self.status_style("crit" if row.status >= 500 else "warn")
                )
            line.append(" " + clean(row.message))
            if self.cursor == i:
                line.stylize("reverse")
            out.append_text(line)
            out.append("\n")
        out.rstrip()
        return out
