"""HTTP client for the Cloudflare API (bounded httpx): REST envelopes, GraphQL with its budget, token from env.

Every call goes through srvmon.providers.httpio.BoundedHttp (deadline, body cap, no redirects) and is
counted. The token is read from the environment variable the config names when the first call is made,
and is only ever sent to the configured endpoint (URLs found in responses are never followed).
"""

from __future__ import annotations

import os
import re
import ssl
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from srvmon.providers.base import ProviderError, UsageCounter
from srvmon.providers.cloudflare.budget import QueryBudget, Refusal, budget_key
from srvmon.providers.cloudflare.options import CloudflareOptions
from srvmon.providers.httpio import BoundedHttp, HttpError, HttpLimits, Response

#: Messages Cloudflare's GraphQL API uses for its rate limits (developers.cloudflare.com, "Error responses").
_RATE_LIMITED = re.compile(r"rate limiter|budget depleted|quota exceeded|too many requests", re.I)
_AFTER = re.compile(r"after (\d+) (second|minute|hour)s?|in the next (minute|hour)", re.I)
_UNIT_S = {"second": 1, "minute": 60, "hour": 3600}


class TokenMissing(ProviderError):
    """The environment variable that should hold the API token is unset or empty."""


@dataclass(frozen=True, slots=True)
class GraphqlAnswer:
    """A GraphQL response: `data` (may be partial) and its errors (`message`, `path`, `extensions`)."""

    data: Any
    errors: tuple[Mapping[str, Any], ...]


def retry_hint(message: str) -> float | None:
    """Seconds to wait from a rate-limit message ("try again after 5 minutes" -> 300), else None."""
    m = _AFTER.search(message)
    if not m:
        return None
    if m.group(1):
        return float(m.group(1)) * _UNIT_S[m.group(2).lower()]
    return float(_UNIT_S[(m.group(3) or "minute").lower()])


def is_rate_limit(error: Mapping[str, Any]) -> bool:
    code = str((error.get("extensions") or {}).get("code") or "") if isinstance(error, Mapping) else ""
    return bool(_RATE_LIMITED.search(str(error.get("message") or ""))) or code.lower() in (
        "ratelimit",
        "rate_limit",
        "budget",
        "quota",
    )


