"""A misbehaving HTTP server on 127.0.0.1 for fault tests: stalls, trickles, endless or huge bodies, 429s.

Routes map a path to a Fault; the route "*" (when set) answers every other path, anything else 404. The server runs in daemon threads and is
closed by the fixture (`fault_server` in tests/conftest.py), which also unblocks stalled handlers.
`FaultServer(tls=ctx)` serves HTTPS (clients that refuse bearer tokens over plain HTTP, e.g. azure-core).
"""

from __future__ import annotations

import gzip
import json
import socket
import ssl
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass
class Fault:
    """What one route does. `kind`: json | stall | trickle | endless | huge | gzip_bomb | status | flaky."""

    kind: str = "json"
    body: Any = None
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    #: trickle: seconds between bytes; huge/endless: bytes per chunk; gzip_bomb/huge: total bytes.
    interval_s: float = 2.0
    size: int = 200 * 1024 * 1024
    #: flaky: how many requests fail (with `status`) before `body` is served with 200.
    failures: int = 0
    hits: int = 0


class _Server(ThreadingHTTPServer):
    def handle_error(self, request: Any, client_address: Any) -> None:
        """A client hanging up mid-answer (it refused the body, or timed out) is the point of these
        tests, not an error worth a traceback; anything else still prints one."""
        import sys

        if not isinstance(sys.exc_info()[1], OSError):  # ssl.SSLError, ConnectionResetError, ...
            super().handle_error(request, client_address)


class FaultServer:
    def __init__(self, tls: ssl.SSLContext | None = None) -> None:
        self.routes: dict[str, Fault] = {}
        self.requests: list[tuple[str, str, dict[str, str], bytes]] = []
        self.stop = threading.Event()
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: Any) -> None:
                return

            def _serve(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                payload = self.rfile.read(length) if length else b""
                path = self.path.split("?", 1)[0]
                server.requests.append((self.command, self.path, dict(self.headers), payload))
                fault = server.routes.get(path) or server.routes.get("*")
                if fault is None:
                    self._send(404, b'{"error": "no such route"}')
                    return
                fault.hits += 1
                try:
                    server.act(self, fault)
                except OSError:  # BrokenPipe, ConnectionReset, SSL EOF: the client hung up
                    return

            do_GET = do_POST = _serve

            def _send(self, status: int, body: bytes, headers: dict[str, str] | None = None) -> None:
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                for k, v in (headers or {}).items():
                    self.send_header(k, v)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        self.handler = Handler
        self.httpd = _Server(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.scheme = "http"
        if tls is not None:  # the handshake runs in the handler thread, so a stalled client blocks nobody
            self.httpd.socket = tls.wrap_socket(
                self.httpd.socket, server_side=True, do_handshake_on_connect=False
            )
            self.scheme = "https"
        self.thread = threading.Thread(target=self.httpd.serve_forever, args=(0.05,), daemon=True)
        self.thread.start()

    @property
    def url(self) -> str:
        return f"{self.scheme}://127.0.0.1:{self.httpd.server_address[1]}"

    def act(self, h: Any, f: Fault) -> None:
        body = f.body if isinstance(f.body, bytes) else json.dumps(f.body).encode()
        if f.kind in ("json", "status"):
            h._send(f.status, body, f.headers)
        elif f.kind == "flaky":
            if f.hits <= f.failures:
                h._send(f.status, b'{"error": "temporarily unavailable"}', f.headers)
            else:
                h._send(200, body)
        elif f.kind == "stall":
            self.stop.wait(600)  # accepts, never answers
        elif f.kind == "trickle":
            h.send_response(200)
            h.send_header("Content-Type", "application/json")
            h.send_header("Content-Length", str(10**6))
            h.end_headers()
            while not self.stop.is_set():
                h.wfile.write(b" ")
                h.wfile.flush()
                self.stop.wait(f.interval_s)
        elif f.kind in ("endless", "huge"):
            h.send_response(200)
            h.send_header("Content-Type", "application/json")
            h.send_header("Transfer-Encoding", "chunked")
            h.end_headers()
            chunk = b"[" + b"1," * 32767 + b"1]"
            sent = 0
            while not self.stop.is_set() and (f.kind == "endless" or sent < f.size):
                h.wfile.write(f"{len(chunk):x}\r\n".encode() + chunk + b"\r\n")
                sent += len(chunk)
            h.wfile.write(b"0\r\n\r\n")
        elif f.kind == "gzip_bomb":
            data = gzip.compress(b" " * f.size, compresslevel=9)
            h._send(200, data, {"Content-Encoding": "gzip"})
        else:
            raise ValueError(f.kind)

    def close(self) -> None:
        self.stop.set()
        self.httpd.shutdown()
        self.httpd.server_close()


def closed_port() -> int:
    """A local port nothing listens on (connections are refused at once)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def timed(fn: Callable[[], Any]) -> tuple[float, Any]:
    """(seconds taken, result or the exception raised)."""
    start = time.monotonic()
    try:
        out: Any = fn()
    except Exception as exc:
        out = exc
    return time.monotonic() - start, out
