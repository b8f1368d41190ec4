"""Bounded HTTP for providers (httpx): timeouts, a hard per-request deadline, a body-size cap, Retry-After.

Every HTTP provider goes through `BoundedHttp.request()` so that whatever a server does - never answer,
trickle a byte every few seconds, send an endless or huge body, throttle - a call ends within its
deadline with a clear error and never holds more than `max_bytes` of body in memory.
"""

from __future__ import annotations

import json
import math
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import TYPE_CHECKING, Any

from srvmon.providers.base import NetworkOptions, ProviderError

if TYPE_CHECKING:
    import httpx

#: Default ceiling for one response body.
DEFAULT_MAX_BYTES = 64 * 1024 * 1024
#: The longest Retry-After srvmon waits for; a server asking for more is retried after this.
MAX_RETRY_AFTER_S = 3600.0


@dataclass(frozen=True, slots=True)
class HttpLimits:
    """How long one request may take and how much it may return."""

    connect_s: float = 5.0
    """Connecting (TCP + TLS)."""
    read_s: float = 15.0
    """Silence allowed between two reads."""
    deadline_s: float = 20.0
    """The whole request, body included (a trickling server is cut off here)."""
    max_bytes: int = DEFAULT_MAX_BYTES
    """The largest body accepted; more is an error, checked while streaming."""

    @classmethod
    def of(cls, options: NetworkOptions) -> HttpLimits:
        """One request's bounds from a provider's options: `timeout` for the whole answer (connecting at
        most 5 s of it), `max_response_mb` for its size."""
        t = options.timeout_s
        return cls(connect_s=min(5.0, t), read_s=t, deadline_s=t, max_bytes=options.max_response_bytes)


def tls_verify(ca_bundle: str | None) -> Any:
    """httpx's `verify`: the system CAs, or a context trusting `ca_bundle` too when one is configured."""
    if not ca_bundle:
        return True
    import ssl

    return ssl.create_default_context(cafile=ca_bundle)


class HttpError(ProviderError):
    """A request that failed: unreachable, too slow, too large, or answered with an error status.

    `status` is the HTTP status (None when there was no answer); `body` the decoded JSON body or None;
    `text` the start of the body; `timed_out` that the server accepted the request but was too slow;
    `unreachable` that no connection could be made (or it broke before an answer); `too_large` that the
    body went over the size limit (or could not be decoded within it).
    """

    def __init__(
        self,
        message: str,
        *,
        status: int | None = None,
        body: Any = None,
        text: str = "",
        throttled: bool = False,
        retry_after_s: float | None = None,
        timed_out: bool = False,
        unreachable: bool = False,
        too_large: bool = False,
    ) -> None:
        super().__init__(message, throttled=throttled, retry_after_s=retry_after_s)
        self.timed_out = timed_out
        self.unreachable = unreachable
        self.too_large = too_large
        self.status = status
        self.body = body
        self.text = text


@dataclass(frozen=True, slots=True)
class Response:
    """A complete, size-checked answer."""

    status: int
    headers: Mapping[str, str]
    content: bytes
    url: str
    elapsed_s: float = 0.0

    @property
    def text(self) -> str:
        return self.content.decode("utf-8", errors="replace")

    def json(self) -> Any:
        """The decoded JSON body; None when it is not JSON (or is nested too deeply to decode safely)."""
        return decode_json(self.content)


def decode_json(content: bytes) -> Any:
    """JSON from bytes, or None for invalid, non-finite-number or pathologically nested documents."""
    try:
        return json.loads(content, parse_constant=_reject_constant)
    except (ValueError, RecursionError, UnicodeDecodeError):
        return None


def _reject_constant(name: str) -> Any:
    raise ValueError(f"non-standard JSON constant {name}")


