"""HTTP client for the Prometheus, Alertmanager and Loki APIs (httpx, imported lazily); errors keep the server's words."""

from __future__ import annotations

import os
import threading
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from srvmon.providers.base import ProviderError, UsageCounter
from srvmon.providers.prometheus.options import PrometheusOptions

if TYPE_CHECKING:
    import httpx


class QueryError(Exception):
    """The server refused one query (bad PromQL, execution error, query timeout): that panel only."""

    def __init__(self, message: str, *, throttled: bool = False) -> None:
        super().__init__(message)
        self.throttled = throttled


#: Prometheus `errorType`s that concern one query, not the server.
_PER_QUERY = {"bad_data", "execution", "timeout", "canceled"}


def _env(name: str | None, what: str) -> str | None:
    if name is None:
        return None
    value = os.environ.get(name)
    if not value:
        raise ProviderError(f"{what}: environment variable {name} is not set")
    return value


class PromClient:
    """One httpx.Client per provider; thread-safe; counts every call in `counter`."""

    def __init__(self, options: PrometheusOptions, counter: UsageCounter) -> None:
        self.options = options
        self.counter = counter
        self._http: httpx.Client | None = None
        self._lock = threading.Lock()

    def _client(self) -> httpx.Client:
        with self._lock:
            if self._http is None:
                self._http = self._build()
            return self._http

    def _build(self) -> httpx.Client:
        """The httpx client: headers, bearer/basic auth read from the environment now, TLS settings."""
        import httpx

        headers = {"Accept": "application/json", **self.options.headers}
        token = _env(self.options.bearer_token_env, "bearer token")
        if token:
            headers["Authorization"] = f"Bearer {token}"
        auth = None
        user = _env(self.options.basic_auth_user_env, "basic auth user")
        if user is not None:
            password = _env(self.options.basic_auth_password_env, "basic auth password") or ""
            auth = httpx.BasicAuth(user, password)
        verify: Any = self.options.verify_tls
        if self.options.ca_file:
            import ssl

            verify = ssl.create_default_context(cafile=self.options.ca_file)
        return httpx.Client(
            headers=headers, auth=auth, verify=verify, timeout=self.options.timeout_s, follow_redirects=True
        )

    def close(self) -> None:
        with self._lock:
            if self._http is not None:
                self._http.close()
                self._http = None

    # -- raw call -----------------------------------------------------------------------------------
    def get(
        self, base: str, path: str, params: Mapping[str, str] | None, operation: str, *, metrics: int = 0
    ) -> Any:
        """GET base+path and return the decoded JSON body.

        Raises QueryError for a refusal of this request's content (HTTP 400/422, or a Prometheus
        errorType of bad_data/execution/timeout/canceled), ProviderError for everything that means
        the server cannot be used (unreachable, auth, 404, 429, 5xx).
        """
        import httpx

        url = base + path
        self.counter.call(operation, metrics=metrics)
        try:
            resp = self._client().get(url, params=params)
        except httpx.ConnectTimeout as exc:
            raise ProviderError(
                f"cannot reach {base}: connection timed out after {self.options.timeout}"
            ) from exc
        except httpx.TimeoutException as exc:
            raise QueryError(f"{url} timed out after {self.options.timeout}") from exc
        except httpx.HTTPError as exc:
            raise ProviderError(f"cannot reach {base}: {type(exc).__name__}: {exc}") from exc
        body: Any = None
        try:
            body = resp.json()
        except ValueError:
            body = None
        if resp.status_code < 300 and body is not None:
            if isinstance(body, dict) and body.get("status") == "error":
                raise QueryError(_message(body, resp))
            return body
        message = _message(body, resp)
        if resp.status_code == 429:
            raise ProviderError(f"{base} is throttling requests (429): {message}", throttled=True)
        if resp.status_code in (401, 403):
            raise ProviderError(f"{base} refused the credentials ({resp.status_code}): {message}")
        error_type = body.get("errorType") if isinstance(body, dict) else None
        if resp.status_code in (400, 422) or error_type in _PER_QUERY:
            raise QueryError(message)
        if resp.status_code < 300:
            raise ProviderError(f"{url} did not answer JSON: {resp.text[:200]!r}")
        raise ProviderError(f"{url} answered {resp.status_code}: {message}")


def _message(body: Any, resp: httpx.Response) -> str:
    """Prometheus's own words: "<errorType>: <error>", else the start of the body."""
    if isinstance(body, dict):
        err = body.get("error") or body.get("message")
        if err:
            et = body.get("errorType")
            return f"{et}: {err}" if et else str(err)
    text = resp.text.strip()
    return text[:300] if text else f"HTTP {resp.status_code}"
