"""`srvmon check` for Azure: sign-in, Resource Manager, metrics, logs and Durable Functions, each probed.

Each probe makes one small read (bounded by the provider's `timeout`) and reports the cause and the fix
when it fails; the check is ok only when every configured part answers. Cost Management is not probed
(it allows very few calls); alerts are (one listing call).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from srvmon.model import Health, TimeWindow
from srvmon.providers.base import NotSupported, ProviderError

from .credential import CredentialError
from .discovery import FunctionApp

#: What each part needs beyond sign-in, shown when Azure answers 403.
PERMISSIONS = {
    "discovery": "Microsoft.Web/sites/read (Reader)",
    "metrics": "Microsoft.Insights/metrics/read (Monitoring Reader)",
    "logs": "Microsoft.OperationalInsights/workspaces/query/read (Log Analytics Reader)",
    "durable": "Microsoft.Web/sites/host/listkeys/action (Website Contributor), or durable_key_env",
    "alerts": "Microsoft.AlertsManagement/alerts/read (Monitoring Reader)",
}


@dataclass(frozen=True)
class Probe:
    """One part's answer: ok, or why not."""

    part: str
    ok: bool
    text: str
    denied: bool = False
    details: tuple[str, ...] = ()


def attempt(part: str, fn: Callable[[], str]) -> Probe:
    """Run one probe; a ProviderError (or NotSupported) becomes a failed Probe with its message."""
    try:
        return Probe(part, True, fn())
    except CredentialError as exc:
        return Probe(part, False, str(exc), details=exc.details)
    except NotSupported as exc:
        return Probe(part, True, f"{part}: not configured ({exc})")
    except ProviderError as exc:
        text = str(exc)
        return Probe(part, False, text, denied="HTTP 403" in text or "(403)" in text)


def probe_metrics(fetcher: Any, app: FunctionApp, now: datetime) -> str:
    window = TimeWindow.ending_at(now, 900, 300)
    fetcher.fetch([app], "Microsoft.Web/sites", ["Requests"], "Total", None, window)
    return f"metrics: ok ({app.name}, {app.region or 'region from options'})"


def probe_logs(logs: Any, now: datetime) -> str:
    if not logs.configured:
        raise NotSupported("set workspace_id or app_insights for the logs drill-down")
    window = TimeWindow.ending_at(now, 900, 300)
    logs.run(lambda schema: "print ok = 1", window)
    ws = logs.options.workspace_id
    where = f"workspace {ws}" if ws else f"{len(logs.options.app_insights)} component(s)"
    return f"logs: ok ({where})"


def probe_durable(durable: Any, apps: Sequence[FunctionApp]) -> str:
    if not apps:
        raise ProviderError("durable: none of durable_apps is a discovered Function App")
    app = apps[0]
    for _ in durable.instances(app, ["Running"], max_pages=1):
        break
    source = "durable_key_env" if durable.options.durable_key_env else "listkeys"
    return f"durable: ok ({app.name}, key from {source})"


def probe_alerts(list_alarms: Callable[[], list[Any]]) -> str:
    return f"alerts: ok ({len(list_alarms())} in the last day)"


def report(discovered: Probe, apps: Sequence[FunctionApp], probes: Sequence[Probe]) -> Health:
    """The Health of all probes: the first failure leads the message; every probe is a detail line."""
    details: list[str] = [
        discovered.text if discovered.ok else f"resource manager: FAILED: {discovered.text}"
    ]
    details += [f"  {a.name}: {a.plan} {a.sku} {a.runtime} ({a.region})" for a in apps]
    details += [p.text if p.ok else f"{p.part}: FAILED: {p.text}" for p in probes]
    failed = [p for p in (discovered, *probes) if not p.ok]
    for p in failed:
        details += [f"  {d}" for d in p.details]
    missing = tuple(PERMISSIONS[p.part] for p in failed if p.denied and p.part in PERMISSIONS)
    if not failed:
        return Health(
            ok=True, message=f"{len(apps)} Function App(s) found; all probes answered", details=tuple(details)
        )
    lead = failed[0]
    return Health(
        ok=False,
        message=lead.text if lead.part == "discovery" else f"{lead.part}: {lead.text}",
        details=tuple(details),
        missing_permissions=missing,
    )
