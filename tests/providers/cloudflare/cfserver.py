"""A local HTTPS server (trustme CA) speaking the Cloudflare API v4 shapes, for the Cloudflare provider tests.

Routes under /client/v4: POST /graphql (executed by cfdata.Fake against a Cloudflare-shaped schema),
GET /accounts/{id}/workers/scripts, GET /user/tokens/verify and /accounts/{id}/tokens/verify,
POST /accounts/{id}/workers/observability/telemetry/query and /keys. Every request must carry
`Authorization: Bearer <TOKEN>`; the server records each one for the tests to inspect.
"""

from __future__ import annotations

import json
import re
import sys
from collections.abc import Callable
from contextlib import ExitStack
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import trustme
from tls_fake import threaded_server

sys.path.insert(0, str(Path(__file__).parent))  # --import-mode=importlib: make cfdata importable

import cfdata  # noqa: E402
from cfdata import ACCOUNT, TOKEN  # noqa: E402

AUTH_ERROR = {"success": False, "errors": [{"code": 10000, "message": "Authentication error"}], "messages": [],
              "result": None}  # fmt: skip


@dataclass
class Req:
    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]
    body: Any


Answer = tuple[int, dict[str, str], Any]


@dataclass
class FakeCloudflare:
    """The fake API's state: the GraphQL fake, permissions, scripted answers, and what was asked."""

    url: str = ""
    ca_path: str = ""
    gql: cfdata.Fake = field(default_factory=cfdata.Fake)
    scripts: list[str] = field(default_factory=lambda: list(cfdata.SCRIPTS))
    scripts_page_size: int | None = None  # set: the list is paged with result_info
    scripts_allowed: bool = True
    observability_allowed: bool = True
    account_owned_token: bool = False
    events: list[dict[str, Any]] = field(default_factory=lambda: list(cfdata.LOG_EVENTS))
    #: path -> answers served (first one popped) before the normal handler, e.g. a 429
    queued: dict[str, list[Answer]] = field(default_factory=dict)
    #: path -> a handler replacing the normal one (stall, trickle...)
    handlers: dict[str, Callable[[Req], Answer]] = field(default_factory=dict)
    requests: list[Req] = field(default_factory=list)

    @property
    def endpoint(self) -> str:
        return self.url + "/client/v4"

    def calls(self, pattern: str) -> list[Req]:
        rx = re.compile(pattern)
        return [r for r in self.requests if rx.search(r.path)]

    def graphql_bodies(self) -> list[dict[str, Any]]:
        return [r.body for r in self.calls(r"/graphql$")]

    def dispatch(self, req: Req) -> Answer:
        self.requests.append(req)
        if req.headers.get("authorization") != f"Bearer {TOKEN}":
            return 401, {}, {"success": False, "errors": [{"code": 1000, "message": "Invalid API Token"}]}
        path = req.path.removeprefix("/client/v4")
        if self.queued.get(path):
            return self.queued[path].pop(0)
        if path in self.handlers:
            return self.handlers[path](req)
        acc = f"/accounts/{ACCOUNT}"
        if path == "/graphql" and req.method == "POST":
            return 200, {}, self.gql.execute(req.body)
        if path == "/user/tokens/verify":
            if self.account_owned_token:
                return 401, {}, {"success": False, "errors": [{"code": 1000, "message": "Invalid API Token"}]}
            return 200, {}, _verified()
        if path == f"{acc}/tokens/verify":
            return 200, {}, _verified()
        if path == f"{acc}/workers/scripts" and req.method == "GET":
            return self._scripts(req)
        if path.startswith(f"{acc}/workers/observability/telemetry/") and req.method == "POST":
            if not self.observability_allowed:
                return 403, {}, AUTH_ERROR
            if path.endswith("/keys"):
                keys = [{"key": "$workers.scriptName", "type": "string", "lastSeenAt": 1}]
                return 200, {}, {"success": True, "errors": [], "messages": [], "result": keys}
            return 200, {}, cfdata.telemetry_answer(req.body, self.events)
        if path.startswith("/accounts/"):
            return 404, {}, {"success": False, "errors": [{"code": 7003, "message": "Could not route to "
                             f"{path}, perhaps your object identifier is invalid?"}]}  # fmt: skip
        return 404, {}, {"success": False, "errors": [{"code": 7000, "message": "No route for that URI"}]}

    def _scripts(self, req: Req) -> Answer:
        if not self.scripts_allowed:
            return 403, {}, AUTH_ERROR
        items = [
            {
                "id": name,
                "etag": f"etag-{name}",
                "created_on": "2026-01-05T10:00:00.000000Z",
                "modified_on": "2026-11-20T09:30:00.000000Z",
                "usage_model": "standard",
                "handlers": ["fetch"],
                "compatibility_date": "2026-06-01",
            }  # fmt: skip
            for name in self.scripts
        ]
        body: dict[str, Any] = {"success": True, "errors": [], "messages": []}
        if self.scripts_page_size is None:
            body["result"] = items
            return 200, {}, body
        page = int(req.query.get("page", ["1"])[0])
        per = int(req.query.get("per_page", [str(self.scripts_page_size)])[0])
        total_pages = -(-len(items) // per)
        body["result"] = items[(page - 1) * per : page * per]
        body["result_info"] = {"page": page, "per_page": per, "count": len(body["result"]),
                               "total_count": len(items), "total_pages": total_pages}  # fmt: skip
        return 200, {}, body


def _verified() -> dict[str, Any]:
    return {
        "success": True,
        "errors": [],
        "messages": [{"code": 10000, "message": "This API Token is valid and active", "type": None}],
        "result": {"id": "ed17574386854bf78a67040be0a770b0", "status": "active"},
    }


class _Handler(BaseHTTPRequestHandler):
    def log_message(self, *args: Any) -> None:
        pass

    def _serve(self) -> None:
        parts = urlsplit(self.path)
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        try:
            body = json.loads(raw) if raw else None
        except ValueError:
            body = raw.decode(errors="replace")
        req = Req(
            self.command,
            parts.path,
            parse_qs(parts.query),
            {k.lower(): v for k, v in self.headers.items()},
            body,
        )
        status, headers, answer = self.server.fake.dispatch(req)  # type: ignore[attr-defined]
        data = answer if isinstance(answer, bytes) else json.dumps(answer).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        for k, v in headers.items():
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(data)

    do_GET = _serve
    do_POST = _serve


def start_server(tls: tuple[trustme.CA, str]) -> tuple[FakeCloudflare, Callable[[], None]]:
    ca, ca_path = tls
    stack = ExitStack()
    fake = stack.enter_context(threaded_server(_Handler, lambda url: FakeCloudflare(url=url, ca_path=ca_path), ca,
                                               ca_path, ready_path="/ready", what="fake Cloudflare server"))  # fmt: skip
    return fake, stack.close
