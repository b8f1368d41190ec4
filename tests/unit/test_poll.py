"""The poller: values, compare overlay, de-duplication, failures staying on their panels, stale, backoff."""

from __future__ import annotations

import threading

import pytest

from srvmon.config import parse_config
from srvmon.poll import Poller

CFG = """
[providers.t]
type = "scripted"
level = 10

[[boards]]
name = "b"
range = "1h"

[[boards.panels]]
id = "stat"
title = "Stat"
kind = "stat"
query = "x"
thresholds = { warn = 9, crit = 11 }

[[boards.panels]]
id = "same"
title = "Same query, other panel"
kind = "timeseries"
query = "x"
trend = true

[[boards.panels]]
id = "top"
title = "Top"
kind = "toplist"
query = "x"
group_by = ["function"]
top = 2

[[boards.panels]]
id = "gauge"
title = "Concurrency"
kind = "gauge"
query = "x"
limit = "account_concurrency"
thresholds = { warn = 80, crit = 90 }

[[boards.panels]]
id = "alarms"
title = "Alarms"
kind = "alarms"

[[boards.panels]]
id = "cost"
title = "Cost"
kind = "cost"

[[boards.panels]]
id = "broken"
title = "Broken"
kind = "stat"
query = "broken"
"""


def make(clock, text: str = CFG, timeout_s: float = 5.0) -> Poller:
    cfg = parse_config(text)
    return Poller(cfg.boards[0], cfg.build_providers(clock), clock, timeout_s=timeout_s)


def test_values_compare_and_status(scripted, clock):
    snap = make(clock).poll()
    stat = snap.panel("stat")
    assert stat.value == pytest.approx(10.0) and stat.compare_value == pytest.approx(8.0)
    assert stat.delta_pct == pytest.approx(25.0)
    assert stat.status == "warn"  # 10 >= warn 9, < crit 11
    assert snap.window.duration_s == 3600 and snap.window.step_s == 60 and snap.compare == "1w"
    [series] = stat.series
    assert len(series.points) == 60
    # compare points are drawn on today's axis
    assert series.compare_points is not None and series.compare_points[0][0] == series.points[0][0]


def test_queries_are_deduplicated(scripted, clock):
    make(clock).poll()
    queries = [n for op, n in scripted.calls if op == "query"]
    # 2 windows (now, week ago); "x" for stat/same/gauge shared; grouped "x"; "broken"
    assert sorted(queries) == [3, 3]
    assert sorted(op for op, _ in scripted.calls if op != "query") == ["alarms", "cost", "limits"]


def test_toplist_gauge_alarms_cost(scripted, clock):
    snap = make(clock).poll()
    top = snap.panel("top")
    assert [r.name for r in top.rows] == ["item-2", "item-1"]
    assert top.rows[0].value == pytest.approx(14.0) and top.rows[0].delta_pct == pytest.approx(25.0)
    g = snap.panel("gauge")
    assert g.limit.limit == 1000 and g.limit.used == pytest.approx(10.0) and g.status == "ok"
    assert g.limit.time_to_limit_s is None  # flat trend never reaches the limit
    al = snap.panel("alarms")
    assert (
        al.status == "crit"
        and al.value == 1
        and [r.state for r in al.rows] == ["ALARM", "INSUFFICIENT_DATA", "OK"]
    )
    cost = snap.panel("cost")
    # 2026-11-18 12:00: month-to-date counts today's partial day (18 days of items, 15/day); last month
    # is counted to the same point: 17 days and half of the 18th at 13/day (lambda 8 + dynamodb 5)
    assert cost.value == pytest.approx(18 * 15) and cost.compare_value == pytest.approx(17.5 * 13)
    assert cost.compare is not None and cost.compare.label == "last month (same days)"
    # forecast: 180 lambda over 17.5 elapsed days of a 30-day month
    assert cost.rows[0].service == "lambda" and cost.rows[0].forecast == pytest.approx(
        180 / 17.5 * 30, abs=0.01
    )
    assert cost.cost is not None and cost.cost.days_elapsed == pytest.approx(17.5)


