"""Screen pictures that render the same everywhere: the SVG Textual exports (Rich's terminal SVG) made
self-contained and librsvg-safe, and a real HTML page (selectable text, no external resources) built
from the same picture.

librsvg ignores `textLength` and falls back to fonts whose symbols (braille, ✓, ●) have other advance
widths, so a run of such glyphs drifts right and spills past panel borders; it also strips leading
no-break spaces. `fix_svg` positions every glyph of such a run in its own cell (a `<tspan x>` each: librsvg ignores `x`
lists), preserves
spaces, and drops the web-font URLs (a picture must work offline)."""

from __future__ import annotations

import html
import re
from dataclasses import dataclass, field

from rich.cells import cell_len

#: Rich's terminal SVG metrics (font-size 20px): a cell is 0.61 em wide, a line 1.22 em high.
CHAR_W = 12.2
LINE_H = 24.4
FONTS = '"Fira Code", "DejaVu Sans Mono", Menlo, Consolas, "Liberation Mono", monospace'

_TEXT = re.compile(r'<text class="([^"]+)" x="([\d.]+)" y="([\d.]+)" textLength="([\d.]+)" '
                   r'clip-path="url\(#([\w-]+)-line-(\d+)\)">(.*?)</text>', re.S)  # fmt: skip
_RECT = re.compile(r'<rect fill="(#[0-9a-fA-F]{6})" x="([\d.]+)" y="([\d.]+)" width="([\d.]+)" '
                   r'height="[\d.]+" shape-rendering="crispEdges"/>')  # fmt: skip
_CLASS = re.compile(r"\.([\w-]+-r\d+) \{ ([^}]*)\}")
_WINDOW = re.compile(r'<rect fill="(#[0-9a-fA-F]{6})" stroke=')
_URL = re.compile(r',\s*url\("[^"]*"\) format\("[^"]*"\)')


def _escape(text: str) -> str:
    return html.escape(text, quote=False).replace(" ", "&#160;")


def fix_svg(svg: str) -> str:
    """The exported SVG, offline and librsvg-safe (see the module docstring); idempotent."""
    svg = _URL.sub("", svg)
    svg = svg.replace("font-family: Fira Code, monospace;", f"font-family: {FONTS};")
    if 'xml:space="preserve"' not in svg:
        svg = svg.replace('<svg class="rich-terminal"', '<svg class="rich-terminal" xml:space="preserve"', 1)

    def place(m: re.Match[str]) -> str:
        cls, x, y, length, prefix, line, body = m.groups()
        text = html.unescape(body).replace("\u00a0", " ")
        if text.isascii():
            return m.group(0)
        if "<tspan" in body:
            return m.group(0)  # already placed
        x0 = float(x)
        spans: list[str] = []
        run: list[str] = []
        start = col = 0
        for ch in text:
            if not ch.isascii() or (run and not run[-1].isascii()):
                if run:  # each symbol in its own cell; a plain run re-anchored after it
                    spans.append(f'<tspan x="{x0 + start * CHAR_W:.1f}">{_escape("".join(run))}</tspan>')
                run, start = [], col
            run.append(ch)
            col += max(1, cell_len(ch))
        if run:
            spans.append(f'<tspan x="{x0 + start * CHAR_W:.1f}">{_escape("".join(run))}</tspan>')
        return (f'<text class="{cls}" x="{x}" y="{y}" textLength="{length}" '
                f'clip-path="url(#{prefix}-line-{line})">{"".join(spans)}</text>')  # fmt: skip

    return _TEXT.sub(place, svg)


@dataclass
class _Cell:
    char: str = " "
    style: str = ""
    bg: str = ""
    #: The second half of a wide character (emits nothing).
    cont: bool = False


@dataclass
class _Screen:
    width: int
    height: int
    background: str
    rows: list[list[_Cell]] = field(default_factory=list)


def parse_svg(svg: str, width: int, height: int) -> _Screen:
    """The terminal cells of a Rich terminal SVG: characters, their CSS (colour, weight) and backgrounds."""
    window = _WINDOW.search(svg)
    screen = _Screen(width, height, window.group(1) if window else "#000000")
    screen.rows = [[_Cell() for _ in range(width)] for _ in range(height)]
    classes = {name: body.strip().rstrip(";") for name, body in _CLASS.findall(svg)}
    for fill, x, y, w in _RECT.findall(svg):
        row = int(round((float(y) - 1.5) / LINE_H))
        col = int(round(float(x) / CHAR_W))
        for c in range(col, min(width, col + int(round(float(w) / CHAR_W)))):
            if 0 <= row < height:
                screen.rows[row][c].bg = fill
    for cls, x, _y, _length, _prefix, line, body in _TEXT.findall(svg):
        row = int(line)
        if not 0 <= row < height:
            continue
        first = x.split()[0]
        col = int(round(float(first) / CHAR_W))
        style = classes.get(cls, "").replace("fill:", "color:")
        for ch in html.unescape(re.sub(r"<[^>]+>", "", body)):
            if col >= width:
                break
            cell = screen.rows[row][col]
            cell.char, cell.style = ("\u00a0" if ch == " " else ch), style
            wide = max(1, cell_len(ch))
            for extra in range(1, wide):
                if col + extra < width:
                    screen.rows[row][col + extra].cont = True
            col += wide
    return screen


def svg_lines(svg: str, size: tuple[int, int]) -> list[str]:
    """The picture's text, one string per terminal line (what a reader of the SVG sees)."""
    screen = parse_svg(svg, *size)
    return ["".join("" if c.cont else c.char for c in row).replace("\u00a0", " ") for row in screen.rows]


def svg_to_html(svg: str, size: tuple[int, int], *, title: str) -> str:
    """A standalone page showing the same screen as text: one <pre>, inline-styled spans, no scripts, no
    fonts or images fetched from anywhere."""
    screen = parse_svg(svg, *size)
    lines: list[str] = []
    for row in screen.rows:
        out: list[str] = []
        run: list[str] = []
        key: tuple[str, str] | None = None
        for cell in row:
            if cell.cont:
                continue
            k = (cell.style, cell.bg)
            if k != key and run:
                out.append(_span(key, "".join(run)))
                run = []
            key = k
            run.append(cell.char)
        if run:
            out.append(_span(key, "".join(run)))
        lines.append("".join(out))
    body = "\n".join(lines)
    return (
        '<!doctype html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        f"<title>{html.escape(title)}</title>\n"
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        "<style>\n"
        f"body {{ margin: 0; padding: 1em; background: {screen.background}; }}\n"
        f"pre.srvmon {{ font-family: {FONTS}; font-size: 14px; line-height: 1.22; margin: 0; "
        f"color: #c5c8c6; background: {screen.background}; white-space: pre; }}\n"
        "pre.srvmon span { white-space: pre; }\n"
        "</style>\n</head>\n<body>\n"
        f'<pre class="srvmon" aria-label="{html.escape(title)}">{body}</pre>\n'
        "</body>\n</html>\n"
    )


def _span(key: tuple[str, str] | None, text: str) -> str:
    style, bg = key or ("", "")
    css = ";".join(s for s in (style.replace(";", "; ").strip(), f"background:{bg}" if bg else "") if s)
    escaped = html.escape(text, quote=False)
    return f'<span style="{html.escape(css)}">{escaped}</span>' if css else escaped
