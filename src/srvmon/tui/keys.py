"""Every key of every screen in tables: they build the bindings (footer) and the help screen (`?` lists the
keys of the screen it was opened on, read back from that screen's active bindings, so help and footer
always agree)."""

from __future__ import annotations

from typing import Any

from textual.binding import Binding

#: (keys, action, short description for the footer, help text, shown in footer)
KeyRow = tuple[str, str, str, str, bool]

BOARD_KEYS: tuple[KeyRow, ...] = (
    ("q", "app.quit", "Quit", "quit srvmon", True),
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
        "pan half a window forward (live again near now)",
        False,
    ),  # fmt: skip
    ("0", "live", "Live", "back to live at the chosen range", False),
    ("w", "toggle_compare", "Last week", "compare overlay (last week dotted) on/off", True),
    ("r", "refresh", "Refresh", "refresh now", True),
    ("f", "maximize", "Max", "the focused panel full screen (f or Esc there comes back)", True),
    ("enter", "drill", "Logs", "the logs behind the focused panel / its selected row", True),
    ("enter", "open", "Open", "compact layout: open the selected panel full screen", True),
    ("E", "events", "Events", "the change events on the focused panel's resources in the window", True),
    ("x", "traces", "Traces", "X-Ray traces behind the focused panel / selected row (slow, faulty)", False),
    ("v", "variables", "Vars", "pick a value for one of the board's variables", False),
    ("l", "layout", "Layout", "switch layout: grid ↔ compact (one line per panel)", False),
    ("j", "row(1)", "Next row", "select the next row / series in the focused panel", False),
    ("k", "row(-1)", "Prev row", "select the previous row / series", False),
    ("s", "sort", "Sort", "toplist: cycle the sort order", False),
    ("left", "focus_dir('left')", "←", "focus the panel to the left", False),
    ("right", "focus_dir('right')", "→", "focus the panel to the right", False),
    ("up", "focus_dir('up')", "↑", "focus the panel above (compact: the line above)", False),
    ("down", "focus_dir('down')", "↓", "focus the panel below (compact: the line below)", False),
    ("e", "export", "SVG", "export an SVG of the screen (path shown)", True),
    ("b", "boards", "Boards", "switch board", True),
)
#: What the board does that no binding says (listed in its help).
BOARD_HELP_EXTRA: tuple[tuple[str, str], ...] = (
    ("mouse", "click focuses a panel (or a line), double click maximises it, the wheel scrolls"),
)

#: A panel shown full screen (from the compact board).
PANEL_KEYS: tuple[KeyRow, ...] = (
    ("escape,q,f", "back", "Back", "back to the board", True),
    (
        "enter",
        "drill",
        "Logs",
        "the logs behind the panel / selected row (an event: the logs around it)",
        True,
    ),
    ("j", "row(1)", "Next row", "select the next row / series", True),
    ("k", "row(-1)", "Prev row", "select the previous row / series", False),
    ("s", "sort", "Sort", "toplist: cycle the sort order", False),
    ("w", "toggle_compare", "Last week", "compare overlay (last week dotted) on/off", True),
    ("E", "events", "Events", "the change events on this panel's resources in the window", True),
    ("e", "export", "SVG", "export an SVG of the screen (path shown)", True),
)

#: The change events of a panel.
EVENTS_KEYS: tuple[KeyRow, ...] = (
    ("escape,q", "back", "Back", "back", True),
    ("enter", "open", "Logs", "the logs of the event's resources from 5 min before to 5 min after", True),
    ("o", "link", "Console link", "show the event's console link", True),
)

#: App-wide keys (every screen's help lists them too).
APP_KEYS: tuple[KeyRow, ...] = (("question_mark", "help", "Help", "the keys of this screen", True),)

#: Keys handled by Textual itself, listed in help with what they do.
BUILTIN_HELP: dict[str, str] = {
    "tab": "focus the next panel / field",
    "shift+tab": "focus the previous panel / field",
    "ctrl+p": "command palette: board, range, theme, export, compare, refresh",
}

#: Keys the board must see before the scrolling container (which would scroll instead of moving focus).
PRIORITY = frozenset({"left", "right", "up", "down"})

NAMES = {
    "plus": "+",
    "equals_sign": "=",
    "minus": "-",
    "less_than_sign": "<",
    "comma": ",",
    "greater_than_sign": ">",
    "full_stop": ".",
    "question_mark": "?",
    "left_square_bracket": "[",
    "right_square_bracket": "]",
    "slash": "/",
    "escape": "Esc",
    "enter": "Enter",
}


def bindings(table: tuple[KeyRow, ...]) -> list[Binding]:
    return [
        Binding(keys, action, desc, show=show, priority=keys in PRIORITY, tooltip=text)
        for keys, action, desc, text, show in table
    ]


def display_key(keys: str) -> str:
    return " ".join(NAMES.get(k, k) for k in keys.replace(" ", "").split(","))


def help_rows(screen: Any) -> list[tuple[str, str]]:
    """(keys, what they do) for every binding active on `screen` (its own, its focused widget's, the app's),
    keys of one binding grouped, in the order they are declared."""
    groups: dict[tuple[str, str, str], tuple[list[str], Binding]] = {}
    for key, active in screen.active_bindings.items():
        binding = active.binding
        if binding.system and binding.key not in BUILTIN_HELP:
            continue
        # "escape,q" arrives as one binding per key: the keys of one action are listed together
        keys, _ = groups.setdefault((binding.action, binding.description, binding.tooltip), ([], binding))
        if key not in keys:
            keys.append(key)
    rows: list[tuple[str, str]] = []
    for keys, binding in groups.values():
        text = binding.tooltip or binding.description or BUILTIN_HELP.get(keys[0], binding.action)
        rows.append((" ".join(NAMES.get(k, k) for k in keys), text))
    return rows + list(getattr(screen, "HELP_EXTRA", ()))
