"""Azure sign-in without the noise: one short ProviderError naming the fix, asked once per provider.

azure-identity logs its whole credential chain ("DefaultAzureCredential failed to retrieve a token...",
13 lines) as a WARNING on every failed get_token, and every SDK call of a refresh asks again. srvmon
keeps the azure.identity loggers below WARNING off stderr (only while nobody configured them), and
`QuietCredential` turns a failure into one line with the fix, remembered for FAILURE_TTL_S so a
refresh with 30 panels asks the chain once; the chain's per-credential reasons stay in `details`.
"""

from __future__ import annotations

import logging
import threading
import time
from typing import Any

from srvmon.providers.base import ProviderError

#: A failed sign-in is not retried for this long (one refresh's calls share the answer).
FAILURE_TTL_S = 30.0
#: The loggers azure-identity writes its chain reports to.
IDENTITY_LOGGERS = ("azure.identity",)

FIXES = {
    "default": (
        "run `az login`, or set AZURE_TENANT_ID, AZURE_CLIENT_ID and AZURE_CLIENT_SECRET, or use"
        ' credential = "managed_identity" on an Azure host'
    ),
    "cli": "run `az login` (and `az account set --subscription <id>`) as the user running srvmon",
    "managed_identity": (
        "run srvmon on an Azure host with a managed identity (set managed_identity_client_id for a"
        " user-assigned one), or choose another credential"
    ),
    "environment": (
        "set AZURE_TENANT_ID, AZURE_CLIENT_ID and AZURE_CLIENT_SECRET (or AZURE_CLIENT_CERTIFICATE_PATH)"
    ),
}
NAMES = {
    "default": "DefaultAzureCredential",
    "cli": "Azure CLI",
    "managed_identity": "managed identity",
    "environment": "EnvironmentCredential",
}


class CredentialError(ProviderError):
    """Azure sign-in failed; the message is one line with the fix, `details` the chain's own reasons."""

    def __init__(self, message: str, details: tuple[str, ...] = ()) -> None:
        super().__init__(message)
        self.details = details


def quiet_identity_logging() -> None:
    """Keep azure-identity's per-call chain warnings off stderr (srvmon reports the failure itself).

    Scoped: only the azure.identity logger tree, and only when nobody set its level (an embedding
    application or a debug run that configured it keeps its own choice). Idempotent.
    """
    for name in IDENTITY_LOGGERS:
        logger = logging.getLogger(name)
        if logger.level == logging.NOTSET:
            logger.setLevel(logging.ERROR)


def reasons(exc: BaseException) -> tuple[str, ...]:
    """The chain's per-credential lines ("AzureCliCredential: Azure CLI not found on path")."""
    text = str(getattr(exc, "message", None) or exc)
    lines = [ln.strip() for ln in text.splitlines() if ln.strip()]
    picked = [ln for ln in lines if ln.split(":", 1)[0].endswith("Credential")]
    return tuple(ln[:200] for ln in (picked or lines[:1]))


def summary(kind: str, exc: BaseException) -> str:
    """One line: which credential failed, the most telling reason, and the fix."""
    text = str(getattr(exc, "message", None) or exc).strip()
    first = text.splitlines()[0].strip() if text else type(exc).__name__
    why = "no credential in the chain could sign in" if kind == "default" else first.rstrip(".")[:160]
    lowered = text.lower()
    if "expired" in lowered or "aadsts700082" in lowered or "aadsts50173" in lowered:
        why = "the sign-in has expired"
    return f"Azure sign-in failed ({NAMES.get(kind, kind)}: {why}); {FIXES.get(kind, FIXES['default'])}"


class QuietCredential:
    """A TokenCredential wrapper: a failure becomes one CredentialError, and for `ttl_s` every further
    token request (any scope) gets the same answer without running the chain again."""

    def __init__(self, inner: Any, kind: str, *, ttl_s: float = FAILURE_TTL_S) -> None:
        quiet_identity_logging()
        self.inner = inner
        self.kind = kind
        self.ttl_s = ttl_s
        self._lock = threading.Lock()
        self._failed: tuple[float, CredentialError] | None = None
        self.attempts = 0

    def get_token(self, *scopes: str, **kwargs: Any) -> Any:
        with self._lock:
            cached = self._failed
            if cached is not None and time.monotonic() - cached[0] < self.ttl_s:
                raise CredentialError(str(cached[1]), cached[1].details)
            self.attempts += 1
        from azure.core.exceptions import ClientAuthenticationError

        try:
            token = self.inner.get_token(*scopes, **kwargs)
        except ClientAuthenticationError as exc:  # CredentialUnavailableError is one too
            err = CredentialError(summary(self.kind, exc), reasons(exc))
            with self._lock:
                self._failed = (time.monotonic(), err)
            raise err from None
        with self._lock:
            self._failed = None
        return token

    def close(self) -> None:
        close = getattr(self.inner, "close", None)
        if callable(close):
            close()
