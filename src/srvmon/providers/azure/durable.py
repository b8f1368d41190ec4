"""Durable Functions orchestrations from the Durable Task HTTP management API (bounded httpx, read-only).

Instances are listed by runtimeStatus, following `x-ms-continuation-token` (a page may hold fewer than
`top` items, so the token is always checked). Failed instances drill down to their history and output.

The durabletask_extension system key travels in the `x-functions-key` header, never in the URL. A key
read through ARM listkeys (which needs Microsoft.Web/sites/host/listkeys/action, more than Reader) is
sent only to the app's own host names; a key the operator gives (`durable_key_env`) goes to the
configured `durable_endpoint`. The listing describes the present only: it has no history.
"""

from __future__ import annotations

import os
import threading
import time
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

from srvmon.clock import Clock
from srvmon.model import LogRecord
from srvmon.providers.base import ProviderError, UsageCounter
from srvmon.providers.httpio import BoundedHttp, HttpError, HttpLimits, Response, status_error, tls_verify

from .arm import ArmClient
from .discovery import WEB_API, FunctionApp
from .options import AzureOptions

PATH = "/runtime/webhooks/durabletask/instances"
TOKEN = "x-ms-continuation-token"
KEY_HEADER = "x-functions-key"
PAGE = 100
MAX_PAGES = 100
#: A summary is reused by calls within this many seconds of clock time (one refresh walks once).
REUSE_S = 15.0
#: Fields kept from each listed instance (the rest, such as outputs, is dropped at once).
KEPT = ("instanceId", "name", "runtimeStatus", "createdTime", "lastUpdatedTime")


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


def hostname(url_or_host: str) -> str:
    """The lower-case host name of a URL or of a bare 'host[:port]'."""
    text = url_or_host if "//" in url_or_host else "//" + url_or_host
    try:
        return (urlsplit(text).hostname or "").lower()
    except ValueError:
        return ""


