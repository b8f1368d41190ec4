"""Every key of the board in one table: it builds the bindings and the help screen."""

from __future__ import annotations

from textual.binding import Binding

#: (keys, action, short description for the footer, help text, shown in footer)
BOARD_KEYS: tuple[tuple[str, str, str, str, bool], ...] = (
    ("t", "cycle_range", "Range", "cycle the range 1h → 4h → 12h → 1d → 1w → 1mo", True),
    ("1", "range('1h')", "1h", "range: last hour", False),
    ("2", "range('4h')", "4h", "range: last 4 hours", False),
    ("3", "range('12h')", "12h", "range: last 12 hours", False),
    ("4", "range('1d')", "1d", "range: last day", False),
    ("5", "range('1w')", "1w", "range: last week", False),
    ("6", "range('1mo')", "1mo", "range: last month", False),
    ("plus,equals_sign", "zoom(0.5)", "Zoom in", "zoom in (half the window)", False),
    ("minus", "zoom(2.0)", "Zoom out", "zoom out (twice the window)", False),
    ("less_than_sign,comma", "pan(-0.5)", "Back", "pan half a window into the past (pauses)", False),
    (
        "greater_than_sign,full_stop",
        "pan(0.5)",
        "Fwd",
        "pan half a window forward (live again at now)",
        False,
    ),
    ("0", "live", "Live", "back to live at the chosen range", False),
    ("w", "toggle_compare", "Last week", "compare overlay (last week dotted) on/off", True),
    ("r", "refresh", "Refresh", "refresh now", True),
    ("f", "maximize", "Max", "maximise the focused panel (again to restore)", True),
    ("enter", "drill", "Logs", "drill down to the logs behind the panel / selected row", True),
    ("j", "row(1)", "Next row", "select the next row / series in the focused panel", False),
    ("k", "row(-1)", "Prev row", "select the previous row / series", False),
    ("s", "sort", "Sort", "toplist: cycle the sort order", False),
    ("left", "focus_dir('left')", "←", "focus the panel to the left", False),
    ("right", "focus_dir('right')", "→", "focus the panel to the right", False),
    ("up", "focus_dir('up')", "↑", "focus the panel above", False),
    ("down", "focus_dir('down')", "↓", "focus the panel below", False),
    ("e", "export", "SVG", "export an SVG of the screen (path shown)", True),
    ("b", "boards", "Boards", "switch board", True),
)

#: App-wide keys (listed in help too).
APP_KEYS: tuple[tuple[str, str, str, str, bool], ...] = (
    ("question_mark", "help", "Help", "this help screen", True),
    ("q", "quit", "Quit", "quit srvmon", True),
)

#: Keys handled by Textual itself, shown in help.
BUILTIN_KEYS: tuple[tuple[str, str], ...] = (
    ("tab / shift+tab", "focus the next / previous panel"),
    ("ctrl+p", "command palette: board, range, theme, export, compare, refresh"),
    ("escape", "restore a maximised panel / close this help"),
    ("mouse", "click a panel to focus it, click a row to select it"),
)


#: Keys the board must see before the scrolling container (which would scroll instead of moving focus).
PRIORITY = frozenset({"left", "right", "up", "down"})


def bindings(table: tuple[tuple[str, str, str, str, bool], ...]) -> list[Binding]:
    return [
        Binding(keys, action, desc, show=show, priority=keys in PRIORITY)
        for keys, action, desc, _, show in table
    ]


def display_key(keys: str) -> str:
    names = {
        "plus": "+",
        "equals_sign": "=",
        "minus": "-",
        "less_than_sign": "<",
        "comma": ",",
        "greater_than_sign": ">",
        "full_stop": ".",
        "question_mark": "?",
    }
    return " ".join(names.get(k, k) for k in keys.split(","))


def help_rows() -> list[tuple[str, str]]:
    rows = [(display_key(k), h) for k, _, _, h, _ in BOARD_KEYS + APP_KEYS]
    return rows + list(BUILTIN_KEYS)
