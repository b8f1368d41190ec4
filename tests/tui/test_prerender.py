"""Charts the refresh worker prepares must draw exactly what the UI thread would have drawn (and be used)."""

from __future__ import annotations

import pytest
from tui_fakes import real_snapshot, settle, static_app

from srvmon.tui.board_screen import prepare_charts
from srvmon.widgets.timeseries import TimeseriesView

pytestmark = pytest.mark.anyio


async def _render_next(prepare: bool) -> tuple[str, int]:
    first, second = real_snapshot(), real_snapshot(range_s=3600)
    app = static_app(first)
    async with app.run_test(size=(160, 50)) as pilot:
        await settle(app, pilot)
        screen = app.board_screen
        assert screen is not None
        prepared = prepare_charts(second, screen.geometry()) if prepare else {}
        screen.apply_snapshot(second, prepared)
        await pilot.pause()
        used = 0
        for body in screen.query(TimeseriesView):
            built = body.chart._built
            got = prepared.get(body.panel.id) if body.panel else None  # type: ignore[union-attr]
            if got is not None and built is not None and built[2] is got[2]:
                used += 1
        return app.export_screenshot(), used


async def test_prepared_charts_are_swapped_in_and_match_the_ui_thread_render() -> None:
    plain, _ = await _render_next(prepare=False)
    pre, used = await _render_next(prepare=True)
    assert used > 0  # the worker's charts were really used, not rebuilt
    assert pre == plain
