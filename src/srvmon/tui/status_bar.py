"""The status bar: per-provider state, last refresh age, API calls and estimated cost, DEMO marker."""

from __future__ import annotations

from datetime import datetime

from rich.text import Text

from srvmon.model import Snapshot
from srvmon.widgets.base import clean
from srvmon.widgets.line import TextLine
from srvmon.widgets.units import fmt_age


def status_text(
    snapshot: Snapshot | None,
    *,
    now: datetime,
    refreshed_at: datetime | None,
    refresh_s: float,
    fetching: bool = False,
    error: str | None = None,
) -> Text:
    """One line: '✓ demo 12 calls ~$0.00 · refreshed 5s ago (every 1m) · DEMO'."""
    out = Text(no_wrap=True, overflow="ellipsis")
    if snapshot is not None and snapshot.demo:
        out.append(" DEMO ", style="reverse bold")
        out.append(" ")
    if snapshot is not None:
        for p in snapshot.providers:
            mark = "✓" if p.ok else "⊘"
            out.append(f"{mark} {clean(p.name)}", style="bold" if p.ok else "bold reverse")
            if not p.ok and p.error:
                out.append(f" {clean(p.error)[:50]}")
            out.append(f" {p.api_calls} calls ~${p.estimated_cost_usd:.4f}  ")
    age = None if refreshed_at is None else (now - refreshed_at).total_seconds()
    out.append(f"refreshed {fmt_age(age)} ago" if refreshed_at else "not refreshed yet")
    out.append(f" (every {fmt_age(refresh_s)})")
    if fetching:
        out.append(" ⟳ fetching…")
    if error:
        out.append(f"  ⊘ last refresh failed: {clean(error)[:80]}", style="bold")
    return out


class StatusBar(TextLine):
    """Docked at the bottom above the key footer."""

    DEFAULT_CSS = """
    StatusBar { height: 1; background: $panel; color: $foreground; padding: 0 1; }
    StatusBar.-error { background: $error 40%; }
    """
