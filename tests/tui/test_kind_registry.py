"""Every registered panel kind names a body widget that exists, the schema accepts exactly the registry, and
a new kind is one class plus one registry entry (DeploysKind below, end to end)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import pytest

from srvmon import kinds
from srvmon.analysis import threshold_status
from srvmon.kinds.base import PanelKind, Plan, PlanContext, thresholds
from srvmon.model import PanelSnapshot
from srvmon.needs import EventsNeed, Failed, Need, Results
from srvmon.schema import PanelCfg
from srvmon.widgets.base import PanelBody
from srvmon.widgets.panel import body_class


@pytest.mark.parametrize("name", kinds.names())
def test_each_kind_has_its_body_widget(name: str) -> None:
    assert issubclass(body_class(name), PanelBody)


def test_the_schema_reads_the_registry() -> None:
    with pytest.raises(ValueError, match="unknown panel kind 'pie'"):
        PanelCfg(id="x", title="x", kind="pie")
    with pytest.raises(ValueError, match="`limit` is for gauge panels, not timeseries"):
        PanelCfg(id="x", title="x", kind="timeseries", query="q", limit="account_concurrency")
    assert PanelCfg(id="e", title="Changes", kind="events").kind == "events"


# ---- adding a kind: one module (the class below) plus one registry entry ----------------------------


@dataclass(frozen=True)
class DeploysPlan(Plan):
    need: EventsNeed

    def needs(self) -> tuple[Need[Any], ...]:
        return (self.need,)


class DeploysKind(PanelKind[DeploysPlan]):
    """How many deploys landed in the window: a change-freeze board's one number."""

    name = "deploys"
    summary = "deploys in the window; thresholds on their count"
    fields = frozenset({"thresholds"})
    body = "srvmon.widgets.stat:StatView"

    def plan(self, cfg: PanelCfg, ctx: PlanContext) -> DeploysPlan:
        window = ctx.window_for(cfg)
        return DeploysPlan(window, EventsNeed(cfg.provider or "", window, ()))

    def assemble(self, cfg: PanelCfg, plan: DeploysPlan, results: Results, now: datetime) -> PanelSnapshot:
        found = results.get(plan.need)
        if isinstance(found, Failed):
            return self.failed(cfg, found, now, plan.window)
        count = float(sum(1 for e in found if e.kind == "deploy"))
        return self.panel(cfg, threshold_status(count, thresholds(cfg)), now, plan.window, value=count)


BOARD = """
[providers.demo]
type = "demo"
[[boards]]
name = "freeze"
title = "Change freeze"
provider = "demo"
[[boards.panels]]
id = "deploys"
title = "Deploys (4 h)"
kind = "deploys"
thresholds = { warn = 1, crit = 3 }
[[boards.panels]]
id = "rps"
title = "Requests/s"
kind = "stat"
query = { metric = "api.requests" }
unit = "req/s"
per_second = true
"""


@pytest.mark.anyio
async def test_a_new_kind_is_one_class_plus_one_registry_entry(monkeypatch: pytest.MonkeyPatch) -> None:
    """Config, poller, JSON (schema-valid, round trip, byte-identical SVG), txt/md, the TUI's grid and
    compact layouts all take the new kind from the registry entry alone."""
    from contract import assert_round_trip
    from tui_fakes import NOW, screen_text, settle

    from srvmon.clock import FrozenClock
    from srvmon.config import parse_config
    from srvmon.export import render
    from srvmon.poll import Poller
    from srvmon.tui.app import BoardView, SrvmonApp
    from srvmon.tui.refresher import StaticSource

    monkeypatch.setitem(kinds.KINDS, "deploys", DeploysKind())  # the one registry entry
    cfg = parse_config(BOARD)
    clock = FrozenClock(NOW)
    snap = Poller(cfg.boards[0], cfg.build_providers(clock), clock, timeout_s=60).poll()
    panel = snap.panel("deploys")
    assert panel.kind == "deploys" and panel.value == 1.0 and panel.status == "warn"  # the demo's v2.14.0
    assert_round_trip(snap)
    assert "Deploys (4 h)" in render(snap, "txt") and "Deploys \\(4 h\\)" in render(snap, "md")
    source = StaticSource(snap)
    for size, layout in (((120, 40), "grid"), ((80, 24), "compact")):
        app = SrvmonApp([BoardView(snap.info(), lambda: source)], clock=clock, tz=UTC, live_refresh=False)
        async with app.run_test(size=size) as pilot:
            await settle(app, pilot)
            assert app.board_screen is not None and app.board_screen.mode == layout
            text = screen_text(app)
            assert "Deploys (4 h)" in text and "▲" in text, text
