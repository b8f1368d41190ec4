"""AWS change events in a window, per account and region, merged across three sources:

* **Lambda listings** (free control-plane calls): published versions (ListVersionsByFunction, their
  LastModified), alias moves (ListAliases compared with the previous listing; the move is dated at
  that previous listing, the earliest it can have happened, and the summary gives both times), and `$LATEST` code/config changes (ListFunctions' LastModified; a code
  change when the CodeSha256 differs from the last published version's or from the previous listing,
  a config change when it does not, "code or configuration" on first sight);
* **CloudTrail LookupEvents** (free for management events): the writes in `trail.EVENT_NAMES`, with
  who made them. LookupEvents allows 2 requests/s per account and region, so calls are spaced to that
  rate, at most `cloudtrail_max_calls` per refresh, newest range first; an hour that ended more than
  15 minutes ago (CloudTrail's delivery delay) is settled: fetched once, cached, never asked again;
* **CloudWatch alarm history** (DescribeAlarmHistory, StateUpdate items) -> kind "alarm-state", on
  the alarm's dimensions (DescribeAlarms), settled after 5 minutes.

The same change seen by several sources is one event (`changes.dedupe`, CloudTrail preferred: exact
time and actor). A source that fails (denied, throttled) leaves the others; its reason is in
`EventsReader.warnings`, and only when every source fails is a ProviderError raised.
"""

from __future__ import annotations

import json
import re
import threading
import time
from collections import deque
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any

from srvmon.changes import dedupe, in_window, names_match
from srvmon.model import ChangeEvent, EventKind, TimeWindow, parse_duration
from srvmon.providers.aws import trail
from srvmon.providers.aws.errors import describe, is_throttle
from srvmon.providers.aws.links import alarm_link, function_link, function_version_link
from srvmon.providers.aws.options import AwsOptions
from srvmon.providers.aws.session import Sessions, Target
from srvmon.providers.base import ProviderError, UsageCounter
from srvmon.providers.eventcache import HourCache, RateLimiter

LAMBDA_VERSIONS = "Lambda versions"
LAMBDA_ALIASES = "Lambda aliases"
LAMBDA_MODIFIED = "Lambda LastModified"
ALARM_HISTORY = "CloudWatch alarm history"
#: Which source wins when several saw one change: the audit log first (exact time, actor).
PREFER = (trail.SOURCE, ALARM_HISTORY, LAMBDA_VERSIONS, LAMBDA_ALIASES, LAMBDA_MODIFIED)
#: USD per request. CloudTrail: looking up management events in Event history is free. Lambda's
#: control-plane API (ListFunctions, ListVersionsByFunction, ListAliases) is not billed. CloudWatch
#: DescribeAlarmHistory/DescribeAlarms are "other API requests": the first million a month are free
#: ($0.01 per 1,000 beyond), counted here as free like DescribeAlarms elsewhere in srvmon.
PRICE_USD = {
    "LookupEvents": 0.0,
    "ListFunctions": 0.0,
    "ListVersionsByFunction": 0.0,
    "ListAliases": 0.0,
    "DescribeAlarmHistory": 0.0,
    "DescribeAlarms": 0.0,
}
TRAIL_SETTLE_S = 15 * 60
TRAIL_RATE_PER_S = 2.0
HISTORY_SETTLE_S = 5 * 60
#: The unsettled tail of a ranged source, and the ListFunctions answer, are reused this long.
FRESH_S = 60.0
#: ListVersionsByFunction pages (50 versions each) read per function at most.
MAX_VERSION_PAGES = 20
#: A version published this soon after $LATEST changed is that change, published.
PUBLISH_WINDOW_S = 600
#: Alias moves remembered (they exist only as differences between listings).
MAX_ALIAS_MOVES = 2000


@dataclass
class _Budget:
    left: int
    spent_out: bool = False

    def take(self) -> bool:
        if self.left <= 0:
            self.spent_out = True
            return False
        self.left -= 1
        return True


@dataclass
class _Part:
    """What one account/region contributed to a read."""

    events: list[ChangeEvent] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    attempts: int = 0
    failures: int = 0
    throttled: bool = False


