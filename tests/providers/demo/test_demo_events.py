"""The demo's change events: the deploy behind the p99 jump, a config change and alarm transitions,
deterministic from seed and clock; and the detector + explanation on the demo's own p99 series."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from srvmon.changepoint import detect
from srvmon.changes import events_for, explain
from srvmon.clock import FrozenClock
from srvmon.model import TimeWindow
from srvmon.providers.demo import DemoOptions, DemoProvider


def test_the_deploy_a_config_change_and_alarm_transitions(demo, window4h, now) -> None:
    inc = demo.incidents
    events = demo.events(window4h)
    got = [(e.time, e.kind, e.resources[0], e.summary.split(":")[0]) for e in events]
    assert got == [
        (datetime.fromtimestamp(inc.throttle_s, UTC), "config", inc.throttle_fn, "reserved concurrency 100 → 20"),
        (datetime.fromtimestamp(inc.deploy_s, UTC), "deploy", "checkout-api", "deployed v2.14.0 (was v2.13.4) to 10 functions"),
        (datetime.fromtimestamp(inc.deploy_s + 240, UTC), "alarm-state", "checkout-api",
         "checkout-api-5xx-rate-high OK → ALARM"),
        (events[3].time, "alarm-state", "orders", "dynamodb-orders-write-capacity-80pct OK → ALARM"),
    ]  # fmt: skip
    deploy = events[1]
    assert deploy.time == now - timedelta(minutes=35)
    assert (deploy.version, deploy.actor, deploy.provider, deploy.source) == (
        "v2.14.0",
        "ci/deploy-pipeline",
        "demo",
        "demo",
    )
    assert set(deploy.resources) >= {"checkout-api", "checkout", "checkout-create-order"}
    assert deploy.link is not None and deploy.link.startswith(
        "https://us-east-1.console.aws.amazon.com/cloudtrailv2/"
    )
    # consistent with alarms(): every alarm's transition time is its `since`
    since = {a.name: a.since for a in demo.alarms()}
    for e in events[2:]:
        assert e.time == since[e.resources[1]]
    assert demo.usage().by_operation["events"] == 1


def test_events_are_deterministic_and_follow_the_seed(make_demo, window4h) -> None:
    a, b = make_demo().events(window4h), make_demo().events(window4h)
    assert a == b
    other = make_demo(seed=7).events(window4h)
    assert [e.kind for e in other] == [e.kind for e in a]  # the same story ...
    assert [e.link for e in other] != [e.link for e in a]  # ... told with the seed's own ids


def test_longer_windows_hold_the_earlier_release_and_quiet_alarms(demo, now) -> None:
    month = TimeWindow.ending_at(now, 30 * 86400, 7200)
    events = demo.events(month)
    kinds = [e.kind for e in events]
    assert kinds.count("deploy") == 2 and kinds.count("config") == 1
    assert kinds.count("alarm-state") == 12  # 2 went into ALARM, 10 quiet ones last went back to OK
    assert [e.version for e in events if e.kind == "deploy"] == ["v2.13.4", "v2.14.0"]


def test_future_events_are_not_shown_and_resources_filter(make_demo, now) -> None:
    early = FrozenClock(now)
    demo = DemoProvider("demo", DemoOptions(), early)
    early.set(now - timedelta(hours=1))  # the incidents stay anchored; the clock went back
    assert [e.kind for e in demo.events(TimeWindow.ending_at(now, 4 * 3600))] == ["config"]
    fresh = make_demo()
    window = TimeWindow.ending_at(now, 4 * 3600)
    assert [e.kind for e in fresh.events(window, ["checkout-get-cart"])] == ["deploy"]  # via its service
    assert [e.resources[0] for e in fresh.events(window, ["orders"])] == ["orders"]


def test_the_p99_jump_is_detected_and_explained_by_the_deploy(demo, window4h, now, run) -> None:
    p99 = {s.labels["api"]: s for s in run(demo, window4h, "api.latency", "p99", ("api",)).series}
    points = list(zip(p99["checkout-api"].timestamps, p99["checkout-api"].values, strict=True))
    shift = detect(points)
    assert shift is not None
    assert abs(shift.time - demo.incidents.deploy_s) <= 60
    assert shift.pct is not None and 150 < shift.pct < 260
    events = events_for(["checkout-api"], demo.events(window4h))
    text = explain(shift, events, "ms", UTC, label="p99")
    assert text == f"p99 +{shift.pct:.0f}% since checkout-api deploy at 13:25 (v2.14.0)"
    # the other APIs did not move, and a quiet panel gets no sentence
    for api in ("catalog-api", "auth-api", "notify-api"):
        pts = list(zip(p99[api].timestamps, p99[api].values, strict=True))
        assert detect(pts) is None, api
        assert explain(detect(pts), events_for([api], demo.events(window4h)), "ms", label="p99") is None
