"""Durable Functions orchestrations from the Durable Task HTTP management API (httpx, read-only).

Instances are listed by runtimeStatus, following `x-ms-continuation-token` (a page may hold fewer than
`top` items, so the token is always checked). Failed instances drill down to their history and output.
"""

from __future__ import annotations

import os
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from srvmon.model import LogRecord
from srvmon.providers.base import ProviderError, UsageCounter

from .arm import ArmClient, retry_after
from .discovery import WEB_API, FunctionApp
from .options import AzureOptions

PATH = "/runtime/webhooks/durabletask/instances"
TOKEN = "x-ms-continuation-token"
PAGE = 100
MAX_PAGES = 100


@dataclass(frozen=True)
class DurableSummary:
    """Orchestration counts by runtimeStatus and the oldest still-running instance."""

    counts: dict[str, int]
    oldest_running: datetime | None
    oldest_running_id: str | None
    truncated: bool = False


def _parse_time(v: Any) -> datetime | None:
    try:
        return datetime.fromisoformat(str(v).replace("Z", "+00:00"))
    except ValueError:
        return None


class DurableClient:
    """Reads one or more apps' Durable Task management API."""

    def __init__(self, options: AzureOptions, arm: ArmClient, counter: UsageCounter) -> None:
        import httpx

        self.options = options
        self.arm = arm
        self.counter = counter
        self._keys: dict[str, str] = {}
        verify: Any = True
        if options.ca_bundle:
            import ssl

            verify = ssl.create_default_context(cafile=options.ca_bundle)
        self._http = httpx.Client(verify=verify, timeout=20.0)

    def close(self) -> None:
        self._http.close()

    def base_url(self, app: FunctionApp) -> str:
        template = self.options.durable_endpoint or "https://{host}"
        host = app.host or f"{app.name}.{self.options.endpoints().functions_suffix}"
        return template.replace("{app}", app.name).replace("{host}", host).rstrip("/")

    def key(self, app: FunctionApp) -> str:
        """The durabletask_extension system key: from the named env var, else ARM host/default/listkeys."""
        if self.options.durable_key_env:
            value = os.environ.get(self.options.durable_key_env)
            if not value:
                raise ProviderError(
                    f"durable: environment variable {self.options.durable_key_env} is not set"
                )
            return value
        if app.id not in self._keys:
            body = (
                self.arm.request(
                    "POST",
                    f"{app.id}/host/default/listkeys",
                    params={"api-version": WEB_API},
                    operation="ListHostKeys",
                )
                or {}
            )
            key = (body.get("systemKeys") or {}).get("durabletask_extension")
            if not key:
                raise ProviderError(f"durable: {app.name} has no durabletask_extension system key")
            self._keys[app.id] = str(key)
        return self._keys[app.id]

    def _get(self, url: str, params: dict[str, str], headers: dict[str, str]) -> Any:
        import httpx

        self.counter.call("durable:instances")
        try:
            resp = self._http.get(url, params=params, headers=headers)
        except httpx.HTTPError as exc:
            raise ProviderError(f"durable: {type(exc).__name__}: {exc}") from exc
        if resp.status_code == 429:
            wait = retry_after(resp.headers)
            raise ProviderError(
                f"durable: throttled (HTTP 429){'; retry after ' + wait + 's' if wait else ''}",
                throttled=True,
            )
        if resp.status_code >= 400:
            raise ProviderError(f"durable: HTTP {resp.status_code} from {url.split('?')[0]}")
        return resp

    def instances(
        self,
        app: FunctionApp,
        statuses: Sequence[str],
        created_from: datetime | None = None,
    ) -> Iterator[dict[str, Any]]:
        """Every instance with one of `statuses`, page by page."""
        params = {
            "runtimeStatus": ",".join(statuses),
            "top": str(PAGE),
            "showInput": "false",
            "code": self.key(app),
        }
        if created_from is not None:
            params["createdTimeFrom"] = created_from.strftime("%Y-%m-%dT%H:%M:%SZ")
        token: str | None = None
        for _ in range(MAX_PAGES):
            headers = {TOKEN: token} if token else {}
            resp = self._get(self.base_url(app) + PATH, params, headers)
            try:
                items = resp.json()
            except ValueError as exc:
                raise ProviderError("durable: the instances answer is not JSON") from exc
            for item in items if isinstance(items, list) else []:
                if isinstance(item, dict):
                    yield item
            token = resp.headers.get(TOKEN)
            if not token:
                return
        raise ProviderError(f"durable: more than {MAX_PAGES * PAGE} instances; narrow the window")

    def summary(
        self, apps: Sequence[FunctionApp], statuses: Sequence[str], created_from: datetime | None = None
    ) -> dict[str, DurableSummary]:
        """Per app: counts of the asked statuses and the oldest running instance."""
        out: dict[str, DurableSummary] = {}
        for app in apps:
            counts: Counter[str] = Counter({s: 0 for s in statuses})
            oldest: tuple[datetime, str] | None = None
            for inst in self.instances(app, statuses, created_from):
                status = str(inst.get("runtimeStatus") or "")
                counts[status] += 1
                created = _parse_time(inst.get("createdTime"))
                if status == "Running" and created and (oldest is None or created < oldest[0]):
                    oldest = (created, str(inst.get("instanceId") or ""))
            out[app.name] = DurableSummary(
                dict(counts), oldest[0] if oldest else None, oldest[1] if oldest else None
            )
        return out

    def failures(self, app: FunctionApp, created_from: datetime, limit: int = 100) -> list[LogRecord]:
        """Failed instances since `created_from` with their output and failed history events."""
        out: list[LogRecord] = []
        for inst in self.instances(app, ["Failed"], created_from):
            if len(out) >= limit:
                break
            iid = str(inst.get("instanceId") or "")
            detail = self.instance(app, iid)
            history = detail.get("historyEvents") or []
            failed = [h for h in history if isinstance(h, dict) and "Failed" in str(h.get("EventType", ""))]
            created = _parse_time(inst.get("lastUpdatedTime") or inst.get("createdTime"))
            out.append(
                LogRecord(
                    timestamp=created.timestamp() if created else 0.0,
                    resource=app.name,
                    message=f"{inst.get('name', 'orchestration')} {iid} Failed: {str(detail.get('output', inst.get('output', '')))}",
                    level="ERROR",
                    request_id=iid,
                    fields={
                        "kind": "durable",
                        "instanceId": iid,
                        "name": str(inst.get("name") or ""),
                        "runtimeStatus": "Failed",
                        "output": detail.get("output", inst.get("output")),
                        "failedEvents": failed,
                        "history": history,
                    },
                )
            )
        return out

    def instance(self, app: FunctionApp, instance_id: str) -> dict[str, Any]:
        """One instance with its history and outputs."""
        from urllib.parse import quote

        url = f"{self.base_url(app)}{PATH}/{quote(instance_id, safe='')}"
        params = {
            "showHistory": "true",
            "showHistoryOutput": "true",
            "showInput": "false",
            "code": self.key(app),
        }
        body = self._get(url, params, {}).json()
        return body if isinstance(body, dict) else {}
