"""Every built-in preset fits a 200x60 wall screen without scrolling: at most 8 grid rows (the TUI gives
each row max(7, lines // rows) lines and a 60-line screen has ~57), the 12-column grid tiled with no
overlaps and no holes, and every chart at least 2 rows high."""

from __future__ import annotations

import pytest

from srvmon.presets import load_preset, preset_names
from srvmon.tui.layout import COLUMNS

MAX_ROWS = 8


def test_every_preset_is_checked() -> None:
    expected = {
        "serverless",
        "aws-serverless",
        "azure-functions",
        "openfaas",
        "knative",
        "fn",
        "cloudflare-workers",
        "gcp-serverless",
    }
    assert expected <= set(preset_names())


@pytest.mark.parametrize("name", preset_names())
def test_preset_fits_a_wall_screen(name: str) -> None:
    preset = load_preset(name)  # validates (PresetError otherwise)
    taken: dict[tuple[int, int], str] = {}
    rows = 0
    for panel in preset.panels:
        pos = panel.position
        assert pos is not None, f"{name}: {panel.id} has no position"
        assert pos.width >= 2, f"{name}: {panel.id} is only {pos.width} column wide"
        assert pos.col + pos.width <= COLUMNS, f"{name}: {panel.id} runs past column {COLUMNS}"
        if panel.kind == "timeseries":
            assert pos.height >= 2, f"{name}: chart {panel.id} is {pos.height} row high"
        for r in range(pos.row, pos.row + pos.height):
            for c in range(pos.col, pos.col + pos.width):
                assert (r, c) not in taken, f"{name}: {panel.id} overlaps {taken[(r, c)]} at row {r} col {c}"
                taken[(r, c)] = panel.id
        rows = max(rows, pos.row + pos.height)
    assert rows <= MAX_ROWS, f"{name}: {rows} grid rows, a 60-line screen holds {MAX_ROWS}"
    holes = [(r, c) for r in range(rows) for c in range(COLUMNS) if (r, c) not in taken]
    assert holes == [], f"{name}: empty cells (row, col) {holes}"
