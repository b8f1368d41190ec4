"""Each live incident of the demo fleet is visible in its numbers."""

from __future__ import annotations

from datetime import date, timedelta
from statistics import mean

from srvmon import analysis
from srvmon.model import TimeWindow


def _around(series, t0: int, minutes: int) -> tuple[float, float]:
    before = [v for t, v in zip(series.timestamps, series.values, strict=True) if t0 - minutes * 60 <= t < t0]
    after = [v for t, v in zip(series.timestamps, series.values, strict=True) if t0 <= t < t0 + minutes * 60]
    return mean(before), mean(after)


def test_deploy_triples_checkout_p99_and_raises_its_5xx(demo, window4h, now, run):
    inc = demo.incidents
    assert inc.deploy_service == "checkout" and inc.deploy_s == int(now.timestamp()) - 35 * 60
    p99 = {s.labels["api"]: s for s in run(demo, window4h, "api.latency", "p99", ("api",)).series}
    before, after = _around(p99["checkout-api"], inc.deploy_s, 30)
    assert 2.6 < after / before < 3.5
    for api in ("catalog-api", "auth-api", "notify-api"):
        b, a = _around(p99[api], inc.deploy_s, 30)
        assert 0.85 < a / b < 1.15, api
    errors = {s.labels["api"]: s for s in run(demo, window4h, "api.5xx", "sum", ("api",)).series}
    b5, a5 = _around(errors["checkout-api"], inc.deploy_s, 30)
    assert a5 > 15 * b5 > 0
    bc, ac = _around(errors["catalog-api"], inc.deploy_s, 30)
    assert ac < 2 * bc


def test_hot_table_climbs_with_a_finite_time_to_limit(demo, window4h, run, labelled):
    util = run(demo, window4h, "dynamodb.utilization", "max", ("table",))
    tables = labelled(util, "table")
    hot = demo.incidents.hot_table
    assert hot == "orders" and len(tables) == 6
    series = next(s for s in util.series if s.labels["table"] == hot)
    tr = analysis.trend(series.timestamps, series.values)
    assert tr is not None and 4.0 < tr.slope_per_h < 6.0
    ttl = analysis.time_to_limit(tables[hot][-1], 100.0, tr.slope_per_h)
    assert ttl is not None and 2 * 3600 < ttl < 5 * 3600
    assert 80.0 < tables[hot][-1] < 90.0
    assert all(max(v) < min(tables[hot]) for name, v in tables.items() if name != hot)


def test_only_one_function_throttles(demo, window4h, run, labelled):
    res = run(demo, window4h, "lambda.throttles", "sum", ("function",))
    assert len(res.series) == 40
    throttling = {name for name, v in labelled(res, "function").items() if sum(v) > 0}
    assert throttling == {demo.incidents.throttle_fn}
    fleet_total = sum(run(demo, window4h, "lambda.throttles", "sum").series[0].values)
    assert fleet_total == sum(labelled(res, "function")[demo.incidents.throttle_fn]) > 0


def test_dlq_is_growing_and_main_queues_are_not(demo, window4h, run):
    res = run(demo, window4h, "sqs.visible", "max", ("queue",))
    labels = {s.labels["queue"]: s.labels["dlq"] for s in res.series}
    assert list(labels.values()).count("true") == 1
    dlq = next(s for s in res.series if s.labels["dlq"] == "true")
    recent = [v for t, v in zip(dlq.timestamps, dlq.values, strict=True) if t >= demo.incidents.dlq_s]
    assert all(b >= a for a, b in zip(recent, recent[1:], strict=False))
    assert recent[-1] > recent[0] + 300
    tr = analysis.trend(dlq.timestamps, dlq.values)
    assert tr is not None and tr.slope_per_h > 100
    only_dlq = run(demo, window4h, {"metric": "sqs.visible", "where": {"dlq": True}}, "max")
    assert only_dlq.series[0].values == dlq.values


def test_one_service_costs_30_percent_more_than_last_week(demo, now):
    midnight = now.replace(hour=0, minute=0)
    window = TimeWindow(
        midnight - timedelta(days=40), midnight + timedelta(days=1), 86400
    )  # as the poller asks
    items = demo.cost(window)
    days = sorted({i.day for i in items})
    assert days[-1] == now.date() and days[0] == window.start.date()
    last = now.date() - timedelta(days=1)  # compare complete days

    def total(svc: str, first: date, end: date) -> float:
        return sum(i.amount_usd for i in items if i.service == svc and first <= i.day <= end)

    for svc in demo.fleet.services:
        this_week = total(svc, last - timedelta(days=5), last)
        prev_week = total(svc, last - timedelta(days=12), last - timedelta(days=7))
        ratio = this_week / prev_week
        if svc == demo.incidents.cost_service:
            assert 1.25 < ratio < 1.40, svc
        else:
            assert 0.95 < ratio < 1.12, svc
    today = [i for i in items if i.day == now.date()]
    yesterday = [i for i in items if i.day == last]
    assert sum(i.amount_usd for i in today) < sum(i.amount_usd for i in yesterday)  # today is 14/24 done


def test_exactly_two_of_twelve_alarms_fire(demo, now):
    alarms = demo.alarms()
    assert len(alarms) == 12
    firing = sorted(a.name for a in alarms if a.state == "ALARM")
    assert firing == ["checkout-api-5xx-rate-high", "dynamodb-orders-write-capacity-80pct"]
    for a in alarms:
        assert a.reason and a.since is not None and a.since <= now
    fired = {a.name: a for a in alarms}
    assert fired["checkout-api-5xx-rate-high"].since > now - timedelta(minutes=35)


def test_limits_report_account_concurrency_and_tables(demo):
    limits = {lim.name: lim for lim in demo.limits()}
    conc = limits["account_concurrency"]
    assert conc.limit == 1000 and 0 < conc.used < conc.limit
    assert {f"table:{t.name}" for t in demo.fleet.tables} <= set(limits)
    assert 80 < limits["table:orders"].used < 90 and limits["table:orders"].limit == 100
    assert limits["api_rps"].used > 0


def test_growth_week_over_week(demo, now, run):
    week = TimeWindow.ending_at(now, 7 * 86400)
    this = sum(run(demo, week, "api.requests", "sum").series[0].values)
    prev = sum(run(demo, week.shifted(7), "api.requests", "sum").series[0].values)
    assert 1.015 < this / prev < 1.045
