"""Classify botocore failures: throttling (with Retry-After), missing permissions, rejected or missing
credentials, unreachable endpoints, and readable one-line messages."""

from __future__ import annotations

import re
from typing import Any

from srvmon.providers.base import ProviderError

THROTTLE_CODES = frozenset(
    {
        "Throttling",
        "ThrottlingException",
        "ThrottledException",
        "TooManyRequests",
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
#: Error codes meaning "these credentials are not (or no longer) accepted" -> (cause, fix).
CREDENTIAL_CODES: dict[str, tuple[str, str]] = {
    "ExpiredToken": ("the session token has expired", "refresh the credentials"),
    "ExpiredTokenException": ("the session token has expired", "refresh the credentials"),
    "RequestExpired": ("the request signature is too old", "check the system clock, then the credentials"),
    "InvalidClientTokenId": ("the access key id is not valid", "use a valid access key"),
    "UnrecognizedClientException": ("the access key id or token is not valid", "use valid credentials"),
    "InvalidAccessKeyId": ("the access key id is not valid", "use a valid access key"),
    "SignatureDoesNotMatch": ("the secret key does not match the access key", "fix the secret key"),
    "InvalidSignatureException": ("the secret key does not match the access key", "fix the secret key"),
    "IncompleteSignature": ("the request signature is incomplete", "fix the credentials"),
    "AuthFailure": ("AWS rejected the credentials", "use valid credentials"),
    "MissingAuthenticationToken": ("the request was not signed", "configure credentials"),
}


_XML_CODE = re.compile(r"<Code>([A-Za-z0-9_.:-]{1,100})</Code>")
_XML_MESSAGE = re.compile(r"<Message>([^<]{0,1000})</Message>")


def _error(exc: BaseException) -> tuple[str, str]:
    """(code, message) of an AWS error answer. An answer in the wrong protocol (an XML error body to a
    JSON API, as emulators and some proxies send) leaves botocore with only the HTTP status as the code:
    the code and message are then read from the XML."""
    response: Any = getattr(exc, "response", None)
    if not isinstance(response, dict):
        return "", ""
    error = response.get("Error", {})
    code, message = str(error.get("Code", "")), str(error.get("Message", ""))
    if (not code or code.isdigit()) and message.lstrip().startswith("<"):
        found = _XML_CODE.search(message)
        if found:
            text = _XML_MESSAGE.search(message)
            return found.group(1), text.group(1) if text else ""
    return code, message


def error_code(exc: BaseException) -> str:
    return _error(exc)[0]


def _status(exc: BaseException) -> int | None:
    response: Any = getattr(exc, "response", None)
    if isinstance(response, dict):
        status = response.get("ResponseMetadata", {}).get("HTTPStatusCode")
        return int(status) if isinstance(status, int) else None
    return None


def is_throttle(exc: BaseException) -> bool:
    return error_code(exc) in THROTTLE_CODES or _status(exc) == 429


def is_denied(exc: BaseException) -> bool:
    return error_code(exc) in DENIED_CODES


def retry_after(exc: BaseException) -> float | None:
    """The Retry-After an AWS error answer carried (seconds), if any."""
    from srvmon.providers.httpio import retry_after_seconds

    response: Any = getattr(exc, "response", None)
    if not isinstance(response, dict):
        return None
    headers = response.get("ResponseMetadata", {}).get("HTTPHeaders") or {}
    value = next((v for k, v in headers.items() if str(k).lower() == "retry-after"), None)
    return retry_after_seconds(str(value)) if value is not None else None


def credentials_problem(exc: BaseException) -> tuple[str, str] | None:
    """(cause, fix) when `exc` means the credentials are missing or rejected, else None."""
    from botocore.exceptions import NoCredentialsError, NoRegionError, PartialCredentialsError

    if isinstance(exc, NoCredentialsError):
        return (
            "no AWS credentials found",
            "set `profile`, run `aws configure` / `aws sso login`, or export AWS_ACCESS_KEY_ID and"
            " AWS_SECRET_ACCESS_KEY",
        )
    if isinstance(exc, PartialCredentialsError):
        return ("the credentials are incomplete", f"fix the profile or environment: {exc}")
    if isinstance(exc, NoRegionError):
        return ("no region configured", "set `regions` or the profile's region")
    name = type(exc).__name__
    if name in ("TokenRetrievalError", "UnauthorizedSSOTokenError", "SSOTokenLoadError"):
        return ("the SSO session has expired or is missing", "run `aws sso login` for the profile")
    code = error_code(exc)
    if code in CREDENTIAL_CODES:
        return CREDENTIAL_CODES[code]
    return None


def is_unreachable(exc: BaseException) -> bool:
    """The endpoint did not answer (refused, DNS, TLS, timed out, or too large an answer)."""
    from botocore.exceptions import ConnectionError as BotoConnectionError
    from botocore.exceptions import HTTPClientError

    from srvmon.providers.aws.transport import EndpointError

    return isinstance(exc, EndpointError | BotoConnectionError | HTTPClientError)


def describe(exc: BaseException, operation: str = "") -> str:
    """'GetMetricData: ThrottlingException: Rate exceeded' (never the whole traceback)."""
    from srvmon.providers.aws.transport import EndpointError

    code, message = _error(exc)
    message = " ".join(message.split())
    if message.startswith("<"):  # an HTML error page from a proxy or emulator, not an AWS error
        message = "non-AWS error page"
    if code:
        text = f"{code}: {message[:300]}"
    elif isinstance(exc, EndpointError):
        text = str(exc)
    else:
        text = f"{type(exc).__name__}: {' '.join(str(exc).split())[:300]}"
    return f"{operation}: {text}" if operation else text


def provider_error(exc: BaseException, operation: str) -> ProviderError:
    """A ProviderError naming the operation, marked throttled (with the server's Retry-After) when it is."""
    throttled = is_throttle(exc)
    return ProviderError(
        describe(exc, operation), throttled=throttled, retry_after_s=retry_after(exc) if throttled else None
    )
