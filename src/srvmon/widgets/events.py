"""Events panel body: change events newest first (time, kind, resource, summary, actor), all inert text."""

from __future__ import annotations

from rich.console import RenderableType
from rich.text import Text

from srvmon.model import EventRow
from srvmon.widgets.base import PanelBody, clean

#: Event kind -> a one-cell glyph (never colour alone).
GLYPH = {"deploy": "⇪", "config": "⚙", "scale": "⇅", "permission": "⚿", "alarm-state": "⚑", "incident": "✖"}


class EventList(PanelBody):
    """One line per event; j/k selects one, Enter opens the logs around it."""

    selectable = True

    def render(self) -> RenderableType:
        p = self.panel
        out = Text(no_wrap=True, overflow="ellipsis")
        if p is None:
            return out
        rows = [r for r in p.rows or () if isinstance(r, EventRow)]
        if not rows:
            out.append("no changes in this window", style=self.muted())
            return out
        for i, r in enumerate(rows[: max(1, self.size.height)]):
            line = Text(no_wrap=True, overflow="ellipsis")
            line.append(r.time.astimezone(self.tz).strftime("%d %b %H:%M"), style=self.muted())
            line.append(f" {GLYPH.get(r.kind, '•')} ", style=self.fg("secondary"))
            if r.resources:
                line.append(clean(r.resources[0])[:32] + " ", style=self.fg("primary"))
            line.append(clean(r.summary))
            if r.actor:
                line.append(f"  by {clean(r.actor)}", style=self.muted())
            if self.cursor == i:
                line.stylize("reverse")
            out.append_text(line)
            out.append("\n")
        out.rstrip()
        return out
