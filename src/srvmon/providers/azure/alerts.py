"""Fired Azure Monitor alerts in scope (Microsoft.AlertsManagement/alerts) as srvmon Alarms."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from srvmon.model import Alarm

from . import links
from .arm import ArmClient
from .options import AzureOptions

ALERTS_API = "2019-05-05-preview"


def _time(v: Any) -> datetime | None:
    try:
        return datetime.fromisoformat(str(v).replace("Z", "+00:00"))
    except ValueError:
        return None


def alarm_from(item: dict[str, Any], options: AzureOptions) -> Alarm:
    """One alert instance -> Alarm: Fired = ALARM, Resolved = OK."""
    ess = (item.get("properties") or {}).get("essentials") or {}
    fired = str(ess.get("monitorCondition") or "").lower() == "fired"
    closed = str(ess.get("alertState") or "").lower() == "closed"
    state = "ALARM" if fired and not closed else "OK"
    since = (
        _time(ess.get("startDateTime"))
        if state == "ALARM"
        else (_time(ess.get("monitorConditionResolvedDateTime")) or _time(ess.get("lastModifiedDateTime")))
    )
    reason = str(ess.get("description") or "")
    if not reason:
        reason = (
            f"{ess.get('signalType', '')} alert from {ess.get('monitorService', 'Azure Monitor')}".strip()
        )
    return Alarm(
        name=str(item.get("name") or ""),
        state=state,  # type: ignore[arg-type]
        reason=reason,
        since=since,
        resource=str(ess.get("targetResourceName") or ""),
        link=links.alert(options, str(item.get("id") or "")) if item.get("id") else None,
        severity=str(ess.get("severity") or "") or None,
    )


def list_alarms(arm: ArmClient, options: AzureOptions, time_range: str = "1d") -> list[Alarm]:
    """Alerts of the last day in the subscription (filtered to resource groups); one per rule, latest wins."""
    params = {"api-version": ALERTS_API, "timeRange": time_range, "includeContext": "false"}
    path = f"/subscriptions/{options.subscription_id}/providers/Microsoft.AlertsManagement/alerts"
    groups = {g.lower() for g in options.resource_groups}
    latest: dict[str, tuple[datetime | None, Alarm]] = {}
    for item in arm.list(path, params, operation="ListAlerts"):
        ess = (item.get("properties") or {}).get("essentials") or {}
        if groups and str(ess.get("targetResourceGroup") or "").lower() not in groups:
            continue
        alarm = alarm_from(item, options)
        key = f"{alarm.name}|{alarm.resource}"
        at = _time(ess.get("lastModifiedDateTime")) or alarm.since
        prev = latest.get(key)
        if (
            prev is None
            or (at and (prev[0] is None or at > prev[0]))
            or (alarm.state == "ALARM" and prev[1].state != "ALARM")
        ):
            latest[key] = (at, alarm)
    alarms = [a for _, a in latest.values()]
    return sorted(alarms, key=lambda a: (a.state != "ALARM", a.severity or "Sev9", a.name))
