"""Pilot tests for panel and board states: loading, stale, error, no data, alarm, failures, reflow, hint."""

from __future__ import annotations

import threading
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any

import pytest
from tui_fakes import NOW, FakeProvider, build_app, real_snapshot, screen_text, settle, static_app

from srvmon.clock import FrozenClock
from srvmon.model import ProviderStatus, Snapshot
from srvmon.tui.app import BoardView, SrvmonApp
from srvmon.tui.board_screen import BoardScreen
from srvmon.widgets.panel import PanelFrame

pytestmark = pytest.mark.anyio


def frame(app: Any, panel_id: str) -> PanelFrame:
    return app.screen.query_one(f"#panel-{panel_id}", PanelFrame)


class BlockingSource:
    """poll() waits until released; counts calls (to prove refreshes never overlap)."""

    def __init__(self, snapshot: Snapshot) -> None:
        self.snapshot = snapshot
        self.release = threading.Event()
        self.calls = 0
        self.active = 0
        self.max_active = 0
        self._lock = threading.Lock()

    def poll(
        self,
        *,
        range_s: int | None = None,
        end: datetime | None = None,
        compare: bool = True,
        force: bool = False,
        range_label: str | None = None,
    ) -> Snapshot:
        with self._lock:
            self.calls += 1
            self.active += 1
            self.max_active = max(self.max_active, self.active)
        try:
            assert self.release.wait(10), "test never released the source"
            return self.snapshot
        finally:
            with self._lock:
                self.active -= 1

    def close(self) -> None:
        self.release.set()


def blocking_app(source: BlockingSource) -> SrvmonApp:
    return SrvmonApp(
        [BoardView(source.snapshot.info(), lambda: source)], clock=FrozenClock(NOW), live_refresh=False
    )


async def test_loading_state_then_data_and_refreshes_never_overlap() -> None:
    source = BlockingSource(real_snapshot())
    app = blocking_app(source)
    async with app.run_test(size=(160, 48)) as pilot:
        await pilot.pause()
        frames = app.screen.query(PanelFrame)
        assert all(f.state == "loading" for f in frames)
        assert "loading…" in screen_text(app)
        assert "⟳ fetching…" in screen_text(app)
        await pilot.press("r", "r", "t", "r")  # all while the first fetch is in flight
        await pilot.pause()
        assert source.calls == 1
        source.release.set()
        await settle(app, pilot)
        await settle(app, pilot)
        assert source.calls == 2  # exactly one follow-up fetch for everything asked meanwhile
        assert source.max_active == 1
        assert all(f.state != "loading" for f in app.screen.query(PanelFrame))
        assert app.screen.snapshot is source.snapshot


async def test_timer_is_rearmed_after_each_fetch() -> None:
    app = build_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(app, pilot)
        screen = app.screen
        assert isinstance(screen, BoardScreen)
        assert screen._timer is not None and screen.scheduler.in_flight is None
        screen._on_timer()  # what the interval timer does when it fires
        await settle(app, pilot)
        assert len(app.test_sources["main"].calls) == 2
        assert screen._timer is not None


async def test_provider_failure_keeps_values_and_marks_panels_stale() -> None:
    clock = FrozenClock(NOW)
    provider = FakeProvider(clock=clock)
    app = build_app(provider=provider, clock=clock)
    async with app.run_test(size=(200, 60)) as pilot:
        await settle(app, pilot)
        value = frame(app, "requests").panel.value  # type: ignore[union-attr]
        assert value is not None
        provider.fail = "ThrottlingException: Rate exceeded"
        clock.advance(300)
        await pilot.press("r")
        await settle(app, pilot)
        f = frame(app, "requests")
        assert f.state == "stale" and f.has_class("-state-stale")
        assert f.panel.value == value  # type: ignore[union-attr]
        text = screen_text(app)
        assert "⟳ stale 5m: ThrottlingException: Rate exceeded" in text
        # metric calls failed, alarms/cost/health/logs answered: the provider is partial, and says so
        assert "◐ fake" in text and "of" in text and "calls failed" in text
        assert "✓ Requests/s" in text  # value still shown with its status


