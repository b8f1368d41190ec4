"""Classify botocore failures: throttling, missing permissions, readable one-line messages."""

from __future__ import annotations

from typing import Any

from srvmon.providers.base import ProviderError

THROTTLE_CODES = frozenset(
    {
        "Throttling",
        "ThrottlingException",
        "ThrottledException",
        "TooManyRequestsException",
        "RequestLimitExceeded",
        "LimitExceededException",
        "RequestThrottled",
        "RequestThrottledException",
        "SlowDown",
    }
)
DENIED_CODES = frozenset(
    {"AccessDenied", "AccessDeniedException", "UnauthorizedOperation", "AuthorizationError"}
)


def error_code(exc: BaseException) -> str:
    response: Any = getattr(exc, "response", None)
    if isinstance(response, dict):
        return str(response.get("Error", {}).get("Code", ""))
    return ""


def is_throttle(exc: BaseException) -> bool:
    response: Any = getattr(exc, "response", None)
    status = (
        response.get("ResponseMetadata", {}).get("HTTPStatusCode") if isinstance(response, dict) else None
    )
    return error_code(exc) in THROTTLE_CODES or status == 429


def is_denied(exc: BaseException) -> bool:
    return error_code(exc) in DENIED_CODES


def describe(exc: BaseException, operation: str = "") -> str:
    """'GetMetricData: ThrottlingException: Rate exceeded' (never the whole traceback)."""
    code = error_code(exc)
    response: Any = getattr(exc, "response", None)
    message = response.get("Error", {}).get("Message", "") if isinstance(response, dict) else ""
    message = " ".join(str(message).split())
    if message.startswith("<"):  # an HTML error page from a proxy or emulator, not an AWS error
        message = "non-AWS error page"
    text = f"{code}: {message[:300]}" if code else f"{type(exc).__name__}: {str(exc)[:300]}"
    return f"{operation}: {text}" if operation else text


def provider_error(exc: BaseException, operation: str) -> ProviderError:
    return ProviderError(describe(exc, operation), throttled=is_throttle(exc))
