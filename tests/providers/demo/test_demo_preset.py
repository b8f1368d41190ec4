"""The serverless preset: valid data, laid out on the grid, every query runs on the demo provider."""

from __future__ import annotations

import io
import json
import tomllib
from importlib import resources

from srvmon.kinds import is_metric
from srvmon.model import RANGES, MetricQuery, TimeWindow
from srvmon.providers.demo import DemoProvider
from srvmon.schema import PresetModel


def _preset() -> PresetModel:
    text = (resources.files("srvmon.presets") / "serverless.toml").read_text(encoding="utf-8")
    return PresetModel.model_validate(tomllib.loads(text))


def test_preset_validates_and_targets_the_demo_provider():
    preset = _preset()
    assert preset.name == "serverless" and preset.provider_type == "demo"
    assert DemoProvider.default_preset == preset.name
    kinds = {p.kind for p in preset.panels}
    assert kinds == {"stat", "timeseries", "gauge", "toplist", "alarms", "cost", "health", "logs"}
    assert all(p.provider is None for p in preset.panels)
    assert len({p.id for p in preset.panels}) == len(preset.panels)


def test_panels_tile_the_12_column_grid_without_overlap():
    cells: dict[tuple[int, int], str] = {}
    for p in _preset().panels:
        assert p.position is not None, p.id
        pos = p.position
        for row in range(pos.row, pos.row + pos.height):
            for col in range(pos.col, pos.col + pos.width):
                assert (row, col) not in cells, f"{p.id} overlaps {cells.get((row, col))}"
                cells[(row, col)] = p.id
    rows = {r for r, _ in cells}
    assert rows == set(range(max(rows) + 1))  # no empty rows
    top = sorted((p.position.col, p.id) for p in _preset().panels if p.position.row == 0)
    assert [pid for _, pid in top] == [
        "requests",
        "user_errors",
        "backend_errors",
        "fatal",
        "throttles",
        "dlq",
    ]
    assert len(cells) == 12 * len(rows)  # every cell used: no holes on a wall screen
    # fits a 200x60 wall screen without scrolling: 8 grid rows of 7 lines
    assert max(rows) + 1 <= 8


def test_every_metric_panel_query_is_valid_and_returns_series(demo, now):
    panels = [p for p in _preset().panels if is_metric(p.kind)]
    assert len(panels) >= 18
    for p in panels:
        assert DemoProvider.validate_query(p.query, p.stat) is None, p.id
        window = TimeWindow.ending_at(now, RANGES[p.range or "4h"])
        many = p.kind == "toplist" or (p.kind == "timeseries" and bool(p.group_by))
        q = MetricQuery(p.id, "demo", p.query, p.stat, tuple(p.group_by), p.top if many else None, p.order)
        res = demo.query([q], window)[p.id]
        assert res.ok and res.series, (p.id, res.error)
        assert all(len(s.values) == window.points for s in res.series)
    gauge = next(p for p in panels if p.id == "concurrency")
    assert gauge.limit in {lim.name for lim in demo.limits()}


def test_demo_snapshot_shows_every_incident(monkeypatch):
    """End to end through the CLI: `srvmon snapshot --demo --format json` with a frozen clock."""
    from srvmon.cli import main

    monkeypatch.setenv("SRVMON_NOW", "2026-11-18T14:00:00Z")
    out, err = io.StringIO(), io.StringIO()
    code = main(["snapshot", "--demo", "--format", "json", "-o", "-"], out=out, err=err)
    assert code == 0, err.getvalue()
    snap = json.loads(out.getvalue())
    panels = {p["id"]: p for p in snap["panels"]}
    assert not [p["id"] for p in snap["panels"] if p["status"] in ("error", "nodata")]
    assert panels["backend_errors"]["status"] == "crit" and panels["backend_errors"]["delta_pct"] > 500
    assert panels["api_p99"]["status"] == "crit"
    assert panels["alarms"]["value"] == 2
    assert panels["top_table"]["status"] == "warn"
    assert 3600 < panels["top_table"]["limit"]["time_to_limit_s"] < 6 * 3600
    assert panels["concurrency"]["limit"]["limit"] == 1000
    assert panels["dlq"]["status"] == "crit" and panels["dlq"]["trend"]["slope_per_h"] > 0
    assert panels["cost"]["status"] == "crit"
    health = {r["function"]: r for r in panels["function_health"]["rows"]}
    assert any(r["timeouts"] for r in health.values()) and any(r["oom"] for r in health.values())
    assert panels["worst_p99_functions"]["rows"][0]["value"] == 6000
    assert 0.5 < panels["api_calls_4h"]["compare_value"] / panels["api_calls_4h"]["value"] < 1.0
    assert snap["providers"][0]["ok"] and snap["providers"][0]["estimated_cost_usd"] == 0