def test_trend_and_time_to_limit(scripted, clock):
    text = CFG.replace("level = 10", "level = 500\nslope_per_h = 100")
    snap = make(clock, text).poll()
    assert snap.panel("same").trend.slope_per_h == pytest.approx(100.0)
    g = snap.panel("gauge")
    # last value ~500 at the end of the window rising 100/h -> ~5 h to 1000
    assert 4.5 * 3600 < g.limit.time_to_limit_s < 5.5 * 3600


def test_query_error_stays_on_its_panel(scripted, clock):
    snap = make(clock).poll()
    b = snap.panel("broken")
    assert b.status == "error" and b.error == "no such metric" and not b.stale
    assert snap.panel("stat").status == "warn"
    assert all(p.ok for p in snap.providers)


def test_provider_failure_marks_panels_stale_then_backs_off(scripted, clock):
    poller = make(clock)
    first = poller.poll()
    scripted.fail = "AccessDenied: not allowed"
    clock.advance(60)
    second = poller.poll()
    stat = second.panel("stat")
    assert (
        stat.stale and stat.error == "AccessDenied: not allowed" and stat.value == first.panel("stat").value
    )
    assert stat.fetched_at == first.panel("stat").fetched_at
    prov = second.providers[0]
    assert not prov.ok and "AccessDenied" in prov.error
    # within the backoff window the provider is not called again
    calls = len(scripted.calls)
    clock.advance(2)
    third = poller.poll()
    assert len(scripted.calls) == calls
    assert "retrying in" in third.panel("stat").error
    # force (the `r` key) bypasses backoff; recovery clears the error
    scripted.fail = None
    fourth = poller.poll(force=True)
    assert not fourth.panel("stat").stale and fourth.providers[0].ok


def test_failure_without_previous_is_error(scripted, clock):
    scripted.fail = "boom"
    scripted.throttle = True
    snap = make(clock).poll()
    assert {p.status for p in snap.panels} == {"error"}
    assert snap.panel("stat").error == "boom"


def test_timeout_does_not_hang_snapshot(scripted, clock):
    scripted.block = threading.Event()
    try:
        snap = make(clock, timeout_s=0.2).poll()
    finally:
        scripted.block.set()
    assert snap.panel("stat").status == "error" and "timed out after 0.2s" in snap.panel("stat").error
    assert snap.panel("alarms").status == "crit"  # other calls of the provider still answered


def test_compare_off_and_range_override(scripted, clock):
    snap = make(clock).poll(compare=False, range_s=4 * 3600)
    assert snap.compare is None and snap.panel("stat").compare_value is None
    assert snap.window.duration_s == 4 * 3600
    assert [n for op, n in scripted.calls if op == "query"] == [3]


def test_usage_reported(scripted, clock):
    snap = make(clock).poll()
    [p] = snap.providers
    assert p.api_calls == 2 and p.metrics_requested == 6 and p.estimated_cost_usd == pytest.approx(0.00006)


def test_delta_thresholds_are_not_drawn_as_value_levels(scripted, clock):
    text = CFG.replace(
        "thresholds = { warn = 9, crit = 11 }",
        'thresholds = { warn = 20, crit = 50 }\nthreshold_on = "delta_pct"',
    )
    stat = make(clock, text).poll().panel("stat")
    assert stat.status == "warn"  # +25% vs last week crosses warn 20
    assert stat.thresholds.warn is None and stat.thresholds.crit is None


def test_a_stuck_provider_does_not_hold_back_the_others(scripted, clock):
    """With `progress`, the panels of the providers that answered come out while another is still stuck."""
    import threading as th

    from srvmon.providers.demo import DemoProvider  # noqa: F401 - registered built-in

    text = CFG.replace('range = "1h"', 'range = "1h"\nprovider = "t"') + '\n[providers.demo]\ntype = "demo"\n' \
        '\n[[boards.panels]]\nid = "demo"\ntitle = "Demo"\n' \
        'kind = "stat"\nprovider = "demo"\nquery = "api.requests"\n'  # fmt: skip
    scripted.block = th.Event()
    seen = []
    try:
        snap = make(clock, text, timeout_s=1.0).poll(progress=seen.append)
    finally:
        scripted.block.set()
    assert seen, "no partial snapshot while the scripted provider was stuck"
    first = seen[0]
    assert {p.id for p in first.panels} == {"demo"} and first.panel("demo").value is not None
    assert "timed out" in snap.panel("stat").error and snap.panel("demo").value is not None
