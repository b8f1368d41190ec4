"""SVG snapshot tests of the whole board at 80x24, 120x40 and 200x60 (frozen clock, fixed data)."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest
from tui_fakes import real_snapshot, static_app


async def _settle(pilot: Any) -> None:
    from tui_fakes import settle

    await settle(pilot.app, pilot)


@pytest.mark.parametrize("size", [(80, 24), (120, 40), (200, 60)], ids=["80x24", "120x40", "200x60"])
def test_board_snapshot(snap_compare: Any, size: tuple[int, int]) -> None:
    app = static_app(
        real_snapshot(),
        hint="no config found: showing the demo; copy config.example.toml to ~/.config/srvmon/config.toml",
    )
    assert snap_compare(app, terminal_size=size, run_before=_settle)


def test_board_snapshot_stale_and_error_panels(snap_compare: Any) -> None:
    snap = real_snapshot()
    panels = []
    for p in snap.panels:
        if p.id == "api_calls":
            p = replace(p, stale=True, error="ThrottlingException: Rate exceeded")
        elif p.id == "latency":
            p = replace(
                p, status="error", error="AccessDenied: cloudwatch:GetMetricData", value=None, series=()
            )
        panels.append(p)
    app = static_app(replace(snap, panels=tuple(panels)))
    assert snap_compare(app, terminal_size=(160, 48), run_before=_settle)


def test_help_screen_snapshot(snap_compare: Any) -> None:
    app = static_app(real_snapshot())
    assert snap_compare(app, terminal_size=(120, 40), press=["question_mark"], run_before=_settle)
