"""Pre-rendering in the refresh worker must draw exactly what the UI thread would have drawn."""

from __future__ import annotations

from typing import Any

import pytest
from tui_fakes import real_snapshot, settle, static_app

from srvmon.widgets.base import PanelBody

pytestmark = pytest.mark.anyio


def screen_cells(app: Any) -> list[list[tuple[str, Any]]]:
    update = app.screen._compositor.render_full_update(simplify=True)
    return [[(seg.text, seg.style) for strip in row for seg in strip] for row in update.strips]


async def _render_next(prebuild: bool) -> tuple[list[list[tuple[str, Any]]], int]:
    first, second = real_snapshot(), real_snapshot(range_s=3600)
    app = static_app(first)
    async with app.run_test(size=(160, 50)) as pilot:
        await settle(app, pilot)
        screen = app.board_screen
        assert screen is not None
        if prebuild:
            screen.prebuild_charts(second)
        ready = sum(1 for body in screen.query(PanelBody) if body._prestrips is not None)
        screen.apply_snapshot(second)
        await settle(app, pilot)
        return screen_cells(app), ready


async def test_prerendered_board_matches_ui_thread_render() -> None:
    plain, _ = await _render_next(prebuild=False)
    pre, ready = await _render_next(prebuild=True)
    assert ready > 0  # the worker path really ran
    assert pre == plain
