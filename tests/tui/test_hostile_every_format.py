"""Untrusted text through every export (json, csv, md, txt, svg, html): the hostile strings that reach
srvmon from clouds (log lines, alarm and resource names, provider errors) leave no raw C0/C1 control, DEL
or bidi override and no live markup in any format; and a partially failed provider says so in each."""

from __future__ import annotations

import csv
import io
import json
from dataclasses import replace
from datetime import UTC

import pytest
from markdown_it import MarkdownIt
from tui_fakes import real_snapshot

from srvmon.codec import loads
from srvmon.export import render
from srvmon.model import AlarmRow, LogRow, ProviderStatus, Snapshot
from srvmon.tui.export import render_html, render_svg

#: One of each escape class sanitize.py neutralises, and markup for each output language.
HOSTILE = (
    "\x1b]0;pwned\x07",  # OSC: set the terminal title
    "\x1b]8;;http://evil.invalid\x1b\\link\x1b]8;;\x1b\\",  # OSC 8 hyperlink
    "\x1b]52;c;cGF5bG9hZA==\x07",  # OSC 52: write the clipboard
    "\x1b[2J\x1b[31mred",  # CSI: clear screen, colour
    "\x9b31m8-bit CSI",  # C1 CSI (one byte)
    "\x90DCS\x9c",  # C1 DCS ... ST
    "del\x7fete",
    "nul\x00byte",
    "\u202eevil\u202c",  # RLO ... PDF (Trojan Source)
    "\u2066isolate\u2069",
    '<script>alert(1)</script><img src=x onerror="alert(2)">',
    "[x](http://evil.invalid) ![i](http://evil.invalid/i.png)",
    '=HYPERLINK("http://evil.invalid")',
)
RAW = {chr(c) for c in range(0x20) if c not in (0x09, 0x0A, 0x0D)} | {chr(0x7F)}
RAW |= {chr(c) for c in range(0x80, 0xA0)}
RAW |= {"\u202a", "\u202b", "\u202c", "\u202d", "\u202e", "\u2066", "\u2067", "\u2068", "\u2069"}


def _number(cell: str) -> bool:
    try:
        float(cell)
    except ValueError:
        return False
    return True


def hostile_snapshot(text: str) -> Snapshot:
    snap = real_snapshot()
    panels = []
    for p in snap.panels:
        if p.kind == "alarms":
            p = replace(
                p, rows=(AlarmRow(name=text, state="ALARM", reason=text, resource=text, status="crit"),)
            )
        elif p.kind == "logs":
            p = replace(
                p, rows=(LogRow(time=snap.generated_at, resource=text, message=text, level=text, status=503),)
            )
        elif p.kind in ("stat", "timeseries"):
            p = replace(p, title=f"{p.title} {text}")
        panels.append(p)
    partial = ProviderStatus("fake", "fake", False, f"AccessDenied: {text}", api_calls=5, calls=5, failed=1)
    return replace(snap, panels=tuple(panels), providers=(partial,))


@pytest.mark.parametrize("text", HOSTILE, ids=range(len(HOSTILE)))
def test_hostile_text_is_inert_in_every_format(text: str) -> None:
    snap = hostile_snapshot(text)
    outputs = {fmt: render(snap, fmt) for fmt in ("json", "csv", "md", "txt")}
    outputs["svg"] = render_svg(snap, (160, 48), tz=UTC)
    outputs["html"] = render_html(snap, (160, 48), tz=UTC)
    for fmt, out in outputs.items():
        assert not RAW & set(out), (fmt, sorted(RAW & set(out)))
    for fmt in ("svg", "html"):
        out = outputs[fmt]
        assert "<script>alert" not in out and "<img src=x" not in out, fmt
    # Markdown, as a CommonMark renderer sees it: no link, image or raw HTML comes from the data
    rendered = MarkdownIt("commonmark").render(outputs["md"])
    assert "<a " not in rendered and "<img" not in rendered and "<script" not in rendered
    for row in csv.reader(io.StringIO(outputs["csv"])):  # no cell a spreadsheet would evaluate
        assert not [cell for cell in row if cell[:1] in ("=", "+", "-", "@") and not _number(cell)], row
    # JSON keeps the text exactly (escaped on the wire, read back equal)
    assert loads(outputs["json"]) == snap
    assert text in json.loads(outputs["json"])["providers"][0]["error"]


def test_a_partial_provider_says_so_in_every_text_format() -> None:
    snap = hostile_snapshot("quota")
    state = "partial: 1 of 5 calls failed: AccessDenied: quota"
    assert snap.providers[0].state == state
    for fmt in ("md", "txt"):
        assert state in render(snap, fmt), fmt
    assert json.loads(render(snap, "json"))["providers"][0]["state"] == state
