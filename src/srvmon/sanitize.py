"""Make untrusted text (log lines, cloud names) safe to show: control chars become visible placeholders.

Every C0/C1 control character, DEL and bidirectional-override character is replaced by a visible
stand-in, so no terminal escape sequence (CSI, OSC incl. OSC 8 links / OSC 52 clipboard / title,
DCS, APC, PM, SOS, single ESC) can ever reach the terminal intact: ESC itself is shown as "␛" and
the rest of the sequence stays as the literal characters it was. `safe_text` wraps the result in a
Rich Text without markup parsing, so "[bold]" stays "[bold]".
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from rich.text import Text

#: Shown for "\n" unless newlines are kept.
NEWLINE_MARK = "⏎"

# Bidirectional controls (Trojan Source, CVE-2021-42574) and invisible direction marks.
_BIDI = (
    [0x061C, 0x200E, 0x200F]
    + list(range(0x202A, 0x202F))  # LRE RLE PDF LRO RLO
    + list(range(0x2066, 0x206A))  # LRI RLI FSI PDI
)
# Other invisible characters that break layout or spoof text.
_INVISIBLE = [0x2028, 0x2029, 0xFEFF, 0xFFF9, 0xFFFA, 0xFFFB]


def _table(keep_newlines: bool) -> dict[int, str]:
    table: dict[int, str] = {}
    for code in range(0x20):
        table[code] = chr(0x2400 + code)  # Unicode Control Pictures: ␀ ... ␟ (␛ for ESC)
    del table[0x09]  # tab stays
    table[0x0A] = "\n" if keep_newlines else NEWLINE_MARK
    table[0x7F] = "␡"
    for code in range(0x80, 0xA0):  # C1 controls (incl. 8-bit CSI 0x9b, OSC 0x9d, DCS 0x90, ST 0x9c)
        table[code] = f"\\x{code:02x}"
    for code in _BIDI + _INVISIBLE:
        table[code] = f"\\u{code:04x}"
    for code in range(0xD800, 0xE000):  # lone surrogates (from JSON) cannot be encoded for the terminal
        table[code] = f"\\u{code:04x}"
    return table


_TABLE = _table(keep_newlines=False)
_TABLE_KEEP_NL = _table(keep_newlines=True)


def clean(text: str, *, keep_newlines: bool = False) -> str:
    """`text` with every control/bidi character replaced by a visible placeholder; never interpreted.

    "\\x1b" -> "␛", "\\x07" -> "␇", "\\r" -> "␍", C1 -> "\\x9b", bidi -> "\\u202e", DEL -> "␡",
    lone surrogate -> "\\ud800";
    "\\n" -> "⏎" (or kept with keep_newlines=True); tab is kept.
    """
    if not isinstance(text, str):
        text = str(text)
    return text.translate(_TABLE_KEEP_NL if keep_newlines else _TABLE)


def safe_text(text: str, *, keep_newlines: bool = False, style: str = "") -> Text:
    """A Rich Text of the cleaned string: no markup, no escapes are ever parsed from `text`."""
    from rich.text import Text

    return Text(clean(text, keep_newlines=keep_newlines), style=style)
