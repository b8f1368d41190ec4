"""The alibaba-fc preset end to end: config -> Poller snapshot against the verifying fake, value by value;
only read-only actions are sent; a provider that stays throttled is backed off by the poller."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from ali_fleet import NOW, NOW_S
from alifake import READ_ONLY

from srvmon.clock import FrozenClock
from srvmon.config import load_config
from srvmon.model import TimeWindow
from srvmon.poll import Poller
from srvmon.presets import load_preset
from srvmon.providers.alibaba import AlibabaProvider

W = list(TimeWindow.ending_at(NOW, 4 * 3600, 60).timestamps())


def _config(fake: Any, tmp_path: Path, extra: str = "", board: str = 'preset = "alibaba-fc"') -> Path:
    path = tmp_path / "srvmon.toml"
    path.write_text(f'''
[providers.fc]
type = "alibaba"
region = "cn-hangzhou"
cms_endpoint = "{fake.server.url}"
bss_endpoint = "{fake.server.url}"
sls_endpoint = "{fake.server.url}"
ca_bundle = "{fake.server.ca_path}"
credentials_file = "/nonexistent.json"
log_project = "fc-prod"
log_store = "function-logs"
{extra}

[[boards]]
name = "fc"
{board}
''')
    return path


def test_preset_is_valid_and_every_query_parses() -> None:
    preset = load_preset("alibaba-fc")
    assert preset.provider_type == "alibaba" and AlibabaProvider.default_preset == "alibaba-fc"
    for p in preset.panels:
        assert p.description, f"{p.id} has no description"
        if p.query is not None:
            assert AlibabaProvider.validate_query(p.query, p.stat) is None, p.id
    assert {p.kind for p in preset.panels} == {
        "stat",
        "gauge",
        "timeseries",
        "alarms",
        "toplist",
        "cost",
        "logs",
    }


@pytest.fixture
def snapshot(ali: Any, env_credentials: None, tmp_path: Path) -> Any:
    clock = FrozenClock(NOW)
    cfg = load_config(_config(ali, tmp_path))
    poller = Poller(cfg.board("fc"), cfg.build_providers(clock), clock, timeout_s=60)
    try:
        return poller.poll()
    finally:
        poller.close()


def test_full_snapshot_against_the_fake(snapshot: Any, ali: Any) -> None:
    snap = snapshot
    panels = {p.id: p for p in snap.panels}
    errors = {k: p.error for k, p in panels.items() if p.error}
    assert errors == {}, errors
    extra = [(t // 60) % 3 for t in W]
    assert panels["invocations"].value == pytest.approx(sum((16 + e) / 60 for e in extra) / 240, rel=1e-3)
    assert panels["invocations"].compare_value == pytest.approx(
        sum((8 + e) / 60 for e in extra) / 240, rel=1e-3
    )
    assert panels["errors_4xx"].value == pytest.approx(1 / 60, abs=1e-4)
    assert panels["errors_5xx"].value == pytest.approx(1 / 60, abs=1e-4)
    assert panels["fatal"].value == 16.0  # mailer: 2 every 30 minutes
    assert panels["throttles"].value == 24.0  # orders-api: 3 every 30 minutes
    cap = panels["capacity"]
    last = 30 + (NOW_S - 60) // 60 % 10
    assert cap.limit is not None and (cap.limit.used, cap.limit.limit) == (last, 300.0)
    (chart,) = panels["calls_4h"].series
    assert [v for _, v in chart.points] == [16.0 + e for e in extra]
    assert chart.compare_points is not None
    assert [v for _, v in chart.compare_points] == [
        8.0 + e for e in extra
    ]  # bucket by bucket, a week earlier
    assert [t for t, _ in chart.compare_points] == W  # drawn on today's axis
    assert panels["duration_avg"].value == pytest.approx((120 + 800 + 40) / 3, rel=1e-3)
    assert panels["duration_p99"].status == "nodata"
    assert panels["memory"].value == 900.0
    assert [(r.name, r.state) for r in panels["alarms"].rows] == [
        ("orders-5xx", "ALARM"), ("mailer-throttles", "INSUFFICIENT_DATA"), ("resize-latency", "OK"),
    ]  # fmt: skip
    top = [(r.name, r.value, r.compare_value) for r in panels["top_functions"].rows]
    assert top == [
        ("orders-api", float(10 * 240 + sum(extra)), float(5 * 240 + sum(extra))),
        ("image-resize", 960.0, 480.0),
        ("mailer", 480.0, 240.0),
    ]
    assert [r.name for r in panels["slowest"].rows] == ["image-resize", "orders-api", "mailer"]
    assert [r.name for r in panels["errors_by_function"].rows] == ["orders-api", "mailer"]
    month = panels["calls_month"]
    assert (
        month.series and month.series[0].compare_points is None
    )  # 58 days back: beyond the 31-day retention
    cost = {r.service: r for r in panels["cost"].rows}
    assert set(cost) == {"Function Compute", "Log Service"}
    # month-to-date counts today's partial day too (the fake bills 1.25 for it as for every day)
    assert cost["Function Compute"].mtd == pytest.approx(1.25 * NOW.day, rel=1e-3)
    assert [r.request_id for r in panels["errors"].rows] == ["req-3", "req-1"]
    (prov,) = snap.providers
    assert prov.ok and prov.type == "alibaba" and prov.api_calls > 0 and prov.metrics_requested > 0
    actions = {a for a, _ in ali.calls}
    assert actions <= {a for _, a in READ_ONLY} and "DescribeMetricList" in actions
    assert "QueryAccountBill" in actions and ali.sls_calls


def test_a_throttled_provider_is_backed_off(ali: Any, env_credentials: None, tmp_path: Path) -> None:
    ali.throttle["DescribeMetricList"] = 100
    board = """[[boards.panels]]
id = "inv"
title = "Invocations"
kind = "stat"
query = "FunctionTotalInvocations"
position = { row = 0, col = 0, width = 4, height = 1 }"""
    clock = FrozenClock(NOW)
    cfg = load_config(_config(ali, tmp_path, extra="retries = 0", board=board))
    poller = Poller(cfg.board("fc"), cfg.build_providers(clock), clock, timeout_s=30)
    try:
        first = poller.poll()
        assert "Throttling.User" in (first.panels[0].error or "") and not first.providers[0].ok
        calls = len(ali.calls)
        second = poller.poll()  # same instant: inside the backoff, nothing is sent
        assert "retrying in 10s" in (second.panels[0].error or "")
        assert len(ali.calls) == calls
        clock.advance(11)
        ali.throttle.clear()
        third = poller.poll()
        assert third.panels[0].error is None and third.providers[0].ok
    finally:
        poller.close()


def test_the_live_snapshot_round_trips_byte_for_byte(snapshot: Any) -> None:
    """Issue 10's proof that the Snapshot is complete: its JSON reads back equal and the SVG rendered from
    that JSON is byte-identical to the one rendered from the live snapshot (frozen clock)."""
    from contract import assert_round_trip

    assert_round_trip(snapshot)
