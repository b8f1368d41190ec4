"""The Alibaba test fleet: what the fake CloudMonitor, BSS and Log Service hold, and the options pointing a
provider at the fake. (A uniquely named module: `conftest` names collide across test directories.)

The fleet (NOW = 2026-11-22 04:00 UTC): per minute, orders-api is invoked 10 + (minute % 3) times in the
current 4 h and 5 + (minute % 3) times in the same 4 h a week earlier; image-resize 4 (2), mailer 2 (1).
Older hours (back 31 days) are seeded hourly at the week-ago rate so month panels have data.
"""

from __future__ import annotations

import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).parent))  # --import-mode=importlib: make alifake importable

from alifake import REGION, AliFake  # noqa: E402

from srvmon.providers.alibaba.options import AlibabaOptions  # noqa: E402

NOW = datetime(2026, 11, 22, 4, 0, tzinfo=UTC)
NOW_S = int(NOW.timestamp())
H4 = 4 * 3600
WEEK = 7 * 86400
FUNCTIONS = {"orders-api": 5, "image-resize": 2, "mailer": 1}
DURATION_MS = {"orders-api": 120.0, "image-resize": 800.0, "mailer": 40.0}
MEMORY_MB = {"orders-api": 180.0, "image-resize": 900.0, "mailer": 60.0}


def invocations(fn: str, t: int) -> int:
    """Invocations of `fn` in the minute starting at epoch second t."""
    now_window = t >= NOW_S - H4
    extra = (t // 60) % 3 if fn == "orders-api" else 0
    return FUNCTIONS[fn] * (2 if now_window else 1) + extra


def seed(fake: AliFake) -> None:
    d = fake.data
    minute_spans = [(NOW_S - H4, NOW_S), (NOW_S - WEEK - H4, NOW_S - WEEK)]
    for fn in FUNCTIONS:
        dims = {"region": REGION, "serviceName": "", "functionName": fn}
        for lo, hi in minute_spans:
            for t in range(lo, hi, 60):
                ms = t * 1000
                d["FunctionTotalInvocations"].append({"timestamp": ms, **dims, "Value": invocations(fn, t)})
                d["FunctionAvgDuration"].append(
                    {"timestamp": ms, **dims, "Average": DURATION_MS[fn], "Maximum": DURATION_MS[fn] * 3,
                     "Minimum": DURATION_MS[fn] / 2}
                )  # fmt: skip
                d["FunctionMaxMemoryUsage"].append({"timestamp": ms, **dims, "Maximum": MEMORY_MB[fn]})
                if fn == "orders-api" and t % 600 == 0:
                    d["FunctionServerErrors"].append({"timestamp": ms, **dims, "Value": 1})
                if fn == "image-resize":
                    d["FunctionClientErrors"].append({"timestamp": ms, **dims, "Value": 1})
                if fn == "mailer" and t % 1800 == 0:
                    d["FunctionFunctionErrors"].append({"timestamp": ms, **dims, "Value": 2})
                if fn == "orders-api" and t % 1800 == 0:
                    d["FunctionConcurrencyThrottles"].append({"timestamp": ms, **dims, "Value": 3})
        # hourly history (31 days) outside the minute spans, at the week-ago rate
        for t in range(NOW_S - 31 * 86400, NOW_S - H4, 3600):
            if any(lo <= t < hi for lo, hi in minute_spans):
                continue
            d["FunctionTotalInvocations"].append(
                {"timestamp": t * 1000, **dims, "Value": sum(invocations(fn, t + m * 60) for m in range(60))}
            )
    for t in range(NOW_S - H4, NOW_S, 60):
        ms = t * 1000
        d["RegionConcurrentCount"].append({"timestamp": ms, "region": REGION, "Maximum": 30 + (t // 60) % 10})
        d["RegionConcurrencyLimit"].append({"timestamp": ms, "region": REGION, "Maximum": 300})
    fake.rules[:] = [
        {"RuleId": "rule-5xx", "RuleName": "orders-5xx", "Namespace": "acs_fc", "AlertState": "ALARM",
         "EnableState": True, "MetricName": "FunctionServerErrors",
         "Dimensions": '[{"region":"cn-hangzhou","functionName":"orders-api"}]'},
        {"RuleId": "rule-lat", "RuleName": "resize-latency", "Namespace": "acs_fc", "AlertState": "OK",
         "EnableState": True, "MetricName": "FunctionAvgDuration",
         "Resources": '[{"functionName":"image-resize"}]'},
        {"RuleId": "rule-nodata", "RuleName": "mailer-throttles", "Namespace": "acs_fc",
         "AlertState": "INSUFFICIENT_DATA", "EnableState": True, "MetricName": "FunctionConcurrencyThrottles"},
        {"RuleId": "rule-off", "RuleName": "old-rule", "Namespace": "acs_fc", "AlertState": "ALARM",
         "EnableState": False, "MetricName": "FunctionTotalInvocations"},
    ]  # fmt: skip
    fake.history[:] = [
        {"RuleId": "rule-5xx", "RuleName": "orders-5xx", "State": "ALARM", "AlertTime": (NOW_S - 1800) * 1000,
         "Value": "4", "Expression": "$Value>=3", "InstanceName": "orders-api"},
        {"RuleId": "rule-5xx", "RuleName": "orders-5xx", "State": "ALARM", "AlertTime": (NOW_S - 7200) * 1000,
         "Value": "3", "Expression": "$Value>=3", "InstanceName": "orders-api"},
    ]  # fmt: skip
    start = (NOW - timedelta(days=60)).date()
    day = start
    while day <= NOW.date():
        fake.bills[day.isoformat()] = [
            {"ProductCode": "fc", "ProductName": "Function Compute", "PretaxAmount": 1.25, "Currency": "USD",
             "BillingDate": day.isoformat()},
            {"ProductCode": "sls", "ProductName": "Log Service", "PretaxAmount": 0.5, "Currency": "USD",
             "BillingDate": day.isoformat()},
        ]  # fmt: skip
        day += timedelta(days=1)
    fake.logs[:] = [
        {"__time__": str(NOW_S - 120), "__topic__": "FCLogs:orders-api", "__source__": "10.0.0.1",
         "functionName": "orders-api", "level": "ERROR", "requestId": "req-1",
         "message": "Traceback (most recent call last): KeyError 'sku'"},
        {"__time__": str(NOW_S - 90), "__topic__": "FCLogs:orders-api", "__source__": "10.0.0.1",
         "functionName": "orders-api", "level": "INFO", "requestId": "req-2", "message": "order 42 stored"},
        {"__time__": str(NOW_S - 60), "__topic__": "FCLogs:mailer", "__source__": "10.0.0.2",
         "functionName": "mailer", "level": "ERROR", "requestId": "req-3",
         "message": "Function timed out after 3 seconds [red]not markup[/red]"},
    ]  # fmt: skip


def options(fake: AliFake, **overrides: Any) -> AlibabaOptions:
    base: dict[str, Any] = {
        "region": REGION,
        "cms_endpoint": fake.server.url,
        "bss_endpoint": fake.server.url,
        "sls_endpoint": fake.server.url,
        "ca_bundle": fake.server.ca_path,
        "credentials_file": "/nonexistent/config.json",
        "timeout": "5s",
        "log_project": "fc-prod",
        "log_store": "function-logs",
    }
    base.update(overrides)
    return AlibabaOptions(**base)
