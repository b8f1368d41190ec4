"""A small read-only Azure Resource Manager REST client on azure-core, plus shared SDK plumbing.

Holds what every Azure call needs: the credential factory, the bounded transport and a retry policy
that never sleeps on 429 (transport.py), and the translation of azure-core errors into ProviderError
(throttled, with Retry-After; 401/403 with the fix). nextLink pages are followed only on the ARM host.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit

from srvmon.providers.base import ProviderError, UsageCounter
from srvmon.providers.httpio import HttpError, HttpLimits, retry_after_seconds, tls_verify

from .options import AzureOptions

#: Stop following nextLink after this many pages (a runaway listing must not stall a refresh).
MAX_PAGES = 50


def make_credential(options: AzureOptions) -> Any:
    """The azure-identity credential the options ask for (imported lazily), its chain reports kept off
    stderr (srvmon reports a failure itself, once: see credential.py)."""
    from azure import identity

    from .credential import quiet_identity_logging

    quiet_identity_logging()
    authority = options.endpoints().authority
    if options.credential == "cli":
        return identity.AzureCliCredential()
    if options.credential == "managed_identity":
        return identity.ManagedIdentityCredential(client_id=options.managed_identity_client_id)
    if options.credential == "environment":
        return identity.EnvironmentCredential(authority=authority)
    return identity.DefaultAzureCredential(authority=authority)


def retry_policy(options: AzureOptions) -> Any:
    """Retries of transient failures inside one call's `timeout`; 429 is handed straight back."""
    from .transport import BoundedRetry

    return BoundedRetry(options.retries, options.timeout_s)


def transport(options: AzureOptions) -> Any:
    """The bounded azure-core transport (per-call deadline, body cap) every Azure client uses."""
    from .transport import BoundedTransport

    return BoundedTransport(HttpLimits.of(options), tls_verify(options.ca_bundle))


def client_kwargs(options: AzureOptions) -> dict[str, Any]:
    """Keyword arguments every azure-core based client gets (bounded transport, retry policy)."""
    return {"retry_policy": retry_policy(options), "transport": transport(options)}


def retry_after(headers: Any) -> str | None:
    """The server's wait hint from Retry-After or Azure's x-ms-ratelimit-*-retry-after headers."""
    if not headers:
        return None
    for key in headers:
        k = str(key).lower()
        if k == "retry-after" or (k.startswith("x-ms-ratelimit") and k.endswith("retry-after")):
            return str(headers[key])
    return None


def retry_after_s(headers: Any) -> float | None:
    """Retry-After (seconds or an HTTP date) as seconds from now, bounded; None when absent or unreadable."""
    return retry_after_seconds(retry_after(headers))


def throttled_error(what: str, status: int, headers: Any) -> ProviderError:
    """A throttling answer as a ProviderError the poller backs off on (next attempt at Retry-After)."""
    wait = retry_after_s(headers)
    hint = f"; retry after {wait:g}s" if wait is not None else ""
    return ProviderError(
        f"{what}: throttled by Azure (HTTP {status}){hint}", throttled=True, retry_after_s=wait
    )


def status_hint(status: int | None, code: str, what: str) -> str:
    """How to fix an Azure error status, for the operator reading the panel or `srvmon check`."""
    code_l = code.lower()
    if status == 401 or "authenticationtoken" in code_l or "invalidauthentication" in code_l:
        return "the token was refused: sign in again (az login) or check the credential's tenant"
    if status == 403:
        if "hostkeys" in what.lower() or "listkeys" in what.lower():
            return (
                "reading the durabletask key needs Microsoft.Web/sites/host/listkeys/action (e.g. Website"
                " Contributor), more than Reader: grant it, or set durable_key_env"
            )
        if what.startswith("logs"):
            return "grant the identity Log Analytics Reader (or Reader) on the workspace / components"
        if what.startswith("metrics"):
            return "grant the identity Monitoring Reader (or Reader) on the subscription or resource groups"
        if what.startswith("Cost"):
            return "grant the identity Cost Management Reader on the subscription"
        return "grant the identity Reader on the subscription (or the resource groups)"
    if "subscriptionnotfound" in code_l:
        return "check subscription_id and that the identity can see that subscription"
    return ""