class DurableClient:
    """Reads one or more apps' Durable Task management API."""

    def __init__(
        self, options: AzureOptions, arm: ArmClient, counter: UsageCounter, clock: Clock | None = None
    ) -> None:
        from srvmon.clock import SystemClock

        self.options = options
        self.arm = arm
        self.counter = counter
        self.clock = clock or SystemClock()
        self._keys: dict[str, str] = {}
        self.http = BoundedHttp(HttpLimits.of(options), lambda: {"verify": tls_verify(options.ca_bundle)})
        self._lock = threading.Lock()
        self._cached: tuple[float, tuple[str, ...], frozenset[str], dict[str, DurableSummary]] | None = None

    def close(self) -> None:
        self.http.close()

    def base_url(self, app: FunctionApp) -> str:
        template = self.options.durable_endpoint or "https://{host}"
        host = app.host or f"{app.name}.{self.options.endpoints().functions_suffix}"
        return template.replace("{app}", app.name).replace("{host}", host).rstrip("/")

    def _own_hosts(self, app: FunctionApp) -> set[str]:
        hosts = {hostname(h) for h in (app.host, *app.host_names) if h}
        hosts.add(f"{app.name}.{self.options.endpoints().functions_suffix}".lower())
        return hosts - {""}

    def key(self, app: FunctionApp) -> str:
        """The durabletask_extension system key for requests to base_url(app).

        From `durable_key_env` when set (the operator chose key and endpoint); otherwise read through ARM
        listkeys, and then only when base_url(app) is one of the app's own host names."""
        if self.options.durable_key_env:
            value = os.environ.get(self.options.durable_key_env)
            if not value:
                raise ProviderError(
                    f"durable: environment variable {self.options.durable_key_env} is not set; export the"
                    " app's durabletask_extension system key there"
                )
            return value
        target = hostname(self.base_url(app))
        if target not in self._own_hosts(app):
            raise ProviderError(
                f"durable: {target} is not a host of {app.name}; a key read with listkeys is only sent to"
                " the app's own host names: point durable_endpoint at https://{host}, or give the key"
                " with durable_key_env"
            )
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
            key = (
                (body.get("systemKeys") or {}).get("durabletask_extension")
                if isinstance(body, dict)
                else None
            )
            if not key:
                raise ProviderError(
                    f"durable: {app.name} has no durabletask_extension system key (is Durable Functions"
                    " installed?)"
                )
            self._keys[app.id] = str(key)
        return self._keys[app.id]

    def _get(self, app: FunctionApp, url: str, params: dict[str, str], headers: dict[str, str]) -> Response:
        """One GET with the key header; transient failures (unreachable, 5xx) retried `retries` times
        inside the same `timeout`; throttling (429, 503 with Retry-After) handed back at once."""
        label = f"Durable Functions API of {app.name}"
        sent = {**headers, KEY_HEADER: self.key(app)}
        budget = self.options.timeout_s
        start = time.monotonic()
        attempt = 0
        while True:
            self.counter.call("durable:instances")
            remaining = budget - (time.monotonic() - start)
            try:
                answer = self.http.fetch(
                    "GET", url, params=params, headers=sent, what=label, deadline_s=remaining
                )
                failure: HttpError | None = status_error(answer, label) if answer.status >= 400 else None
            except HttpError as exc:
                failure = exc
            if failure is None:
                return answer
            transient = failure.unreachable or (
                failure.status is not None and failure.status >= 500 and not failure.throttled
            )
            backoff = min(2.0, 0.2 * 2**attempt)
            time_left = budget - (time.monotonic() - start) > backoff + 0.1
            if not (transient and attempt < self.options.retries and time_left):
                raise self._error(app, failure)
            attempt += 1
            time.sleep(backoff)

    def _error(self, app: FunctionApp, exc: HttpError) -> ProviderError:
        if exc.status in (401, 403):
            self._keys.pop(app.id, None)  # rotated? read it again next time
            return ProviderError(
                f"durable: {exc}; the durabletask_extension key was refused (rotated, or the wrong app):"
                " check durable_key_env or the app's system keys"
            )
        return ProviderError(f"durable: {exc}", throttled=exc.throttled, retry_after_s=exc.retry_after_s)

    def instances(
        self,
        app: FunctionApp,
        statuses: Sequence[str],
        created_from: datetime | None = None,
        *,
        max_pages: int = MAX_PAGES,
    ) -> Iterator[dict[str, Any]]:
        """Every instance with one of `statuses`, page by page (only the KEPT fields).

        Raises ProviderError after `max_pages` pages with more to come (the caller decides whether a
        partial listing is usable)."""
        params = {"runtimeStatus": ",".join(statuses), "top": str(PAGE), "showInput": "false"}
        if created_from is not None:
            params["createdTimeFrom"] = created_from.strftime("%Y-%m-%dT%H:%M:%SZ")
        token: str | None = None
        for _ in range(max_pages):
            headers = {TOKEN: token} if token else {}
            resp = self._get(app, self.base_url(app) + PATH, params, headers)
            items = resp.json()
            if not isinstance(items, list):
                raise ProviderError(
                    f"durable: {app.name} answered {resp.text[:80]!r}, not a JSON array of instances"
                )
            for item in items:
                if isinstance(item, dict):
                    yield {k: item.get(k) for k in KEPT}
            token = resp.headers.get(TOKEN)
            if not token:
                return
        raise TooMany(f"durable: more than {max_pages * PAGE} instances; narrow the window")

    def summary(self, apps: Sequence[FunctionApp], statuses: Sequence[str]) -> dict[str, DurableSummary]:
        """Per app: counts of the asked statuses and the oldest running instance, now.

        Calls at the same clock instant (within REUSE_S) share one walk of the listing."""
        names = tuple(sorted(a.name for a in apps))
        wanted = frozenset(statuses)
        now = self.clock.now().timestamp()
        with self._lock:
            c = self._cached
            if c is not None and c[1] == names and wanted <= c[2] and abs(now - c[0]) <= REUSE_S:
                return dict(c[3])
        out: dict[str, DurableSummary] = {}
        for app in apps:
            counts: Counter[str] = Counter({s: 0 for s in wanted})
            oldest: tuple[datetime, str] | None = None
            for inst in self.instances(app, sorted(wanted)):
                status = str(inst.get("runtimeStatus") or "")
                counts[status] += 1
                created = _parse_time(inst.get("createdTime"))
                if status == "Running" and created and (oldest is None or created < oldest[0]):
                    oldest = (created, str(inst.get("instanceId") or ""))
            out[app.name] = DurableSummary(
                dict(counts), oldest[0] if oldest else None, oldest[1] if oldest else None
            )
        with self._lock:
            self._cached = (now, names, wanted, out)
        return dict(out)

    def failures(
        self, app: FunctionApp, created_from: datetime, limit: int = 100
    ) -> tuple[list[LogRecord], bool]:
        """The newest `limit` failed instances since `created_from`, with their output and failed history
        events; and whether more failed instances exist than were returned (or the listing was cut)."""
        listed: list[dict[str, Any]] = []
        cut = False
        try:
            listed.extend(self.instances(app, ["Failed"], created_from))
        except TooMany:
            cut = True
        listed.sort(key=_updated, reverse=True)
        out: list[LogRecord] = []
        for inst in listed[:limit]:
            iid = str(inst.get("instanceId") or "")
            detail = self.instance(app, iid)
            history = detail.get("historyEvents") or []
            if not isinstance(history, list):
                history = []
            failed = [h for h in history if isinstance(h, dict) and "Failed" in str(h.get("EventType", ""))]
            created = _parse_time(inst.get("lastUpdatedTime") or inst.get("createdTime"))
            output = detail.get("output")
            out.append(
                LogRecord(
                    timestamp=created.timestamp() if created else 0.0,
                    resource=app.name,
                    message=f"{inst.get('name') or 'orchestration'} {iid} Failed: {output if output is not None else ''}",
                    level="ERROR",
                    request_id=iid,
                    fields={
                        "kind": "durable",
                        "instanceId": iid,
                        "name": str(inst.get("name") or ""),
                        "runtimeStatus": "Failed",
                        "output": output,
                        "failedEvents": failed,
                        "history": history,
                    },
                )
            )
        return out, cut or len(listed) > limit

    def instance(self, app: FunctionApp, instance_id: str) -> dict[str, Any]:
        """One instance with its history and outputs."""
        from urllib.parse import quote

        url = f"{self.base_url(app)}{PATH}/{quote(instance_id, safe='')}"
        params = {"showHistory": "true", "showHistoryOutput": "true", "showInput": "false"}
        body = self._get(app, url, params, {}).json()
        return body if isinstance(body, dict) else {}


class TooMany(ProviderError):
    """The listing has more pages than srvmon walks."""


def _updated(inst: dict[str, Any]) -> float:
    when = _parse_time(inst.get("lastUpdatedTime") or inst.get("createdTime"))
    return when.timestamp() if when else 0.0
