"""HTTP client for the Prometheus, Alertmanager and Loki APIs (bounded httpx); errors keep the server's words."""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

from srvmon.providers.base import ProviderError, UsageCounter
from srvmon.providers.httpio import BoundedHttp, HttpError, HttpLimits
from srvmon.providers.prometheus.options import PrometheusOptions


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
    """One bounded HTTP client per provider (srvmon.providers.httpio); thread-safe; counts every call."""

    def __init__(self, options: PrometheusOptions, counter: UsageCounter) -> None:
        self.options = options
        self.counter = counter
        self.http = BoundedHttp(HttpLimits.of(options), self._build)

    def _build(self) -> dict[str, Any]:
        """httpx.Client arguments: headers, bearer/basic auth read from the environment now, TLS settings."""
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
        # redirects are not followed: credentials must not travel to another host
        return {"headers": headers, "auth": auth, "verify": verify}

    def close(self) -> None:
        self.http.close()

    # -- raw call -----------------------------------------------------------------------------------
    def get(
        self, base: str, path: str, params: Mapping[str, str] | None, operation: str, *, metrics: int = 0
    ) -> Any:
        """GET base+path and return the decoded JSON body (see `fetch_json` for what it raises)."""
        return fetch_json(self.http, self.counter, base + path, params, operation, metrics=metrics)


def fetch_json(
    http: BoundedHttp,
    counter: UsageCounter,
    url: str,
    params: Mapping[str, str] | None,
    operation: str,
    *,
    metrics: int = 0,
    headers: Mapping[str, str] | None = None,
) -> Any:
    """GET a Prometheus-API URL (Prometheus, Loki, Alertmanager, Cloud Monitoring's PromQL endpoint) through
    `http`, count it in `counter`, and return the decoded JSON body.

    Raises QueryError for a refusal of this request's content (HTTP 400/422, or a Prometheus
    errorType of bad_data/execution/timeout/canceled), ProviderError for everything that means
    the server cannot be used (unreachable, too slow, too large, auth, 404, 429, 5xx).
    """
    counter.call(operation, metrics=metrics)
    try:
        resp = http.request("GET", url, params=params, headers=headers, what=url)
    except HttpError as exc:
        if exc.timed_out:  # one slow query (a heavy PromQL) fails its panel, not the whole server
            raise QueryError(str(exc)) from exc
        error_type = exc.body.get("errorType") if isinstance(exc.body, dict) else None
        if exc.status in (400, 422) or error_type in _PER_QUERY:
            raise QueryError(_message(exc.body, exc.text, exc.status)) from exc
        raise
    body = resp.json()
    if body is None:
        raise ProviderError(f"{url} did not answer JSON: {resp.text[:200]!r}")
    if isinstance(body, dict) and body.get("status") == "error":
        raise QueryError(_message(body, resp.text, resp.status))
    return body


def _message(body: Any, text: str, status: int | None) -> str:
    """Prometheus's own words: "<errorType>: <error>", else the start of the body."""
    if isinstance(body, dict):
        err = body.get("error") or body.get("message")
        if err:
            et = body.get("errorType")
            return f"{et}: {err}" if et else str(err)
    text = text.strip()
    return text[:300] if text else f"HTTP {status}"
