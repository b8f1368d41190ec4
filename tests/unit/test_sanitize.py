"""Untrusted text is shown literally: no escape sequence survives, no Rich markup is parsed."""

from __future__ import annotations

import io

import pytest
from rich.console import Console

from srvmon.sanitize import clean, safe_text

ESC = "\x1b"


def _no_controls(text: str) -> bool:
    return not any((ord(c) < 0x20 and c != "\t") or 0x7F <= ord(c) < 0xA0 for c in text)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (f"{ESC}[31mred{ESC}[0m", "␛[31mred␛[0m"),  # CSI SGR
        (f"{ESC}[2J{ESC}[H", "␛[2J␛[H"),  # CSI clear screen / home
        (
            f"{ESC}]8;;https://evil.example/{ESC}\\click{ESC}]8;;{ESC}\\",
            "␛]8;;https://evil.example/␛\\click␛]8;;␛\\",
        ),
        (f"{ESC}]52;c;ZXZpbA==\x07", "␛]52;c;ZXZpbA==␇"),  # OSC 52 clipboard write
        (f"{ESC}]0;pwned title\x07", "␛]0;pwned title␇"),  # OSC 0 window title
        (f"{ESC}P+q544e{ESC}\\", "␛P+q544e␛\\"),  # DCS
        (f"{ESC}_apc payload{ESC}\\", "␛_apc payload␛\\"),  # APC
        (f"{ESC}^pm{ESC}\\", "␛^pm␛\\"),  # PM
        (f"{ESC}Xsos{ESC}\\", "␛Xsos␛\\"),  # SOS
        (f"{ESC}c{ESC}7{ESC}8", "␛c␛7␛8"),  # single ESC: reset, save/restore cursor
        (
            "\x9b31m\x9d0;t\x9c\x90\x85",
            "\\x9b31m\\x9d0;t\\x9c\\x90\\x85",
        ),  # C1 (8-bit CSI, OSC, ST, DCS, NEL)
        ("a\x00b\x07c\x08d\re\x7ff", "a␀b␇c␈d␍e␡f"),  # C0 + DEL
        ("tab\tkept", "tab\tkept"),
        ("line1\nline2", "line1⏎line2"),
        ("user\u202eexe.txt", "user\\u202eexe.txt"),  # RLO (Trojan Source)
        ("\u2066x\u2069\u200f", "\\u2066x\\u2069\\u200f"),  # isolates, RLM
        ("héllo ☃ 日本", "héllo ☃ 日本"),  # ordinary Unicode untouched
    ],
)
def test_clean_neutralises_every_escape_class(raw: str, expected: str) -> None:
    out = clean(raw)
    assert out == expected
    assert _no_controls(out)
    assert ESC not in out


def test_clean_can_keep_newlines() -> None:
    assert clean("a\nb\r\n", keep_newlines=True) == "a\nb␍\n"


def test_clean_accepts_non_str() -> None:
    assert clean(42) == "42"  # type: ignore[arg-type]


def _render(text: object) -> str:
    buf = io.StringIO()
    Console(file=buf, force_terminal=True, color_system="truecolor", width=200).print(text)
    return buf.getvalue()


@pytest.mark.parametrize(
    "raw",
    [
        "[bold red]x[/]",
        "[link=https://evil.example]click[/link]",
        "[/]",
        "[@click=app.quit]boom[/]",
        ":skull: \\[escaped]",
    ],
)
def test_safe_text_keeps_markup_literal(raw: str) -> None:
    t = safe_text(raw)
    assert t.plain == raw
    assert t.spans == []
    rendered = _render(t)
    assert raw in rendered
    assert "\x1b]8;" not in rendered  # no hyperlink was produced


def test_safe_text_output_carries_no_foreign_escape() -> None:
    raw = f"{ESC}]52;c;ZXZpbA==\x07[bold]{ESC}[31mx"
    t = safe_text(raw, style="dim")
    assert t.plain == "␛]52;c;ZXZpbA==␇[bold]␛[31mx"
    rendered = _render(t)
    assert "]52;" in rendered and "\x1b]52" not in rendered and "\x07" not in rendered


def test_lone_surrogates_become_placeholders() -> None:
    import json

    raw = json.loads('"a\\ud800b\\udfffc"')  # valid JSON, but not encodable text
    out = clean(raw)
    assert out == "a\\ud800b\\udfffc"
    out.encode("utf-8")  # would raise UnicodeEncodeError on the terminal otherwise
    assert clean("😀 ok") == "😀 ok"  # real astral characters are untouched