def retry_after_seconds(value: str | None, now: datetime | None = None) -> float | None:
    """Retry-After as seconds from now: delta-seconds or an HTTP date; None when absent or unreadable."""
    if not value:
        return None
    text = value.strip()
    try:
        seconds = float(text)
    except ValueError:
        try:
            when = parsedate_to_datetime(text)
        except (TypeError, ValueError, IndexError):
            return None
        if when.tzinfo is None:
            when = when.replace(tzinfo=UTC)
        seconds = (when - (now or datetime.now(UTC))).total_seconds()
    if not math.isfinite(seconds):
        return None
    return min(MAX_RETRY_AFTER_S, max(0.0, seconds))


@dataclass
class BoundedHttp:
    """One pooled httpx.Client per provider (built lazily, thread-safe); every request bounded by `limits`.

    `build` returns the httpx.Client keyword arguments (headers, auth, verify, transport...) so secrets
    read from the environment are read when the first call is made, not at config time.
    """

    limits: HttpLimits = field(default_factory=HttpLimits)
    build: Callable[[], dict[str, Any]] = field(default=dict)
    clock: Callable[[], float] = time.monotonic
    _client: httpx.Client | None = field(default=None, init=False, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, init=False, repr=False)

    def client(self) -> httpx.Client:
        import httpx

        with self._lock:
            if self._client is None:
                kwargs = dict(self.build())
                # only encodings _decode() can bound (httpx would add br/zstd when those packages exist)
                kwargs["headers"] = {"Accept-Encoding": "gzip, deflate", **dict(kwargs.get("headers") or {})}
                lim = self.limits
                kwargs.setdefault("timeout", httpx.Timeout(lim.read_s, connect=lim.connect_s))
                kwargs.setdefault("follow_redirects", False)
                self._client = httpx.Client(**kwargs)
            return self._client

    def close(self) -> None:
        with self._lock:
            if self._client is not None:
                self._client.close()
                self._client = None

    def request(
        self,
        method: str,
        url: str,
        *,
        params: Mapping[str, Any] | None = None,
        json_body: Any = None,
        content: bytes | str | None = None,
        headers: Mapping[str, str] | None = None,
        what: str | None = None,
    ) -> Response:
        """Send one request and read the whole body within the limits.

        Raises HttpError: unreachable (connect error/timeout), no complete answer within the deadline,
        body over `max_bytes`, or a status >= 400 (429 and 503 with Retry-After are `throttled`).
        `what` names the server in messages (default: the URL's origin).
        """
        label = what or _origin(url)
        answer = self.fetch(
            method, url, params=params, json_body=json_body, content=content, headers=headers, what=label
        )
        if answer.status >= 400:
            raise status_error(answer, label)
        return answer

    def fetch(
        self,
        method: str,
        url: str,
        *,
        params: Mapping[str, Any] | None = None,
        json_body: Any = None,
        content: bytes | str | None = None,
        headers: Mapping[str, str] | None = None,
        what: str | None = None,
        deadline_s: float | None = None,
        connect_s: float | None = None,
        read_s: float | None = None,
    ) -> Response:
        """Like request() but any status is returned (for callers that map statuses themselves, such as
        an SDK transport); `deadline_s`, `connect_s` and `read_s` shorten this call's limits (never
        lengthen them).

        Raises HttpError only when there is no complete answer: unreachable, too slow, too large.
        """
        import httpx

        lim = self.limits
        label = what or _origin(url)
        budget = lim.deadline_s if deadline_s is None else max(0.0, min(lim.deadline_s, deadline_s))
        connect_limit = min(lim.connect_s, budget, connect_s if connect_s is not None else lim.connect_s)
        read_limit = min(lim.read_s, budget, read_s if read_s is not None else lim.read_s)
        start = self.clock()
        deadline = start + budget
        timeout: Any = httpx.USE_CLIENT_DEFAULT
        if (connect_limit, read_limit) != (lim.connect_s, lim.read_s):
            timeout = httpx.Timeout(max(0.001, read_limit), connect=max(0.001, connect_limit))
        try:
            with self.client().stream(
                method, url, params=params, json=json_body, content=content, headers=headers, timeout=timeout
            ) as resp:
                chunks: list[bytes] = []
                size = 0
                for chunk in resp.iter_raw():
                    size += len(chunk)
                    if size > lim.max_bytes:
                        raise HttpError(
                            f"{label} sent more than {_mib(lim.max_bytes)} (the response size limit);"
                            " narrow the query or raise max_response_mb",
                            too_large=True,
                        )
                    chunks.append(chunk)
                    if self.clock() > deadline:
                        raise HttpError(
                            f"{label} timed out: no complete answer within {budget:.3g}s",
                            timed_out=True,
                        )
                raw = b"".join(chunks)
                body = _decode(resp, raw, lim.max_bytes, label)
                status = resp.status_code
                headers_out = {k.lower(): v for k, v in resp.headers.items()}
                final_url = str(resp.url)
        except HttpError:
            raise
        except httpx.ConnectTimeout as exc:
            raise HttpError(
                f"cannot reach {label}: connection timed out after {connect_limit:.3g}s",
                unreachable=True,
            ) from exc
        except httpx.TimeoutException as exc:
            raise HttpError(f"{label} timed out: no data for {read_limit:.3g}s", timed_out=True) from exc
        except httpx.HTTPError as exc:
            raise HttpError(f"cannot reach {label}: {type(exc).__name__}: {exc}", unreachable=True) from exc
        return Response(status, headers_out, body, final_url, self.clock() - start)


