"""What to do about a Prometheus/Alertmanager/Loki failure: the fix `srvmon check` prints after the cause."""

from __future__ import annotations

from srvmon.providers.httpio import HttpError
from srvmon.providers.prometheus.options import PrometheusOptions


def hint(exc: Exception, options: PrometheusOptions, option: str = "url") -> str:
    """One short instruction for the failure `exc` of the server configured at `option`."""
    text = str(exc)
    if "environment variable" in text and "is not set" in text:
        return "export that variable (the credential never lives in the config), or remove the *_env option"
    if "CERTIFICATE_VERIFY_FAILED" in text or "certificate verify failed" in text:
        return "set ca_file to the CA that signed the server's certificate (or verify_tls = false on a lab)"
    if isinstance(exc, HttpError):
        if exc.status in (401, 403):
            if options.bearer_token_env or options.basic_auth_user_env:
                which = options.bearer_token_env or options.basic_auth_user_env
                return f"the credentials from ${which} were refused: renew them or check the server's auth"
            return "the server wants credentials: set bearer_token_env or basic_auth_user_env/_password_env"
        if exc.status == 404:
            return (
                f"check {option}: it is the server's base URL, without /api/v1 (a proxy path prefix included)"
            )
        if exc.unreachable:
            return f"check {option} and that the server listens there (and any proxy in between)"
        if exc.timed_out:
            return f"the server accepted but answered too slowly: check {option}, or raise timeout"
        if exc.too_large:
            return "raise max_response_mb, or narrow the queries"
        if exc.status is not None and exc.status >= 500:
            return "the server is failing: see its own logs"
    if "timed out" in text:  # a slow request reported per query (QueryError) keeps only the words
        return f"the server accepted but answered too slowly: check {option}, or raise timeout"
    return ""


def with_hint(exc: Exception, options: PrometheusOptions, option: str = "url") -> str:
    """The failure's message followed by its fix, when there is one."""
    fix = hint(exc, options, option)
    return f"{exc}; {fix}" if fix else str(exc)
