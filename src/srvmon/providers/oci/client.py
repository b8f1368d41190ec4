"""Signed REST calls to OCI Monitoring over bounded httpx: paced (10 TPS per tenancy), retried on 429/5xx,
counted, with OCI's own error code and message kept.

OCI errors answer {"code": "...", "message": "..."}: 401 NotAuthenticated (key, fingerprint, clock),
404 NotAuthorizedOrNotFound (also what a missing IAM policy looks like), 429 TooManyRequests, 400
InvalidParameter (e.g. bad MQL). `OciError.kind` says which, so one bad query fails one panel while a
credentials problem fails the provider.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlencode, urlsplit

from srvmon.providers.base import ProviderError, UsageCounter
from srvmon.providers.httpio import BoundedHttp, HttpError, HttpLimits, Response, tls_verify
from srvmon.providers.pacing import RateLimiter, Retry

from .auth import InstancePrincipal, SigningKey, from_config_file
from .options import OciOptions
from .signing import sign


class OciError(ProviderError):
    """An OCI refusal. `kind`: auth | denied | throttled | request | server | network."""

    def __init__(self, message: str, *, kind: str, code: str = "", status: int | None = None,
                 retry_after_s: float | None = None) -> None:  # fmt: skip
        super().__init__(message, throttled=kind == "throttled", retry_after_s=retry_after_s)
        self.kind = kind
        self.code = code
        self.status = status


def classify(status: int | None, code: str) -> str:
    if status == 429 or code == "TooManyRequests":
        return "throttled"
    if status == 401 or code == "NotAuthenticated":
        return "auth"
    if status in (403, 404) or code in ("NotAuthorizedOrNotFound", "NotAuthorized"):
        return "denied"
    if status is not None and status >= 500:
        return "server"
    return "request"


def _error(exc: HttpError, label: str) -> OciError:
    body = exc.body if isinstance(exc.body, dict) else {}
    code = str(body.get("code") or "")
    message = str(body.get("message") or exc.text or f"HTTP {exc.status}")[:300]
    kind = classify(exc.status, code)
    hint = {
        "auth": " (check the API key, its fingerprint and the clock)",
        "denied": " (missing IAM policy, or a wrong compartment OCID)",
        "throttled": " (srvmon backs off)",
    }.get(kind, "")
    words = f"{code}: {message}" if code else message
    return OciError(f"{label} answered {exc.status} {words}{hint}", kind=kind, code=code, status=exc.status,
                    retry_after_s=exc.retry_after_s)  # fmt: skip


class OciClient:
    """One bounded HTTP pool per provider instance; every call signed, paced and counted. Thread-safe."""

    def __init__(
        self,
        options: OciOptions,
        counter: UsageCounter,
        *,
        wall: Callable[[], datetime] = lambda: datetime.now(UTC),
        sleep: Callable[[float], None] = time.sleep,
        monotonic: Callable[[], float] = time.monotonic,
        now_s: Callable[[], float] = time.time,
    ) -> None:
        self.options = options
        self.counter = counter
        self._wall = wall
        self._monotonic = monotonic
        self.http = BoundedHttp(HttpLimits.of(options), self._build, clock=monotonic)
        self.retry = Retry(retries=options.retries, clock=monotonic, sleep=sleep)
        self.limiter = RateLimiter(
            options.max_tps, max(1, int(options.max_tps)), clock=monotonic, sleep=sleep
        )
        self._principal: InstancePrincipal | None = None
        if options.auth == "instance_principal":
            self._principal = InstancePrincipal(
                self.http, options.metadata_url, options.auth_url(), wall=wall, now_s=now_s,
                count=lambda op: counter.call(op),
            )  # fmt: skip
        self._key: SigningKey | None = None
        self._lock = threading.Lock()

    def _build(self) -> dict[str, Any]:
        headers = {"Accept": "application/json", "User-Agent": "srvmon"}
        return {"headers": headers, "verify": tls_verify(self.options.ca_bundle)}

    def signing_key(self) -> SigningKey:
        """The key requests are signed with (ProviderError when there is none)."""
        if self._principal is not None:
            return self._principal.signing_key()
        with self._lock:
            if self._key is None:
                o = self.options
                self._key = from_config_file(o.config_file, o.profile, o.tenancy)
            return self._key

    def close(self) -> None:
        self.http.close()

    def call(
        self,
        method: str,
        path: str,
        params: Mapping[str, str],
        *,
        operation: str,
        body: Any = None,
        usd: float = 0.0,
        metrics: int = 0,
    ) -> Response:
        """A signed Monitoring call; the Response (JSON in .json(), paging in headers) or OciError."""
        base = self.options.monitoring_url()
        parts = urlsplit(base)
        query = urlencode(params)
        target = f"{parts.path}{path}" + (f"?{query}" if query else "")
        url = f"{parts.scheme}://{parts.netloc}{target}"
        data = json.dumps(body).encode() if body is not None else None
        deadline = self._monotonic() + self.options.timeout_s
        label = f"OCI Monitoring {operation}"
        refreshed = False

        def attempt() -> Response:
            nonlocal refreshed
            self.limiter.acquire(deadline)
            key = self.signing_key()
            headers = sign(method=method, target=target, host=parts.netloc, body=data, key_id=key.key_id, key=key.key,
                           when=self._wall())  # fmt: skip
            self.counter.call(operation, usd=usd, metrics=metrics)
            try:
                return self.http.request(method, url, content=data, headers=headers, what=label)
            except HttpError as exc:
                if exc.status is None:
                    raise OciError(str(exc), kind="network") from exc
                err = _error(exc, label)
                if err.kind == "auth" and self._principal is not None and not refreshed:
                    refreshed = True  # an expired session token: renew it once and try again
                    self._principal.invalidate()
                    return attempt()
                raise err from exc

        return self.retry.call(attempt, deadline=deadline)
