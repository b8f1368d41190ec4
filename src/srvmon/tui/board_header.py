"""The board header: title, the window in local time, LIVE or paused-at, range, compare, DEMO marker."""

from __future__ import annotations

from datetime import datetime, tzinfo

from rich.text import Text
from textual.widgets import Static

from srvmon.model import TimeWindow
from srvmon.tui.view import ViewState
from srvmon.widgets.base import clean
from srvmon.widgets.line import TextLine


def window_text(window: TimeWindow, tz: tzinfo | None) -> str:
    """'Sun 22 Nov 10:00 – 14:00' (local time), dates repeated only when they differ."""
    a = window.start.astimezone(tz)
    b = window.end.astimezone(tz)
    if a.date() == b.date():
        return f"{a:%a %d %b %H:%M} – {b:%H:%M}"
    return f"{a:%a %d %b %H:%M} – {b:%a %d %b %H:%M}"


def header_text(
    title: str,
    view: ViewState,
    window: TimeWindow | None,
    tz: tzinfo | None,
    *,
    demo: bool,
    now: datetime,
    boards: int = 1,
) -> Text:
    out = Text(no_wrap=True, overflow="ellipsis")
    out.append("srvmon ", style="bold")
    out.append(clean(title), style="bold")
    if boards > 1:
        out.append(" (b: boards)")
    out.append("  ")
    if window is not None:
        out.append(window_text(window, tz))
    out.append(f"  [{view.label()}]")
    if view.live:
        out.append("  ● LIVE", style="bold")
    else:
        end = view.end.astimezone(tz) if view.end else now
        out.append(f"  ⏸ paused at {end:%d %b %H:%M}", style="bold reverse")
    out.append("  vs last week" if view.compare else "  no compare")
    if demo:
        out.append("  DEMO DATA", style="bold reverse")
    return out


class BoardHeader(TextLine):
    """Docked at the top of the board screen."""

    DEFAULT_CSS = """
    BoardHeader { height: 1; background: $primary 30%; color: $foreground; padding: 0 1; }
    """


class HintBar(Static):
    """A visible hint (e.g. no config found: how to point srvmon at a real account)."""

    DEFAULT_CSS = """
    HintBar { height: auto; max-height: 3; background: $warning 25%; color: $foreground; padding: 0 1; }
    """
