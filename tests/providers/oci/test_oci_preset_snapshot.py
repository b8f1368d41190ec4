"""The oci-functions preset end to end: config -> Poller snapshot against the verifying fake, value by value,
week over week and month over month; only read operations are sent."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from oci_fleet import NOW, NOW_S, invocations
from ocifake import COMPARTMENT

from srvmon.clock import FrozenClock
from srvmon.config import load_config
from srvmon.model import TimeWindow
from srvmon.poll import Poller
from srvmon.presets import load_preset
from srvmon.providers.oci import OciProvider

W = list(TimeWindow.ending_at(NOW, 4 * 3600, 60).timestamps())


def test_preset_is_valid_and_every_query_parses() -> None:
    preset = load_preset("oci-functions")
    assert preset.provider_type == "oci" and OciProvider.default_preset == "oci-functions"
    for p in preset.panels:
        assert p.description, f"{p.id} has no description"
        if p.query is not None:
            assert OciProvider.validate_query(p.query, p.stat) is None, p.id


@pytest.fixture
def snapshot(oci: Any, config_file: str, tmp_path: Path) -> Any:
    path = tmp_path / "srvmon.toml"
    path.write_text(f'''
[providers.fn]
type = "oci"
region = "us-ashburn-1"
compartment_id = "{COMPARTMENT}"
monitoring_endpoint = "{oci.server.url}"
ca_bundle = "{oci.server.ca_path}"
config_file = "{config_file}"
total_concurrency_mb = 8192
provisioned_concurrency_mb = 1024
max_tps = 10
''')
    clock = FrozenClock(NOW)
    cfg = load_config(path)
    assert [b.name for b in cfg.boards] == ["oci-functions"]  # the provider's default preset
    poller = Poller(cfg.boards[0], cfg.build_providers(clock), clock, timeout_s=60)
    try:
        return poller.poll()
    finally:
        poller.close()


def test_full_snapshot_against_the_fake(snapshot: Any, oci: Any) -> None:
    panels = {p.id: p for p in snapshot.panels}
    errors = {k: p.error for k, p in panels.items() if p.error}
    assert errors == {}, errors
    extra = [(t // 60) % 2 for t in W]
    assert panels["invocations"].value == pytest.approx(sum((10 + e) / 60 for e in extra) / 240, abs=1e-4)
    assert panels["errors"].value == pytest.approx(1 / 60, abs=1e-4)  # checkout: 1 every 10 minutes
    assert panels["throttled"].value == 16.0  # thumbnail: 2 every 30 minutes
    assert panels["duration_avg"].value == pytest.approx((250 + 900 + 30) / 3, rel=1e-3)
    assert panels["duration_p99"].value == 900.0
    cap = panels["capacity"]
    assert cap.limit is not None and (cap.limit.used, cap.limit.limit) == (
        2048.0 + ((NOW_S - 60) // 60 % 4) * 128,
        8192.0,
    )
    assert panels["provisioned"].limit is not None and panels["provisioned"].limit.used == 512.0
    (chart,) = panels["calls_4h"].series
    assert [v for _, v in chart.points] == [10.0 + e for e in extra]
    assert chart.compare_points is not None and [t for t, _ in chart.compare_points] == W
    week_ago = [
        sum(
            invocations(fn, t - 7 * 86400 - (t % 300) + i * 60)
            for fn in ("checkout", "thumbnail", "notifier")
            for i in range(5)
        )
        / 5
        for t in W
    ]
    assert [v for _, v in chart.compare_points] == pytest.approx(week_ago, abs=1e-4)
    month = panels["calls_month"].series[0]
    assert month.compare_points is not None and any(
        v for _, v in month.compare_points
    )  # hourly data 58 days back
    assert [(r.name, r.state) for r in panels["alarms"].rows] == [
        ("fn-errors", "ALARM"), ("fn-throttles", "ALARM"), ("fn-latency", "OK"),
    ]  # fmt: skip
    top = [(r.name, r.value) for r in panels["top_functions"].rows]
    assert top == [("checkout", float(6 * 240 + sum(extra))), ("notifier", 480.0), ("thumbnail", 480.0)]
    assert [r.name for r in panels["slowest"].rows] == ["thumbnail", "checkout", "notifier"]
    assert {s.labels["response"] for s in panels["responses"].series} == {"Success", "Error", "Throttled"}
    assert [r.name for r in panels["errors_by_function"].rows] == ["checkout"]
    assert [r.name for r in panels["throttled_by_function"].rows] == ["thumbnail"]
    (prov,) = snapshot.providers
    assert prov.ok and prov.type == "oci" and prov.api_calls > 0 and prov.estimated_cost_usd > 0
    ops = {r.path for r in oci.server.requests}
    assert ops == {"/20180401/metrics/actions/summarizeMetricsData", "/20180401/alarms/status"}


def test_the_live_snapshot_round_trips_byte_for_byte(snapshot: Any) -> None:
    """Issue 10's proof that the Snapshot is complete: its JSON reads back equal and the SVG rendered from
    that JSON is byte-identical to the one rendered from the live snapshot (frozen clock)."""
    from contract import assert_round_trip

    assert_round_trip(snapshot)
