"""Account-level demo data: alarms (2 of 12 firing), daily cost per service, capacity limits."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from srvmon.model import Alarm, CostItem, Limit, TimeWindow
from srvmon.providers.demo import noise
from srvmon.providers.demo.fleet import Fleet, Incidents
from srvmon.providers.demo.metrics import current
from srvmon.providers.demo.rhythm import growth, weekly
from srvmon.providers.demo.series import CLIMB_S, HOT_BEFORE, HOT_NOW

#: API Gateway's default account-level throttle (requests/s).
API_RPS_LIMIT = 10_000.0
COST_SURGE = 1.30
REGION = "us-east-1"


def _dt(epoch_s: float) -> datetime:
    return datetime.fromtimestamp(epoch_s, UTC)


def _link(name: str) -> str:
    return f"https://{REGION}.console.aws.amazon.com/cloudwatch/home?region={REGION}#alarmsV2:alarm/{name}"


def alarms(fleet: Fleet, inc: Incidents) -> list[Alarm]:
    """About 12 CloudWatch-style alarms; the 5xx one on the deployed API and the hot table's are in ALARM."""
    anchor = inc.anchor_s
    dep_api = fleet.api(inc.deploy_service)
    cross80 = inc.climb_s + int((0.80 - HOT_BEFORE) / (HOT_NOW - HOT_BEFORE) * CLIMB_S)
    util_now = round(100.0 * (HOT_BEFORE + (HOT_NOW - HOT_BEFORE) * (anchor - inc.climb_s) / CLIMB_S), 1)
    at = _dt(anchor - 60).strftime("%d/%m/%y %H:%M:%S")
    out = [
        Alarm(
            f"{dep_api}-5xx-rate-high",
            "ALARM",
            f"Threshold Crossed: 3 out of the last 3 datapoints [4.1 ({at})] were greater than the threshold "
            "(1.0) (minimum 3 datapoints for OK -> ALARM transition).",
            _dt(inc.deploy_s + 4 * 60),
            dep_api,
            _link(f"{dep_api}-5xx-rate-high"),
            "critical",
        ),
        Alarm(
            f"dynamodb-{inc.hot_table}-write-capacity-80pct",
            "ALARM",
            f"Threshold Crossed: 1 datapoint [{util_now} ({at})] was greater than or equal to the threshold (80.0).",
            _dt(cross80 // 60 * 60 + 60),
            inc.hot_table,
            _link(f"dynamodb-{inc.hot_table}-write-capacity-80pct"),
            "warning",
        ),
    ]
    ok: list[tuple[str, str]] = []
    for svc in fleet.services:
        if svc != inc.deploy_service:
            ok.append((f"{fleet.api(svc)}-5xx-rate-high", fleet.api(svc)))
        ok.append((f"{fleet.api(svc)}-p99-latency-high", fleet.api(svc)))
    ok += [
        ("lambda-account-concurrency-80pct", "account"),
        (f"dynamodb-{fleet.tables[1].name}-read-throttles", fleet.tables[1].name),
        (f"sqs-{fleet.queues[0].name}-oldest-message-age", fleet.queues[0].name),
        (f"states-{fleet.machines[0]}-executions-failed", fleet.machines[0]),
    ]
    for name, resource in ok[:10]:
        ago = int(2 * 86400 + 12 * 86400 * noise.unit(noise.key(fleet.seed, "alarm", name), 0))
        out.append(
            Alarm(
                name,
                "OK",
                "Threshold Crossed: no datapoints were greater than the threshold.",
                _dt((anchor - ago) // 60 * 60),
                resource,
                _link(name),
                "warning",
            )
        )
    return out


def _days(window: TimeWindow, now: datetime) -> list[date]:
    first = window.start.date()
    last = min((window.end - timedelta(microseconds=1)).date(), now.date())
    return [first + timedelta(days=i) for i in range((last - first).days + 1)]


def cost(fleet: Fleet, inc: Incidents, window: TimeWindow, now: datetime) -> list[CostItem]:
    """Daily cost per service for every day of `window` up to today (today pro rata so far)."""
    out: list[CostItem] = []
    surge_from = _dt(inc.anchor_s).date() - timedelta(days=6)  # the last 7 days, today included
    now_s = int(now.timestamp())
    for day in _days(window, now):
        day_s = int(datetime(day.year, day.month, day.day, tzinfo=UTC).timestamp())
        if day_s > now_s:
            continue
        share = min(1.0, (now_s - day_s) / 86400)
        for svc in fleet.services:
            amount = fleet.cost_per_day[svc] * weekly(day_s + 43200) * growth(day_s + 43200, inc.anchor_s)
            amount *= 1.0 + 0.04 * noise.signed(noise.key(fleet.seed, "cost", svc), day_s)
            if svc == inc.cost_service and day >= surge_from:
                amount *= COST_SURGE
            out.append(CostItem(svc, day, round(amount * share, 2)))
    return out


def limits(fleet: Fleet, inc: Incidents, now_s: int) -> list[Limit]:
    """Account concurrency, API Gateway requests/s and each table's utilisation, at the last minute."""
    conc = current(fleet, inc, "lambda.concurrency", "max", now_s)
    reqs = current(fleet, inc, "api.requests", "sum", now_s)
    out = [
        Limit(
            "account_concurrency",
            conc[0][1] if conc else 0.0,
            float(fleet.concurrency_limit),
            "account",
            "executions",
        ),
        Limit("api_rps", round((reqs[0][1] if reqs else 0.0) / 60.0, 2), API_RPS_LIMIT, "account", "req/s"),
    ]
    for labels, value in current(fleet, inc, "dynamodb.utilization", "max", now_s, ("table",)):
        out.append(Limit(f"table:{labels['table']}", value, 100.0, labels["table"], "%"))
    return out
