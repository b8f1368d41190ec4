"""Every preset at every size: SVG snapshots at 80x24 (compact), 120x40 and 200x60 (the fitted grid) and of the
wall (kiosk) layout at all three, a count that every panel is on screen and in the SVG without scrolling,
and the one-truth check in each layout.

The demo board is polled here (frozen clock); the provider presets are the snapshots their provider tests
build against their servers (moto, the local Azure/GCP/Cloudflare/Alibaba/OCI HTTPS servers, a real
Prometheus), saved with `srvmon.export.to_json` into tests/tui/presets/*.json.gz."""

from __future__ import annotations

import gzip
from datetime import UTC
from functools import cache
from pathlib import Path
from typing import Any

import pytest
from onetruth import assert_screen_matches_json
from tui_fakes import settle

from srvmon.clock import FrozenClock
from srvmon.codec import loads
from srvmon.config import parse_config
from srvmon.model import Snapshot
from srvmon.poll import Poller
from srvmon.tui.app import BoardView, SrvmonApp
from srvmon.tui.export import render_svg
from srvmon.tui.refresher import StaticSource
from srvmon.tui.svg import svg_lines

from tui_fakes import NOW  # isort: skip

HERE = Path(__file__).parent / "presets"
PROVIDER_PRESETS = sorted(p.name.removesuffix(".json.gz") for p in HERE.glob("*.json.gz"))
PRESETS = ["serverless", *PROVIDER_PRESETS]
SIZES = [(80, 24), (120, 40), (200, 60)]
SIZE_IDS = ["80x24", "120x40", "200x60"]
DEMO = '[providers.demo]\ntype = "demo"\n[[boards]]\nname = "serverless"\npreset = "serverless"\n'


@cache
def preset_snapshot(name: str) -> Snapshot:
    if name == "serverless":
        clock = FrozenClock(NOW)
        cfg = parse_config(DEMO)
        return Poller(cfg.boards[0], cfg.build_providers(clock), clock, timeout_s=60).poll()
    return loads(gzip.decompress((HERE / f"{name}.json.gz").read_bytes()).decode("utf-8"))


def app_for(snapshot: Snapshot, **kw: Any) -> SrvmonApp:
    source = StaticSource(snapshot)
    return SrvmonApp([BoardView(snapshot.info(), lambda: source)], clock=FrozenClock(snapshot.generated_at),
                     tz=UTC, live_refresh=False, **kw)  # fmt: skip


def test_every_preset_has_a_fixture() -> None:
    from srvmon.presets import preset_names

    assert set(PRESETS) == set(preset_names())


@pytest.mark.parametrize("size", SIZES, ids=SIZE_IDS)
@pytest.mark.parametrize("preset", PRESETS)
def test_preset_screen(snap_compare: Any, preset: str, size: tuple[int, int]) -> None:
    async def run_before(pilot: Any) -> None:
        await settle(pilot.app, pilot)

    assert snap_compare(app_for(preset_snapshot(preset)), terminal_size=size, run_before=run_before)


@pytest.mark.parametrize("size", SIZES, ids=SIZE_IDS)
@pytest.mark.parametrize("preset", PRESETS)
def test_wall_screen(snap_compare: Any, preset: str, size: tuple[int, int]) -> None:
    """`--wall`: attention first, healthy panels as one-line rows, no focus ring, at every size."""

    async def run_before(pilot: Any) -> None:
        await settle(pilot.app, pilot)

    assert snap_compare(
        app_for(preset_snapshot(preset), wall=True), terminal_size=size, run_before=run_before
    )


@pytest.mark.anyio
@pytest.mark.parametrize("size", SIZES[1:], ids=SIZE_IDS[1:])
@pytest.mark.parametrize("preset", PRESETS)
async def test_every_panel_fits_on_screen_and_in_the_svg(preset: str, size: tuple[int, int]) -> None:
    snap = preset_snapshot(preset)
    app = app_for(snap)
    async with app.run_test(size=size) as pilot:
        await settle(app, pilot)
        screen = app.board_screen
        assert screen is not None and screen.mode == "grid"
        assert screen.query_one("#board-scroll").max_scroll_y == 0  # nothing below the screen
        frames = screen.frames()
        assert len(frames) == len(snap.panels)
        for frame in frames:
            region = frame.region
            assert region.area > 0 and region.right <= size[0] and region.bottom <= size[1] - 2, (
                frame.panel_id
            )
    lines = svg_lines(render_svg(snap, size, tz=UTC), size)
    text = "\n".join(lines)
    assert len(lines) == size[1]
    for panel in snap.panels:
        title = panel.title[: min(len(panel.title), 8)]
        assert title in text, (panel.id, title)


@pytest.mark.parametrize("size", SIZES, ids=SIZE_IDS)
@pytest.mark.parametrize("preset", PRESETS)
def test_preset_screen_matches_its_json(preset: str, size: tuple[int, int]) -> None:
    assert_screen_matches_json(preset_snapshot(preset), size)


@pytest.mark.parametrize("preset", PRESETS)
def test_compact_layout_matches_its_json_at_any_size(preset: str) -> None:
    assert_screen_matches_json(preset_snapshot(preset), (200, 60), layout="compact")
