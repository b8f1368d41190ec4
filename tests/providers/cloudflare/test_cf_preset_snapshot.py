"""The cloudflare-workers preset end to end: config file -> Poller snapshot against the HTTPS fake API."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from cfdata import ACCOUNT, NOW, SCRIPTS, TOKEN, expected_requests

from srvmon.clock import FrozenClock
from srvmon.config import load_config
from srvmon.export import to_json
from srvmon.model import TimeWindow
from srvmon.poll import Poller
from srvmon.presets import load_preset
from srvmon.providers.cloudflare import CloudflareProvider

PER_MIN = 87  # invocations a minute before the 1-2-3 shape (see cfdata.BASE)


def test_preset_is_valid_and_every_query_parses() -> None:
    preset = load_preset("cloudflare-workers")
    assert preset.provider_type == "cloudflare" and CloudflareProvider.default_preset == "cloudflare-workers"
    for p in preset.panels:
        if p.query is not None:
            assert CloudflareProvider.validate_query(p.query, p.stat) is None, p.id  # type: ignore[arg-type]
        assert "sampled" in p.description.lower() or p.kind == "logs", p.id
        assert p.description, p.id
    assert {p.kind for p in preset.panels} == {"stat", "timeseries", "toplist", "logs"}


@pytest.fixture(scope="module")
def snapshot(tls: Any, tmp_path_factory: Any) -> Any:
    """One poll of the preset board (module-scoped: one server, one provider)."""
    from cfserver import start_server

    fake, stop = start_server(tls)
    mp = pytest.MonkeyPatch()
    mp.setenv("SRVMON_TEST_CF_PRESET_TOKEN", TOKEN)
    cfg_path = tmp_path_factory.mktemp("cf-preset") / "srvmon.toml"
    cfg_path.write_text(f'''
[providers.cf]
type = "cloudflare"
account_id = "{ACCOUNT}"
api_token_env = "SRVMON_TEST_CF_PRESET_TOKEN"
endpoint = "{fake.endpoint}"
ca_file = "{fake.ca_path}"
exclude = ["legacy-*"]

[[boards]]
name = "workers"
preset = "cloudflare-workers"
''')
    clock = FrozenClock(NOW)
    cfg = load_config(cfg_path)
    providers = cfg.build_providers(clock)
    poller = Poller(cfg.board("workers"), providers, clock, timeout_s=60)
    try:
        snap = poller.poll()
        usage = providers["cf"].usage()
    finally:
        poller.close()
        stop()
        mp.undo()
    return snap, fake, usage


def test_full_snapshot_against_the_fake_api(snapshot: Any) -> None:
    snap, _, _ = snapshot
    panels = {p.id: p for p in snap.panels}
    assert {k: p.error for k, p in panels.items() if p.error} == {}
    kept = [s for s in SCRIPTS if not s.startswith("legacy")]
    per_min = 77  # legacy-canary (10 a minute) is excluded by the config
    req = panels["requests"]
    assert req.value == pytest.approx(per_min * 2 * 2 / 60, rel=1e-3)  # x2 this week, mean shape 2
    assert req.compare_value == pytest.approx(per_min * 2 / 60, rel=1e-3) and req.delta_pct == pytest.approx(
        100.0
    )
    errors_per_min = (1 + 2) * 2 * 2  # checkout-api exceptions + images exceededResources
    assert panels["errors"].value == pytest.approx(errors_per_min / 60, rel=1e-3)
    assert panels["errors"].status == "warn"  # 0.1 <= 0.1/s < 1
    assert (
        panels["error_pct"].value == pytest.approx(300 / 77, rel=1e-3)
        and panels["error_pct"].status == "warn"
    )
    weighted_p50 = (1200 * 43 + 4000 * 22 + 300 * 12) / 77 / 1000
    assert panels["cpu_p50"].value == pytest.approx(weighted_p50, rel=1e-3)
    assert panels["cpu_p99"].value == pytest.approx(25.0) and panels["wall_p99"].value == pytest.approx(900.0)
    assert panels["cpu_p99"].status == "ok" and panels["wall_p99"].status == "ok"
    mix = [(r.name, r.value, r.compare_value) for r in panels["status_mix"].rows]
    assert mix == [
        ("success", 72 * 960, 72 * 480),
        ("clientDisconnected", 2 * 960, 2 * 480),
        ("exceededResources", 2 * 960, 2 * 480),
        ("scriptThrewException", 1 * 960, 1 * 480),
    ]
    assert [(r.name, r.value) for r in panels["top_errors"].rows] == [
        ("images", 2 * 960),
        ("checkout-api", 960),
        ("auth-edge", 0),
    ]
    assert [(r.name, r.value, r.delta_pct) for r in panels["top_requests"].rows] == [
        ("checkout-api", 43 * 960, 100.0),
        ("images", 22 * 960, 100.0),
        ("auth-edge", 12 * 960, 100.0),
    ]
    # the 4-hour chart, bucket by bucket, with last week's line on today's axis
    (series,) = panels["requests_4h"].series
    h4 = TimeWindow.ending_at(NOW, 4 * 3600)
    assert [v for _, v in series.points] == expected_requests(h4.start, 60, 240, kept)
    assert series.compare_points is not None
    assert [t for t, _ in series.compare_points] == list(h4.timestamps())
    assert [v * 2 for _, v in series.compare_points] == [v for _, v in series.points]
    # the month against 4 weeks earlier, cut into week-long chunks by the dataset's maxDuration
    (month,) = panels["requests_month"].series
    recent = (NOW - timedelta(days=7)).timestamp()
    assert [v for _, v in month.points] == [77 * 240 * (2 if t >= recent else 1) for t, _ in month.points]
    assert month.compare_points is not None and {v for _, v in month.compare_points} == {77 * 240}
    cpu = {tuple(s.labels.values()): s for s in panels["cpu_by_script"].series}
    assert set(cpu) == {("checkout-api",), ("images",), ("auth-edge",)}
    assert {v for _, v in cpu[("images",)].points} == {25.0}
    by_status = {s.labels["status"] for s in panels["errors_by_status"].series}
    assert by_status == {"scriptThrewException", "exceededResources"}
    logs = panels["error_logs"].rows or ()
    assert [r.request_id for r in logs][:2] == ["r-1", "r-3"]
    prov = snap.providers[0]
    assert prov.ok and prov.type == "cloudflare" and prov.api_calls > 0 and prov.estimated_cost_usd == 0


def test_the_preset_spends_little_of_the_budget(snapshot: Any) -> None:
    snap, fake, usage = snapshot
    assert fake.gql.spent == usage.extra["graphql_queries"]
    # settings + 4 nodes for the 4 h window (fleet, by script, by status, error statuses) + 4 for last
    # week + 5 + 5 week-long chunks for the month and its compare: 19 of the 300 per 5 minutes
    assert fake.gql.spent == 19
    assert usage.extra["graphql_budget_left"] == 250 - 19
    for body in fake.graphql_bodies():
        assert body["variables"]["accountTag"] == ACCOUNT


def test_the_snapshot_exports(snapshot: Any) -> None:
    import json

    snap, _, _ = snapshot
    doc = json.loads(to_json(snap))
    assert doc["board"] == "workers" and len(doc["panels"]) == len(load_preset("cloudflare-workers").panels)


def test_the_live_snapshot_round_trips_byte_for_byte(snapshot: Any) -> None:
    """Issue 10's proof that the Snapshot is complete: its JSON reads back equal and the SVG rendered from
    that JSON is byte-identical to the one rendered from the live snapshot (frozen clock)."""
    from contract import assert_round_trip

    assert_round_trip(snapshot[0])
