"""Every botocore request sent by httpx under a hard deadline and a body cap, through botocore's public
`before-send` event, plus a per-host breaker so a dead endpoint costs one timeout, not one per call.

Why not botocore's own transport: its read timeout is per socket read, so a server trickling a byte
every few seconds holds a call forever, and it reads whole bodies into memory with no cap (an endless
body reached GBs). Here a request ends within `deadline_s` (+ at most one read interval), a body larger
than `max_bytes` is refused while it streams (or at once from its Content-Length), and a compressed body
is decompressed with the same cap. Signing, retries (botocore adaptive mode, for throttling and 5xx
answers) and parsing stay botocore's. Timeouts and unreachable endpoints are raised as EndpointError,
which botocore does not retry: a stalled server is not asked again and again within one call.

Proxies and CAs: httpx reads HTTP(S)_PROXY / NO_PROXY / SSL_CERT_FILE like botocore; the CA bundle is
AWS_CA_BUNDLE or the profile's `ca_bundle`, passed in as `verify`.
"""

from __future__ import annotations

import io
import threading
import time
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal
from urllib.parse import urlsplit

if TYPE_CHECKING:
    import httpx

EndpointFailure = Literal["unreachable", "timeout", "too_large", "invalid"]


class EndpointError(Exception):
    """An AWS endpoint that could not be reached, was too slow, or sent too much. Not retried."""

    def __init__(self, message: str, kind: EndpointFailure, origin: str) -> None:
        super().__init__(message)
        self.kind = kind
        self.origin = origin


@dataclass(frozen=True, slots=True)
class TransportLimits:
    """How long one AWS request may take and how much it may return."""

    connect_s: float = 5.0
    """Connecting (TCP + TLS)."""
    deadline_s: float = 10.0
    """The whole request, body included; also the longest silence while reading."""
    max_bytes: int = 64 * 1024 * 1024
    """The largest response body accepted (after decompression)."""
    cooldown_s: float = 20.0
    """How long an endpoint that timed out or refused is failed fast before it is tried again."""


class _Body(io.BytesIO):
    """A read body in the shape botocore reads (`stream()`; `read()` for streaming operations)."""

    def stream(self, **_: Any) -> Iterator[bytes]:
        yield self.getvalue()


def origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


