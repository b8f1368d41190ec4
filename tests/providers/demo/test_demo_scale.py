"""10,000 functions stay usable: closed-form aggregates, pre-ranked top-N, bounded logs and health."""

from __future__ import annotations

import time
import tomllib
from importlib import resources

from srvmon.kinds import is_metric
from srvmon.model import RANGES, LogQuery, MetricQuery, TimeWindow
from srvmon.providers.demo import DemoOptions, DemoProvider
from srvmon.providers.demo.fleet import build_fleet
from srvmon.schema import PresetModel


def _preset_queries() -> list[tuple[MetricQuery, str, bool]]:
    text = (resources.files("srvmon.presets") / "serverless.toml").read_text(encoding="utf-8")
    out = []
    for p in PresetModel.model_validate(tomllib.loads(text)).panels:
        if is_metric(p.kind):
            many = p.kind == "toplist" or (p.kind == "timeseries" and bool(p.group_by))
            q = MetricQuery(
                p.id, "demo", p.query, p.stat, tuple(p.group_by), p.top if many else None, p.order
            )
            out.append((q, p.range or "4h", p.compare != "none"))
    return out


def _full_board(clock, functions: int) -> float:
    """What one refresh of the preset asks for (windows + compare windows, limits, alarms, cost,
    health, logs), from a cold fleet cache; returns the wall time."""
    build_fleet.cache_clear()
    t0 = time.perf_counter()
    demo = DemoProvider("demo", DemoOptions(functions=functions), clock)
    now = clock.now()
    for q, rng, compare in _preset_queries():
        window = TimeWindow.ending_at(now, RANGES[rng])
        assert demo.query([q], window)[q.ref_id].ok
        if compare:
            assert demo.query([q], window.shifted(28 if rng == "1mo" else 7))[q.ref_id].ok
    demo.limits()
    demo.alarms()
    demo.cost(TimeWindow.ending_at(now, 50 * 86400, 86400))
    w4 = TimeWindow.ending_at(now, 4 * 3600)
    assert demo.function_health(w4)
    demo.logs(LogQuery("demo", w4, errors_only=True, limit=50))
    return time.perf_counter() - t0


def test_ten_thousand_functions_cost_at_most_three_times_forty(clock):
    runs = [
        (_full_board(clock, 40), _full_board(clock, 10_000)) for _ in range(2)
    ]  # interleaved vs load drift
    small, big = min(r[0] for r in runs), min(r[1] for r in runs)
    assert big <= 3 * small, f"40 functions: {small:.3f}s, 10,000: {big:.3f}s"


def test_ten_thousand_functions_answer_correctly(make_demo, window4h, run, labelled):
    demo = make_demo(functions=10_000)
    assert len(demo.resources()) == 10_000 == len(set(demo.resources()))
    top = run(demo, window4h, "lambda.invocations", "sum", ("function",), limit=10)
    names = [s.labels["function"] for s in top.series]
    assert names[:3] == [fn.name for fn in demo.fleet.by_rank[:3]]
    totals = [sum(s.values) for s in top.series]
    assert len(totals) == 10 and totals == sorted(totals, reverse=True)
    throttles = run(demo, window4h, "lambda.throttles", "sum", ("function",), limit=5)
    assert (
        throttles.series[0].labels["function"] == demo.incidents.throttle_fn
        and sum(throttles.series[0].values) > 0
    )
    total = sum(run(demo, window4h, "lambda.invocations", "sum").series[0].values)
    by_service = labelled(run(demo, window4h, "lambda.invocations", "sum", ("service",)), "service")
    assert abs(sum(map(sum, by_service.values())) - total) < 0.01 * total
    logs = demo.logs(LogQuery("demo", window4h, errors_only=True, limit=50))
    assert len(logs.records) == 50 and "50 busiest of 10000" in logs.warnings[0]
    health = {h.function for h in demo.function_health(window4h)}
    assert {demo.incidents.timeout_fn, demo.incidents.oom_fn} <= health and len(health) <= 53
