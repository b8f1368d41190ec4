"""`srvmon check` for Alibaba: credentials resolve and are accepted, and each API srvmon uses answers.

One cheap read per capability (a 5-minute RegionTotalInvocations, one alert rule, today's bill, one log
line); a refusal names the RAM policy to attach. Never raises.
"""

from __future__ import annotations

import json
from collections.abc import Callable

from srvmon.clock import Clock
from srvmon.model import Health
from srvmon.providers.base import ProviderError

from .client import AliClient, AliError
from .cost import BSS_POLICY
from .cost import VERSION as BSS_VERSION
from .logs import LOG_POLICY
from .metrics import ACTION, VERSION, MetricBudget
from .options import AlibabaOptions
from .queries import NAMESPACE

CMS_POLICY = "AliyunCloudMonitorReadOnlyAccess"


def run_check(client: AliClient, options: AlibabaOptions, budget: MetricBudget, clock: Clock) -> Health:
    try:
        creds = client.credentials()
    except ProviderError as exc:
        return Health(ok=False, message=str(exc))
    now_ms = int(clock.now().timestamp() * 1000)
    details = [f"credentials: {creds.access_key_id[:4]}... from {creds.source}"]
    missing: list[str] = []
    failures: list[str] = []

    def probe(what: str, policy: str, call: Callable[[], object]) -> bool:
        try:
            call()
        except AliError as exc:
            if exc.kind == "denied":
                missing.append(f"{policy} ({what})")
            failures.append(f"{what}: {exc}")
            details.append(f"{what}: FAILED: {exc}")
            return exc.kind != "auth"
        except ProviderError as exc:
            failures.append(f"{what}: {exc}")
            details.append(f"{what}: FAILED: {exc}")
            return True
        details.append(f"{what}: ok")
        return True

    metric_params = {
        "Namespace": NAMESPACE,
        "MetricName": "RegionTotalInvocations",
        "Period": "60",
        "StartTime": str(now_ms - 300_000),
        "EndTime": str(now_ms),
        "Dimensions": json.dumps([{"region": options.region}], separators=(",", ":")),
        "Length": "10",
    }
    cms = options.cms_url()
    go_on = probe(
        f"CloudMonitor {ACTION} at {cms}",
        CMS_POLICY,
        lambda: client.rpc(
            cms, ACTION, VERSION, metric_params, service="CloudMonitor", metrics=1, before_send=budget.take
        ),  # fmt: skip
    )
    if go_on:
        rule_params = {"Namespace": NAMESPACE, "Page": "1", "PageSize": "1"}
        probe(
            "CloudMonitor DescribeMetricRuleList (alarms)",
            CMS_POLICY,
            lambda: client.rpc(cms, "DescribeMetricRuleList", VERSION, rule_params, service="CloudMonitor"),
        )
        if options.cost:
            today = clock.now().date()
            bill = {"BillingCycle": today.strftime("%Y-%m"), "BillingDate": today.isoformat(),
                    "Granularity": "DAILY", "IsGroupByProduct": "true", "PageNum": "1", "PageSize": "1"}  # fmt: skip
            probe(
                f"BSS QueryAccountBill (cost) at {options.bss_url()}",
                BSS_POLICY,
                lambda: client.rpc(options.bss_url(), "QueryAccountBill", BSS_VERSION, bill, service="BSS"),
            )
        else:
            details.append("cost: off (cost = false)")
        if options.logs_configured:
            now_s = now_ms // 1000
            params = {"type": "log", "from": str(now_s - 900), "to": str(now_s), "query": "*", "line": "1",
                      "offset": "0", "reverse": "true"}  # fmt: skip
            probe(
                f"Log Service GetLogs on {options.log_project}/{options.log_store}",
                LOG_POLICY,
                lambda: client.sls_get(f"/logstores/{options.log_store}", params),
            )
        else:
            details.append("logs: not configured (set log_project and log_store)")
    details.append(f"CloudMonitor call budget left this month: {budget.left():,} of {budget.limit:,}")
    if failures:
        return Health(
            ok=False,
            message=f"{len(failures)} check(s) failed: {failures[0]}",
            details=tuple(details),
            missing_permissions=tuple(dict.fromkeys(missing)),
        )
    return Health(
        ok=True, message=f"Function Compute in {options.region}: every API answered", details=tuple(details)
    )
