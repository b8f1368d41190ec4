"""An azure-core transport and retry policy on srvmon's bounded httpx client (providers.httpio).

Every Azure SDK call (ARM, LogsQueryClient, MetricsClient) goes through `BoundedTransport`, so whatever a
server does - never answer, trickle, send an endless body - one call ends within the `timeout` option
with a clear error and never holds more than `max_response_mb` of body. `BoundedRetry` retries
transient failures (`retries`) only inside that same budget, never sleeps on Retry-After (429, or 503
with Retry-After, are handed back at once so the poller schedules the next attempt), and keeps the
transport's own error message when it gives up.

Only public azure-core types are used: `HttpTransport`, `azure.core.rest.HttpResponse`, `RetryPolicy`.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator, MutableMapping
from email.message import Message
from http import HTTPStatus
from typing import Any

from azure.core.exceptions import HttpResponseError, ServiceRequestError, ServiceResponseTimeoutError
from azure.core.pipeline import PipelineRequest, PipelineResponse
from azure.core.pipeline.policies import RetryPolicy
from azure.core.pipeline.transport import HttpTransport
from azure.core.rest import HttpRequest, HttpResponse
from azure.core.utils import CaseInsensitiveDict

from srvmon.providers.httpio import BoundedHttp, HttpError, HttpLimits
from srvmon.providers.httpio import Response as Answer

from .arm import is_throttle

#: The pipeline option carrying one call's absolute deadline (time.monotonic()) from BoundedRetry to
#: BoundedTransport; azure-core hands every remaining context option to the transport as a keyword.
DEADLINE = "srvmon_deadline"
#: The longest backoff between two attempts (azure-core's default grows to 120 s).
MAX_BACKOFF_S = 2.0


class BoundedResponse(HttpResponse):
    """A complete, size-checked answer as an azure.core.rest.HttpResponse (the body is already read)."""

    def __init__(self, request: Any, answer: Answer) -> None:
        self._request = request
        self._answer = answer
        self._headers: MutableMapping[str, str] = CaseInsensitiveDict(answer.headers)
        self._encoding: str | None = None
        self._closed = False

    @property
    def request(self) -> HttpRequest:
        return self._request  # type: ignore[no-any-return]

    @property
    def status_code(self) -> int:
        return self._answer.status

    @property
    def headers(self) -> MutableMapping[str, str]:
        return self._headers

    @property
    def reason(self) -> str:
        try:
            return HTTPStatus(self._answer.status).phrase
        except ValueError:
            return ""

    @property
    def content_type(self) -> str | None:
        return self._headers.get("content-type")

    @property
    def is_closed(self) -> bool:
        return self._closed

    @property
    def is_stream_consumed(self) -> bool:
        return True

    @property
    def encoding(self) -> str | None:
        if self._encoding is None and self.content_type:
            msg = Message()
            msg["content-type"] = self.content_type
            charset = msg.get_param("charset")
            self._encoding = str(charset) if isinstance(charset, str) else None
        return self._encoding

    @encoding.setter
    def encoding(self, value: str | None) -> None:
        self._encoding = value

    @property
    def url(self) -> str:
        return self._answer.url

    @property
    def content(self) -> bytes:
        return self._answer.content

    def text(self, encoding: str | None = None) -> str:
        enc = encoding or self.encoding or "utf-8"
        if enc.lower().replace("_", "-") in ("utf-8", "utf8"):
            enc = "utf-8-sig"  # as azure-core does: a UTF-8 BOM is not part of the text
        return self._answer.content.decode(enc, errors="replace")

    def json(self) -> Any:
        """The decoded body; ValueError for an empty, invalid, non-finite or absurdly nested document."""
        try:
            return json.loads(self.text(), parse_constant=_reject_constant)
        except RecursionError as exc:
            raise ValueError("the JSON answer is nested too deeply") from exc

    def raise_for_status(self) -> None:
        if self.status_code >= 400:
            raise HttpResponseError(response=self)

    def read(self) -> bytes:
        return self._answer.content

    def iter_raw(self, **kwargs: Any) -> Iterator[bytes]:
        yield self._answer.content

    def iter_bytes(self, **kwargs: Any) -> Iterator[bytes]:
        yield self._answer.content

    def close(self) -> None:
        self._closed = True

    def __enter__(self) -> BoundedResponse:
        return self

    def __exit__(self, *args: Any) -> None:
        self.close()


def _reject_constant(name: str) -> Any:
    raise ValueError(f"non-standard JSON constant {name}")


class BoundedTransport(HttpTransport):  # type: ignore[type-arg]
    """Sends azure-core requests through one BoundedHttp (pooled httpx.Client, thread-safe).

    Failures become the azure-core errors the retry policy understands (ServiceRequestError when the
    server cannot be reached, ServiceResponseTimeoutError when it is too slow); a body over the size
    limit raises srvmon's HttpError (a ProviderError), which no retry policy retries.
    """

    def __init__(self, limits: HttpLimits, verify: Any = True) -> None:
        self.limits = limits
        self.http = BoundedHttp(limits, lambda: {"verify": verify})

    def open(self) -> None:
        return None

    def close(self) -> None:
        self.http.close()

    def __enter__(self) -> BoundedTransport:
        return self

    def __exit__(self, *args: Any) -> None:
        self.close()

    def send(self, request: Any, **kwargs: Any) -> BoundedResponse:
        """Send one request within the call's deadline; azure-core's per-call `connection_timeout` and
        `read_timeout` keywords shorten the connect and read limits further."""
        deadline = kwargs.pop(DEADLINE, None)
        connect_s, read_s = (
            _seconds(kwargs.pop("connection_timeout", None)),
            _seconds(kwargs.pop("read_timeout", None)),
        )
        remaining = self.limits.deadline_s if deadline is None else deadline - time.monotonic()
        label = _origin(str(request.url))
        if remaining <= 0:
            raise ServiceResponseTimeoutError(
                f"{label} timed out: no complete answer within {self.limits.deadline_s:.3g}s"
            )
        content = getattr(request, "content", None)
        if content is None:
            content = getattr(request, "data", None)  # a legacy azure.core.pipeline.transport.HttpRequest
        if content is not None and not isinstance(content, bytes | str):
            raise ValueError(f"BoundedTransport sends bytes or text bodies, not {type(content).__name__}")
        try:
            answer = self.http.fetch(
                request.method,
                str(request.url),
                content=content,
                headers=dict(request.headers),
                what=label,
                deadline_s=remaining,
                connect_s=connect_s,
                read_s=read_s,
            )
        except HttpError as exc:
            if exc.unreachable:
                raise ServiceRequestError(str(exc), error=exc) from exc
            if exc.timed_out:
                raise ServiceResponseTimeoutError(str(exc), error=exc) from exc
            raise  # too large or undecodable: a ProviderError, never retried
        return BoundedResponse(request, answer)


def _seconds(value: Any) -> float | None:
    """A timeout keyword as seconds; None for anything else (azure-core's old tuple form included)."""
    return (
        float(value) if isinstance(value, int | float) and not isinstance(value, bool) and value > 0 else None
    )


def _origin(url: str) -> str:
    from urllib.parse import urlsplit

    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}" if parts.netloc else url


