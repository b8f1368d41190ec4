"""`srvmon open SAVED.json` and `snapshot --from`: a saved snapshot shown offline, every panel as saved."""

from __future__ import annotations

import io
from typing import Any

import pytest
from tui_fakes import real_snapshot, screen_text

from srvmon.cli import main
from srvmon.codec import loads
from srvmon.export import to_json
from srvmon.tui.app import open_saved
from srvmon.widgets.panel import PanelFrame

pytestmark = pytest.mark.anyio


async def test_open_shows_the_saved_board_offline(tmp_path: Any) -> None:
    snap = loads(to_json(real_snapshot()))
    app = open_saved(snap, source="saved.json")
    notes: list[str] = []
    async with app.run_test(size=(160, 48)) as pilot:
        screen = app.board_screen
        assert screen is not None
        await screen.wait_idle()
        await pilot.pause()
        text = screen_text(app)
        assert "▣ SAVED" in text and "saved snapshot taken" in text and "offline" in text
        assert "● LIVE" not in text
        frames = {f.panel_id: f for f in screen.query(PanelFrame)}
        assert set(frames) == {p.id for p in snap.panels}
        assert all(frames[p.id].panel == p for p in snap.panels)
        # sort, the cursor and the full-screen panel work on the saved data
        frames["top_functions"].focus()
        await pilot.press("s", "j", "f")
        await pilot.pause()
        from srvmon.tui.panel_screen import PanelScreen

        assert isinstance(app.screen, PanelScreen)
        await pilot.press("escape")
        await pilot.pause()
        assert app.screen is screen
        # drill-down says it needs the live provider
        app.notify = lambda message, **kw: notes.append(str(message))  # type: ignore[method-assign]
        frames["top_functions"].focus()
        await pilot.press("enter")
        await pilot.pause()
        assert notes and "needs the live provider" in notes[-1] and "saved snapshot" in notes[-1]
        assert screen.source.calls <= 1  # type: ignore[attr-defined]  # a saved board is never refreshed


async def test_the_board_turns_the_collector_back_on_after_its_first_frame() -> None:
    """`srvmon open` and `srvmon` start with the collector off (cli.main); after the first board frame it is on
    again, with what start-up made frozen out of its view."""
    import gc

    gc.disable()
    try:
        app = open_saved(loads(to_json(real_snapshot())), source="saved.json")
        async with app.run_test(size=(120, 40)) as pilot:
            assert app.board_screen is not None
            await app.board_screen.wait_idle()
            await pilot.pause()
            await pilot.pause()
            assert gc.isenabled() and gc.get_freeze_count() > 0
    finally:
        gc.enable()


def test_snapshot_from_rerenders_a_saved_one(tmp_path: Any) -> None:
    snap = real_snapshot()
    saved = tmp_path / "s.json"
    saved.write_text(to_json(snap))
    out = io.StringIO()
    assert main(["snapshot", "--from", str(saved), "--format", "json"], out=out, err=io.StringIO()) == 0
    assert out.getvalue() == to_json(snap)
    out = io.StringIO()
    assert main(["snapshot", "--from", str(saved), "--format", "txt"], out=out, err=io.StringIO()) == 0
    assert "Checkout production" in out.getvalue()