def status_error(resp: Response, label: str) -> HttpError:
    """The HttpError for an error status, keeping the server's own words and its Retry-After."""
    body = resp.json()
    text = resp.text.strip()[:300]
    retry = retry_after_seconds(resp.headers.get("retry-after"))
    throttled = resp.status == 429 or (resp.status == 503 and retry is not None)
    detail = _server_words(body) or text or f"HTTP {resp.status}"
    if throttled:
        wait = f"; retry after {retry:g}s" if retry is not None else ""
        message = f"{label} is throttling requests ({resp.status}){wait}: {detail}"
    elif resp.status in (401, 403):
        message = f"{label} refused the credentials ({resp.status}): {detail}"
    else:
        message = f"{label} answered {resp.status}: {detail}"
    return HttpError(
        message, status=resp.status, body=body, text=text, throttled=throttled, retry_after_s=retry
    )


def _server_words(body: Any) -> str:
    if isinstance(body, dict):
        for key in ("error", "message", "errors"):
            value = body.get(key)
            if isinstance(value, dict):
                value = value.get("message") or value.get("code")
            if isinstance(value, list) and value:
                first = value[0]
                value = first.get("message") if isinstance(first, dict) else first
            if value:
                kind = body.get("errorType")
                return f"{kind}: {value}" if kind else str(value)[:300]
    return ""


def _decode(resp: httpx.Response, raw: bytes, max_bytes: int, label: str) -> bytes:
    """The body after content decoding (gzip, deflate, br), bounded like the raw body (no zip bombs)."""
    encoding = resp.headers.get("content-encoding", "").lower().strip()
    if encoding in ("", "identity"):
        return raw
    import zlib

    if encoding in ("gzip", "x-gzip", "deflate"):
        wbits = 16 + zlib.MAX_WBITS if "gzip" in encoding else zlib.MAX_WBITS
        d = zlib.decompressobj(wbits)
        out = d.decompress(raw, max_bytes + 1)
        if len(out) > max_bytes or d.unconsumed_tail:
            raise HttpError(
                f"{label} sent more than {_mib(max_bytes)} once decompressed (the response size limit)",
                too_large=True,
            )
        return out
    raise HttpError(f"{label} answered with an unsupported content-encoding {encoding!r}")


def _origin(url: str) -> str:
    from urllib.parse import urlsplit

    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}" if parts.netloc else url


def _mib(n: int) -> str:
    return f"{n / (1024 * 1024):g} MiB"
