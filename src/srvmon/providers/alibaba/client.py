"""Signed REST calls to Alibaba Cloud (CloudMonitor, BSS OpenAPI, Log Service) over bounded httpx.

Every call: read-only action, signed (signing.py), paced per operation (50 calls/s is CloudMonitor's
limit), retried after a backoff when throttled (Throttling.User) or a 5xx, counted in usage, and bounded
by the options' timeout and response size (srvmon.providers.httpio). Errors keep Alibaba's own Code and
Message; `AliError.kind` says whether the problem is the credentials, a permission, throttling or the
request itself, so callers fail one panel or the whole provider accordingly.
"""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

from srvmon.providers.base import ProviderError, UsageCounter
from srvmon.providers.httpio import BoundedHttp, HttpError, HttpLimits, Response, tls_verify
from srvmon.providers.pacing import RateLimiter, Retry

from .credentials import AliCredentials, resolve
from .options import AlibabaOptions
from .signing import acs3_sign, canonical_query, sls_sign

#: Error codes meaning the AccessKey itself is wrong (not a missing permission).
AUTH_CODES = frozenset(
    {
        "InvalidAccessKeyId",
        "InvalidAccessKeyId.NotFound",
        "InvalidAccessKeyId.Inactive",
        "SignatureDoesNotMatch",
        "IncompleteSignature",
        "InvalidSecurityToken.Expired",
        "InvalidSecurityToken.Malformed",
        "InvalidSecurityToken.MismatchWithAccessKey",
        "SignatureNonceUsed",
        "InvalidTimeStamp.Expired",
        "Unauthorized",  # SLS
        "SignatureNotMatch",  # SLS
    }
)
#: Error codes meaning the RAM identity lacks a permission.
DENIED_CODES = frozenset(
    {
        "Forbidden.RAM",
        "Forbidden",
        "NoPermission",
        "AccessForbidden",
        "NotAuthorized",
        "Forbidden.NoPermission",
    }
)
#: SLS codes for quota/QPS throttling.
SLS_THROTTLE_CODES = frozenset({"ExceedQuota", "QpsLimit", "ReadQuotaExceed", "ServerBusy", "RequestTimeout"})


class AliError(ProviderError):
    """An Alibaba API refusal. `kind`: auth | denied | throttled | request | server | network."""

    def __init__(
        self,
        message: str,
        *,
        kind: str,
        code: str = "",
        status: int | None = None,
        request_id: str = "",
        retry_after_s: float | None = None,
    ) -> None:
        super().__init__(message, throttled=kind == "throttled", retry_after_s=retry_after_s)
        self.kind = kind
        self.code = code
        self.status = status
        self.request_id = request_id


def classify(code: str, status: int | None) -> str:
    if code.startswith("Throttling") or code in SLS_THROTTLE_CODES or status == 429:
        return "throttled"
    if code in AUTH_CODES or status == 401:
        return "auth"
    if code in DENIED_CODES or code.startswith("Forbidden") or status == 403:
        return "denied"
    if status is not None and status >= 500:
        return "server"
    return "request"


def _error_from_body(body: Any, status: int | None, label: str, retry_after: float | None) -> AliError:
    code, message, request_id = "", "", ""
    if isinstance(body, dict):
        code = str(body.get("Code") or body.get("errorCode") or "")
        message = str(body.get("Message") or body.get("errorMessage") or "")[:300]
        request_id = str(body.get("RequestId") or body.get("requestId") or "")
    kind = classify(code, status)
    words = f"{code}: {message}" if code and message else (code or message or f"HTTP {status}")
    hint = {
        "auth": " (check the AccessKey pair and the clock)",
        "denied": " (the RAM identity lacks a permission)",
        "throttled": " (throttled; srvmon backs off)",
    }.get(kind, "")
    text = f"{label} refused the request: {words}{hint}"
    if request_id:
        text += f" [RequestId {request_id}]"
    return AliError(
        text, kind=kind, code=code, status=status, request_id=request_id, retry_after_s=retry_after
    )


