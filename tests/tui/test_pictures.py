"""Pictures that render the same everywhere: the SVG in librsvg (rsvg-convert, a real renderer: glyph runs
stay in their cells, nothing fetched), the HTML as a self-contained page with selectable text, and the
NO_COLOR and colour-blind-safe screens carrying meaning in glyphs."""

from __future__ import annotations

import re
import shutil
import struct
import subprocess
import zlib
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest
from textual.app import App, ComposeResult
from textual.widgets import Static
from tui_fakes import real_snapshot, settle, static_app

from srvmon.tui.export import render_html, render_svg
from srvmon.tui.svg import CHAR_W, fix_svg

BRAILLE = "⣀⡠⠔⠤⢄⣀⠒⠊⠉⠑⠢⠤⣀⡠⠔⠤⢄⣀⠒⠊⠉⠑⠢⠤⣀⡠⠔⠤⢄⣀"  # 30 cells
BORDER_COL = 30


def rsvg() -> str:
    found = shutil.which("rsvg-convert")
    if found is None:
        pytest.fail("rsvg-convert is not installed (apt-get install librsvg2-bin)")
    return found


def png_rows(data: bytes) -> tuple[int, int, list[bytes]]:
    """A minimal PNG decoder (8-bit RGBA, what rsvg-convert writes): width, height, unfiltered rows."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    pos, idat, width, height = 8, b"", 0, 0
    while pos < len(data):
        (length,) = struct.unpack(">I", data[pos : pos + 4])
        kind, body = data[pos + 4 : pos + 8], data[pos + 8 : pos + 8 + length]
        if kind == b"IHDR":
            width, height, depth, colour = struct.unpack(">IIBB", body[:10])
            assert (depth, colour) == (8, 6), "expected 8-bit RGBA"
        elif kind == b"IDAT":
            idat += body
        pos += 12 + length
    raw = zlib.decompress(idat)
    stride, bpp = width * 4, 4
    rows: list[bytes] = []
    prev = bytearray(stride)
    for y in range(height):
        f = raw[y * (stride + 1)]
        line = bytearray(raw[y * (stride + 1) + 1 : (y + 1) * (stride + 1)])
        for x in range(stride):
            a = line[x - bpp] if x >= bpp else 0
            b = prev[x]
            c = prev[x - bpp] if x >= bpp else 0
            if f == 1:
                line[x] = (line[x] + a) & 255
            elif f == 2:
                line[x] = (line[x] + b) & 255
            elif f == 3:
                line[x] = (line[x] + (a + b) // 2) & 255
            elif f == 4:
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                line[x] = (line[x] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
        rows.append(bytes(line))
        prev = line
    return width, height, rows


class Glyphs(App[None]):
    CSS = "Screen { background: #000000; } Static { color: #ffffff; }"

    def compose(self) -> ComposeResult:
        yield Static(BRAILLE + "│" + " " * 9)


async def _glyph_svg() -> str:
    app = Glyphs()
    async with app.run_test(size=(40, 3)) as pilot:
        await pilot.pause()
        return app.export_screenshot(title="glyphs")


def lit_columns_right_of_border(svg: str, tmp: Path) -> int:
    """Bright pixels on the glyph line to the right of the border's cell (a spill), in rsvg-convert's PNG."""
    src, out = tmp / "x.svg", tmp / "x.png"
    src.write_text(svg, encoding="utf-8")
    subprocess.run([rsvg(), "-z", "1", str(src), "-o", str(out)], check=True, timeout=60)
    width, _, rows = png_rows(out.read_bytes())
    left = 9 + (BORDER_COL + 1) * CHAR_W + 2  # the terminal group is translated by 9px
    lit = 0
    for row in rows[41 : 41 + 24]:  # the first terminal line, under the window title bar
        for x in range(int(left), width - 20):
            r, g, b = row[4 * x], row[4 * x + 1], row[4 * x + 2]
            lit += r > 160 and g > 160 and b > 160
    return lit


@pytest.mark.anyio
async def test_librsvg_keeps_glyph_runs_in_their_cells(tmp_path: Path) -> None:
    raw = await _glyph_svg()
    assert lit_columns_right_of_border(raw, tmp_path) > 0  # Rich's SVG spills in librsvg: the check can fail
    assert lit_columns_right_of_border(fix_svg(raw), tmp_path) == 0


def test_exported_svg_is_self_contained_and_renders_in_librsvg(tmp_path: Path) -> None:
    svg = render_svg(real_snapshot(), (120, 40))
    body = re.sub(r"<!--.*?-->", "", svg, flags=re.S)
    assert "http" not in body.replace('xmlns="http://www.w3.org/2000/svg"', "") and set(
        re.findall(r"url\((.)", body)
    ) == {"#"}  # only references inside
    assert 'xml:space="preserve"' in svg
    for body in re.findall(r"<text[^>]*>(.*?)</text>", svg):
        text = re.sub(r"<[^>]+>", "", body)
        assert text.isascii() or "<tspan" in body or re.fullmatch(r"&#\d+;|.", text), body[:80]
    path = tmp_path / "board.svg"
    path.write_text(svg, encoding="utf-8")
    png = tmp_path / "board.png"
    subprocess.run([rsvg(), "-w", "1600", str(path), "-o", str(png)], check=True, timeout=60)
    width, height, _ = png_rows(png.read_bytes())
    assert width == 1600 and height > 900
    assert fix_svg(svg) == svg  # idempotent


class _Page(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[str] = []
        self.attrs: list[tuple[str, str | None]] = []
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        self.attrs += attrs

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def test_html_is_real_text_and_fetches_nothing() -> None:
    snap = real_snapshot()
    page = render_html(snap, (120, 40))
    parser = _Page()
    parser.feed(page)
    assert "svg" not in parser.tags and "script" not in parser.tags and "img" not in parser.tags
    assert not any(v and ("http" in v or "url(" in v) for _, v in parser.attrs)
    assert "url(" not in page and "https://" not in page
    text = "".join(parser.text).replace("\xa0", " ")
    lines = text.split("\n")
    for needle in ("Checkout production", "Requests/s", "checkout-5xx", "MTD $", "LIVE"):
        assert needle in text, needle
    assert "<title>srvmon — Checkout production — 2026-11-20T14:07:30+00:00</title>" in page
    board_lines = [line for line in lines if "Requests/s" in line]
    assert board_lines and all(len(line) <= 120 for line in board_lines)


def test_no_color_screen_carries_meaning_in_glyphs(
    snap_compare: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("NO_COLOR", "1")
    app = static_app(real_snapshot())
    assert app.no_color

    async def run_before(pilot: Any) -> None:
        await settle(pilot.app, pilot)

    assert snap_compare(app, terminal_size=(160, 48), run_before=run_before)


@pytest.mark.parametrize("theme", ["srvmon-okabe-ito", "srvmon-high-contrast", "textual-light"])
def test_themes(snap_compare: Any, theme: str) -> None:
    async def run_before(pilot: Any) -> None:
        await settle(pilot.app, pilot)

    assert snap_compare(
        static_app(real_snapshot(), theme=theme), terminal_size=(120, 40), run_before=run_before
    )