class BoundedTransport:
    """The `before-send` handler of every client of one provider; thread-safe, one pooled httpx.Client."""

    def __init__(
        self,
        limits: TransportLimits,
        *,
        verify: Any = True,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self.limits = limits
        self.verify = verify
        self.monotonic = monotonic
        self._lock = threading.Lock()
        self._client: httpx.Client | None = None
        self._down: dict[str, tuple[float, str, EndpointFailure]] = {}

    def client(self) -> httpx.Client:
        import httpx

        with self._lock:
            if self._client is None:
                lim = self.limits
                self._client = httpx.Client(
                    timeout=httpx.Timeout(lim.deadline_s, connect=lim.connect_s, pool=lim.connect_s),
                    follow_redirects=False,
                    verify=self.verify,
                )
            return self._client

    def close(self) -> None:
        with self._lock:
            if self._client is not None:
                self._client.close()
                self._client = None

    # -- the breaker ---------------------------------------------------------------------------------
    def _check_breaker(self, where: str) -> None:
        with self._lock:
            entry = self._down.get(where)
        if entry is None:
            return
        at, message, kind = entry
        age = self.monotonic() - at
        if age < self.limits.cooldown_s:
            raise EndpointError(
                f"{message} ({age:.0f}s ago; not retried for {self.limits.cooldown_s:g}s)", kind, where
            )

    def _record(self, where: str, failure: EndpointError | None) -> None:
        with self._lock:
            if failure is None:
                self._down.pop(where, None)
            elif failure.kind in ("unreachable", "timeout"):
                self._down[where] = (self.monotonic(), str(failure), failure.kind)

    # -- the hook ------------------------------------------------------------------------------------
    def before_send(self, request: Any, **_: Any) -> Any:
        """botocore `before-send` handler: send `request` (an AWSPreparedRequest) and return the
        AWSResponse; raise EndpointError when the endpoint cannot answer within the limits."""
        from botocore.awsrequest import AWSResponse

        where = origin(request.url)
        self._check_breaker(where)
        try:
            status, headers, body = self._send(request, where)
        except EndpointError as exc:
            self._record(where, exc)
            raise
        self._record(where, None)
        return AWSResponse(request.url, status, headers, _Body(body))

    def _send(self, request: Any, where: str) -> tuple[int, dict[str, str], bytes]:
        import httpx

        lim = self.limits
        body = request.body
        if hasattr(body, "read"):
            body = body.read()
        headers = {str(k): _text(v) for k, v in request.headers.items()}
        # a compressed body is decoded here under the cap; ask for none (AWS honours identity)
        headers["Accept-Encoding"] = "identity"
        for attempt in (1, 2):
            deadline = self.monotonic() + lim.deadline_s
            received = False
            try:
                with self.client().stream(request.method, request.url, content=body, headers=headers) as resp:
                    received = True
                    declared = resp.headers.get("content-length", "")
                    if declared.isdigit() and int(declared) > lim.max_bytes:
                        raise self._too_large(where)
                    chunks: list[bytes] = []
                    size = 0
                    for chunk in resp.iter_raw():
                        size += len(chunk)
                        if size > lim.max_bytes:
                            raise self._too_large(where)
                        chunks.append(chunk)
                        if self.monotonic() > deadline:
                            raise EndpointError(
                                f"{where} timed out: no complete answer within {lim.deadline_s:g}s",
                                "timeout",
                                where,
                            )
                    raw = _decoded(resp.headers.get("content-encoding", ""), b"".join(chunks), lim, where)
                    return resp.status_code, {k: v for k, v in resp.headers.items()}, raw
            except EndpointError:
                raise
            except httpx.ConnectTimeout as exc:
                raise EndpointError(
                    f"cannot reach {where}: connection timed out after {lim.connect_s:g}s",
                    "unreachable",
                    where,
                ) from exc
            except httpx.TimeoutException as exc:
                raise EndpointError(
                    f"{where} timed out: no data for {lim.deadline_s:g}s", "timeout", where
                ) from exc
            except (httpx.RemoteProtocolError, httpx.ReadError, httpx.WriteError) as exc:
                # a pooled keep-alive connection the server had closed: one fresh try
                if attempt == 1 and not received:
                    continue
                raise EndpointError(
                    f"cannot reach {where}: connection dropped ({exc})", "unreachable", where
                ) from exc
            except httpx.HTTPError as exc:
                raise EndpointError(f"cannot reach {where}: {_reason(exc)}", "unreachable", where) from exc
        raise AssertionError("unreachable")  # pragma: no cover

    def _too_large(self, where: str) -> EndpointError:
        mib = self.limits.max_bytes / (1024 * 1024)
        return EndpointError(
            f"{where} sent more than {mib:g} MiB (the response size limit); narrow the query or raise"
            " max_response_mb",
            "too_large",
            where,
        )


def _text(value: Any) -> str:
    return value.decode("latin-1") if isinstance(value, bytes) else str(value)


def _reason(exc: Exception) -> str:
    """The innermost cause of a connection failure: 'Connection refused', 'CERTIFICATE_VERIFY_FAILED'."""
    text = str(exc) or type(exc).__name__
    return " ".join(text.split())[:300]


def _decoded(encoding: str, raw: bytes, lim: TransportLimits, where: str) -> bytes:
    """Content-Encoding undone with the same size cap (a small gzip body may expand without bound)."""
    enc = encoding.lower().strip()
    if enc in ("", "identity"):
        return raw
    if enc not in ("gzip", "x-gzip", "deflate"):
        raise EndpointError(
            f"{where} answered with an unsupported content-encoding {enc!r}", "invalid", where
        )
    d = zlib.decompressobj(16 + zlib.MAX_WBITS if "gzip" in enc else zlib.MAX_WBITS)
    try:
        out = d.decompress(raw, lim.max_bytes + 1)
    except zlib.error as exc:
        raise EndpointError(f"{where} sent a corrupt {enc} body: {exc}", "invalid", where) from exc
    if len(out) > lim.max_bytes or d.unconsumed_tail:
        mib = lim.max_bytes / (1024 * 1024)
        raise EndpointError(f"{where} sent more than {mib:g} MiB once decompressed", "too_large", where)
    return out
