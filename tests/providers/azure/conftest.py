"""Fixtures: a local HTTPS server (trustme CA) speaking the Azure REST shapes, a fake credential, options."""

from __future__ import annotations

import json
import re
import ssl
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
import trustme
from azure.core.credentials import AccessToken
from tls_fake import threaded_server

from srvmon.clock import FrozenClock
from srvmon.providers.azure import AzureProvider
from srvmon.providers.azure.options import AzureOptions

SUB = "12345678-abcd-1234-abcd-123456789abc"
NOW = datetime(2026, 11, 22, 4, 0, 0, tzinfo=UTC)


@dataclass
class Req:
    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]
    body: Any


Handler = Callable[[Req], tuple[int, dict[str, str], Any]]


@dataclass
class FakeAzure:
    """Routes (method, path regex) to handlers; records every request it serves."""

    url: str = ""
    ca_path: str = ""
    routes: list[tuple[str, re.Pattern[str], Handler]] = field(default_factory=list)
    requests: list[Req] = field(default_factory=list)

    def route(
        self,
        method: str,
        pattern: str,
        handler: Handler | Any,
        status: int = 200,
        headers: dict[str, str] | None = None,
    ) -> None:
        if not callable(handler):
            body = handler
            handler = lambda req, b=body: (status, headers or {}, b)  # noqa: E731
        self.routes.insert(0, (method, re.compile(pattern, re.I), handler))

    def calls(self, pattern: str) -> list[Req]:
        rx = re.compile(pattern, re.I)
        return [r for r in self.requests if rx.search(r.path)]

    def dispatch(self, req: Req) -> tuple[int, dict[str, str], Any]:
        self.requests.append(req)
        for method, rx, handler in self.routes:
            if method == req.method and rx.fullmatch(req.path):
                return handler(req)
        return 404, {}, {"error": {"code": "NotFound", "message": f"no route for {req.method} {req.path}"}}


class _Handler(BaseHTTPRequestHandler):
    fake: FakeAzure

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
        data = b"" if answer is None else json.dumps(answer).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        for k, v in headers.items():
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(data)

    do_GET = _serve
    do_POST = _serve


@pytest.fixture(scope="session")
def tls(tmp_path_factory: pytest.TempPathFactory) -> tuple[trustme.CA, str]:
    ca = trustme.CA()
    path = tmp_path_factory.mktemp("ca") / "ca.pem"
    ca.cert_pem.write_to_path(str(path))
    return ca, str(path)


@pytest.fixture
def azure_server(tls: tuple[trustme.CA, str]) -> Iterator[FakeAzure]:
    ca, ca_path = tls
    with threaded_server(_Handler, lambda url: FakeAzure(url=url, ca_path=ca_path), ca, ca_path,
                         ready_path="/ready", what="fake Azure server") as fake:  # fmt: skip
        yield fake


class FakeCredential:
    """A TokenCredential that hands out a fixed token (no Entra ID involved)."""

    def __init__(self) -> None:
        self.scopes: list[tuple[str, ...]] = []

    def get_token(self, *scopes: str, **kwargs: Any) -> AccessToken:
        self.scopes.append(scopes)
        return AccessToken("fake-token", int(time.time()) + 3600)


@pytest.fixture
def credential() -> FakeCredential:
    return FakeCredential()


@pytest.fixture
def clock() -> FrozenClock:
    return FrozenClock(NOW)


@pytest.fixture
def make_provider(
    azure_server: FakeAzure, credential: FakeCredential, clock: FrozenClock, tmp_path: Path
) -> Iterator[Callable[..., AzureProvider]]:
    made: list[AzureProvider] = []

    def make(**overrides: Any) -> AzureProvider:
        opts = {
            "subscription_id": SUB,
            "resource_groups": ["rg-prod"],
            "arm_endpoint": azure_server.url,
            "logs_endpoint": azure_server.url,
            "metrics_endpoint": azure_server.url,
            "durable_endpoint": azure_server.url + "/{app}",
            "ca_bundle": azure_server.ca_path,
            "retries": 0,
            "cost_cache_dir": str(tmp_path / "cost"),
        }
        opts.update(overrides)
        p = AzureProvider("az", AzureOptions(**opts), clock, credential=credential)
        made.append(p)
        return p

    yield make
    for p in made:
        p.close()


def _load_azdata() -> Any:
    import importlib.util

    spec = importlib.util.spec_from_file_location("srvmon_test_azdata", Path(__file__).with_name("azdata.py"))
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="session")
def azd() -> Any:
    """The canned-answer builders of azdata.py."""
    return _load_azdata()


@pytest.fixture
def arm_sites(azure_server: FakeAzure, azd: Any) -> FakeAzure:
    """Discovery answers: two pages of sites (3 function apps + 1 web app) and three plans."""
    base = f"/subscriptions/{SUB}/resourceGroups/rg-prod/providers/Microsoft.Web"
    page1 = dict(azd.SITES, nextLink=azure_server.url + base + "/sites/page2?api-version=2023-12-01")
    azure_server.route("GET", base + "/sites", page1)
    azure_server.route("GET", base + "/sites/page2", azd.SITES_PAGE2)
    azure_server.route("GET", base + "/serverfarms", azd.FARMS)
    return azure_server


@pytest.fixture
def tls_fault_server(tls: tuple[trustme.CA, str]) -> Iterator[Any]:
    """tests/faults.py's misbehaving server over HTTPS (azure-core sends bearer tokens only over TLS);
    its certificate is for 127.0.0.1 and localhost, signed by the session CA (`.ca_path`)."""
    from faults import FaultServer

    ca, ca_path = tls
    ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert("127.0.0.1", "localhost").configure_cert(ctx)
    server = FaultServer(tls=ctx)
    server.ca_path = ca_path  # type: ignore[attr-defined]
    yield server
    server.close()
