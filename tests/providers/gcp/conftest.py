"""Fixtures: a local HTTPS server (trustme CA) speaking Google's REST shapes and OAuth token endpoint, a fake
service-account key file for google-auth's ADC chain, and the suite's real Prometheus backfilled with Cloud
Run / Cloud Functions / quota series under their Cloud Monitoring PromQL names.

The PromQL path: the HTTPS server checks the bearer token, then forwards the Prometheus API call under
/v1/projects/P/location/global/prometheus to the real Prometheus (a stand-in for Cloud Monitoring's
front door, which no emulator provides); the answer is the real Prometheus's.
"""

from __future__ import annotations

import importlib.util
import json
import re
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
import trustme
from tls_fake import threaded_server

from srvmon.clock import FrozenClock
from srvmon.providers.gcp import GcpProvider

sys.path.insert(0, str(Path(__file__).parent))  # --import-mode=importlib: make gcpdata importable

import gcpdata  # noqa: E402
from gcpdata import OTHER, PROJECT, SA_EMAIL, TOKEN  # noqa: E402,F401


def _load(name: str, path: Path) -> Any:
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module  # dataclasses look their module up
    spec.loader.exec_module(module)
    return module


#: The Prometheus suite's launcher and history writer (tests/providers/prometheus/conftest.py).
promsuite = _load("srvmon_test_promsuite", Path(__file__).parents[1] / "prometheus" / "conftest.py")


@dataclass
class Req:
    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]
    body: Any


Handler = Callable[[Req], tuple[int, dict[str, str], Any]]


@dataclass
class FakeGoogle:
    """Routes (method, path regex) to handlers; every API route wants the issued bearer token."""

    url: str = ""
    ca_path: str = ""
    routes: list[tuple[str, re.Pattern[str], Handler]] = field(default_factory=list)
    requests: list[Req] = field(default_factory=list)
    public_pem: bytes = b""
    tokens_issued: int = 0
    denied: dict[str, tuple[str, str]] = field(default_factory=dict)

    def route(self, method: str, pattern: str, handler: Handler | Any, status: int = 200) -> None:
        if not callable(handler):
            body = handler
            handler = lambda req, b=body: (status, {}, b)  # noqa: E731
        self.routes.insert(0, (method, re.compile(pattern), handler))

    def deny(self, pattern: str, permission: str, reason: str = "IAM_PERMISSION_DENIED") -> None:
        """Answer 403 (Google's error shape) on paths matching `pattern`."""
        self.denied[pattern] = (permission, reason)

    def calls(self, pattern: str) -> list[Req]:
        rx = re.compile(pattern)
        return [r for r in self.requests if rx.search(r.path)]

    def dispatch(self, req: Req) -> tuple[int, dict[str, str], Any]:
        self.requests.append(req)
        if req.path == "/token":
            return self._token(req)
        if req.headers.get("authorization") != f"Bearer {TOKEN}":
            return (
                401,
                {},
                gcpdata.error(401, "Request had invalid authentication credentials.", "UNAUTHENTICATED"),
            )
        for pattern, (permission, reason) in self.denied.items():
            if re.search(pattern, req.path):
                if reason == "SERVICE_DISABLED":
                    msg = "API has not been used in project before or it is disabled."
                else:
                    msg = f"Permission '{permission}' denied on resource (or it may not exist)."
                return 403, {}, gcpdata.error(403, msg, "PERMISSION_DENIED", reason)
        for method, rx, handler in self.routes:
            if method == req.method and rx.fullmatch(req.path):
                return handler(req)
        return 404, {}, gcpdata.error(404, f"no route for {req.method} {req.path}", "NOT_FOUND")

    def _token(self, req: Req) -> tuple[int, dict[str, str], Any]:
        """Google's OAuth 2.0 token endpoint for the JWT-bearer grant: the assertion's signature is checked."""
        from google.auth import jwt

        form = req.body if isinstance(req.body, dict) else {}
        if form.get("grant_type") != "urn:ietf:params:oauth:grant-type:jwt-bearer":
            return 400, {}, {"error": "unsupported_grant_type"}
        try:
            claims = jwt.decode(
                form.get("assertion", ""),
                certs=self.public_pem,
                audience="https://oauth2.googleapis.com/token",
            )
        except ValueError as exc:
            return 400, {}, {"error": "invalid_grant", "error_description": f"Invalid JWT Signature. {exc}"}
        if claims.get("iss") != SA_EMAIL:
            return 400, {}, {"error": "invalid_grant", "error_description": "Invalid issuer"}
        self.tokens_issued += 1
        return 200, {}, {"access_token": TOKEN, "expires_in": 3599, "token_type": "Bearer"}


