"""The one-truth check: every status glyph and number the TUI shows equals what the snapshot's JSON says,
in the grid and in the compact layout (one line per panel).

The snapshot is written to JSON and read back; the board is rendered from that copy; then, panel by
panel, the frame's title glyph must be the JSON status's symbol and the body must show the JSON's
numbers as srvmon.fmt formats them (values, deltas, % of limit, rows with their status glyphs)."""

from __future__ import annotations

import asyncio
from datetime import UTC
from typing import Any

from srvmon.codec import loads
from srvmon.export import to_json
from srvmon.fmt import STATUS_SYMBOL, fmt_delta, fmt_money, fmt_value, short_unit


def _plain(renderable: Any) -> str:
    from rich.console import Console

    console = Console(width=400, record=True, color_system=None)
    console.print(renderable)
    return console.export_text()


def _digits(number: str, bold: bool = False) -> str:
    """The big-digit rendering of `number` as plain lines (what the stat body draws when it has room;
    bold digits are drawn with heavy strokes)."""
    from rich.style import Style
    from textual.renderables.digits import Digits

    return _plain(Digits(number, Style(bold=bold))).rstrip("\n")


def _expectations(panel: dict[str, Any]) -> list[str | tuple[str, ...]]:
    """Texts the body of this panel must contain (a tuple: any one of them), from the JSON alone."""
    from srvmon.widgets.stat import split_number

    kind, unit, out = panel["kind"], panel["unit"], []
    if panel["status"] == "error" and not panel["stale"]:
        return out
    if kind == "stat" and panel["value"] is not None:
        text = fmt_value(panel["value"], unit)
        number, _ = split_number(text)
        # the whole value on one line, or its number in big digits (each line of them)
        out.append((text, *([_digits(number), _digits(number, bold=True)] if number else [])))
        if panel["compare"] is not None and panel["delta_pct"] is not None:
            out.append(fmt_delta(panel["delta_pct"]))
    if kind == "gauge" and panel["limit"]:
        lim = panel["limit"]
        out.append(f"{STATUS_SYMBOL[panel['status']]} {fmt_value(lim['used'] / lim['limit'] * 100, '%')}")
    if kind == "toplist":
        for r in (panel["rows"] or [])[:3]:
            out.append(fmt_value(r["value"], short_unit(unit)))
    if kind == "health":
        for r in (panel["rows"] or [])[:3]:
            out.append(STATUS_SYMBOL[r["status"]])
    if kind == "alarms":
        for r in panel["rows"] or []:
            if r["state"] == "ALARM":
                out.append(r["name"][:20])
    if kind == "cost" and panel["value"] is not None:
        out.append(f"MTD {fmt_money(panel['value'])}")
    return [e for e in out if e]


def _shown(text: str, body: str, lines: list[str]) -> bool:
    """`text` in the body; a multi-line text (big digits) must appear line after line."""
    if "\n" not in text:
        return text in body
    want = [line.strip() for line in text.splitlines()]
    return any(lines[i : i + len(want)] == want for i in range(len(lines)))


def _compact_expectations(panel: dict[str, Any]) -> list[str]:
    """Texts a panel's compact line must contain, from the JSON alone."""
    kind, unit, out = panel["kind"], panel["unit"], []
    if panel["status"] == "error" and not panel["stale"]:
        return out
    if kind in ("stat", "timeseries") and panel["value"] is not None:
        out.append(fmt_value(panel["value"], unit))
        if panel["compare"] is not None and panel["delta_pct"] is not None:
            out.append(fmt_delta(panel["delta_pct"]))
    if kind == "gauge" and panel["limit"] and panel["limit"]["limit"]:
        lim = panel["limit"]
        out.append(fmt_value(lim["used"] / lim["limit"] * 100, "%"))
    if kind == "toplist" and panel["rows"]:
        out.append(fmt_value(panel["rows"][0]["value"], unit))
    if kind == "cost" and panel["value"] is not None:
        out.append(f"MTD {fmt_money(panel['value'])}")
    if kind == "alarms":
        firing = [r for r in panel["rows"] or [] if r["state"] == "ALARM"]
        if firing:
            out.append(f"{len(firing)} ALARM")
    return [e for e in out if e]


def _check_compact(screen: Any, doc: dict[str, Any]) -> None:
    from srvmon.widgets.compact import CompactList

    compact = screen.query_one("#compact", CompactList)
    by_id = {p["id"]: p for p in doc["panels"]}
    assert [h.id for h in compact.heads] and {h.id for h in compact.heads} == set(by_id)
    for head in compact.heads:
        want = by_id[head.id]
        line = compact.line_of(head.id).plain
        assert line.startswith(STATUS_SYMBOL[want["status"]] + " "), (head.id, line, want["status"])
        for expected in _compact_expectations(want):
            assert expected in line, f"{head.id}: {expected!r} not in {line!r}"


async def _check(snapshot: Any, size: tuple[int, int], layout: str = "auto") -> None:
    import json

    from srvmon.tui.app import open_saved
    from srvmon.widgets.panel import PanelFrame

    text = to_json(snapshot)
    doc = json.loads(text)
    again = loads(text)
    app = open_saved(again, source="one-truth", tz=UTC, layout=layout)
    async with app.run_test(size=size) as pilot:
        await pilot.pause()
        screen = app.board_screen
        assert screen is not None
        await screen.wait_idle()
        await pilot.pause()
        if screen.mode == "compact":
            _check_compact(screen, doc)
            return
        by_id = {p["id"]: p for p in doc["panels"]}
        for frame in screen.query(PanelFrame):
            want = by_id[frame.panel_id]
            assert frame.panel is not None and frame.panel == again.panel(frame.panel_id)
            assert frame.symbol == STATUS_SYMBOL[want["status"]], (
                frame.panel_id,
                frame.symbol,
                want["status"],
            )
            if frame.state in ("loading", "error") or frame.body.size.height < 4:
                continue
            body = _plain(frame.body.render())
            lines = [line.strip() for line in body.splitlines()]
            for expected in _expectations(want):
                options = expected if isinstance(expected, tuple) else (expected,)
                assert any(_shown(o, body, lines) for o in options), (
                    f"{frame.panel_id}: {options!r} not in:\n{body}"
                )


def assert_screen_matches_json(
    snapshot: Any, size: tuple[int, int] = (200, 60), layout: str = "auto"
) -> None:
    """Render `snapshot` (read back from its JSON) in `layout` (auto: grid or compact by size) and check every
    panel against the JSON: the grid's frames and bodies, or the compact board's lines."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        asyncio.run(_check(snapshot, size, layout))
        return
    import threading

    errors: list[BaseException] = []

    def run() -> None:
        try:
            asyncio.run(_check(snapshot, size, layout))
        except BaseException as exc:
            errors.append(exc)

    t = threading.Thread(target=run)
    t.start()
    t.join()
    if errors:
        raise errors[0]
