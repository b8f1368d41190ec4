"""Headless SVG/HTML export renders the same board widgets from a Snapshot, with no terminal."""

from __future__ import annotations

import re
import subprocess
import sys
from dataclasses import replace

from tui_fakes import real_snapshot

from srvmon.model import ProviderStatus
from srvmon.tui.export import render_html, render_svg


def test_render_svg_draws_the_board_at_the_requested_size() -> None:
    snap = real_snapshot()
    svg = render_svg(snap, (160, 48), hint="copy config.example.toml to start")
    assert svg.startswith("<svg") and svg.rstrip().endswith("</svg>")
    text = svg.replace("&#160;", " ")
    for needle in (
        "Checkout",
        "Requests/s",
        "Alarms",
        "checkout-5xx",
        "Most",
        "Function",
        "MTD",
        "copy",
        "LIVE",
    ):
        assert needle in text, needle
    rows = {int(m) for m in re.findall(r"-line-(\d+)\)", svg)}
    assert max(rows) == 47  # 48 terminal lines
    assert "Quit" not in text  # no key footer in a picture
    assert render_svg(snap, (160, 48), hint="copy config.example.toml to start") == svg  # deterministic


def test_render_svg_small_size_and_demo_marker() -> None:
    snap = replace(real_snapshot(), providers=(ProviderStatus("demo", "demo", True, demo=True),))
    svg = render_svg(snap, (80, 24))
    assert "DEMO" in svg
    assert max(int(m) for m in re.findall(r"-line-(\d+)\)", svg)) == 23


def test_render_html_is_a_page_of_text() -> None:
    snap = real_snapshot()
    page = render_html(snap, (120, 40))
    assert page.startswith("<!doctype html>") and '<pre class="srvmon"' in page and "<svg" not in page
    assert page.rstrip().endswith("</html>")
    assert "<title>srvmon — Checkout production — 2026-11-20T14:07:30+00:00</title>" in page


def test_headless_core_does_not_import_textual() -> None:
    code = (
        "import sys, srvmon.export, srvmon.poll, srvmon.cli, srvmon.tui.view, "
        "srvmon.fmt; bad = [m for m in sys.modules if m.startswith('textual')]; print(bad)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"
