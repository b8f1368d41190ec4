"""Azure change events: Activity Log writes on Function Apps (Microsoft.Web/sites and their config and
slots, their plans, role assignments on them) and fired/resolved alert transitions (Alerts Management).

Activity Log: ``GET /subscriptions/{sub}/providers/Microsoft.Insights/eventtypes/management/values
?api-version=2015-04-01&$filter=eventTimestamp ge '..' and eventTimestamp le '..' and resourceGroupName
eq '..'`` (one query per configured resource group; the subscription's Microsoft.Web provider when
none is set; `resourceUri eq` for each explicit resource id elsewhere), `$select`ed to the fields
srvmon shows (never `properties`, whose request bodies can hold app-setting values). Only Succeeded
operations count. Entries settle after 30 minutes (the Activity Log's delivery delay); settled hours
are cached and not asked again. `nextLink` is followed only on the Resource Manager host: the bearer
token never goes anywhere else.

=============================================  ==========  ===============================
operationName                                  kind        summary
=============================================  ==========  ===============================
Microsoft.Web/sites/deployments/write          deploy      deployment
Microsoft.Web/sites/extensions/write           deploy      package deployment
Microsoft.Web/sites[/slots]/slotsswap/action   deploy      slot swap
Microsoft.Web/sites[/slots]/config/write       config      app settings changed (etc.)
Microsoft.Web/sites[/slots]/write              config      app updated
Microsoft.Web/sites[/slots]/restart|stop|start config      restarted / stopped / started
Microsoft.Web/serverfarms/write                scale       plan updated
Microsoft.Authorization/roleAssignments/*      permission  role assignment added / removed
=============================================  ==========  ===============================
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

from srvmon.changes import dedupe, in_window, names_match
from srvmon.model import ChangeEvent, EventKind, TimeWindow
from srvmon.providers.base import ProviderError
from srvmon.providers.eventcache import HourCache

from . import links
from .alerts import ALERTS_API
from .arm import ArmClient
from .options import AzureOptions

ACTIVITY_API = "2015-04-01"
ACTIVITY_SOURCE = "Activity Log"
ALERTS_SOURCE = "Azure Monitor alerts"
ACTIVITY_SETTLE_S = 30 * 60
FRESH_S = 60.0
#: The Activity Log fields read ($select): enough to say what, where, when and who.
SELECT = (
    "eventTimestamp,operationName,status,resourceId,resourceGroupName,caller,correlationId,"
    "eventDataId,resourceProviderName,level"
)
#: Alerts Management time ranges, smallest first (the list covers the window with the first that fits).
_ALERT_RANGES = (("1h", 3600), ("1d", 86400), ("7d", 7 * 86400), ("30d", 30 * 86400))
_CONFIG_NAMES = {
    "appsettings": "app settings changed",
    "connectionstrings": "connection strings changed",
    "web": "site configuration changed",
    "authsettings": "authentication settings changed",
    "authsettingsv2": "authentication settings changed",
    "slotconfignames": "slot settings changed",
    "logs": "logging settings changed",
}


def _iso(dt: datetime) -> str:
    return dt.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _odata(text: str) -> str:
    """An OData string literal: single quotes doubled, so a name can never end the literal early."""
    return "'" + str(text).replace("'", "''") + "'"


def _time(value: Any) -> datetime | None:
    text = str(value or "").strip()
    if not text:
        return None
    if text.endswith("Z"):
        text = text[:-1] + "+00:00"
    head, _, zone = text.partition("+")
    if "." in head:  # .NET gives 7 fraction digits; Python takes at most 6
        base, frac = head.split(".", 1)
        head = f"{base}.{frac[:6]}"
    try:
        parsed = datetime.fromisoformat(head + ("+" + zone if zone else ""))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _segments(resource_id: str) -> list[str]:
    return [p for p in resource_id.split("/") if p]


def _site_parts(resource_id: str) -> tuple[str, str, str] | None:
    """(site, slot, the rest after the site/slot) of an id under Microsoft.Web/sites, else None."""
    parts = _segments(resource_id)
    low = [p.lower() for p in parts]
    for i in range(len(low) - 2):
        if low[i] == "microsoft.web" and low[i + 1] == "sites":
            site = parts[i + 2]
            rest = parts[i + 3 :]
            slot = ""
            if len(rest) >= 2 and rest[0].lower() == "slots":
                slot, rest = rest[1], rest[2:]
            return site, slot, "/".join(rest)
    return None


def _plan_of(resource_id: str) -> str | None:
    parts = _segments(resource_id)
    low = [p.lower() for p in parts]
    for i in range(len(low) - 2):
        if low[i] == "microsoft.web" and low[i + 1] == "serverfarms":
            return parts[i + 2]
    return None


def classify(operation: str, resource_id: str) -> tuple[EventKind, str, tuple[str, ...]] | None:
    """(kind, summary, resources) of one Activity Log write, or None when srvmon does not show it."""
    op = operation.lower()
    site = _site_parts(resource_id)
    if op.startswith("microsoft.authorization/roleassignments/") and site:
        verb = "added" if op.endswith("/write") else "removed" if op.endswith("/delete") else ""
        return ("permission", f"role assignment {verb}".strip(), (site[0],)) if verb else None
    if op == "microsoft.web/serverfarms/write":
        plan = _plan_of(resource_id)
        return ("scale", f"plan {plan} updated", (plan,)) if plan else None
    if not op.startswith("microsoft.web/sites") or site is None:
        return None
    name, slot, rest = site
    tail = op.removeprefix("microsoft.web/sites").removeprefix("/slots")
    where = f" (slot {slot})" if slot else ""
    resources = (name, f"{name}/{slot}") if slot else (name,)
    if tail == "/deployments/write":
        return "deploy", f"deployment{where}", resources
    if tail == "/extensions/write":
        return "deploy", f"package deployment{where}", resources
    if tail == "/slotsswap/action":
        return "deploy", f"slot swap{where}", resources
    if tail == "/config/write":
        section = rest.lower().split("/")[1] if rest.lower().startswith("config/") else ""
        text = _CONFIG_NAMES.get(
            section, f"configuration changed ({section})" if section else "configuration changed"
        )
        return "config", text + where, resources
    if tail == "/write":
        return "config", ("slot updated" if slot else "app updated") + where, resources
    verbs = {"/restart/action": "restarted", "/stop/action": "stopped", "/start/action": "started"}
    if tail in verbs:
        return "config", verbs[tail] + where, resources
    return None


class AzureEvents:
    """Activity Log and alert transitions for one AzureProvider; one read at a time (thread-safe)."""

    def __init__(
        self,
        arm: ArmClient,
        options: AzureOptions,
        apps: Callable[[], Sequence[Any]],
        *,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self.arm = arm
        self.options = options
        self._apps = apps
        self._monotonic = monotonic
        self.cache = HourCache(ACTIVITY_SETTLE_S, FRESH_S, monotonic)
        self._alerts: dict[str, tuple[float, list[ChangeEvent]]] = {}
        self._lock = threading.Lock()
        self._warnings: list[str] = []
        #: Why the last read is incomplete (a source refused, a foreign nextLink, the page budget).
        self.warnings: tuple[str, ...] = ()

    # -- paging -------------------------------------------------------------------------------------
    def _pages(self, path: str, params: dict[str, str], operation: str, budget: list[int]) -> Iterator[Any]:
        """Each page of a listing; nextLink only on the ARM host; stops when the page budget is spent."""
        arm_host = urlsplit(self.arm.base)[:2]
        url: str | None = path
        first = True
        while url:
            if budget[0] <= 0:
                self._warn(f"{operation}: {self.options.events_max_calls} pages read (events_max_calls)")
                raise _Incomplete
            budget[0] -= 1
            page = self.arm.get(url, params if first else None, operation=operation)
            first = False
            yield page
            nxt = page.get("nextLink") if isinstance(page, dict) else None
            if not nxt:
                return
            if urlsplit(str(nxt))[:2] != arm_host:
                self._warn(
                    f"{operation}: nextLink to {urlsplit(str(nxt)).netloc!r} not followed (not {self.arm.base})"
                )
                raise _Incomplete
            url = str(nxt)

    def _warn(self, text: str) -> None:
        self._warnings.append(text)

    # -- the read -----------------------------------------------------------------------------------
    def read(self, window: TimeWindow, resources: Sequence[str], now: datetime) -> list[ChangeEvent]:
        with self._lock:
            self._warnings = []
            budget = [self.options.events_max_calls]
            found: list[ChangeEvent] = []
            failures: list[ProviderError] = []
            for run in (
                lambda: self._activity(window, now, budget),
                lambda: self._alert_events(window, now, budget),
            ):
                try:
                    found.extend(run())  # type: ignore[no-untyped-call]
                except ProviderError as exc:
                    failures.append(exc)
                    self._warn(str(exc))
            self.warnings = tuple(self._warnings)
            if len(failures) == 2:
                raise ProviderError(
                    f"change events: {failures[0]}", throttled=any(f.throttled for f in failures)
                )
            try:
                known = {a.name.lower() for a in self._apps()}
            except ProviderError:
                known = set()
            kept = [
                e
                for e in found
                if not known
                or e.kind == "scale"
                or any(r.split("/")[0].lower() in known for r in e.resources)
            ]
            wanted = [r for r in resources if str(r).strip()]
            if wanted:
                kept = [e for e in kept if any(names_match(w, r) for w in wanted for r in e.resources)]
            return in_window(dedupe(kept), window.start, window.end)

    # -- Activity Log -------------------------------------------------------------------------------
    def _scopes(self) -> list[tuple[str, str]]:
        """(cache key, the filter clause) per Activity Log query."""
        groups = list(self.options.resource_groups)
        out = [(f"rg:{g.lower()}", f"resourceGroupName eq {_odata(g)}") for g in groups]
        if not groups:
            out.append(("provider:microsoft.web", "resourceProvider eq 'Microsoft.Web'"))
        for rid in self.options.resource_ids:
            rg = (
                rid.split("/resourceGroups/", 1)[1].split("/", 1)[0] if "/resourceGroups/" in rid else ""
            ).lower()
            if not groups or rg not in {g.lower() for g in groups}:
                out.append((f"uri:{rid.lower()}", f"resourceUri eq {_odata(rid)}"))
        return out

    def _activity(self, window: TimeWindow, now: datetime, budget: list[int]) -> list[ChangeEvent]:
        path = f"/subscriptions/{self.options.subscription_id}/providers/Microsoft.Insights/eventtypes/management/values"
        now_s = now.timestamp()
        out: list[ChangeEvent] = []
        for key, clause in self._scopes():
            for a, b in self.cache.missing(key, window.start_s, window.end_s, now_s):
                start = datetime.fromtimestamp(a, UTC)
                end = datetime.fromtimestamp(b, UTC)
                params = {
                    "api-version": ACTIVITY_API,
                    "$filter": f"eventTimestamp ge '{_iso(start)}' and eventTimestamp le '{_iso(end)}' and {clause}",
                    "$select": SELECT,
                }
                collected: list[ChangeEvent] = []
                try:
                    for page in self._pages(path, params, "ActivityLog", budget):
                        for item in (page.get("value") or []) if isinstance(page, dict) else []:
                            event = self._activity_event(item)
                            if event is not None:
                                collected.append(event)
                except _Incomplete:
                    out.extend(collected)  # shown now; nothing cached (the listing's order is not documented)
                    continue
                self.cache.put(key, a, b, collected, now_s)
            out.extend(self.cache.get(key, window.start_s, window.end_s))
        return out

    def _activity_event(self, item: Any) -> ChangeEvent | None:
        if not isinstance(item, dict):
            return None
        status = str((item.get("status") or {}).get("value") or "")
        if status.lower() != "succeeded":
            return None
        operation = str((item.get("operationName") or {}).get("value") or "")
        resource_id = str(item.get("resourceId") or "")
        found = classify(operation, resource_id)
        at = _time(item.get("eventTimestamp"))
        if found is None or at is None:
            return None
        kind, summary, resources = found
        site = _site_parts(resource_id)
        target = resource_id.split("/providers/Microsoft.Authorization", 1)[0]
        if site is not None:
            base = resource_id.lower().index("/sites/") + len("/sites/") + len(site[0])
            target = resource_id[:base]
        caller = str(item.get("caller") or "") or None
        event_id = str(item.get("eventDataId") or item.get("id") or "")
        correlation = str(item.get("correlationId") or "")
        return ChangeEvent(
            time=at.astimezone(UTC),
            kind=kind,
            summary=summary,
            resources=resources,
            actor=caller,
            link=links.resource(self.options, target, "activityLog"),
            source=ACTIVITY_SOURCE,
            id=f"activity:{correlation or event_id}:{operation.lower()}:{resource_id.lower()}",
        )

    # -- alert transitions ----------------------------------------------------------------------------
    def _alert_events(self, window: TimeWindow, now: datetime, budget: list[int]) -> list[ChangeEvent]:
        # the API's ranges count back from the server's now: cover the window's start from ours
        reach = max(now, window.end) - window.start + timedelta(hours=1)
        time_range = next((name for name, s in _ALERT_RANGES if s >= reach.total_seconds()), "30d")
        cached = self._alerts.get(time_range)
        if cached is not None and self._monotonic() - cached[0] < FRESH_S:
            return cached[1]
        params = {"api-version": ALERTS_API, "timeRange": time_range, "includeContext": "false"}
        path = f"/subscriptions/{self.options.subscription_id}/providers/Microsoft.AlertsManagement/alerts"
        groups = {g.lower() for g in self.options.resource_groups}
        out: list[ChangeEvent] = []
        try:
            for page in self._pages(path, params, "ListAlerts", budget):
                for item in (page.get("value") or []) if isinstance(page, dict) else []:
                    out.extend(self._transitions(item, groups))
        except _Incomplete:
            return out
        self._alerts[time_range] = (self._monotonic(), out)
        return out

    def _transitions(self, item: Any, groups: set[str]) -> list[ChangeEvent]:
        if not isinstance(item, dict):
            return []
        ess = (item.get("properties") or {}).get("essentials") or {}
        if groups and str(ess.get("targetResourceGroup") or "").lower() not in groups:
            return []
        name = str(item.get("name") or "alert")
        target = str(ess.get("targetResourceName") or "")
        alert_id = str(item.get("id") or "")
        severity = str(ess.get("severity") or "")
        detail = str(ess.get("description") or "")
        link = links.alert(self.options, alert_id) if alert_id else None
        resources = (target, name) if target else (name,)
        out = []
        fired = _time(ess.get("startDateTime"))
        if fired is not None:
            summary = (
                f"{name} fired"
                + (f" ({severity})" if severity else "")
                + (f": {detail[:160]}" if detail else "")
            )
            out.append(
                ChangeEvent(
                    fired,
                    "alarm-state",
                    summary,
                    resources,
                    link=link,
                    source=ALERTS_SOURCE,
                    id=f"alert:{alert_id}:fired",
                )  # fmt: skip
            )
        resolved = _time(ess.get("monitorConditionResolvedDateTime"))
        if resolved is not None and str(ess.get("monitorCondition") or "").lower() == "resolved":
            out.append(
                ChangeEvent(
                    resolved,
                    "alarm-state",
                    f"{name} resolved",
                    resources,
                    link=link,
                    source=ALERTS_SOURCE,
                    id=f"alert:{alert_id}:resolved",
                )  # fmt: skip
            )
        return out


class _Incomplete(Exception):
    """A listing stopped early (page budget, foreign nextLink); what was read so far still counts."""
