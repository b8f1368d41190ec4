"""Import diagnostics: every widget, panel, target or variable not imported exactly, with the reason;
rendered for people (text) or scripts (`--report json`); `--strict` makes any of them an error."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from typing import Literal

Level = Literal["approximated", "skipped"]


@dataclass(frozen=True, slots=True)
class Diagnostic:
    """One thing not imported exactly."""

    source: str
    """Where in the dashboard: 'widget 3', 'panel 12 target B', 'variable function', 'dashboard'."""
    title: str
    """The widget's/panel's title (or the variable's name)."""
    level: Level
    """'approximated': imported, but differs as the reason says; 'skipped': not imported at all."""
    reason: str
    panel_id: str | None = None
    """The srvmon panel it became (None when skipped)."""


@dataclass
class Report:
    """What an import did: counts and diagnostics."""

    format: str
    """'cloudwatch' or 'grafana (classic|v1|v2)'."""
    dashboard: str
    items: int = 0
    """Widgets/panels found (rows and other containers not counted)."""
    imported: int = 0
    """srvmon panels written."""
    diagnostics: list[Diagnostic] = field(default_factory=list)

    def add(self, source: str, title: str, level: Level, reason: str, panel_id: str | None = None) -> None:
        """Record one; a second one for the same item and level joins the first (one line per item)."""
        for i, d in enumerate(self.diagnostics):
            if d.source == source and d.level == level and d.title == title:
                if reason not in d.reason.split("; "):
                    joined = f"{d.reason}; {reason}"
                    self.diagnostics[i] = Diagnostic(source, title, level, joined, d.panel_id or panel_id)
                return
        self.diagnostics.append(Diagnostic(source, title, level, reason, panel_id))

    @property
    def approximated(self) -> int:
        return sum(1 for d in self.diagnostics if d.level == "approximated")

    @property
    def skipped(self) -> int:
        return sum(1 for d in self.diagnostics if d.level == "skipped")

    def summary(self) -> str:
        return (
            f"{self.format} dashboard {self.dashboard!r}: {self.items} widget(s)/panel(s), "
            f"{self.imported} srvmon panel(s); {self.approximated} approximation(s), {self.skipped} not imported"
        )

    def text(self) -> str:
        lines = [self.summary()]
        for d in self.diagnostics:
            mark = "~" if d.level == "approximated" else "✗"
            target = f" -> {d.panel_id}" if d.panel_id else ""
            lines.append(f"  {mark} {d.source} {d.title!r}{target}: {d.reason}")
        if not self.diagnostics:
            lines.append("  everything was imported exactly")
        return "\n".join(lines) + "\n"

    def json(self) -> str:
        return (
            json.dumps(
                {
                    "format": self.format,
                    "dashboard": self.dashboard,
                    "items": self.items,
                    "imported": self.imported,
                    "approximated": self.approximated,
                    "skipped": self.skipped,
                    "diagnostics": [asdict(d) for d in self.diagnostics],
                },
                indent=2,
                ensure_ascii=False,
            )
            + "\n"
        )
