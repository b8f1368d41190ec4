"""CloudWatch alarms (metric and composite) -> srvmon Alarm rows with console links, worst first."""

from __future__ import annotations

from typing import Any

from srvmon.model import Alarm, AlarmState
from srvmon.providers.aws.errors import provider_error
from srvmon.providers.aws.links import alarm_link
from srvmon.providers.aws.session import Sessions, Target
from srvmon.providers.base import UsageCounter

_ORDER = {"ALARM": 0, "INSUFFICIENT_DATA": 1, "OK": 2}


def _resource(alarm: dict[str, Any]) -> str:
    dims = alarm.get("Dimensions") or []
    if dims:
        return ",".join(str(d.get("Value", "")) for d in dims)
    if alarm.get("Namespace"):
        return f"{alarm['Namespace']}/{alarm.get('MetricName', '')}"
    if alarm.get("Metrics"):
        return "metric math"
    return "composite" if "AlarmRule" in alarm else ""


def _state(value: Any) -> AlarmState:
    return value if value in ("OK", "ALARM", "INSUFFICIENT_DATA") else "INSUFFICIENT_DATA"


def fetch_alarms(sessions: Sessions, counter: UsageCounter, targets: list[Target]) -> list[Alarm]:
    """Every alarm of every target (paged DescribeAlarms), ALARM first then by name."""
    out: list[Alarm] = []
    multi = len(targets) > 1
    for target in targets:
        client = sessions.client("cloudwatch", target)
        try:
            pages = client.get_paginator("describe_alarms").paginate(
                AlarmTypes=["MetricAlarm", "CompositeAlarm"]
            )
            for page in pages:
                counter.call("DescribeAlarms")
                for kind in ("MetricAlarms", "CompositeAlarms"):
                    for a in page.get(kind, []):
                        name = str(a.get("AlarmName", ""))
                        resource = _resource(a)
                        if multi:
                            resource = f"{target.account}/{target.region}:{resource}"
                        out.append(
                            Alarm(
                                name=name,
                                state=_state(a.get("StateValue")),
                                reason=str(a.get("StateReason", "")),
                                since=a.get("StateUpdatedTimestamp"),
                                resource=resource,
                                link=alarm_link(target.region, name),
                                severity="composite" if kind == "CompositeAlarms" else None,
                            )
                        )
        except Exception as exc:
            raise provider_error(exc, "DescribeAlarms") from exc
    return sorted(out, key=lambda a: (_ORDER[a.state], a.name))
