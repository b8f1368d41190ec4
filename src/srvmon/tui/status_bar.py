"""The status bar: the board's own providers with their real state, refresh age, API calls and cost, DEMO."""

from __future__ import annotations

from datetime import datetime

from rich.text import Text

from srvmon.fmt import fmt_age, fmt_instant
from srvmon.model import Snapshot
from srvmon.widgets.base import clean
from srvmon.widgets.line import TextLine

#: Provider state -> mark (never colour alone).
MARK = {"ok": "✓", "partial": "◐", "error": "⊘"}


def status_text(snapshot: Snapshot | None, *, now: datetime, refreshed_at: datetime | None, refresh_s: float,
                fetching: bool = False, error: str | None = None, saved: str | None = None) -> Text:  # fmt: skip
    """One line: '✓ demo 12 calls ~$0.0000 · refreshed 5s ago (every 1m) · DEMO'."""
    out = Text(no_wrap=True, overflow="ellipsis")
    if snapshot is not None and snapshot.demo:
        out.append(" DEMO ", style="reverse bold")
        out.append(" ")
    if snapshot is not None:
        for p in snapshot.providers:
            state = "ok" if p.ok else ("partial" if p.partial else "error")
            out.append(f"{MARK[state]} {clean(p.name)}", style="bold" if p.ok else "bold reverse")
            if not p.ok:
                detail = f"{p.failed} of {p.calls} calls failed" if p.partial else clean(p.error or "failed")
                out.append(f" {detail[:60]}")
            out.append(f" {p.api_calls} calls ~${p.estimated_cost_usd:.4f}  ")
    if saved is not None:
        taken = fmt_instant(snapshot.generated_at) if snapshot else "?"
        out.append(f"saved snapshot taken {taken} ({clean(saved)}); offline", style="bold")
        return out
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
