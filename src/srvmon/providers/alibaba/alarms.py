"""CloudMonitor alert rules of Function Compute (DescribeMetricRuleList) with their AlertState, and for the
rules in ALARM the latest firing from DescribeAlertHistoryList (when it fired, the value that did it).

DescribeMetricRuleList: Namespace=acs_fc, Page/PageSize (<= 100) -> {"Alarms": {"Alarm": [{RuleId,
RuleName, AlertState (OK | ALARM | INSUFFICIENT_DATA), EnableState, MetricName, Dimensions/Resources
(JSON text), ...}]}, "Total": n}. DescribeAlertHistoryList: Namespace, State=ALARM, StartTime/EndTime
(ms) -> {"AlarmHistoryList": {"AlarmHistory": [{RuleId, RuleName, AlertTime (ms), Value, Expression,
InstanceName, ...}]}}. Disabled rules are left out.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from srvmon.model import Alarm

from .client import AliClient
from .metrics import VERSION
from .options import AlibabaOptions
from .queries import NAMESPACE

PAGE_SIZE = 100
MAX_PAGES = 20
_STATES = {"OK": "OK", "ALARM": "ALARM", "INSUFFICIENT_DATA": "INSUFFICIENT_DATA"}


def _items(body: Any, outer: str, inner: str) -> list[dict[str, Any]]:
    box = body.get(outer) if isinstance(body, dict) else None
    items = box.get(inner) if isinstance(box, dict) else box
    return [i for i in items if isinstance(i, dict)] if isinstance(items, list) else []


def _resource(rule: dict[str, Any]) -> str:
    for key in ("Dimensions", "Resources"):
        raw = rule.get(key)
        try:
            data = json.loads(raw) if isinstance(raw, str) and raw else raw
        except ValueError:
            continue
        maps = data if isinstance(data, list) else [data]
        names = [str(m.get("functionName")) for m in maps if isinstance(m, dict) and m.get("functionName")]
        if names:
            return ",".join(names)
    return ""


def list_alarms(client: AliClient, options: AlibabaOptions, now: datetime) -> list[Alarm]:
    rules: list[dict[str, Any]] = []
    for page in range(1, MAX_PAGES + 1):
        params = {"Namespace": NAMESPACE, "Page": str(page), "PageSize": str(PAGE_SIZE)}
        body = client.rpc(
            options.cms_url(), "DescribeMetricRuleList", VERSION, params, service="CloudMonitor"
        )
        got = _items(body, "Alarms", "Alarm")
        rules.extend(got)
        total = body.get("Total")
        try:
            total_n = int(total) if total is not None else None
        except (TypeError, ValueError):
            total_n = None
        if len(got) < PAGE_SIZE or (total_n is not None and len(rules) >= total_n):
            break
    active = [r for r in rules if r.get("EnableState") is not False]
    firing = {str(r.get("RuleId")) for r in active if r.get("AlertState") == "ALARM"}
    history = _latest_firings(client, options, now) if firing else {}
    out = []
    for r in active:
        rid = str(r.get("RuleId") or "")
        state = _STATES.get(str(r.get("AlertState") or ""), "INSUFFICIENT_DATA")
        since, reason = None, ""
        if state == "ALARM" and rid in history:
            since, reason = history[rid]
        elif state == "INSUFFICIENT_DATA":
            reason = "no data for the rule's metric"
        metric = str(r.get("MetricName") or "")
        out.append(
            Alarm(
                name=str(r.get("RuleName") or rid or "?"),
                state=state,  # type: ignore[arg-type]
                reason=reason or metric,
                since=since,
                resource=_resource(r),
            )
        )
    return out


def _latest_firings(
    client: AliClient, options: AlibabaOptions, now: datetime
) -> dict[str, tuple[datetime, str]]:
    """RuleId -> (time of the latest ALARM in the last day, "Expression (value)")."""
    end_ms = int(now.timestamp() * 1000)
    params = {
        "Namespace": NAMESPACE,
        "State": "ALARM",
        "StartTime": str(end_ms - 86_400_000),
        "EndTime": str(end_ms),
        "PageSize": str(PAGE_SIZE),
        "Page": "1",
        "Ascending": "false",
    }
    body = client.rpc(options.cms_url(), "DescribeAlertHistoryList", VERSION, params, service="CloudMonitor")
    out: dict[str, tuple[datetime, str]] = {}
    for h in _items(body, "AlarmHistoryList", "AlarmHistory"):
        rid = str(h.get("RuleId") or "")
        at = h.get("AlertTime")
        if not rid or not isinstance(at, int | float):
            continue
        when = datetime.fromtimestamp(at / 1000, UTC)
        if rid in out and out[rid][0] >= when:
            continue
        expr = str(h.get("Expression") or "").strip()
        value = h.get("Value")
        reason = f"{expr} (value {value})" if expr and value is not None else expr or f"value {value}"
        out[rid] = (when, reason[:300])
    return out
