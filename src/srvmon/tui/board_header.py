"""The board header: title, the window in local time, the range asked for, LIVE / paused / saved, compare, DEMO."""

from __future__ import annotations

from datetime import datetime, tzinfo

from rich.text import Text
from textual.widgets import Static

from srvmon.fmt import ellipsize, fmt_instant, fmt_window
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
                boards: int = 1, loading: bool = False, saved_at: datetime | None = None,
                wall: bool = False, width: int = 0) -> Text:  # fmt: skip
    """The header line; when it would not fit `width` columns, the short form (same facts, fewer words)."""
    full = _header(title, label, window, tz, demo=demo, now=now, live=live, paused_at=paused_at,
                   compare=compare, boards=boards, loading=loading, saved_at=saved_at, wall=wall, short=False)  # fmt: skip
    if not width or full.cell_len <= width - 2:
        return full
    return _header(title, label, window, tz, demo=demo, now=now, live=live, paused_at=paused_at,
                   compare=compare, boards=boards, loading=loading, saved_at=saved_at, wall=wall, short=True)  # fmt: skip


def _short_window(window: TimeWindow, tz: tzinfo | None) -> str:
    a, b = window.start.astimezone(tz), window.end.astimezone(tz)
    if a.date() == b.date():
        return f"{a:%H:%M}–{b:%H:%M}"
    return f"{a:%d %b %H:%M}–{b:%d %b %H:%M}"


def _header(title: str, label: str, window: TimeWindow | None, tz: tzinfo | None, *, demo: bool,
            now: datetime, live: bool, paused_at: datetime | None, compare: str | None, boards: int,
            loading: bool, saved_at: datetime | None, wall: bool, short: bool) -> Text:  # fmt: skip
    out = Text(no_wrap=True, overflow="ellipsis")
    if not short:
        out.append("srvmon ", style="bold")
    out.append(clean(title) if not short else ellipsize(clean(title), 24), style="bold")
    if boards > 1 and not short:
        out.append(" (b: boards)")
    out.append("  ")
    if window is not None:
        out.append(_short_window(window, tz) if short else window_text(window, tz))
    out.append(f" [{label}]" if short else f"  [{label}]")
    if loading:
        out.append(" ⟳" if short else " ⟳ loading")
    if saved_at is not None:
        out.append(f"  ▣ SAVED {fmt_instant(saved_at, tz)}", style="bold reverse")
    elif live:
        out.append(" ● LIVE" if short else "  ● LIVE", style="bold")
    else:
        end = (paused_at or now).astimezone(tz)
        out.append(
            f" ⏸ {end:%d %b %H:%M}" if short else f"  ⏸ paused at {end:%d %b %H:%M}", style="bold reverse"
        )
    if short:
        out.append(f" vs {compare}" if compare else " no compare")
    else:
        out.append(f"  vs {compare_label(compare)}" if compare else "  no compare")
    if demo:
        out.append(" DEMO" if short else "  DEMO DATA", style="bold reverse")
    if wall:
        out.append("  WALL", style="bold")
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
