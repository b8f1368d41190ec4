"""The key footer (KeyBar): the screen's shown bindings in one line, `?` always there, a click presses a key."""

from __future__ import annotations

from typing import Any

import pytest
from tui_fakes import build_app, screen_text, settle

from srvmon.tui.key_bar import KeyBar
from srvmon.tui.logs_screen import LogsScreen

pytestmark = pytest.mark.anyio


def footer(app: Any) -> str:
    return screen_text(app).splitlines()[-1]


def shown_actions(app: Any) -> list[str]:
    seen: list[str] = []
    for active in app.screen.active_bindings.values():
        if active.binding.show and active.binding.action not in seen:
            seen.append(active.binding.action)
    return seen


async def test_the_footer_lists_each_shown_binding_once_and_the_palette() -> None:
    app = build_app()
    async with app.run_test(size=(200, 40)) as pilot:
        await settle(app, pilot)
        bar = app.screen.query_one(KeyBar)
        shown, palette = bar.hints()
        assert [h.description for h in shown] == [
            app.screen.active_bindings[h.key].binding.description for h in shown
        ]
        assert len(shown) == len(shown_actions(app))  # one hint per action (⏎ is bound to drill and open)
        assert palette is not None and palette.description == "Commands"
        text = footer(app)
        for hint in shown:
            assert f"{hint.display} {hint.description}" in text
        assert text.rstrip().endswith("^p Commands")


async def test_at_80_columns_hints_that_do_not_fit_give_way_but_help_stays() -> None:
    app = build_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        text = footer(app)
        assert text.startswith(" q Quit") and "… ? Help" in text and "Boards" not in text
        assert len(text.rstrip()) <= 80


async def test_the_footer_follows_the_screen() -> None:
    app = build_app()
    async with app.run_test(size=(160, 40)) as pilot:
        await settle(app, pilot)
        assert "Range" in footer(app) and "Filter" not in footer(app)
        await pilot.press("enter")
        await settle(app, pilot)
        assert isinstance(app.screen, LogsScreen)
        assert "Filter" in footer(app) and "Range" not in footer(app)
        await pilot.press("escape")
        await settle(app, pilot)
        assert "Range" in footer(app)


async def test_a_click_on_a_hint_presses_its_key() -> None:
    app = build_app()
    async with app.run_test(size=(160, 40)) as pilot:
        await settle(app, pilot)
        assert app.view.range_name == "4h"
        column = footer(app).index(" t Range") + 1
        await pilot.click(KeyBar, offset=(column, 0))
        await settle(app, pilot)
        assert app.view.range_name == "12h"  # `t` cycles 4h → 12h
