"""Demo values are pure functions of (seed, entity, bucket): order, repetition and window size don't matter."""

from __future__ import annotations

import subprocess
import sys
from datetime import timedelta

from srvmon.model import MetricQuery, TimeWindow

QUERIES = [
    ("api.requests", "sum", ()),
    ("api.latency", "p99", ("api",)),
    ("lambda.invocations", "sum", ("function",)),
    ("lambda.duration", "p99", ("service",)),
    ("lambda.concurrency", "max", ()),
    ("dynamodb.utilization", "max", ("table",)),
    ("sqs.visible", "max", ("queue",)),
    ("sfn.started", "sum", ("state_machine",)),
]


def _queries(provider_name: str) -> list[MetricQuery]:
    return [MetricQuery(f"q{i}", provider_name, m, s, g) for i, (m, s, g) in enumerate(QUERIES)]


def test_same_window_twice_and_across_instances(demo, make_demo, window4h):
    first = demo.query(_queries("demo"), window4h)
    again = demo.query(_queries("demo"), window4h)
    other = make_demo().query(_queries("demo"), window4h)
    assert first == again == other
    assert all(r.ok and r.series for r in first.values())


def test_query_order_does_not_matter(demo, window4h):
    forward = demo.query(_queries("demo"), window4h)
    backward = demo.query(list(reversed(_queries("demo"))), window4h)
    single = {q.ref_id: demo.query([q], window4h)[q.ref_id] for q in _queries("demo")}
    assert forward == backward == single


def test_sub_window_is_a_slice_of_the_bigger_window(demo, window4h, now, run):
    inner = TimeWindow(now - timedelta(hours=2), now - timedelta(hours=1), 60)
    for metric, stat, group in QUERIES:
        big = run(demo, window4h, metric, stat, group)
        small = run(demo, inner, metric, stat, group)
        big_by = {tuple(s.labels.items()): dict(zip(s.timestamps, s.values, strict=True)) for s in big.series}
        assert len(small.series) == len(big.series) > 0
        for s in small.series:
            assert s.timestamps == tuple(inner.timestamps())
            assert list(s.values) == [big_by[tuple(s.labels.items())][t] for t in s.timestamps], metric


def test_series_are_aligned_to_the_window(demo, window4h, run):
    res = run(demo, window4h, "api.requests", "sum", ("api",))
    assert len(res.series) == 4
    for s in res.series:
        assert s.timestamps == tuple(window4h.timestamps())
        assert len(s.values) == window4h.points == 240
        assert all(v is not None and v > 0 for v in s.values)


def test_buckets_after_now_are_missing(demo, now, run):
    window = TimeWindow(now - timedelta(minutes=10), now + timedelta(minutes=10), 60)
    s = run(demo, window, "api.requests", "sum").series[0]
    assert all(v is not None for v in s.values[:10])
    assert all(v is None for v in s.values[10:])


def test_seed_changes_the_fleet(make_demo, window4h, run):
    a, b = make_demo(seed=1), make_demo(seed=2)
    assert run(a, window4h, "api.requests", "sum").series != run(b, window4h, "api.requests", "sum").series


def test_values_do_not_depend_on_the_process(demo, window4h, run):
    """Keys come from blake2b/crc32, not Python's per-process salted str hash."""
    code = (
        "from datetime import datetime, UTC\n"
        "from srvmon.clock import FrozenClock\n"
        "from srvmon.model import MetricQuery, TimeWindow\n"
        "from srvmon.providers.demo import DemoOptions, DemoProvider\n"
        "now = datetime(2026, 11, 18, 14, 0, tzinfo=UTC)\n"
        "p = DemoProvider('demo', DemoOptions(), FrozenClock(now))\n"
        "q = MetricQuery('r', 'demo', 'lambda.duration', 'p99', ('function',))\n"
        "res = p.query([q], TimeWindow.ending_at(now, 4 * 3600))['r']\n"
        "print(repr(sorted((s.labels['function'], s.values[-1]) for s in res.series)))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60)
    here = sorted(
        (s.labels["function"], s.values[-1])
        for s in run(demo, window4h, "lambda.duration", "p99", ("function",)).series
    )
    assert out.stdout.strip() == repr(here)


def test_empty_or_inverted_windows_return_no_series(demo, now, run):
    inverted = TimeWindow(now, now - timedelta(hours=1), 60)
    res = run(demo, inverted, "api.requests", "sum")
    assert res.ok and res.series == ()