class _Handler(BaseHTTPRequestHandler):
    def log_message(self, *args: Any) -> None:
        pass

    def _serve(self) -> None:
        parts = urlsplit(self.path)
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        body: Any = None
        if raw and "x-www-form-urlencoded" in (self.headers.get("Content-Type") or ""):
            body = {k: v[0] for k, v in parse_qs(raw.decode()).items()}
        elif raw:
            try:
                body = json.loads(raw)
            except ValueError:
                body = raw.decode(errors="replace")
        req = Req(self.command, parts.path, parse_qs(parts.query),
                  {k.lower(): v for k, v in self.headers.items()}, body)  # fmt: skip
        status, headers, answer = self.server.fake.dispatch(req)  # type: ignore[attr-defined]
        data = (
            answer if isinstance(answer, bytes) else (b"" if answer is None else json.dumps(answer).encode())
        )
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
    path = tmp_path_factory.mktemp("gcp-ca") / "ca.pem"
    ca.cert_pem.write_to_path(str(path))
    return ca, str(path)


@pytest.fixture(scope="session")
def sa_key() -> tuple[bytes, bytes]:
    """(private PEM, public PEM) of a throwaway RSA key for the fake service account."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    private = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                serialization.NoEncryption())  # fmt: skip
    public = key.public_key().public_bytes(serialization.Encoding.PEM,
                                           serialization.PublicFormat.SubjectPublicKeyInfo)  # fmt: skip
    return private, public


@pytest.fixture
def google(tls: tuple[trustme.CA, str], sa_key: tuple[bytes, bytes]) -> Iterator[FakeGoogle]:
    ca, ca_path = tls
    with threaded_server(_Handler, lambda url: FakeGoogle(url=url, ca_path=ca_path, public_pem=sa_key[1]), ca,
                         ca_path, ready_path="/ready", what="fake Google server") as fake:  # fmt: skip
        fake.requests.clear()
        yield fake


@pytest.fixture
def sa_file(
    google: FakeGoogle, sa_key: tuple[bytes, bytes], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Path:
    """A service-account key file whose token_uri is the local server, named by GOOGLE_APPLICATION_CREDENTIALS."""
    path = tmp_path / "sa.json"
    path.write_text(json.dumps({
        "type": "service_account", "project_id": PROJECT, "private_key_id": "0123456789abcdef",
        "private_key": sa_key[0].decode(), "client_email": SA_EMAIL, "client_id": "1234567890",
        "token_uri": f"{google.url}/token",
    }))  # fmt: skip
    monkeypatch.setenv("GOOGLE_APPLICATION_CREDENTIALS", str(path))
    monkeypatch.delenv("GOOGLE_CLOUD_PROJECT", raising=False)
    return path


@pytest.fixture
def make_provider(google: FakeGoogle, sa_file: Path) -> Iterator[Callable[..., GcpProvider]]:
    made: list[GcpProvider] = []

    def make(clock: FrozenClock | None = None, **overrides: Any) -> GcpProvider:
        p = GcpProvider("gcp", gcpdata.options(google, **overrides), clock or FrozenClock(gcpdata.NOW))
        made.append(p)
        return p

    yield make
    for p in made:
        p.close()


# ---- the real Prometheus, holding Cloud Monitoring-named series -----------------------------------

RUN = {"monitored_resource": "cloud_run_revision", "project_id": PROJECT, "location": "europe-west1"}
FN = {"monitored_resource": "cloud_function", "project_id": PROJECT, "region": "europe-west1"}
QUOTA = {"monitored_resource": "consumer_quota", "project_id": PROJECT}
RC = "run_googleapis_com:request_count"
CF = "cloudfunctions_googleapis_com:"

#: (family, labels, before, after) - counters are per-second rates, gauges values (as promsuite).
COUNTERS = [
    (RC, {**RUN, "service_name": "checkout", "response_code_class": "2xx", "response_code": "200"}, 2.0, 3.0),
    (RC, {**RUN, "service_name": "checkout", "response_code_class": "4xx", "response_code": "404"}, 0.2, 0.1),
    (RC, {**RUN, "service_name": "checkout", "response_code_class": "5xx", "response_code": "503"}, 0.05, 0.1),
    (RC, {**RUN, "service_name": "images", "response_code_class": "2xx", "response_code": "200"}, 1.0, 1.0),
    # outside the selection: excluded by name (exclude = ["*-canary"]) and by region (regions)
    (RC, {**RUN, "service_name": "checkout-canary", "response_code_class": "5xx", "response_code": "500"}, 5.0, 5.0),
    (RC, {**RUN, "location": "us-central1", "service_name": "checkout", "response_code_class": "2xx",
          "response_code": "200"}, 7.0, 7.0),
    ("run_googleapis_com:container_billable_instance_time", {**RUN, "service_name": "checkout"}, 2.0, 3.0),
    ("run_googleapis_com:container_billable_instance_time", {**RUN, "service_name": "images"}, 0.5, 0.5),
    (CF + "function_execution_count", {**FN, "function_name": "resize", "status": "ok", "trigger_type": "HTTP_TRIGGER"}, 1.0, 2.0),
    (CF + "function_execution_count", {**FN, "function_name": "resize", "status": "error", "trigger_type": "HTTP_TRIGGER"}, 0.1, 0.05),
    ("serviceruntime_googleapis_com:quota_rate_net_usage",
     {**QUOTA, "service": "appengine.googleapis.com", "quota_metric": "appengine.googleapis.com/default_requests",
      "location": "global", "method": "google.appengine.v1.Services.ListServices"}, 5.0, 15.0),
]  # fmt: skip
GAUGES = [
    ("run_googleapis_com:container_instance_count", {**RUN, "service_name": "checkout", "state": "active"}, 4, 6),
    ("run_googleapis_com:container_instance_count", {**RUN, "service_name": "checkout", "state": "idle"}, 1, 1),
    ("run_googleapis_com:container_instance_count", {**RUN, "service_name": "images", "state": "active"}, 1, 2),
    ("run_googleapis_com:container_instance_count", {**RUN, "service_name": "checkout-canary", "state": "active"}, 10, 10),
    (CF + "function_active_instances", {**FN, "function_name": "resize"}, 2, 3),
    ("serviceruntime_googleapis_com:quota_allocation_usage",
     {**QUOTA, "service": "run.googleapis.com", "quota_metric": "run.googleapis.com/cpu_allocation",
      "location": "europe-west1"}, 40, 60),
    ("serviceruntime_googleapis_com:quota_limit",
     {**QUOTA, "service": "run.googleapis.com", "quota_metric": "run.googleapis.com/cpu_allocation",
      "location": "europe-west1", "limit_name": "CpuAllocPerProjectRegion"}, 100, 100),
    ("serviceruntime_googleapis_com:quota_limit",
     {**QUOTA, "service": "appengine.googleapis.com", "quota_metric": "appengine.googleapis.com/default_requests",
      "location": "global", "limit_name": "DefaultRequestsPerMinutePerProject"}, 1000, 1000),
]  # fmt: skip
#: Distributions as Prometheus histograms; promsuite's bucket shares give p50 62.5 -> 100 and p99 480 -> 492
#: (x the scale below), mean 0.2 (x scale).
HISTOGRAMS = [
    ("run_googleapis_com:request_latencies", {**RUN, "service_name": "checkout", "response_code_class": "2xx"}, 2.25, 3.2),
    ("run_googleapis_com:request_latencies", {**RUN, "service_name": "images", "response_code_class": "2xx"}, 1.0, 1.0),
    ("run_googleapis_com:container_startup_latencies", {**RUN, "service_name": "checkout"}, 0.01, 0.02),
    ("run_googleapis_com:container_max_request_concurrencies", {**RUN, "service_name": "checkout", "state": "active"}, 0.5, 0.5),
    (CF + "function_execution_times", {**FN, "function_name": "resize", "status": "ok"}, 1.1, 2.05),
    (CF + "function_user_memory_bytes", {**FN, "function_name": "resize"}, 1.1, 2.05),
]  # fmt: skip
SCALES = {
    "run_googleapis_com:request_latencies": 1000.0,  # ms
    "run_googleapis_com:container_startup_latencies": 1000.0,  # ms
    "run_googleapis_com:container_max_request_concurrencies": 100.0,  # requests
    CF + "function_execution_times": 1e9,  # ns
    CF + "function_user_memory_bytes": 1e8,  # bytes
}


@pytest.fixture(scope="session")
def gcp_prom(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    """The suite's real Prometheus (Debian's), backfilled with the families above over 8 days."""
    promsuite.BUCKET_SCALE.update(SCALES)  # this module copy only: the Prometheus suite keeps its own
    yield from promsuite._prometheus(tmp_path_factory.mktemp("gcp-prom"), COUNTERS, GAUGES, HISTOGRAMS)


@pytest.fixture
def proxied(google: FakeGoogle, gcp_prom: Any) -> FakeGoogle:
    """PromQL calls of any project answered by the real Prometheus (after the bearer-token check)."""

    def forward(req: Req) -> tuple[int, dict[str, str], Any]:
        api = req.path.rsplit("/prometheus", 1)[1]
        params = [(k, v) for k, vs in req.query.items() for v in vs]
        resp = httpx.get(gcp_prom.url + api, params=params, timeout=10)
        return resp.status_code, {}, resp.content

    google.route("GET", r"/v1/projects/[^/]+/location/global/prometheus/api/v1/(query_range|query)", forward)
    return google