@dataclass
class _Listing:
    """What the last version/alias listing of one function said."""

    listed_at: float  # monotonic
    listed_wall: datetime
    latest_modified: str
    versions: tuple[dict[str, str], ...]
    aliases: dict[str, str] = field(default_factory=dict)


_LASTMOD = re.compile(r"^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(?:\.(\d+))?(Z|[+-]\d\d:?\d\d)?$")


def parse_last_modified(text: Any) -> datetime | None:
    """Lambda's LastModified ('2026-11-22T11:25:04.123+0000'; moto: '...04.283370000Z') -> aware UTC."""
    m = _LASTMOD.match(str(text or "").strip())
    if not m:
        return None
    base, frac, zone = m.groups()
    micro = int((frac or "0")[:6].ljust(6, "0"))
    tz = "+00:00" if zone in (None, "Z") else (zone if ":" in zone else f"{zone[:3]}:{zone[3:]}")
    try:
        return datetime.fromisoformat(f"{base}.{micro:06d}{tz}").astimezone(UTC)
    except ValueError:
        return None


class EventsReader:
    """Reads and caches the change events of one AwsProvider; one read at a time (thread-safe)."""

    def __init__(
        self,
        sessions: Sessions,
        counter: UsageCounter,
        options: AwsOptions,
        inventory: Callable[[], Any],
        *,
        monotonic: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.sessions = sessions
        self.counter = counter
        self.options = options
        self._inventory = inventory
        self._monotonic = monotonic
        self._sleep = sleep
        self._ttl = parse_duration(options.discovery_ttl)
        self.trail_cache = HourCache(TRAIL_SETTLE_S, FRESH_S, monotonic)
        self.history_cache = HourCache(HISTORY_SETTLE_S, FRESH_S, monotonic)
        self._read_lock = threading.Lock()
        self._state_lock = threading.Lock()
        self._limiters: dict[Target, RateLimiter] = {}
        self._functions: dict[Target, tuple[float, dict[str, dict[str, Any]]]] = {}
        self._listings: dict[tuple[Target, str], _Listing] = {}
        self._seen_latest: dict[tuple[Target, str], tuple[str, str, str | None]] = {}
        self._alias_moves: deque[ChangeEvent] = deque(maxlen=MAX_ALIAS_MOVES)
        self._alarm_resources: dict[tuple[Target, str], tuple[float, tuple[str, ...]]] = {}
        #: Why the last read is incomplete (a source denied, throttled or out of budget); () when whole.
        self.warnings: tuple[str, ...] = ()

    def limiter(self, target: Target) -> RateLimiter:
        """The LookupEvents pacing of one account and region (2 requests/s)."""
        with self._state_lock:
            if target not in self._limiters:
                self._limiters[target] = RateLimiter(TRAIL_RATE_PER_S, self._monotonic, self._sleep)
            return self._limiters[target]

    def _call(self, operation: str, fn: Callable[..., Any], **kwargs: Any) -> Any:
        self.counter.call(operation, usd=PRICE_USD.get(operation, 0.0))
        return fn(**kwargs)

    # -- the read ----------------------------------------------------------------------------------
    def read(
        self, targets: Sequence[Target], window: TimeWindow, resources: Sequence[str], now: datetime
    ) -> list[ChangeEvent]:
        """Every change event of `targets` in `window` concerning `resources` (all when empty).

        Accounts and regions are read in parallel (each has its own LookupEvents rate), so several
        of them cost the time of one."""
        with self._read_lock:
            wanted = [r for r in resources if str(r).strip()]
            multi = len(targets) > 1
            if multi:
                from concurrent.futures import ThreadPoolExecutor

                with ThreadPoolExecutor(max_workers=min(8, len(targets))) as pool:
                    parts = list(
                        pool.map(lambda t: self._read_target(t, window, wanted, now, multi), targets)
                    )
            else:
                parts = [self._read_target(t, window, wanted, now, multi) for t in targets]
            found = [e for part in parts for e in part.events]
            warnings = [w for part in parts for w in part.warnings]
            attempts = sum(part.attempts for part in parts)
            failures = sum(part.failures for part in parts)
            self.warnings = tuple(warnings)
            if attempts and failures == attempts:
                throttled = any(part.throttled for part in parts)
                raise ProviderError(f"change events: {warnings[0]}", throttled=throttled)
            merged = dedupe(found, prefer=PREFER, loose_sources=(LAMBDA_MODIFIED,))
            if wanted:
                merged = [e for e in merged if any(names_match(w, r) for w in wanted for r in e.resources)]
            return in_window(merged, window.start, window.end)

    def _read_target(
        self, target: Target, window: TimeWindow, wanted: Sequence[str], now: datetime, multi: bool
    ) -> _Part:
        part = _Part()
        budget = _Budget(self.options.events_max_calls)
        where = f"{target.account}/{target.region}: " if multi else ""
        sources = set(self.options.events_sources)
        for source, run in (
            ("lambda", lambda: self._lambda(target, window, wanted, budget, now)),
            ("cloudtrail", lambda: self._trail(target, window, now, part.warnings, where)),
            ("alarms", lambda: self._history(target, window, budget, now)),
        ):
            if source not in sources:
                continue
            part.attempts += 1
            try:
                part.events.extend(run())  # type: ignore[no-untyped-call]
            except Exception as exc:
                part.failures += 1
                part.throttled = part.throttled or is_throttle(exc)
                part.warnings.append(f"{where}{source} events: {describe(exc)}")
        if budget.spent_out:
            part.warnings.append(
                f"{where}events: {self.options.events_max_calls} listing calls spent "
                "(events_max_calls); the rest keep their last answer"
            )
        return part

    # -- Lambda listings ---------------------------------------------------------------------------
    def _list_functions(self, target: Target, budget: _Budget) -> dict[str, dict[str, Any]]:
        cached = self._functions.get(target)
        if cached is not None and self._monotonic() - cached[0] < FRESH_S:
            return cached[1]
        client = self.sessions.client("lambda", target)
        out: dict[str, dict[str, Any]] = {}
        marker: str | None = None
        complete = True
        while True:
            if not budget.take():
                complete = False
                break
            page = self._call(
                "ListFunctions", client.list_functions, **({"Marker": marker} if marker else {})
            )
            for fn in page.get("Functions", []):
                out[str(fn.get("FunctionName"))] = fn
            marker = page.get("NextMarker")
            if not marker:
                break
        if not complete and cached is not None:
            out = {**cached[1], **out}
        self._functions[target] = (self._monotonic(), out)
        return out

    def _list_versions(self, target: Target, name: str, latest: str, budget: _Budget, now: datetime) -> None:
        client = self.sessions.client("lambda", target)
        versions: list[dict[str, str]] = []
        marker: str | None = None
        for _ in range(MAX_VERSION_PAGES):
            if not budget.take():
                return
            kw: dict[str, Any] = {
                "FunctionName": name,
                "MaxItems": 50,
                **({"Marker": marker} if marker else {}),
            }
            page = self._call("ListVersionsByFunction", client.list_versions_by_function, **kw)
            for v in page.get("Versions", []):
                if v.get("Version") != "$LATEST":
                    versions.append(
                        {
                            k: str(v.get(k) or "")
                            for k in ("Version", "LastModified", "CodeSha256", "Description")
                        }
                    )
            marker = page.get("NextMarker")
            if not marker:
                break
        aliases: dict[str, str] = {}
        marker = None
        for _ in range(MAX_VERSION_PAGES):
            if not budget.take():
                return
            kw = {"FunctionName": name, "MaxItems": 50, **({"Marker": marker} if marker else {})}
            page = self._call("ListAliases", client.list_aliases, **kw)
            for a in page.get("Aliases", []):
                aliases[str(a.get("Name"))] = str(a.get("FunctionVersion") or "")
            marker = page.get("NextMarker")
            if not marker:
                break
        previous = self._listings.get((target, name))
        if previous is not None:
            since = previous.listed_wall.astimezone(UTC).strftime("%H:%M")
            until = now.astimezone(UTC).strftime("%H:%M")
            for alias, version in sorted(aliases.items()):
                before = previous.aliases.get(alias)
                if before is not None and before != version:
                    self._alias_moves.append(
                        ChangeEvent(  # dated at the earliest it can have happened: the listing before
                            time=previous.listed_wall,
                            kind="deploy",
                            summary=f"alias {alias} → v{version} (was v{before}; moved {since}-{until} UTC)",
                            resources=(name,),
                            link=function_version_link(target.region, name, alias),
                            source=LAMBDA_ALIASES,
                            id=f"lambda:{name}:alias:{alias}:{version}",
                            version=version,
                        )
                    )
        self._listings[(target, name)] = _Listing(self._monotonic(), now, latest, tuple(versions), aliases)

    def _lambda(
        self, target: Target, window: TimeWindow, wanted: Sequence[str], budget: _Budget, now: datetime
    ) -> list[ChangeEvent]:
        functions = self._list_functions(target, budget)
        known = {r.name for r in self._inventory().functions() if r.target == target}
        names = sorted(
            n
            for n in functions
            if (not known or n in known) and (not wanted or any(names_match(w, n) for w in wanted))
        )
        mono = self._monotonic()

        def stale(n: str) -> tuple[int, float]:
            listing = self._listings.get((target, n))
            if listing is None:
                return (0, 0.0)
            if listing.latest_modified != str(functions[n].get("LastModified") or ""):
                return (1, listing.listed_at)
            return (2, listing.listed_at)

        due = [n for n in names if stale(n)[0] < 2 or mono - stale(n)[1] >= self._ttl]
        for n in sorted(due, key=stale):
            if budget.left < 2:
                budget.spent_out = True
                break
            self._list_versions(target, n, str(functions[n].get("LastModified") or ""), budget, now)
        out: list[ChangeEvent] = []
        for n in names:
            out.extend(self._version_events(target, n, window))
            latest = self._latest_event(target, n, functions[n])
            if latest is not None:
                out.append(latest)
        out.extend(e for e in self._alias_moves if e.resources[0] in names)
        return out

    def _version_events(self, target: Target, name: str, window: TimeWindow) -> list[ChangeEvent]:
        listing = self._listings.get((target, name))
        if listing is None:
            return []
        by_version: dict[str, list[str]] = {}
        for alias, version in listing.aliases.items():
            by_version.setdefault(version, []).append(alias)
        out = []
        for v in listing.versions:
            at = parse_last_modified(v["LastModified"])
            if at is None or not (window.start <= at < window.end):
                continue
            number = v["Version"]
            summary = f"published version {number}"
            if v["Description"]:
                summary += f": {v['Description'][:120]}"
            if by_version.get(number):
                summary += f" (alias {', '.join(sorted(by_version[number]))})"
            out.append(
                ChangeEvent(
                    time=at,
                    kind="deploy",
                    summary=summary,
                    resources=(name,),
                    link=function_version_link(target.region, name, number),
                    source=LAMBDA_VERSIONS,
                    id=f"lambda:{name}:version:{number}",
                    version=number,
                )
            )
        return out

    def _latest_event(self, target: Target, name: str, cfg: dict[str, Any]) -> ChangeEvent | None:
        """$LATEST's last modification as an event, unless it was published as a version right after."""
        stamp = str(cfg.get("LastModified") or "")
        sha = str(cfg.get("CodeSha256") or "")
        at = parse_last_modified(stamp)
        if at is None:
            return None
        seen = self._seen_latest.get((target, name))
        if seen is None or seen[0] != stamp:
            previous_sha = seen[1] if seen else None
            seen = (stamp, sha, previous_sha)
            self._seen_latest[(target, name)] = seen
        listing = self._listings.get((target, name))
        versions = [
            (parse_last_modified(v["LastModified"]), v) for v in (listing.versions if listing else ())
        ]
        kind: EventKind = "deploy"
        summary = "code or configuration updated"
        for t, v in versions:
            if t is not None and 0 <= (t - at).total_seconds() <= PUBLISH_WINDOW_S and v["CodeSha256"] == sha:
                return None  # published as that version: the version event tells it
        earlier = [(t, v) for t, v in versions if t is not None and t <= at]
        reference = max(earlier, key=lambda p: p[0])[1]["CodeSha256"] if earlier else seen[2]
        if reference:
            if reference == sha:
                kind, summary = "config", "configuration changed (code unchanged)"
            else:
                summary = f"code updated (sha256 {sha[:8]}, not published)"
        return ChangeEvent(
            time=at,
            kind=kind,
            summary=summary,
            resources=(name,),
            link=function_link(target.region, name),
            source=LAMBDA_MODIFIED,
            id=f"lambda:{name}:latest:{stamp}",
        )

    # -- CloudTrail --------------------------------------------------------------------------------
    def _trail(
        self, target: Target, window: TimeWindow, now: datetime, warnings: list[str], where: str
    ) -> list[ChangeEvent]:
        client = self.sessions.client("cloudtrail", target)
        limiter = self.limiter(target)
        now_s = now.timestamp()
        api_names = {
            r.id: r.name for r in self._inventory().of("rest_api", "http_api") if r.target == target and r.id
        }
        budget = _Budget(self.options.cloudtrail_max_calls)
        partial: list[ChangeEvent] = []  # read by a lookup the budget cut short: shown, not all cached
        for name in trail.EVENT_NAMES:
            key = ("trail", target, name)
            for a, b in self.trail_cache.missing(key, window.start_s, window.end_s, now_s):
                partial += self._lookup(
                    client, limiter, budget, key, name, a, b, now_s, target.region, api_names
                )
        if budget.spent_out:
            warnings.append(
                f"{where}CloudTrail: {self.options.cloudtrail_max_calls} LookupEvents calls spent "
                "(cloudtrail_max_calls); older hours follow on the next refreshes"
            )
        return partial + [
            e
            for name in trail.EVENT_NAMES
            for e in self.trail_cache.get(("trail", target, name), window.start_s, window.end_s)
        ]

    def _lookup(
        self,
        client: Any,
        limiter: RateLimiter,
        budget: _Budget,
        key: Any,
        name: str,
        start_s: int,
        end_s: int,
        now_s: float,
        region: str,
        api_names: dict[str, str],
    ) -> list[ChangeEvent]:
        """Page one lookup within the budget. LookupEvents answers newest first, so a cut-short listing
        is complete from its oldest record on: those hours are cached; its events are returned."""
        collected: list[ChangeEvent] = []
        oldest = float(end_s)
        token: str | None = None
        pages = 0
        while True:
            if not budget.take():
                if pages:
                    self.trail_cache.put(
                        key, start_s, end_s, collected, now_s, complete_from_s=int(oldest) + 1
                    )
                return collected
            limiter.wait()
            pages += 1
            resp = self._call(
                "LookupEvents",
                client.lookup_events,
                LookupAttributes=[{"AttributeKey": "EventName", "AttributeValue": name}],
                StartTime=datetime.fromtimestamp(start_s, UTC),
                EndTime=datetime.fromtimestamp(end_s, UTC),
                MaxResults=50,
                **({"NextToken": token} if token else {}),
            )
            for item in resp.get("Events", []):
                at = item.get("EventTime")
                if isinstance(at, datetime):
                    oldest = min(oldest, at.timestamp())
                event = trail.from_lookup(item, region, api_names)
                if event is not None:
                    collected.append(event)
            token = resp.get("NextToken")
            if not token:
                break
        self.trail_cache.put(key, start_s, end_s, collected, now_s)
        return []

    # -- CloudWatch alarm history ------------------------------------------------------------------
    def _history(
        self, target: Target, window: TimeWindow, budget: _Budget, now: datetime
    ) -> list[ChangeEvent]:
        client = self.sessions.client("cloudwatch", target)
        key = ("history", target)
        now_s = now.timestamp()
        partial: list[ChangeEvent] = []
        for a, b in self.history_cache.missing(key, window.start_s, window.end_s, now_s):
            collected: list[ChangeEvent] = []
            token: str | None = None
            oldest = float(b)
            complete = True
            pages = 0
            while True:
                if not budget.take():
                    complete = False
                    break
                pages += 1
                resp = self._call(
                    "DescribeAlarmHistory",
                    client.describe_alarm_history,
                    AlarmTypes=["MetricAlarm", "CompositeAlarm"],
                    HistoryItemType="StateUpdate",
                    StartDate=datetime.fromtimestamp(a, UTC),
                    EndDate=datetime.fromtimestamp(b, UTC),
                    MaxRecords=100,
                    ScanBy="TimestampDescending",
                    **({"NextToken": token} if token else {}),
                )
                for item in resp.get("AlarmHistoryItems", []):
                    event = _history_event(item, target.region)
                    if event is not None:
                        oldest = min(oldest, event.time.timestamp())
                        collected.append(event)
                token = resp.get("NextToken")
                if not token:
                    break
            if pages:  # newest first (ScanBy): a cut-short listing is complete from its oldest item on
                self.history_cache.put(
                    key, a, b, collected, now_s, complete_from_s=None if complete else int(oldest) + 1
                )
            if not complete:
                partial += collected
        events = partial + self.history_cache.get(key, window.start_s, window.end_s)
        resources = self._resources_of(client, target, {e.resources[0] for e in events}, budget)
        return [replace(e, resources=resources.get(e.resources[0], e.resources)) for e in events]

    def _resources_of(
        self, client: Any, target: Target, alarms: Collection[str], budget: _Budget
    ) -> dict[str, tuple[str, ...]]:
        """Alarm name -> (dimension values..., alarm name), from DescribeAlarms (100 names a call)."""
        mono = self._monotonic()
        todo = sorted(
            a
            for a in alarms
            if (target, a) not in self._alarm_resources
            or mono - self._alarm_resources[(target, a)][0] >= self._ttl
        )
        for i in range(0, len(todo), 100):
            chunk = todo[i : i + 100]
            if not budget.take():
                break
            resp = self._call(
                "DescribeAlarms",
                client.describe_alarms,
                AlarmNames=chunk,
                AlarmTypes=["MetricAlarm", "CompositeAlarm"],
                MaxRecords=100,
            )
            for alarm in resp.get("MetricAlarms", []) + resp.get("CompositeAlarms", []):
                name = str(alarm.get("AlarmName") or "")
                dims = tuple(str(d.get("Value")) for d in alarm.get("Dimensions") or [] if d.get("Value"))
                self._alarm_resources[(target, name)] = (mono, tuple(dict.fromkeys(dims + (name,))))
            for name in chunk:
                self._alarm_resources.setdefault((target, name), (mono, (name,)))
        return {
            a: self._alarm_resources[(target, a)][1] for a in alarms if (target, a) in self._alarm_resources
        }


def _history_event(item: dict[str, Any], region: str) -> ChangeEvent | None:
    """One DescribeAlarmHistory StateUpdate item -> an "alarm-state" event (None when unreadable)."""
    name = str(item.get("AlarmName") or "")
    at = item.get("Timestamp")
    if not name or not isinstance(at, datetime):
        return None
    at = at if at.tzinfo else at.replace(tzinfo=UTC)
    old = new = reason = ""
    raw = item.get("HistoryData")
    try:
        data = json.loads(raw) if isinstance(raw, str) and len(raw) < 100_000 else {}
    except ValueError:
        data = {}
    if isinstance(data, dict):
        old = str((data.get("oldState") or {}).get("stateValue") or "")
        new = str((data.get("newState") or {}).get("stateValue") or "")
        reason = str((data.get("newState") or {}).get("stateReason") or "")
    if old and new:
        summary = f"{name} {old} → {new}"
    else:
        summary = f"{name}: {item.get('HistorySummary') or 'state changed'}"
    if reason:
        summary += f": {reason[:160]}"
    return ChangeEvent(
        time=at.astimezone(UTC),
        kind="alarm-state",
        summary=summary,
        resources=(name,),
        link=alarm_link(region, name),
        source=ALARM_HISTORY,
        id=f"alarm:{name}:{at.astimezone(UTC).isoformat()}",
    )
