"""Demo change events, deterministic from the seed and the incidents' anchor (the clock at start):

* the bad deploy ~35 minutes ago: `<service>-api` to NEW_VERSION (p99 triples, 5xx rise), and the
  release before it two days earlier;
* a config change 3 hours ago: the throttling function's reserved concurrency lowered (it throttles
  from then on);
* alarm transitions consistent with `account.alarms()`: the deployed API's 5xx alarm and the hot
  table's capacity alarm going OK -> ALARM, and each quiet alarm's last ALARM -> OK.
"""

from __future__ import annotations

from datetime import UTC, datetime

from srvmon.model import ChangeEvent, TimeWindow
from srvmon.providers.demo import account, noise
from srvmon.providers.demo.fleet import Fleet, Incidents
from srvmon.providers.demo.logs import NEW_VERSION, OLD_VERSION

SOURCE = "demo"
REGION = account.REGION
#: The reserved concurrency of the throttling function before and after the change.
RESERVED_BEFORE, RESERVED_AFTER = 100, 20


def _dt(epoch_s: float) -> datetime:
    return datetime.fromtimestamp(epoch_s, UTC)


def _trail_link(fleet: Fleet, what: str) -> str:
    event_id = f"{noise.key(fleet.seed, 'event', what):016x}"
    uuid = f"{event_id[:8]}-{event_id[8:12]}-4{event_id[13:16]}-a{event_id[1:4]}-{event_id[4:16]}"
    return f"https://{REGION}.console.aws.amazon.com/cloudtrailv2/home?region={REGION}#/events/{uuid}"


def all_events(fleet: Fleet, inc: Incidents) -> list[ChangeEvent]:
    """Every demo change event, oldest first (callers keep a window's)."""
    svc = inc.deploy_service
    api = fleet.api(svc)
    members = tuple(f.name for f in fleet.by_service[svc])
    throttle = fleet.by_name[inc.throttle_fn]
    previous_s = inc.deploy_s - 2 * 86400 - 5 * 3600 - 17 * 60
    events = [
        ChangeEvent(
            time=_dt(previous_s),
            kind="deploy",
            summary=f"deployed {OLD_VERSION} (was v2.13.3) to {len(members)} functions",
            resources=(api, svc, *members),
            actor="ci/deploy-pipeline",
            link=_trail_link(fleet, "previous-deploy"),
            source=SOURCE,
            id=f"demo:deploy:{svc}:{OLD_VERSION}",
            version=OLD_VERSION,
        ),
        ChangeEvent(
            time=_dt(inc.deploy_s),
            kind="deploy",
            summary=f"deployed {NEW_VERSION} (was {OLD_VERSION}) to {len(members)} functions",
            resources=(api, svc, *members),
            actor="ci/deploy-pipeline",
            link=_trail_link(fleet, "deploy"),
            source=SOURCE,
            id=f"demo:deploy:{svc}:{NEW_VERSION}",
            version=NEW_VERSION,
        ),
        ChangeEvent(
            time=_dt(inc.throttle_s),
            kind="config",
            summary=f"reserved concurrency {RESERVED_BEFORE} → {RESERVED_AFTER}",
            resources=(throttle.name, throttle.service),
            actor="alice@example.com",
            link=_trail_link(fleet, "concurrency"),
            source=SOURCE,
            id=f"demo:config:{throttle.name}:reserved",
        ),
    ]
    for alarm in account.alarms(fleet, inc):
        if alarm.since is None:
            continue
        old, new = ("OK", "ALARM") if alarm.state == "ALARM" else ("ALARM", "OK")
        events.append(
            ChangeEvent(
                time=alarm.since,
                kind="alarm-state",
                summary=f"{alarm.name} {old} → {new}" + (f": {alarm.reason[:160]}" if new == "ALARM" else ""),
                resources=(alarm.resource, alarm.name),
                link=alarm.link,
                source=SOURCE,
                id=f"demo:alarm:{alarm.name}:{int(alarm.since.timestamp())}",
            )
        )
    return sorted(events, key=lambda e: (e.time, e.id))


def events(fleet: Fleet, inc: Incidents, window: TimeWindow, now_s: int) -> list[ChangeEvent]:
    """The events in `window` that have happened by `now_s`."""
    return [
        e
        for e in all_events(fleet, inc)
        if window.start <= e.time < window.end and e.time.timestamp() <= now_s
    ]