def to_provider_error(exc: Exception, what: str) -> ProviderError:
    """An azure-core exception as a ProviderError; 429 becomes throttled with its Retry-After."""
    response = getattr(exc, "response", None)
    status = getattr(response, "status_code", None) or getattr(exc, "status_code", None)
    headers = getattr(response, "headers", None)
    if status is not None and is_throttle(int(status), headers):
        return throttled_error(what, int(status), headers)
    message = getattr(exc, "message", None) or str(exc)
    first_line = str(message).strip().splitlines()[0] if str(message).strip() else type(exc).__name__
    code = str(getattr(exc, "error_code", None) or getattr(getattr(exc, "error", None), "code", None) or "")
    hint = status_hint(status, code, what)
    prefix = f"{what}: HTTP {status}: " if status else f"{what}: "
    return ProviderError(prefix + first_line[:300] + (f"; {hint}" if hint else ""))


def named(exc: ProviderError, what: str) -> ProviderError:
    """The same failure with the operation in front (e.g. a body over the size limit, from the transport)."""
    return ProviderError(f"{what}: {exc}", throttled=exc.throttled, retry_after_s=exc.retry_after_s)


def is_throttle(status: int, headers: Any) -> bool:
    """429, or 503 with a Retry-After: the server said when to come back (the poller waits, not us)."""
    return status == 429 or (status == 503 and retry_after(headers) is not None)


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
            policies.NetworkTraceLoggingPolicy(),
        ]
        self._client: PipelineClient[Any, Any] = PipelineClient(
            base_url=self.base, policies=pipeline_policies, transport=transport(options)
        )

    def close(self) -> None:
        self._client.close()

    def _url(self, path_or_url: str, operation: str) -> str:
        """An ARM URL; an absolute one (a nextLink from an answer) only when it is on the ARM host, since
        the bearer token travels with it."""
        if not path_or_url.startswith(("https://", "http://")):
            return self.base + path_or_url
        if not same_origin(path_or_url, self.base):
            raise ProviderError(
                f"{operation}: Resource Manager answered with a next page on {_origin(path_or_url)}, not"
                f" {_origin(self.base)}; not followed (the ARM token is only sent to ARM)"
            )
        return path_or_url

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

        req = HttpRequest(method, self._url(path_or_url, operation), params=params or {}, json=body)
        self.counter.call(operation)
        try:
            resp = self._client.send_request(req)
        except AzureError as exc:
            raise to_provider_error(exc, operation) from exc
        except HttpError as exc:
            raise named(exc, operation) from exc
        if is_throttle(resp.status_code, resp.headers):
            raise throttled_error(operation, resp.status_code, resp.headers)
        if resp.status_code >= 400:
            code, text = _error_text(resp)
            hint = status_hint(resp.status_code, code, operation)
            raise ProviderError(
                f"{operation}: HTTP {resp.status_code}: {text}" + (f"; {hint}" if hint else "")
            )
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
            items = page.get("value") if isinstance(page, dict) else None
            if not isinstance(items, list):
                raise ProviderError(
                    f'{operation}: unexpected answer (expected {{"value": [...]}}): {str(page)[:80]!r}'
                )
            for item in items:
                if isinstance(item, dict):
                    yield item
            nxt = page.get("nextLink")
            if not nxt:
                return
            page = self.get(str(nxt), operation=operation)


def _error_text(resp: Any) -> tuple[str, str]:
    """(error.code, "error.code: error.message") of an ARM error body, or ("", the start of the body)."""
    try:
        body = resp.json()
        err = body.get("error") or {}
        code = str(err.get("code") or "")
        text = f"{code}: {err.get('message', '')}".strip(": ")
        if text:
            return code, text[:300]
    except Exception:
        pass
    return "", (resp.text() or "")[:200].replace("\n", " ")


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}" if parts.netloc else url


def same_origin(url: str, base: str) -> bool:
    """Same scheme, host and port (the host compared case-insensitively)."""
    a, b = urlsplit(url), urlsplit(base)
    try:
        return (a.scheme.lower(), (a.hostname or "").lower(), a.port) == (
            b.scheme.lower(),
            (b.hostname or "").lower(),
            b.port,
        )
    except ValueError:
        return False
