"""Google credentials (google-auth's standard chain) and one bounded HTTP client for every Google API call.

Token refreshes go through `BoundedTransport`, a google.auth.transport.Request on srvmon's BoundedHttp, so
the token endpoint (the `token_uri` of a service-account file, oauth2.googleapis.com for gcloud user
credentials, or the metadata server) is held to the same deadline and size cap as every other call. The
bearer token is only ever sent to the configured API endpoints (options), never to a URL read from a
response.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Mapping
from typing import Any

from google.auth.transport import Request as GoogleRequest
from google.auth.transport import Response as GoogleResponse

from srvmon.providers.base import ProviderError, UsageCounter
from srvmon.providers.httpio import BoundedHttp, HttpError, HttpLimits, Response, tls_verify

from .options import GcpOptions

#: Run and Functions admin APIs accept only the cloud-platform scope; srvmon only calls read methods and
#: least privilege comes from IAM roles (roles/monitoring.viewer, run.viewer, cloudfunctions.viewer,
#: logging.viewer).
SCOPES = ("https://www.googleapis.com/auth/cloud-platform",)

FIX = (
    "run `gcloud auth application-default login`, or set GOOGLE_APPLICATION_CREDENTIALS to a "
    "service-account key file, or set credentials_file"
)


class _TokenResponse(GoogleResponse):
    """google.auth.transport.Response over a bounded answer."""

    def __init__(self, status: int, headers: Mapping[str, str], data: bytes) -> None:
        self._status, self._headers, self._data = status, dict(headers), data

    @property
    def status(self) -> int:
        return self._status

    @property
    def headers(self) -> Mapping[str, str]:
        return self._headers

    @property
    def data(self) -> bytes:
        return self._data


class BoundedTransport(GoogleRequest):
    """google.auth.transport.Request on BoundedHttp: deadlines and body cap for token refreshes."""

    def __init__(self, http: BoundedHttp) -> None:
        self.http = http

    def __call__(
        self,
        url: str,
        method: str = "GET",
        body: bytes | None = None,
        headers: Mapping[str, str] | None = None,
        timeout: float | None = None,
        **kwargs: Any,
    ) -> _TokenResponse:
        from google.auth.exceptions import TransportError

        try:
            resp = self.http.request(method, url, content=body, headers=headers)
        except HttpError as exc:
            if exc.status is None:  # no answer at all: google-auth wants a TransportError
                raise TransportError(str(exc)) from exc  # type: ignore[no-untyped-call]
            data = json.dumps(exc.body).encode() if exc.body is not None else exc.text.encode()
            return _TokenResponse(exc.status, {}, data)
        return _TokenResponse(resp.status, resp.headers, resp.content)


class GoogleApi:
    """Bearer-token JSON calls to the configured Google endpoints; thread-safe; counts every call.

    `credentials` may be injected (any google.auth.credentials.Credentials); by default they are loaded
    on the first call from `credentials_file` or google.auth.default()."""

    def __init__(self, opts: GcpOptions, counter: UsageCounter, credentials: Any = None) -> None:
        self.opts = opts
        self.counter = counter
        self.http = BoundedHttp(HttpLimits.of(opts), self._build)
        self.auth_http = BoundedHttp(HttpLimits.of(opts), self._build)
        self._credentials = credentials
        self._lock = threading.Lock()

    def _build(self) -> dict[str, Any]:
        return {"verify": tls_verify(self.opts.ca_bundle), "headers": {"Accept": "application/json"}}

    def close(self) -> None:
        self.http.close()
        self.auth_http.close()

    # -- credentials --------------------------------------------------------------------------------
    def _load(self) -> Any:
        import google.auth
        from google.auth.exceptions import DefaultCredentialsError

        transport = BoundedTransport(self.auth_http)
        try:
            if self.opts.credentials_file:
                return load_file(self.opts.credentials_file)
            creds, _ = google.auth.default(scopes=SCOPES, request=transport)
        except DefaultCredentialsError as exc:
            raise ProviderError(f"no usable Google credentials: {exc}; fix: {FIX}") from exc
        return creds

    def auth_headers(self) -> dict[str, str]:
        """Authorization (and quota project) headers with a fresh token; ProviderError when none can be had."""
        from google.auth.exceptions import GoogleAuthError, RefreshError, TransportError

        with self._lock:
            if self._credentials is None:
                self._credentials = self._load()
            creds = self._credentials
            if not creds.valid:
                self.counter.call("oauth_token")
                try:
                    creds.refresh(BoundedTransport(self.auth_http))
                except TransportError as exc:
                    raise ProviderError(f"cannot reach the Google token endpoint: {exc}") from exc
                except RefreshError as exc:
                    raise ProviderError(f"Google refused the credentials: {exc}; fix: {FIX}") from exc
                except GoogleAuthError as exc:
                    raise ProviderError(f"Google credentials failed: {exc}; fix: {FIX}") from exc
            headers: dict[str, str] = {}
            creds.apply(headers)
        if self.opts.quota_project:
            headers["x-goog-user-project"] = self.opts.quota_project
        return headers

    # -- calls ----------------------------------------------------------------------------------------
    def request(
        self,
        method: str,
        url: str,
        operation: str,
        *,
        params: Mapping[str, Any] | None = None,
        json_body: Any = None,
        metrics: int = 0,
    ) -> Any:
        """One JSON call; the decoded body. Raises HttpError (status, Google's own message) or ProviderError."""
        headers = self.auth_headers()
        self.counter.call(operation, metrics=metrics)
        resp: Response = self.http.request(
            method, url, params=params, json_body=json_body, headers=headers, what=_what(url)
        )
        body = resp.json()
        if body is None and resp.content.strip():
            raise ProviderError(f"{_what(url)} did not answer JSON: {resp.text[:200]!r}")
        return body if body is not None else {}

    def prom_get(self, project: str, path: str, params: Mapping[str, str], operation: str) -> Any:
        """GET Cloud Monitoring's Prometheus API of `project` (path e.g. /api/v1/query_range)."""
        from srvmon.providers.prometheus.client import fetch_json

        url = f"{self.opts.monitoring_endpoint}/v1/projects/{project}/location/global/prometheus{path}"
        return fetch_json(
            self.http, self.counter, url, params, operation, metrics=1, headers=self.auth_headers()
        )


def load_file(path: str) -> Any:
    """credentials_file: a service-account key or an authorized-user (gcloud) file, loaded by the class of
    its `type` (external-account and other configurations are refused: they can point token exchanges at
    arbitrary URLs, so they belong to the default chain the operator controls)."""
    from google.oauth2 import credentials as user_credentials
    from google.oauth2 import service_account

    try:
        with open(path, encoding="utf-8") as fh:
            info = json.load(fh)
    except (OSError, ValueError) as exc:
        raise ProviderError(f"credentials_file {path}: cannot read it as JSON ({exc})") from exc
    kind = info.get("type") if isinstance(info, dict) else None
    try:
        if kind == "service_account":
            return service_account.Credentials.from_service_account_info(info, scopes=SCOPES)  # type: ignore[no-untyped-call]
        if kind == "authorized_user":
            return user_credentials.Credentials.from_authorized_user_info(info, scopes=SCOPES)  # type: ignore[no-untyped-call]
    except ValueError as exc:
        raise ProviderError(f"credentials_file {path}: {exc}") from exc
    raise ProviderError(
        f"credentials_file {path} has type {kind!r}; srvmon loads service_account or authorized_user files "
        "(use GOOGLE_APPLICATION_CREDENTIALS for other credential configurations)"
    )


def _what(url: str) -> str:
    from urllib.parse import urlsplit

    parts = urlsplit(url)
    return f"{parts.netloc}{parts.path}"


def error_reason(exc: BaseException) -> str | None:
    """The `reason` of a Google error (ErrorInfo: SERVICE_DISABLED, IAM_PERMISSION_DENIED...) or its
    `status` (PERMISSION_DENIED, NOT_FOUND...); None for other failures."""
    body = getattr(exc, "body", None)
    err = body.get("error") if isinstance(body, Mapping) else None
    if not isinstance(err, Mapping):
        return None
    for detail in err.get("details") or []:
        if isinstance(detail, Mapping) and detail.get("reason"):
            return str(detail["reason"])
    status = err.get("status")
    return str(status) if status else None
