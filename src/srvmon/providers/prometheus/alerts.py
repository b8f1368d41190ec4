"""Alarms from Prometheus alerting rules (/api/v1/rules, /api/v1/alerts) or Alertmanager (/api/v2/alerts)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

from srvmon.model import Alarm, AlarmState

#: Labels that name the thing an alert is about, most specific first.
RESOURCE_LABELS = (
    "function_name", "function", "kn_service_name", "service_name", "service", "path", "app",
    "revision_name", "pod", "instance", "job",
)  # fmt: skip

#: Prometheus alert states -> srvmon. `pending` (condition true, waiting out `for:`) is not yet an
#: alarm; it is shown as INSUFFICIENT_DATA so a brewing alert is visible without paging colours.
_STATES: dict[str, AlarmState] = {"firing": "ALARM", "pending": "INSUFFICIENT_DATA", "inactive": "OK"}


def _time(text: Any) -> datetime | None:
    if not isinstance(text, str) or not text or text.startswith("0001-01-01"):
        return None
    try:
        return datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None


def _str_map(value: Any) -> dict[str, str]:
    return {str(k): str(v) for k, v in value.items()} if isinstance(value, Mapping) else {}


def _resource(labels: Mapping[str, str]) -> str:
    return next((labels[k] for k in RESOURCE_LABELS if labels.get(k)), "")


def _reason(annotations: Mapping[str, str], fallback: str = "") -> str:
    return (
        annotations.get("summary") or annotations.get("description") or annotations.get("message") or fallback
    )


def _alarm(
    name: str,
    state: AlarmState,
    labels: dict[str, str],
    annotations: dict[str, str],
    since: Any,
    link: Any,
    value: Any = None,
) -> Alarm:
    reason = _reason(annotations)
    if value not in (None, "") and state != "OK":
        try:
            shown = f"{float(value):g}"
        except (TypeError, ValueError):
            shown = str(value)
        reason = f"{reason} (value {shown})" if reason else f"value {shown}"
    return Alarm(
        name=name,
        state=state,
        reason=reason,
        since=_time(since),
        resource=_resource(labels),
        link=link if isinstance(link, str) and link else None,
        severity=labels.get("severity"),
    )


def from_rules(data: Any, base_url: str) -> list[Alarm]:
    """Every alerting rule of /api/v1/rules?type=alert: one Alarm per active alert, or one OK per quiet rule."""
    out: list[Alarm] = []
    groups = data.get("groups") if isinstance(data, Mapping) else None
    for group in groups or []:
        if not isinstance(group, Mapping):
            continue
        for rule in group.get("rules") or []:
            if not isinstance(rule, Mapping) or rule.get("type", "alerting") != "alerting":
                continue
            name = str(rule.get("name") or "?")
            alerts = [a for a in rule.get("alerts") or [] if isinstance(a, Mapping)]
            link = f"{base_url}/alerts"
            if not alerts:
                labels = _str_map(rule.get("labels"))
                reason = "rule evaluation failed: " + str(rule["lastError"]) if rule.get("lastError") else ""
                alarm = _alarm(name, "OK", labels, _str_map(rule.get("annotations")), None, link)
                if reason:
                    alarm = Alarm(
                        alarm.name, "INSUFFICIENT_DATA", reason, None, alarm.resource, link, alarm.severity
                    )
                out.append(alarm)
                continue
            out.extend(_from_alert(a, name, link) for a in alerts)
    return out


def _from_alert(alert: Mapping[str, Any], name: str | None, link: str | None) -> Alarm:
    labels = _str_map(alert.get("labels"))
    state = _STATES.get(str(alert.get("state", "firing")), "ALARM")
    return _alarm(
        name or labels.get("alertname", "?"), state, labels, _str_map(alert.get("annotations")),
        alert.get("activeAt"), link, alert.get("value"),
    )  # fmt: skip


def from_alerts(data: Any, base_url: str) -> list[Alarm]:
    """Prometheus /api/v1/alerts (active alerts only)."""
    alerts = data.get("alerts") if isinstance(data, Mapping) else None
    return [_from_alert(a, None, f"{base_url}/alerts") for a in alerts or [] if isinstance(a, Mapping)]


def from_alertmanager(items: Iterable[Any]) -> list[Alarm]:
    """Alertmanager /api/v2/alerts: a JSON array of gettableAlert objects."""
    out: list[Alarm] = []
    for item in items or []:
        if not isinstance(item, Mapping):
            continue
        labels = _str_map(item.get("labels"))
        status = item.get("status")
        am_state = str(status.get("state", "active")) if isinstance(status, Mapping) else "active"
        state: AlarmState = "ALARM" if am_state == "active" else "OK"
        annotations = _str_map(item.get("annotations"))
        reason = _reason(annotations)
        if am_state != "active":
            reason = f"{am_state}: {reason}" if reason else am_state
        out.append(
            Alarm(
                name=labels.get("alertname", "?"),
                state=state,
                reason=reason,
                since=_time(item.get("startsAt")),
                resource=_resource(labels),
                link=item.get("generatorURL") or None,
                severity=labels.get("severity"),
            )
        )
    return out