async def test_error_panel_shows_the_reason_instead_of_data() -> None:
    snap = real_snapshot()
    broken = replace(
        snap.panel("latency"),
        status="error",
        error="AccessDenied: cloudwatch:GetMetricData",
        value=None,
        series=(),
    )
    snap = replace(snap, panels=tuple(broken if p.id == "latency" else p for p in snap.panels))
    app = static_app(snap)
    async with app.run_test(size=(200, 60)) as pilot:
        await settle(app, pilot)
        f = frame(app, "latency")
        assert f.state == "error" and f.has_class("-error") and f.has_class("-show-message")
        text = screen_text(app)
        assert "⊘ Lambda p99" in text
        assert "⊘ AccessDenied:" in text and "cloudwatch:GetMetricData" in text  # wrapped, not cut
        assert str(f.query_one(".message").render()) == "⊘ AccessDenied: cloudwatch:GetMetricData"
        assert "⊘ error" in text


async def test_no_data_panel() -> None:
    app = build_app()
    async with app.run_test(size=(200, 60)) as pilot:
        await settle(app, pilot)
        f = frame(app, "throttles")
        assert f.state == "nodata"
        text = screen_text(app)
        assert "∅ Throttles" in text and "∅ no data in this window" in text and "∅ no data" in text


async def test_alarm_state_and_all_ok_state() -> None:
    snap = real_snapshot()
    app = static_app(snap)
    async with app.run_test(size=(200, 60)) as pilot:
        await settle(app, pilot)
        text = screen_text(app)
        assert "✖ Alarms" in text
        assert "✖ ALARM  checkout-5xx  Threshold crossed: 12 > 5" in text
        assert "∅ NODATA orders-dlq-depth" in text
        assert "✓ 2 other alarms OK" in text
    alarms = snap.panel("alarms")
    ok_rows = tuple(replace(r, state="OK", status="ok") for r in alarms.rows or ())  # type: ignore[type-var]
    calm = replace(
        snap,
        panels=tuple(
            replace(p, rows=ok_rows, status="ok", value=0.0) if p.id == "alarms" else p for p in snap.panels
        ),
    )
    app = static_app(calm)
    async with app.run_test(size=(200, 60)) as pilot:
        await settle(app, pilot)
        text = screen_text(app)
        assert "✓ Alarms" in text and "✓ all 4 alarms OK" in text and "ALARM " not in text


async def test_whole_fetch_failure_is_reported_and_the_app_survives() -> None:
    class Exploding:
        def poll(self, **kw: Any) -> Snapshot:
            raise RuntimeError("poller bug")

        def close(self) -> None:
            pass

    snap = real_snapshot()
    app = SrvmonApp([BoardView(snap.info(), lambda: Exploding())], clock=FrozenClock(NOW), live_refresh=False)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(app, pilot)
        assert app.is_running
        assert "last refresh failed: RuntimeError: poller bug" in screen_text(app)


async def test_untrusted_names_are_shown_literally() -> None:
    app = build_app()
    async with app.run_test(size=(200, 60)) as pilot:
        await settle(app, pilot)
        text = screen_text(app)
        assert "search-[bold]x" in text  # a metric label that looks like markup
        assert "\x1b" not in text
        logs = frame(app, "recent_errors").body.render().plain  # type: ignore[union-attr]
        assert "ERROR payment declined [red]markup[/red]" in logs  # a log line that looks like markup
        assert "Task timed out after 3.00 seconds␛]0;pwned␇" in logs  # a terminal escape, neutralised


async def test_demo_marker_and_hint_are_visible() -> None:
    snap = real_snapshot()
    demo = replace(snap, providers=(ProviderStatus("demo", "demo", True, demo=True),))
    app = static_app(
        demo, hint="no config found: showing the demo; copy config.example.toml to ~/.config/srvmon"
    )
    async with app.run_test(size=(160, 48)) as pilot:
        await settle(app, pilot)
        text = screen_text(app)
        assert "DEMO DATA" in text and " DEMO " in text
        assert "no config found: showing the demo; copy config.example.toml" in text


async def test_stale_age_counts_from_the_last_good_fetch() -> None:
    snap = real_snapshot()
    old = NOW - timedelta(minutes=12)
    stale = replace(
        snap,
        panels=tuple(
            replace(p, stale=True, error="timed out after 20s", fetched_at=old) if p.id == "api_calls" else p
            for p in snap.panels
        ),
    )
    app = static_app(stale)
    async with app.run_test(size=(200, 60)) as pilot:
        await settle(app, pilot)
        assert "⟳ stale 12m: timed out after 20s" in screen_text(app)
        assert frame(app, "api_calls").state == "stale"
