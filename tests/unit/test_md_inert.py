"""The Markdown digest is inert: no link, image, autolink or HTML comes from data (alarm, resource, function
and service names, labels, log messages, errors, titles), rendered with markdown-it-py as viewers do."""

from __future__ import annotations

from dataclasses import replace

import pytest
from markdown_it import MarkdownIt

from srvmon.config import parse_config
from srvmon.export import to_md
from srvmon.poll import Poller

EVIL = [
    "[click](http://evil.invalid/a)",
    "![img](http://evil.invalid/i.png)",
    "<img src=x onerror=alert(1)>",
    "<script>alert(1)</script>",
    "http://evil.invalid/auto",
    "<http://evil.invalid/angle>",
    "**bold** _em_ `code` ~~strike~~",
    "a | b | c",
    "```\nfence\n```",
    "[ref]: http://evil.invalid/ref",
    "&lt;escaped&gt; &#x3C;",
    "\x1b]8;;http://evil.invalid\x1b\\osc8\x1b]8;;\x1b\\",
]

DEMO = '[providers.demo]\ntype = "demo"\n[[boards]]\nname = "s"\npreset = "serverless"\n'


def hostile(clock):  # type: ignore[no-untyped-def]
    cfg = parse_config(DEMO)
    snap = Poller(cfg.boards[0], cfg.build_providers(clock), clock).poll()
    panels = []
    for i, p in enumerate(snap.panels):
        evil = EVIL[i % len(EVIL)]
        rows = p.rows
        if rows:
            fields = [
                f
                for f in ("name", "function", "service", "resource", "message", "reason")
                if hasattr(rows[0], f)
            ]
            rows = tuple(replace(r, **{f: evil for f in fields}) for r in rows)  # type: ignore[type-var]
        panels.append(replace(p, title=f"{p.title} {evil}", rows=rows, notes=(evil, *p.notes),
                              error=evil if i % 5 == 0 else p.error, stale=i % 5 == 0 or p.stale))  # fmt: skip
    return replace(snap, panels=tuple(panels), title="Board " + EVIL[0])


@pytest.mark.parametrize("preset", ["commonmark", "gfm-like"])
def test_no_link_image_or_html_comes_from_data(clock, preset: str) -> None:
    md = to_md(hostile(clock))
    try:
        parser = MarkdownIt(preset)
    except Exception as exc:  # gfm-like needs linkify-it-py for autolinks
        pytest.fail(f"markdown-it preset {preset} unavailable: {exc}")
    tokens = parser.parse(md)
    kinds = set()

    def walk(ts) -> None:  # type: ignore[no-untyped-def]
        for t in ts:
            kinds.add(t.type)
            if t.children:
                walk(t.children)

    walk(tokens)
    assert not kinds & {"link_open", "image", "html_inline", "html_block", "autolink"}, kinds
    html = parser.render(md)
    assert "<a " not in html and "<img" not in html and "<script" not in html
    assert "\x1b" not in md
    # the data is still there, literally
    assert "[click](http://evil.invalid/a)" in html.replace("\\", "")
