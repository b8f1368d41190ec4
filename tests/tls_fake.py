"""A local HTTPS server (127.0.0.1, trustme CA) for signed-REST provider tests.

Unlike the JSON-only fakes, it hands handlers the request exactly as received - method, raw path and
query string, lowercased headers, raw body - so a test can recompute the vendor's signature server-side
and refuse what a real endpoint would refuse. `stall` routes hold the connection open until teardown.
"""

from __future__ import annotations

import json
import re
import socket
import ssl
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, TypeVar
from urllib.parse import parse_qsl, urlsplit

import trustme


@dataclass
class Req:
    method: str
    path: str
    raw_query: str
    params: dict[str, str]
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body) if self.body else None


#: A handler answers (status, headers, body): body is bytes, or any JSON-able value.
Answer = tuple[int, dict[str, str], Any]
Handler = Callable[[Req], Answer]
STALL = object()


@dataclass
class FakeServer:
    url: str = ""
    ca_path: str = ""
    routes: list[tuple[str, re.Pattern[str], Handler]] = field(default_factory=list)
    requests: list[Req] = field(default_factory=list)
    #: run before routing; an Answer refuses the request (signature checks), None lets it through
    gate: Callable[[Req], Answer | None] | None = None
    stop: threading.Event = field(default_factory=threading.Event)

    def route(self, method: str, pattern: str, handler: Handler) -> None:
        self.routes.insert(0, (method, re.compile(pattern), handler))

    def dispatch(self, req: Req) -> Answer | object:
        self.requests.append(req)
        if self.gate is not None:
            refused = self.gate(req)
            if refused is not None:
                return refused
        for method, rx, handler in self.routes:
            if method == req.method and rx.fullmatch(req.path):
                return handler(req)
        return 404, {}, {"Code": "NotFound", "Message": f"no route for {req.method} {req.path}"}


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args: Any) -> None:
        return

    def setup(self) -> None:
        super().setup()
        # headers and body go out in two writes: without NODELAY the client's delayed ACK adds ~40 ms
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def _serve(self) -> None:
        fake: FakeServer = self.server.fake  # type: ignore[attr-defined]
        parts = urlsplit(self.path)
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        req = Req(
            self.command,
            parts.path,
            parts.query,
            dict(parse_qsl(parts.query, keep_blank_values=True)),
            {k.lower(): v for k, v in self.headers.items()},
            body,
        )
        answer = fake.dispatch(req)
        if answer is STALL:
            fake.stop.wait(30)
            return
        status, headers, payload = answer  # type: ignore[misc]
        data = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
        try:
            self.send_response(status)
            self.send_header("Content-Type", headers.pop("Content-Type", "application/json;charset=utf-8"))
            self.send_header("Content-Length", str(len(data)))
            for k, v in headers.items():
                self.send_header(k, v)
            self.end_headers()
            self.wfile.write(data)
        except (BrokenPipeError, ConnectionResetError):
            return

    do_GET = do_POST = _serve


def make_ca(directory: str) -> tuple[trustme.CA, str]:
    ca = trustme.CA()
    path = f"{directory}/ca.pem"
    ca.cert_pem.write_to_path(path)
    return ca, path


F = TypeVar("F")


@contextmanager
def threaded_server(handler: type[BaseHTTPRequestHandler], make_fake: Callable[[str], F], ca: trustme.CA | None,
                    ca_path: str, *, ready_path: str = "/__ready", what: str = "the fake server") -> Iterator[F]:  # fmt: skip
    """Serve `handler` on 127.0.0.1 from a thread - HTTPS with a cert for 127.0.0.1 from `ca`, or plain HTTP
    when `ca` is None - with `make_fake(url)` as `server.fake` for the handler. Yields the fake once the
    server answers (any status) at `ready_path`; fails loudly if it does not within 5 s."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    server.daemon_threads = True
    if ca is not None:
        ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        ca.issue_cert("127.0.0.1", "localhost").configure_cert(ctx)
        server.socket = ctx.wrap_socket(server.socket, server_side=True)
    url = f"{'https' if ca is not None else 'http'}://127.0.0.1:{server.server_address[1]}"
    fake = make_fake(url)
    server.fake = fake  # type: ignore[attr-defined]
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        wait_ready(url + ready_path, ca_path, what)
        yield fake
    finally:
        server.shutdown()
        server.server_close()


def wait_ready(url: str, ca_path: str, what: str = "the fake server") -> None:
    """Until `url` answers with any HTTP status (5 s at most, then a RuntimeError naming `what`)."""
    import httpx

    deadline = time.monotonic() + 5
    ctx = ssl.create_default_context(cafile=ca_path)
    while True:
        try:
            httpx.get(url, verify=ctx, timeout=1)
            return
        except httpx.HTTPError as exc:
            if time.monotonic() > deadline:
                raise RuntimeError(f"{what} did not start: {exc}") from exc
            time.sleep(0.02)


@contextmanager
def serve(ca: trustme.CA, ca_path: str, *, tls: bool = True) -> Iterator[FakeServer]:
    """A running FakeServer (HTTPS with a cert for 127.0.0.1, or plain HTTP); fails loudly if it cannot start."""
    with threaded_server(_Handler, lambda url: FakeServer(url=url, ca_path=ca_path), ca if tls else None,
                         ca_path) as fake:  # fmt: skip
        fake.requests.clear()
        try:
            yield fake
        finally:
            fake.stop.set()  # stalled handlers return before the server shuts down


class FakeTime:
    """A monotonic clock that only moves when slept on: provider waits are recorded, never slept."""

    def __init__(self) -> None:
        self.t = 1000.0
        self.sleeps: list[float] = []

    def monotonic(self) -> float:
        return self.t

    def sleep(self, s: float) -> None:
        self.sleeps.append(round(s, 6))
        self.t += s
