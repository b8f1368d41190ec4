"""Alarms from OCI Monitoring ListAlarmsStatus (GET /20180401/alarms/status), paged by opc-next-page.

Each AlarmStatusSummary: {"id", "displayName", "severity" (CRITICAL|ERROR|WARNING|INFO), "ruleName",
"timestampTriggered", "alarmSummary", "status" (FIRING|OK), "suppression" {description, timeSuppressFrom,
timeSuppressUntil} | null}. FIRING -> ALARM; a suppressed alarm keeps its state and says it is suppressed.
Alarm operations share a 10 TPS limit per tenancy (the client's pacing covers it).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from srvmon.model import Alarm

from .client import OciClient
from .options import OciOptions

PAGE_LIMIT = 1000
MAX_PAGES = 10


def _when(text: Any) -> datetime | None:
    if not isinstance(text, str):
        return None
    try:
        return datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None


def list_alarms(client: OciClient, options: OciOptions) -> list[Alarm]:
    out: list[Alarm] = []
    page: str | None = None
    for _ in range(MAX_PAGES):
        params = {"compartmentId": options.compartment_id, "limit": str(PAGE_LIMIT)}
        if options.compartment_in_subtree:
            params["compartmentIdInSubtree"] = "true"
        if page:
            params["page"] = page
        resp = client.call("GET", "/alarms/status", params, operation="ListAlarmsStatus")
        items = resp.json()
        for a in items if isinstance(items, list) else []:
            if not isinstance(a, dict):
                continue
            state = "ALARM" if a.get("status") == "FIRING" else "OK"
            reason = str(a.get("alarmSummary") or a.get("ruleName") or "")
            sup = a.get("suppression")
            if isinstance(sup, dict):
                until = sup.get("timeSuppressUntil")
                reason = f"suppressed until {until}: {sup.get('description') or ''}".strip(": ") + (
                    f" | {reason}" if reason else ""
                )
            aid = str(a.get("id") or "")
            out.append(
                Alarm(
                    name=str(a.get("displayName") or aid or "?"),
                    state=state,  # type: ignore[arg-type]
                    reason=reason[:300],
                    since=_when(a.get("timestampTriggered")) if state == "ALARM" else None,
                    resource=str(a.get("ruleName") or ""),
                    link=f"https://cloud.oracle.com/monitoring/alarms/{aid}?region={options.region}"
                    if aid
                    else None,
                    severity=str(a.get("severity") or "") or None,
                )
            )
        page = resp.headers.get("opc-next-page")
        if not page:
            break
    return out