class BoundedRetry(RetryPolicy):  # type: ignore[type-arg]
    """Retries of transient failures within one call's time budget; throttling is handed straight back."""

    def __init__(self, retries: int, budget_s: float) -> None:
        super().__init__(
            retry_total=retries,
            retry_backoff_factor=0.2,
            retry_backoff_max=MAX_BACKOFF_S,
            timeout=budget_s + MAX_BACKOFF_S,
        )
        self.budget_s = budget_s

    def send(self, request: PipelineRequest[Any]) -> PipelineResponse[Any, Any]:
        request.context.options.setdefault(DEADLINE, time.monotonic() + self.budget_s)
        return super().send(request)

    def is_retry(self, settings: dict[str, Any], response: PipelineResponse[Any, Any]) -> bool:
        http = response.http_response
        if is_throttle(http.status_code, http.headers):
            return False
        return bool(super().is_retry(settings, response))

    def increment(
        self, settings: dict[str, Any], response: Any = None, error: Exception | None = None
    ) -> bool:
        again = bool(super().increment(settings, response=response, error=error))
        deadline = response.context.options.get(DEADLINE) if response is not None else None
        if again and deadline is not None:
            # an attempt needs the backoff plus a little time to answer; otherwise report this failure
            again = deadline - time.monotonic() > self.get_backoff_time(settings) + 0.1
        return again

    def sleep(self, settings: dict[str, Any], transport: Any, response: Any = None) -> None:
        """A short exponential backoff only: a Retry-After is never slept on inside a call."""
        backoff = min(self.get_backoff_time(settings), MAX_BACKOFF_S)
        if backoff > 0:
            transport.sleep(backoff)
