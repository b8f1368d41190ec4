"""The service-map body and the trace screen render only their typed data, with untrusted names inert;
a servicemap snapshot renders the same SVG live and reopened from its JSON."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from contract import assert_round_trip
from textual.app import App, ComposeResult

from srvmon.model import (
    PanelPosition,
    PanelSnapshot,
    ProviderStatus,
    ServiceEdge,
    ServiceNode,
    Snapshot,
    TimeWindow,
    Trace,
    TraceList,
    TraceQuery,
    TraceSpan,
    TraceSummary,
)
from srvmon.providers.base import Provider, ProviderError, ProviderOptions
from srvmon.tui.trace_screen import TraceScreen, render_trace
from srvmon.widgets.servicemap import ServiceMapView

pytestmark = pytest.mark.anyio

NOW = datetime(2026, 11, 20, 14, 7, 30, tzinfo=UTC)
WINDOW = TimeWindow.ending_at(NOW, 4 * 3600)
HOSTILE = "evil\x1b[31m\u202e[bold]x[/bold]"
ROWS = (
    ServiceNode("checkout-api", "AWS::Lambda::Function", 0.0694, 0.5, 4.0, 0.0, 350.0, "crit", False, 1000),
    ServiceNode("orders", "AWS::DynamoDB::Table", 0.1389, 5.0, 0.0, 5.0, 10.0, "warn", False, 2000),
    ServiceNode("orders-api/prod", "AWS::ApiGateway::Stage", 0.0694, 1.0, 3.0, 0.0, 400.0, "ok", True, 1000),
    ServiceNode(HOSTILE, "remote", 0.0003, 0.0, 0.0, 0.0, 300.0, "ok", False, 5),
    ServiceEdge("orders-api/prod", "checkout-api", 0.0694, 0.0, 4.0, 350.0, "crit",
                "AWS::ApiGateway::Stage", "AWS::Lambda::Function"),
    ServiceEdge("checkout-api", "orders", 0.1389, 5.0, 0.0, 10.0, "warn", "AWS::Lambda::Function",
                "AWS::DynamoDB::Table", 5.0),
)  # fmt: skip


def _panel(rows: tuple[Any, ...] = ROWS) -> PanelSnapshot:
    return PanelSnapshot("map", "Service map", "servicemap", "crit", value=2.0, rows=rows, fetched_at=NOW,
                         position=PanelPosition(0, 0, 12, 4), provider="prod")  # fmt: skip


class Host(App[None]):
    def __init__(self, panel: PanelSnapshot) -> None:
        super().__init__()
        self.panel = panel
        self.view = ServiceMapView()

    def compose(self) -> ComposeResult:
        yield self.view

    def on_mount(self) -> None:
        self.view.show(self.panel)


async def test_servicemap_body_renders_nodes_and_edges_as_text() -> None:
    app = Host(_panel())
    async with app.run_test(size=(140, 12)) as pilot:
        await pilot.pause()
        text = app.view.render().plain  # type: ignore[union-attr]
    lines = text.splitlines()
    assert lines[0] == "4 services, 2 need attention · 4xx errors, 5xx faults, 429 throttles"
    assert lines[1].startswith("✖ checkout-api") and "Lambda::Function" in lines[1]
    assert "69.4m req/s" in lines[1] or "0.069 req/s" in lines[1]
    assert "5xx    4%" in lines[1] and "p99  350 ms" in lines[1]
    assert lines[2].startswith("▲ orders") and "429    5%" in lines[2] and "p99   10 ms" in lines[2]
    assert lines[3].startswith("✓▸orders-api/prod")  # ▸: the entry point of the map
    assert "␛[31m" in lines[4] and "\x1b" not in text and "\u202e" not in text  # inert, never markup
    assert "[bold]x[/bold]" in lines[4]
    assert lines[5] == "calls"
    assert lines[6].startswith("✖ orders-api/prod → checkout-api") and "5xx    4%" in lines[6]
    assert lines[7].startswith("▲ checkout-api → orders")


async def test_servicemap_selection_and_empty_map() -> None:
    app = Host(_panel())
    async with app.run_test(size=(140, 12)) as pilot:
        await pilot.pause()
        assert app.view.move_cursor(1) and app.view.selected() == ROWS[0]
        for _ in range(4):
            app.view.move_cursor(1)
        assert app.view.selected() == ROWS[4]  # edges follow the nodes
        app.view.show(_panel(()))
        await pilot.pause()
        assert app.view.render().plain.endswith("no traced requests in this window")  # type: ignore[union-attr]


def test_servicemap_snapshot_svg_is_the_same_from_its_json() -> None:
    snap = Snapshot("map", "Map", NOW, WINDOW, None, (_panel(),), (ProviderStatus("prod", "aws", True),))
    assert_round_trip(snap, svg=True, size=(140, 20))


# ---- the trace screen ------------------------------------------------------------------------------

T0 = 1_763_647_650.0
TRACE = Trace("1-691f2a62-23fc5b688855d396af79b496", 3.232, (
    TraceSpan("194fcc8747581230", "Scorekeep", T0, T0 + 3.232, 0, None, "segment",
              "AWS::ElasticBeanstalk::Environment", fault=True, http_status=500),
    TraceSpan("0c544c1b1bbff948", "Lambda", T0 + 0.067, T0 + 3.010, 1, "194fcc8747581230", "subsegment", "aws",
              http_status=200),
    TraceSpan("1fb07842d944e714", HOSTILE, T0 + 0.115, T0 + 2.895, 2, "0c544c1b1bbff948", "segment",
              "AWS::Lambda::Function"),
    TraceSpan("a1b2c3d4e5f60718", "DynamoDB", T0 + 1.616, None, 3, "1fb07842d944e714", "subsegment", "aws",
              fault=True, error_message="Internal server error \x1b[31m"),
))  # fmt: skip


def test_render_trace_is_a_waterfall_with_durations() -> None:
    text = render_trace(TRACE, 100).plain
    lines = text.splitlines()
    assert lines[0] == "trace 1-691f2a62-23fc5b688855d396af79b496  3.23 s, 4 spans"
    assert lines[1].startswith("Scorekeep") and "3.23 s fault 500" in lines[1]
    # 100 columns: 33 for the names, 29 for duration and flags, 37 for the time axis
    assert lines[1].rstrip().endswith(" " + "▇" * 37)  # the root spans the whole axis
    assert lines[2].startswith("  Lambda") and "2.94 s 200" in lines[2]
    assert lines[3].startswith("    evil␛[31m") and "2.78 s" in lines[3]
    assert lines[4].startswith("      DynamoDB") and "fault in progress" in lines[4]
    assert lines[4].rstrip().endswith("▒")  # open-ended: drawn to the end of the axis
    bar = lines[4][lines[4].index("▒") :].rstrip()
    offset = lines[4].index("▒") - lines[1].index("▇")
    assert offset == 18 and offset + len(bar) == 37  # starts halfway, runs to the end of the axis
    assert lines[5].strip() == "Internal server error ␛[31m"
    assert lines[6].strip().startswith("0") and lines[6].rstrip().endswith("3.23 s")
    assert "\x1b" not in text and "\u202e" not in text
    assert render_trace(TRACE, 100).plain == text  # pure


class FakeTraces(Provider):
    type_name = "faketraces"

    def __init__(self) -> None:
        super().__init__("prod", ProviderOptions())
        self.asked: list[Any] = []

    def query(self, queries: Any, window: Any) -> Any:
        return {}

    def traces(self, query: TraceQuery) -> TraceList:
        self.asked.append(query)
        return TraceList((TraceSummary(TRACE.id, 3.232, 3.232, fault=True, http_status=500, http_method="POST",
                                       http_url="http://scorekeep.example/api/user", services=("Scorekeep",),
                                       start=T0),
                          TraceSummary("1-691f2a60-000000000000000000000001", 0.084, start=T0 - 2)), 57)  # fmt: skip

    def trace(self, trace_id: str) -> Trace:
        self.asked.append(trace_id)
        if trace_id != TRACE.id:
            raise ProviderError(f"no trace {trace_id} in default/us-east-1")
        return TRACE


class Base(App[None]):
    pass


async def test_trace_screen_from_a_search_to_a_trace_and_back() -> None:
    provider = FakeTraces()
    app = Base()
    query = TraceQuery("prod", WINDOW, "checkout-api", "AWS::Lambda::Function", fault=True)
    async with app.run_test(size=(120, 30)) as pilot:
        await app.push_screen(TraceScreen(provider, query=query))
        await app.workers.wait_for_complete()
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, TraceScreen)
        assert str(screen.query_one("#trace-title").render()) == "traces: checkout-api, faults"
        listing = screen.view.render().plain
        assert listing.startswith("2 traces, 57 scanned")
        assert "14:07:30   3.23 s fault    500 POST http://scorekeep.example/api/user  Scorekeep" in listing
        await pilot.press("enter")
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert provider.asked == [query, TRACE.id]
        assert screen.view.render().plain.startswith(f"trace {TRACE.id}")
        await pilot.press("y")
        await pilot.press("escape")  # back to the list
        await pilot.pause()
        assert screen.view.render().plain.startswith("2 traces")
        await pilot.press("j", "enter")
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert (
            "could not read trace 1-691f2a60-000000000000000000000001: no trace" in screen.view.render().plain
        )
        await pilot.press("escape", "escape")
        await pilot.pause()
        assert not isinstance(app.screen, TraceScreen)


async def test_trace_screen_by_id_and_from_a_read_trace() -> None:
    provider = FakeTraces()
    app = Base()
    async with app.run_test(size=(120, 30)) as pilot:
        await app.push_screen(TraceScreen(provider, trace_id=TRACE.id))
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert app.screen.view.render().plain.startswith(f"trace {TRACE.id}")  # type: ignore[attr-defined]
        await pilot.press("escape")
        await app.push_screen(TraceScreen(trace=TRACE))  # offline: no provider needed
        await pilot.pause()
        assert "Scorekeep" in app.screen.view.render().plain  # type: ignore[attr-defined]
        svg = app.export_screenshot()  # the trace screen as SVG (Textual screenshot)
        assert "Scorekeep" in svg and "DynamoDB" in svg and "\x1b" not in svg and "\u202e" not in svg
    with pytest.raises(ValueError, match="needs a trace"):
        TraceScreen(provider)
