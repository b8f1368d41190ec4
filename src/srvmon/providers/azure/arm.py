"""A small read-only Azure Resource Manager REST client on azure-core, plus shared SDK plumbing.

Holds what every Azure call needs: the credential factory, a retry policy that never sleeps on 429,
and the translation of azure-core errors into ProviderError (throttled, with Retry-After).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from srvmon.providers.base import ProviderError, UsageCounter

from .options import AzureOptions

#: Stop following nextLink after this many pages (a runaway listing must not stall a refresh).
MAX_PAGES = 50


def make_credential(options: AzureOptions) -> Any:
    """The azure-identity credential the options ask for (imported lazily)."""
    from azure import identity

    authority = options.endpoints().authority
    if options.credential == "cli":
        return identity.AzureCliCredential()
    if options.credential == "managed_identity":
        return identity.ManagedIdentityCredential(client_id=options.managed_identity_client_id)
    if options.credential == "environment":
        return identity.EnvironmentCredential(authority=authority)
    return identity.DefaultAzureCredential(authority=authority)


def retry_policy(options: AzureOptions) -> Any:
    """A RetryPolicy for transient failures that hands 429 straight back (the poller backs off)."""
    from azure.core.pipeline.policies import RetryPolicy

    class _NoThrottleRetry(RetryPolicy):  # type: ignore[type-arg]
        def is_retry(self, settings: Any, response: Any) -> bool:
            if response.http_response.status_code == 429:
                return False
            return bool(super().is_retry(settings, response))

    return _NoThrottleRetry(retry_total=options.retries, retry_backoff_factor=0.2)


def client_kwargs(options: AzureOptions) -> dict[str, Any]:
    """Keyword arguments every azure-core based client gets (retry policy, CA bundle)."""
    kw: dict[str, Any] = {"retry_policy": retry_policy(options)}
    if options.ca_bundle:
        kw["connection_verify"] = options.ca_bundle
    return kw


def retry_after(headers: Any) -> str | None:
    """The server's wait hint from Retry-After or Azure's x-ms-ratelimit-*-retry-after headers."""
    if not headers:
        return None
    for key in headers:
        k = str(key).lower()
        if k == "retry-after" or (k.startswith("x-ms-ratelimit") and k.endswith("retry-after")):
            return str(headers[key])
    return None


def to_provider_error(exc: Exception, what: str) -> ProviderError:
    """An azure-core exception as a ProviderError; 429 becomes throttled with its Retry-After."""
    response = getattr(exc, "response", None)
    status = getattr(response, "status_code", None) or getattr(exc, "status_code", None)
    message = getattr(exc, "message", None) or str(exc)
    first_line = str(message).strip().splitlines()[0] if str(message).strip() else type(exc).__name__
    if status == 429:
        wait = retry_after(getattr(response, "headers", None))
        hint = f"; retry after {wait}s" if wait else ""
        return ProviderError(f"{what}: throttled by Azure (HTTP 429){hint}", throttled=True)
    prefix = f"{what}: HTTP {status}: " if status else f"{what}: "
    return ProviderError(prefix + first_line[:300])


class ArmClient:
    """GET/POST JSON against Resource Manager with a bearer token, following nextLink pages."""

    def __init__(self, options: AzureOptions, credential: Any, counter: UsageCounter) -> None:
        from azure.core import PipelineClient
        from azure.core.pipeline import policies

        cloud = options.endpoints()
        self.base = (options.arm_endpoint or cloud.arm).rstrip("/")
        self.counter = counter
        pipeline_policies = [
            policies.HeadersPolicy(),
            policies.UserAgentPolicy(sdk_moniker="srvmon"),
            retry_policy(options),
            policies.BearerTokenCredentialPolicy(credential, cloud.arm_scope),
            policies.ContentDecodePolicy(),
            policies.NetworkTraceLoggingPolicy(),
        ]
        kw: dict[str, Any] = {}
        if options.ca_bundle:
            kw["connection_verify"] = options.ca_bundle
        self._client = PipelineClient(base_url=self.base, policies=pipeline_policies, **kw)

    def _url(self, path_or_url: str) -> str:
        if path_or_url.startswith(("https://", "http://")):
            return path_or_url
        return self.base + path_or_url

    def request(
        self,
        method: str,
        path_or_url: str,
        *,
        params: dict[str, str] | None = None,
        body: Any = None,
        operation: str = "arm",
    ) -> Any:
        """One call; returns the decoded JSON (None for an empty body). Errors -> ProviderError."""
        from azure.core.exceptions import AzureError
        from azure.core.rest import HttpRequest

        req = HttpRequest(method, self._url(path_or_url), params=params or {}, json=body)
        self.counter.call(operation)
        try:
            resp = self._client.send_request(req)
        except AzureError as exc:
            raise to_provider_error(exc, operation) from exc
        if resp.status_code == 429:
            wait = retry_after(resp.headers)
            hint = f"; retry after {wait}s" if wait else ""
            raise ProviderError(f"{operation}: throttled by Azure (HTTP 429){hint}", throttled=True)
        if resp.status_code >= 400:
            raise ProviderError(f"{operation}: HTTP {resp.status_code}: {_error_text(resp)}")
        if resp.status_code == 204 or not resp.content:
            return None
        try:
            return resp.json()
        except ValueError as exc:
            raise ProviderError(f"{operation}: the answer is not JSON") from exc

    def get(self, path: str, params: dict[str, str] | None = None, *, operation: str = "arm") -> Any:
        return self.request("GET", path, params=params, operation=operation)

    def list(
        self, path: str, params: dict[str, str] | None = None, *, operation: str = "arm"
    ) -> Iterator[dict[str, Any]]:
        """Every item of a `{"value": [...], "nextLink": ...}` listing."""
        page: Any = self.get(path, params, operation=operation)
        for _ in range(MAX_PAGES):
            if not isinstance(page, dict):
                return
            for item in page.get("value") or []:
                if isinstance(item, dict):
                    yield item
            nxt = page.get("nextLink")
            if not nxt:
                return
            page = self.get(str(nxt), operation=operation)


def _error_text(resp: Any) -> str:
    """The `error.code: error.message` of an ARM error body, or the start of the body."""
    try:
        body = resp.json()
        err = body.get("error") or {}
        text = f"{err.get('code', '')}: {err.get('message', '')}".strip(": ")
        if text:
            return text[:300]
    except Exception:
        pass
    return (resp.text() or "")[:200].replace("\n", " ")