class CloudflareClient:
    """One pooled, bounded HTTP client per provider instance; thread-safe; counts every call."""

    def __init__(self, options: CloudflareOptions, counter: UsageCounter, now: Callable[[], float]) -> None:
        self.options = options
        self.counter = counter
        self.now = now
        self.http = BoundedHttp(HttpLimits.of(options), self._build)
        self._budget: QueryBudget | None = None
        self._lock = threading.Lock()

    # -- credentials ----------------------------------------------------------------------------
    def token(self) -> str:
        name = self.options.api_token_env
        value = os.environ.get(name, "").strip()
        if not value:
            raise TokenMissing(
                f"Cloudflare API token: environment variable {name} is not set; create a token with "
                "Account Analytics Read and Workers Scripts Read and export it as "
                f"{name} (or name another variable in api_token_env)"
            )
        return value

    def _build(self) -> dict[str, Any]:
        headers = {"Accept": "application/json", "Authorization": f"Bearer {self.token()}"}
        verify: Any = True
        if self.options.ca_file:
            verify = ssl.create_default_context(cafile=self.options.ca_file)
        return {"headers": headers, "verify": verify}

    @property
    def budget(self) -> QueryBudget:
        with self._lock:
            if self._budget is None:
                self._budget = QueryBudget(
                    budget_key(self.options.endpoint, self.token()), self.options.query_budget
                )
            return self._budget

    def close(self) -> None:
        self.http.close()

    # -- REST -----------------------------------------------------------------------------------
    def rest(
        self,
        method: str,
        path: str,
        operation: str,
        *,
        params: Mapping[str, Any] | None = None,
        json_body: Any = None,
    ) -> Any:
        """Call {endpoint}{path}; returns the whole decoded envelope ({success, errors, result, ...}).

        Raises HttpError (status kept, 429 throttled with Retry-After) or ProviderError for a body that is
        not a successful Cloudflare envelope."""
        url = self.options.endpoint + path
        self.counter.call(operation)
        try:
            resp = self.http.request(
                method, url, params=params, json_body=json_body, what=f"Cloudflare {operation}"
            )
        except HttpError as exc:
            if exc.throttled:
                self._note_throttle(exc.retry_after_s, str(exc))
            raise
        _no_redirect(resp, f"Cloudflare {operation}", self.options.endpoint)
        body = resp.json()
        if not isinstance(body, dict):
            raise ProviderError(f"Cloudflare {operation} did not answer JSON: {resp.text[:200]!r}")
        if body.get("success") is False:
            raise ProviderError(f"Cloudflare {operation} failed: {envelope_errors(body)}")
        return body

    # -- GraphQL --------------------------------------------------------------------------------
    def graphql(self, query: str, variables: Mapping[str, Any], *, queries: int) -> GraphqlAnswer:
        """POST {endpoint}/graphql, spending `queries` of the budget (one per dataset node asked for).

        Raises ProviderError(throttled=True) when the budget refuses or Cloudflare throttles (429, or a
        rate-limit error in the body); HttpError for transport and HTTP failures. Other GraphQL errors
        come back in the answer, for the caller to pin on the queries they concern."""
        refusal = self.budget.acquire(queries, self.now())
        if refusal is not None:
            raise _throttled(refusal)
        self.counter.call("graphql", metrics=queries)
        self.counter.add("graphql_queries", queries)
        try:
            resp = self.http.request(
                "POST",
                self.options.endpoint + "/graphql",
                json_body={"query": query, "variables": dict(variables)},
                what="Cloudflare GraphQL API",
            )
        except HttpError as exc:
            if exc.throttled:
                self._note_throttle(exc.retry_after_s, str(exc))
                raise ProviderError(
                    str(exc), throttled=True, retry_after_s=exc.retry_after_s or 60.0
                ) from exc
            raise
        _no_redirect(resp, "Cloudflare GraphQL API", self.options.endpoint)
        body = resp.json()
        if not isinstance(body, dict):
            raise ProviderError(f"Cloudflare GraphQL API did not answer JSON: {resp.text[:200]!r}")
        errors = tuple(e for e in (body.get("errors") or []) if isinstance(e, Mapping))
        limited = [e for e in errors if is_rate_limit(e)]
        if limited:
            message = str(limited[0].get("message") or "rate limited")
            wait = retry_hint(message) or 300.0
            self._note_throttle(wait, f"Cloudflare GraphQL API: {message}")
            raise ProviderError(
                f"Cloudflare GraphQL API is rate limiting this user: {message}",
                throttled=True,
                retry_after_s=wait,
            )
        return GraphqlAnswer(body.get("data"), errors)

    def _note_throttle(self, retry_after_s: float | None, why: str) -> None:
        wait = retry_after_s if retry_after_s is not None else 60.0
        self.budget.block(wait, why, self.now())

    def budget_left(self) -> int | None:
        """GraphQL queries left in the current 5-minute window (None before the token is known)."""
        try:
            return self.budget.left(self.now())
        except TokenMissing:
            return None


def _no_redirect(resp: Response, what: str, endpoint: str) -> None:
    """Only a 2xx answer counts; a redirect is reported, never followed (the token stays with `endpoint`)."""
    if not 200 <= resp.status < 300:
        where = resp.headers.get("location", "")
        raise HttpError(
            f"{what} answered {resp.status}"
            + (f" redirecting to {where[:200]!r}" if where else "")
            + f"; redirects are not followed, so the API token is only sent to {endpoint}",
            status=resp.status,
        )


def _throttled(refusal: Refusal) -> ProviderError:
    return ProviderError(refusal.message, throttled=True, retry_after_s=refusal.retry_after_s)


def envelope_errors(body: Any) -> str:
    """The `errors` of a Cloudflare v4 envelope as "code: message; ..." (or a generic note)."""
    errors = body.get("errors") if isinstance(body, dict) else None
    parts = []
    for e in errors or []:
        if isinstance(e, dict):
            code = e.get("code")
            msg = str(e.get("message") or "")[:200]
            parts.append(f"{code}: {msg}" if code is not None else msg)
    return "; ".join(parts) or "no error detail in the answer"
