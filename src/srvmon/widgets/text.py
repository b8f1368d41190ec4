"""Text panel body: a note's markdown shown as inert, lightly styled text (headings bold, no links followed)."""

from __future__ import annotations

from rich.console import RenderableType
from rich.text import Text

from srvmon.widgets.base import PanelBody, clean


class TextView(PanelBody):
    """Headings bold, list items with bullets, everything else as plain cleaned text."""

    def render(self) -> RenderableType:
        p = self.panel
        out = Text(overflow="fold")
        if p is None or not p.notes:
            return out
        for raw in p.notes[0].splitlines()[: max(1, self.size.height)]:
            line = clean(raw)
            stripped = line.lstrip()
            if stripped.startswith("#"):
                out.append(stripped.lstrip("#").strip() + "\n", style="bold")
            elif stripped[:2] in ("- ", "* "):
                out.append("• " + stripped[2:] + "\n")
            else:
                out.append(line + "\n")
        out.rstrip()
        return out
