"""Alarms from Cloud Monitoring alert policies (v3 alertPolicies.list) and their conditions evaluated now.

Cloud Monitoring has no public read API for incidents, so the state shown is computed: a disabled policy
is INSUFFICIENT_DATA ("disabled"); an enabled one has each condition evaluated by an instant PromQL
query - PromQL conditions as written, threshold conditions (`conditionThreshold` on a simple
metric.type/resource.type/label filter) translated - and the policy's combiner (OR, AND) applied. The
condition's `duration` (how long it must hold) is not waited out, so a policy can show ALARM a little
before Cloud Monitoring opens its incident. Conditions that cannot be evaluated this way (log match,
SQL, MQL, absence, complex filters) leave the policy INSUFFICIENT_DATA with the reason.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Mapping
from typing import Any
from urllib.parse import quote as urlquote

from srvmon.model import Alarm, AlarmState
from srvmon.providers.prometheus import promql as pq

from .promql import CATALOG, prom_name

Instant = Callable[[str], list[tuple[dict[str, str], float]]]
MAX_PAGES = 10
_COMPARE = {"COMPARISON_GT": ">", "COMPARISON_GE": ">=", "COMPARISON_LT": "<", "COMPARISON_LE": "<=",
            "COMPARISON_EQ": "==", "COMPARISON_NE": "!="}  # fmt: skip
_OVER_TIME = {"ALIGN_MEAN": "avg_over_time", "ALIGN_MAX": "max_over_time", "ALIGN_MIN": "min_over_time",
              "ALIGN_NEXT_OLDER": "last_over_time", "ALIGN_NONE": "last_over_time"}  # fmt: skip
_REDUCE = {"REDUCE_SUM": "sum", "REDUCE_MEAN": "avg", "REDUCE_MAX": "max", "REDUCE_MIN": "min",
           "REDUCE_COUNT": "count"}  # fmt: skip
_TERM = re.compile(
    r'^\s*(metric\.type|resource\.type|(?:metric|resource)\.labels?\.([A-Za-z_][A-Za-z0-9_]*))\s*=\s*"((?:[^"\\]|\\.)*)"\s*$'
)


class Unsupported(Exception):
    """A condition srvmon cannot evaluate (the message says which part)."""


def policies(
    get: Callable[[str, dict[str, str]], Any], base: str, project: str
) -> Iterator[Mapping[str, Any]]:
    """Every alert policy of a project (paged, bounded)."""
    token = None
    for _ in range(MAX_PAGES):
        params = {"pageSize": "100", **({"pageToken": token} if token else {})}
        body = get(f"{base}/v3/projects/{project}/alertPolicies", params)
        for item in body.get("alertPolicies") or [] if isinstance(body, Mapping) else []:
            if isinstance(item, Mapping):
                yield item
        token = body.get("nextPageToken") if isinstance(body, Mapping) else None
        if not token:
            return


def _seconds(text: Any, default: int = 60) -> int:
    s = str(text or "")
    try:
        return max(1, int(float(s[:-1]))) if s.endswith("s") else default
    except ValueError:
        return default


def threshold_promql(cond: Mapping[str, Any]) -> str:
    """A conditionThreshold as one PromQL expression true (non-empty) when the condition holds now."""
    flt = str(cond.get("filter") or "")
    if cond.get("denominatorFilter"):
        raise Unsupported("ratio conditions (denominatorFilter)")
    metric_type, matchers = None, []
    for term in re.split(r"\s+AND\s+", flt.strip()):
        m = _TERM.match(term)
        if not m:
            raise Unsupported(f"filter term {term.strip()[:60]!r}")
        field, label, raw = m.groups()
        value = re.sub(r"\\(.)", r"\1", raw)
        if field == "metric.type":
            metric_type = value
        elif field == "resource.type":
            matchers.append(f"monitored_resource={pq.quote(value)}")
        else:
            matchers.append(f"{pq.label_name(label)}={pq.quote(value)}")
    if not metric_type:
        raise Unsupported("a filter without metric.type")
    name = prom_name(metric_type)
    sel = "{" + ",".join(matchers) + "}"
    aggs = cond.get("aggregations") or [{}]
    agg = aggs[0] if isinstance(aggs[0], Mapping) else {}
    period = _seconds(agg.get("alignmentPeriod"))
    rng = f"[{max(period, 60)}s]"
    aligner = str(agg.get("perSeriesAligner") or "ALIGN_NONE")
    is_dist = any(m.type == metric_type and m.kind == "distribution" for m in CATALOG.values())
    groups = [g.rsplit(".", 1)[-1] for g in agg.get("groupByFields") or []]
    for g in groups:
        pq.label_name(g)
    reducer = _REDUCE.get(str(agg.get("crossSeriesReducer") or "REDUCE_NONE"))
    by = f" by ({', '.join(groups)})" if groups else ""
    pct = re.fullmatch(r"ALIGN_PERCENTILE_(\d\d)", aligner)
    if pct:
        expr = f"histogram_quantile({int(pct.group(1)) / 100:g}, sum by (le{', ' if groups else ''}{', '.join(groups)}) (rate({name}_bucket{sel}{rng})))"
        reducer = None
    elif aligner == "ALIGN_RATE":
        expr = f"rate({name}{'_count' if is_dist else ''}{sel}{rng})"
    elif aligner in ("ALIGN_DELTA", "ALIGN_SUM", "ALIGN_COUNT"):
        expr = f"increase({name}{'_count' if is_dist else ''}{sel}{rng})"
    elif aligner in _OVER_TIME and not is_dist:
        expr = f"{_OVER_TIME[aligner]}({name}{sel}{rng})"
    else:
        raise Unsupported(f"aligner {aligner}")
    if reducer:
        expr = f"{reducer}{by} ({expr})"
    op = _COMPARE.get(str(cond.get("comparison") or ""))
    if op is None:
        raise Unsupported(f"comparison {cond.get('comparison')!r}")
    try:
        threshold = float(cond.get("thresholdValue") or 0.0)
    except (TypeError, ValueError) as exc:
        raise Unsupported("a non-numeric thresholdValue") from exc
    return f"({expr}) {op} {threshold:g}"


def condition_promql(cond: Mapping[str, Any]) -> str:
    if isinstance(cond.get("conditionPrometheusQueryLanguage"), Mapping):
        query = str(cond["conditionPrometheusQueryLanguage"].get("query") or "")
        if not query.strip():
            raise Unsupported("an empty PromQL condition")
        return query
    if isinstance(cond.get("conditionThreshold"), Mapping):
        return threshold_promql(cond["conditionThreshold"])
    kinds = [k for k in cond if k.startswith("condition")]
    raise Unsupported(kinds[0] if kinds else "a condition of unknown type")


def to_alarm(policy: Mapping[str, Any], project: str, instant: Instant) -> Alarm:
    """One policy -> Alarm, its conditions evaluated now through `instant` (PromQL at now)."""
    name = str(policy.get("displayName") or str(policy.get("name", "?")).rsplit("/", 1)[-1])
    policy_id = str(policy.get("name", "")).rsplit("/", 1)[-1]
    link = (f"https://console.cloud.google.com/monitoring/alerting/policies/{urlquote(policy_id, safe='')}"
            f"?project={urlquote(project, safe='')}") if policy_id else None  # fmt: skip
    severity = str(policy["severity"]).lower() if policy.get("severity") else None

    def alarm(state: AlarmState, reason: str) -> Alarm:
        return Alarm(name=name, state=state, reason=reason, resource=project, link=link, severity=severity)

    if policy.get("enabled") is False:
        return alarm("INSUFFICIENT_DATA", "disabled")
    conditions = [c for c in policy.get("conditions") or [] if isinstance(c, Mapping)]
    if not conditions:
        return alarm("INSUFFICIENT_DATA", "no conditions")
    held: list[str] = []
    quiet: list[str] = []
    unknown: list[str] = []
    for cond in conditions:
        label = str(cond.get("displayName") or "condition")
        try:
            rows = instant(condition_promql(cond))
        except Unsupported as exc:
            unknown.append(f"{label}: srvmon cannot evaluate {exc}")
            continue
        except Exception as exc:  # noqa: BLE001 - a refused query leaves this condition unknown
            unknown.append(f"{label}: {exc}")
            continue
        if rows:
            worst = max(v for _, v in rows)
            where = next(
                (lab.get(k) for lab, _ in rows for k in ("service_name", "function_name") if lab.get(k)), ""
            )
            held.append(f"{label} (value {worst:g}{', ' + where if where else ''})")
        else:
            quiet.append(label)
    combiner = str(policy.get("combiner") or "OR")
    state: AlarmState
    if combiner == "OR":
        state = "ALARM" if held else ("INSUFFICIENT_DATA" if unknown else "OK")
    else:  # AND, AND_WITH_MATCHING_RESOURCE: every condition must hold
        state = "OK" if quiet else ("INSUFFICIENT_DATA" if unknown else "ALARM")
    reason = "; ".join(held + unknown) if state != "OK" else ""
    doc = policy.get("documentation")
    subject = doc.get("subject") if isinstance(doc, Mapping) else None
    if state == "ALARM" and subject:
        reason = f"{subject}: {reason}"
    return alarm(state, reason)
