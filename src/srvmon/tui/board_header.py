"""The board header: title, the window in local time, the range asked for, LIVE / paused / saved, compare, DEMO."""

from __future__ import annotations

from datetime import datetime, tzinfo

from rich.text import Text
from textual.widgets import Static

from srvmon.fmt import fmt_instant, fmt_window
from srvmon.model import COMPARE_LABELS, TimeWindow
from srvmon.widgets.base import clean
from srvmon.widgets.line import TextLine


def window_text(window: TimeWindow, tz: tzinfo | None) -> str:
    """'Sun 22 Nov 10:00 – 14:00' (local time), dates repeated only when they differ."""
    return fmt_window(window.start, window.end, tz)


def compare_label(code: str | None) -> str:
    days = {"1d": 1, "1w": 7, "4w": 28}.get(code or "")
    return COMPARE_LABELS.get(days or 0, code or "")


def header_text(title: str, label: str, window: TimeWindow | None, tz: tzinfo | None, *, demo: bool,
                now: datetime, live: bool, paused_at: datetime | None = None, compare: str | None,
                boards: int = 1, loading: bool = False, saved_at: datetime | None = None) -> Text:  # fmt: skip
    out = Text(no_wrap=True, overflow="ellipsis")
    out.append("srvmon ", style="bold")
    out.append(clean(title), style="bold")
    if boards > 1:
        out.append(" (b: boards)")
    out.append("  ")
    if window is not None:
        out.append(window_text(window, tz))
    out.append(f"  [{label}]")
    if loading:
        out.append(" ⟳ loading")
    if saved_at is not None:
        out.append(f"  ▣ SAVED {fmt_instant(saved_at, tz)}", style="bold reverse")
    elif live:
        out.append("  ● LIVE", style="bold")
    else:
        end = (paused_at or now).astimezone(tz)
        out.append(f"  ⏸ paused at {end:%d %b %H:%M}", style="bold reverse")
    out.append(f"  vs {compare_label(compare)}" if compare else "  no compare")
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