class AliClient:
    """One bounded HTTP pool for every Alibaba endpoint of a provider instance; thread-safe."""

    def __init__(
        self,
        options: AlibabaOptions,
        counter: UsageCounter,
        *,
        credentials: Callable[[], AliCredentials] | None = None,
        wall: Callable[[], datetime] = lambda: datetime.now(UTC),
        nonce: Callable[[], str] = lambda: uuid.uuid4().hex,
        sleep: Callable[[float], None] = time.sleep,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self.options = options
        self.counter = counter
        self._credentials_fn = credentials or (lambda: resolve(options.profile, options.credentials_file))
        self._creds: AliCredentials | None = None
        self._wall = wall
        self._nonce = nonce
        self._monotonic = monotonic
        self._sleep = sleep
        self.http = BoundedHttp(HttpLimits.of(options), self._build, clock=monotonic)
        self.retry = Retry(retries=options.retries, clock=monotonic, sleep=sleep)
        self._limiters: dict[str, RateLimiter] = {}
        self._lock = threading.Lock()

    def _build(self) -> dict[str, Any]:
        headers = {"Accept": "application/json", "User-Agent": "srvmon"}
        return {"headers": headers, "verify": tls_verify(self.options.ca_bundle)}

    def credentials(self) -> AliCredentials:
        """The resolved credentials (read once, on the first call; ProviderError when there are none)."""
        with self._lock:
            if self._creds is None:
                self._creds = self._credentials_fn()
            return self._creds

    def _limiter(self, operation: str) -> RateLimiter:
        with self._lock:
            if operation not in self._limiters:
                rate = self.options.rate_limit
                self._limiters[operation] = RateLimiter(rate, max(1, int(rate)), clock=self._monotonic,
                                                        sleep=self._sleep)  # fmt: skip
            return self._limiters[operation]

    def close(self) -> None:
        self.http.close()

    # -- RPC (CMS, BSS) ----------------------------------------------------------------------------
    def rpc(
        self,
        base_url: str,
        action: str,
        version: str,
        params: Mapping[str, str],
        *,
        service: str,
        metrics: int = 0,
        usd: float = 0.0,
        before_send: Callable[[], None] | None = None,
    ) -> dict[str, Any]:
        """Call a read-only RPC action; the decoded JSON body on success, AliError otherwise."""
        label = f"Alibaba {service} {action}"
        creds = self.credentials()
        parts = urlsplit(base_url)
        host = parts.netloc
        path = parts.path or "/"
        deadline = self._monotonic() + self.options.timeout_s

        def attempt() -> dict[str, Any]:
            self._limiter(f"{service}:{action}").acquire(deadline)
            if before_send is not None:  # after pacing: a budget unit is only spent on a call that is sent
                before_send()
            headers = acs3_sign(
                method="GET", host=host, path=path, params=params, body=b"", action=action, version=version,
                access_key_id=creds.access_key_id, access_key_secret=creds.access_key_secret,
                security_token=creds.security_token, when=self._wall(), nonce=self._nonce(),
            )  # fmt: skip
            url = f"{parts.scheme}://{host}{path}?{canonical_query(params)}"
            self.counter.call(f"{service}:{action}", metrics=metrics, usd=usd)
            resp = self._send("GET", url, headers, label)
            body = resp.json()
            if not isinstance(body, dict):
                raise AliError(f"{label} did not answer a JSON object", kind="server", status=resp.status)
            if body.get("Success") is False or str(body.get("Code", "200")) not in ("200", "Success"):
                raise _error_from_body(body, resp.status, label, None)
            return body

        return self.retry.call(attempt, deadline=deadline)

    def _send(self, method: str, url: str, headers: Mapping[str, str], label: str) -> Response:
        try:
            return self.http.request(method, url, headers=headers, what=label)
        except HttpError as exc:
            if exc.status is None:  # unreachable, too slow, too big: no Alibaba code to read
                raise AliError(str(exc), kind="network") from exc
            raise _error_from_body(exc.body, exc.status, label, exc.retry_after_s) from exc

    # -- Log Service ---------------------------------------------------------------------------------
    def sls_get(self, resource: str, params: Mapping[str, str]) -> tuple[Any, Mapping[str, str]]:
        """GET a Log Service resource (e.g. /logstores/NAME); the decoded JSON and the response headers."""
        label = "Alibaba Log Service GetLogs"
        creds = self.credentials()
        base = self.options.sls_url()
        deadline = self._monotonic() + self.options.timeout_s

        def attempt() -> tuple[Any, Mapping[str, str]]:
            self._limiter("sls:GetLogs").acquire(deadline)
            headers = sls_sign(
                method="GET", resource=resource, params=params, access_key_id=creds.access_key_id,
                access_key_secret=creds.access_key_secret, security_token=creds.security_token,
                when=self._wall(),
            )  # fmt: skip
            headers["host"] = self.options.sls_host()
            url = f"{base}{resource}?{canonical_query(params)}"
            self.counter.call("sls:GetLogs")
            resp = self._send("GET", url, headers, label)
            body = resp.json()
            if body is None:
                raise AliError(f"{label} did not answer JSON", kind="server", status=resp.status)
            return body, resp.headers

        return self.retry.call(attempt, deadline=deadline)
