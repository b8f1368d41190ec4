"""Fixtures: a real Prometheus (Debian's 2.42) backfilled with 8+ days of known FaaS metrics, plus stub AM/Loki servers.

History: samples from NOW-8d-2h to NOW, where NOW is the real clock's last full hour minus one
hour; every 60 s over the last 5 h and the same hours a week earlier, every 10 min elsewhere
(gauges every 60 s throughout). Every rate steps once, at NOW-3d: "last week" (the 1w compare window) sees the
`before` rates, the current window sees the `after` rates. Histograms keep the same bucket shares
for every series, so overall quantiles equal per-series ones.
"""

from __future__ import annotations

import http.server
import json
import os
import shutil
import socket
import subprocess
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest

PROMETHEUS = "/usr/bin/prometheus"
PROMTOOL = "/usr/bin/promtool"
STEP = 60
SPARSE_STEP = 600
DAY = 86400
#: How far back from NOW (and from NOW-7d) samples are every 60 s.
DENSE_S = 5 * 3600

# ---- the history every test checks against ----------------------------------------------------

#: (family, labels, before, after): counters are per-second rates, gauges are values.
COUNTERS: list[tuple[str, dict[str, str], float, float]] = [
    # OpenFaaS gateway
    ("gateway_function_invocation_total", {"function_name": "checkout", "code": "200"}, 2.0, 3.0),
    ("gateway_function_invocation_total", {"function_name": "checkout", "code": "500"}, 0.1, 0.2),
    ("gateway_function_invocation_total", {"function_name": "images", "code": "200"}, 1.0, 1.0),
    ("gateway_function_invocation_total", {"function_name": "images", "code": "404"}, 0.5, 0.25),
    # Fn server (older names, no _total suffix)
    ("fn_api_calls", {"app": "shop", "path": "/order"}, 2.0, 4.0),
    ("fn_api_completed", {"app": "shop", "path": "/order"}, 1.9, 3.6),
    ("fn_api_failed", {"app": "shop", "path": "/order"}, 0.1, 0.4),
    ("fn_api_timedout", {"app": "shop", "path": "/order"}, 0.05, 0.1),
    ("fn_api_errors", {"app": "shop", "path": "/order"}, 0.05, 0.3),
    ("fn_api_calls", {"app": "shop", "path": "/list"}, 1.0, 1.0),
    ("fn_api_completed", {"app": "shop", "path": "/list"}, 1.0, 1.0),
    ("fn_api_failed", {"app": "shop", "path": "/list"}, 0.0, 0.0),
    ("fn_api_timedout", {"app": "shop", "path": "/list"}, 0.0, 0.0),
    ("fn_api_errors", {"app": "shop", "path": "/list"}, 0.0, 0.0),
]
GAUGES: list[tuple[str, dict[str, str], float, float]] = [
    ("gateway_service_count", {"function_name": "checkout"}, 4, 6),
    ("gateway_service_count", {"function_name": "images"}, 2, 2),
    ("kn_revision_pods_count", {"kn_service_name": "hello", "kn_revision_name": "hello-00002"}, 3, 5),
    ("kn_revision_pods_count", {"kn_service_name": "greeter", "kn_revision_name": "greeter-00001"}, 1, 1),
    ("fn_api_queued", {"app": "shop", "path": "/order"}, 1, 3),
    ("fn_api_running", {"app": "shop", "path": "/order"}, 4, 8),
]
#: Histograms: (family, labels, count rate before, after). Bucket shares below.
HISTOGRAMS: list[tuple[str, dict[str, str], float, float]] = [
    ("gateway_functions_seconds", {"function_name": "checkout"}, 2.1, 3.2),
    ("gateway_functions_seconds", {"function_name": "images"}, 1.5, 1.25),
    (
        "kn_serving_invocation_duration_seconds",
        {"kn_service_name": "hello", "http_response_status_code": "200"},
        5.0,
        8.0,
    ),
    (
        "kn_serving_invocation_duration_seconds",
        {"kn_service_name": "hello", "http_response_status_code": "503"},
        0.5,
        0.25,
    ),
    (
        "kn_serving_invocation_duration_seconds",
        {"kn_service_name": "greeter", "http_response_status_code": "200"},
        1.0,
        1.0,
    ),
    (
        "kn_serving_invocation_duration_seconds",
        {"kn_service_name": "greeter", "http_response_status_code": "404"},
        0.0,
        0.5,
    ),
]
#: Knative <= 1.18 and Fn OpenCensus names, served by a second Prometheus (`prom_legacy`).
LEGACY_COUNTERS: list[tuple[str, dict[str, str], float, float]] = [
    (
        "revision_request_count",
        {"service_name": "hello", "response_code": "200", "response_code_class": "2xx"},
        5.0,
        8.0,
    ),
    (
        "revision_request_count",
        {"service_name": "hello", "response_code": "503", "response_code_class": "5xx"},
        0.5,
        0.25,
    ),
    (
        "revision_request_count",
        {"service_name": "greeter", "response_code": "200", "response_code_class": "2xx"},
        1.0,
        1.0,
    ),
    # Fn servers with OpenCensus views (fn_* tagged fn_appname, fn_path)
    ("fn_calls", {"fn_appname": "shop", "fn_path": "/order"}, 3.0, 6.0),
    ("fn_completed", {"fn_appname": "shop", "fn_path": "/order"}, 2.5, 5.0),
    ("fn_failed", {"fn_appname": "shop", "fn_path": "/order"}, 0.5, 1.0),
    ("fn_timeouts", {"fn_appname": "shop", "fn_path": "/order"}, 0.2, 0.5),
    ("fn_errors", {"fn_appname": "shop", "fn_path": "/order"}, 0.3, 0.5),
    ("fn_calls", {"fn_appname": "blog", "fn_path": "/render"}, 2.0, 2.0),
    ("fn_completed", {"fn_appname": "blog", "fn_path": "/render"}, 2.0, 2.0),
]
LEGACY_GAUGES: list[tuple[str, dict[str, str], float, float]] = [
    ("autoscaler_actual_pods", {"service_name": "hello", "revision_name": "hello-00001"}, 3, 7),
    ("autoscaler_actual_pods", {"service_name": "greeter", "revision_name": "greeter-00001"}, 1, 1),
    ("fn_queued", {"fn_appname": "shop", "fn_path": "/order"}, 0, 2),
    ("fn_running", {"fn_appname": "shop", "fn_path": "/order"}, 5, 9),
]
LEGACY_HISTOGRAMS: list[tuple[str, dict[str, str], float, float]] = [
    ("revision_request_latencies", {"service_name": "hello"}, 5.5, 8.25),
    ("revision_request_latencies", {"service_name": "greeter"}, 1.0, 1.0),
]
BUCKETS = [0.1, 0.5, 1.0, 2.5]
#: Histograms whose unit is ms (OpenCensus latencies): bucket bounds x 1000.
BUCKET_SCALE = {"revision_request_latencies": 1000.0}
#: Cumulative share of observations at or below each bucket (the +Inf bucket is 1.0).
SHARES_BEFORE = [0.8, 1.0, 1.0, 1.0]
SHARES_AFTER = [0.5, 1.0, 1.0, 1.0]
#: Mean observation (s, or the BUCKET_SCALE unit): every histogram _sum is count x MEAN_S x scale.
MEAN_S = 0.2


def histogram_quantile(q: float, shares: list[float]) -> float:
    """Prometheus's linear interpolation for our bucket layout (lower bound 0)."""
    lower, prev = 0.0, 0.0
    for upper, cum in zip(BUCKETS, shares, strict=True):
        if cum >= q:
            return lower + (upper - lower) * (q - prev) / (cum - prev)
        lower, prev = upper, cum
    return BUCKETS[-1]


@dataclass
class PromServer:
    url: str
    now: datetime
    start_s: int
    change_s: int
    data_dir: Path
    counters: list[tuple[str, dict[str, str], float, float]] = field(default_factory=list)
    gauges: list[tuple[str, dict[str, str], float, float]] = field(default_factory=list)
    histograms: list[tuple[str, dict[str, str], float, float]] = field(default_factory=list)

    def rate(self, family: str, when: str = "after", **match: str) -> float:
        """Sum of the fixture's rates (counters and histogram counts) whose labels include `match`."""
        i = 0 if when == "before" else 1
        total = 0.0
        for fam, labels, *vals in self.counters + self.histograms:
            if fam == family and all(labels.get(k) == v for k, v in match.items()):
                total += vals[i]
        return total

    def gauge(self, family: str, when: str = "after", **match: str) -> list[float]:
        i = 0 if when == "before" else 1
        return [vals[i] for fam, labels, *vals in self.gauges if fam == family
                and all(labels.get(k) == v for k, v in match.items())]  # fmt: skip


def _labels(labels: dict[str, str]) -> str:
    return "{" + ",".join(f'{k}="{v}"' for k, v in labels.items()) + "}"


Family = list[tuple[str, dict[str, str], float, float]]


def write_openmetrics(
    path: Path, start_s: int, end_s: int, change_s: int, counters: Family, gauges: Family, histograms: Family
) -> None:
    # 60 s samples where 60 s steps are queried (the last hours, and the same hours a week earlier);
    # every SPARSE_STEP elsewhere, which 30-min and 2-h steps read fine. Gauges are dense throughout.
    dense = [(end_s - DENSE_S, end_s), (end_s - 7 * DAY - DENSE_S, end_s - 7 * DAY + 1800)]
    every = range(start_s, end_s + 1, STEP)
    stamps = [t for t in every if (t - start_s) % SPARSE_STEP == 0 or any(a <= t <= b for a, b in dense)]

    def cum(t: int, before: float, after: float) -> float:
        return before * (min(t, change_s) - start_s) + after * max(0, t - change_s)

    chunks: list[str] = []
    families: dict[str, list[tuple[str, Any]]] = {}
    for fam, labels, before, after in counters:
        families.setdefault(fam, []).append(("c", (labels, before, after)))
    for fam, labels, before, after in gauges:
        families.setdefault(fam, []).append(("g", (labels, before, after)))
    for fam, labels, before, after in histograms:
        families.setdefault(fam, []).append(("h", (labels, before, after)))
    for fam, members in families.items():
        kind = members[0][0]
        if kind == "c":
            type_name = fam[: -len("_total")] if fam.endswith("_total") else fam
            chunks.append(f"# TYPE {type_name} {'counter' if fam.endswith('_total') else 'unknown'}\n")
            for _, (labels, before, after) in members:
                lab = _labels(labels)
                chunks.append("".join(f"{fam}{lab} {cum(t, before, after):.6f} {t}\n" for t in stamps))
        elif kind == "g":
            chunks.append(f"# TYPE {fam} gauge\n")
            for _, (labels, before, after) in members:
                lab = _labels(labels)
                chunks.append("".join(f"{fam}{lab} {before if t < change_s else after} {t}\n" for t in every))
        else:
            chunks.append(f"# TYPE {fam} histogram\n")
            scale = BUCKET_SCALE.get(fam, 1.0)  # bucket bounds and the sum share the family's unit
            for _, (labels, before, after) in members:
                lines = []
                for t in stamps:
                    n_before = before * (min(t, change_s) - start_s)
                    n_after = after * max(0, t - change_s)
                    for le, sb, sa in zip(BUCKETS, SHARES_BEFORE, SHARES_AFTER, strict=True):
                        lab = _labels({**labels, "le": str(le * BUCKET_SCALE.get(fam, 1.0))})
                        lines.append(f"{fam}_bucket{lab} {n_before * sb + n_after * sa:.6f} {t}\n")
                    total = n_before + n_after
                    lines.append(f"{fam}_bucket{_labels({**labels, 'le': '+Inf'})} {total:.6f} {t}\n")
                    lines.append(f"{fam}_count{_labels(labels)} {total:.6f} {t}\n")
                    lines.append(f"{fam}_sum{_labels(labels)} {total * MEAN_S * scale:.6f} {t}\n")
                chunks.append("".join(lines))
    chunks.append("# EOF\n")
    path.write_text("".join(chunks))


RULES = """
groups:
  - name: srvmon-test
    interval: 1s
    rules:
      - alert: CheckoutErrors
        expr: vector(1)
        labels: {severity: critical, function_name: checkout}
        annotations: {summary: "checkout 5xx above 1%"}
      - alert: NeverFires
        expr: vector(0) > 1
        labels: {severity: warning}
        annotations: {summary: "never"}
      - alert: SlowBurn
        expr: vector(1)
        for: 1h
        labels: {severity: warning, function_name: images}
        annotations: {summary: "images latency creeping up"}
"""


def _launch(base: Path, data: Path, log: Path) -> tuple[subprocess.Popen[bytes], str]:
    """Start prometheus on a free port and wait for /-/ready; a port taken meanwhile is retried."""
    for _attempt in range(3):
        port = free_port()
        with log.open("wb") as out:
            proc = subprocess.Popen(
                [PROMETHEUS, f"--config.file={base / 'prom.yml'}", f"--storage.tsdb.path={data}",
                 f"--web.listen-address=127.0.0.1:{port}", "--storage.tsdb.retention.time=30d"],
                stdout=out, stderr=subprocess.STDOUT, cwd=base,
            )  # fmt: skip
        url = f"http://127.0.0.1:{port}"
        try:
            _wait(f"{url}/-/ready", proc, log, "ready", lambda r: r.status_code == 200)
            return proc, url
        except pytest.fail.Exception:
            if proc.poll() is None:
                proc.kill()
            proc.wait()
            if "address already in use" not in log.read_text():
                raise
    pytest.fail(f"prometheus found no free port in 3 attempts:\n{log.read_text()[-2000:]}")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _wait(
    url: str, proc: subprocess.Popen[bytes], log: Path, what: str, ok: Any, deadline_s: float = 20
) -> None:
    deadline = time.monotonic() + deadline_s
    last = ""
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            pytest.fail(f"prometheus exited ({proc.returncode}) before {what}:\n{log.read_text()[-3000:]}")
        try:
            resp = httpx.get(url, timeout=2)
            if ok(resp):
                return
            last = resp.text[:300]
        except httpx.HTTPError as exc:
            last = repr(exc)
        time.sleep(0.1)
    pytest.fail(f"prometheus not {what} after {deadline_s}s ({last}):\n{log.read_text()[-3000:]}")


@pytest.fixture(scope="session")
def prom(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PromServer]:
    """Backfilled Prometheus (OpenFaaS, Knative OpenTelemetry names, Fn) with firing test rules."""
    yield from _prometheus(tmp_path_factory.mktemp("prom"), COUNTERS, GAUGES, HISTOGRAMS)


@pytest.fixture(scope="session")
def prom_legacy(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PromServer]:
    """A second backfilled Prometheus holding only OpenCensus-era names: Knative <= 1.18, Fn fn_*."""
    yield from _prometheus(
        tmp_path_factory.mktemp("prom_legacy"), LEGACY_COUNTERS, LEGACY_GAUGES, LEGACY_HISTOGRAMS
    )


def _prometheus(base: Path, counters: Family, gauges: Family, histograms: Family) -> Iterator[PromServer]:
    """Backfill, start on 127.0.0.1:<free port> with rules evaluated every second, wait, kill at the end."""
    for tool in (PROMETHEUS, PROMTOOL):
        if not (os.path.exists(tool) and os.access(tool, os.X_OK)):
            pytest.fail(f"{tool} is missing: apt-get install -y prometheus (the Prometheus tests need it)")
    real_now = int(time.time())
    now_s = real_now // 3600 * 3600 - 3600
    start_s = now_s - 8 * DAY - 2 * 3600
    change_s = now_s - 3 * DAY
    om = base / "history.om.txt"
    write_openmetrics(om, start_s, now_s, change_s, counters, gauges, histograms)
    data = base / "data"
    done = subprocess.run(
        [PROMTOOL, "tsdb", "create-blocks-from", "openmetrics", "--max-block-duration=192h", str(om), str(data)],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    if done.returncode != 0:
        pytest.fail(
            f"promtool backfill failed ({done.returncode}):\n{done.stdout[-2000:]}\n{done.stderr[-2000:]}"
        )
    om.unlink()
    (base / "rules.yml").write_text(RULES)
    (base / "prom.yml").write_text(
        "global:\n  evaluation_interval: 1s\nrule_files:\n  - rules.yml\nscrape_configs: []\n"
    )
    log = base / "prometheus.log"
    proc, url = _launch(base, data, log)
    try:

        def firing(resp: httpx.Response) -> bool:
            groups = resp.json()["data"]["groups"]
            states = {r["name"]: r["state"] for g in groups for r in g["rules"]}
            return states.get("CheckoutErrors") == "firing" and states.get("SlowBurn") == "pending"

        _wait(f"{url}/api/v1/rules?type=alert", proc, log, "firing its test alert", firing)
        yield PromServer(
            url, datetime.fromtimestamp(now_s, UTC), start_s, change_s, data, counters, gauges, histograms
        )
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        shutil.rmtree(data, ignore_errors=True)


# ---- stub servers for what no local binary provides (Alertmanager, Loki) -----------------------


#: A route status that never answers (the client's read timeout fires).
HANG = -1


@dataclass
class StubServer:
    """A tiny HTTP server answering fixed JSON per path; records every request's path and query."""

    url: str
    routes: dict[str, tuple[int, Any]]
    requests: list[tuple[str, dict[str, list[str]], dict[str, str]]]
    ca_file: str | None = None


@pytest.fixture()
def stub_server() -> Iterator[StubServer]:
    yield from _stub(None)


@pytest.fixture()
def tls_stub_server(tmp_path: Path) -> Iterator[StubServer]:
    """The stub over HTTPS with a certificate for 127.0.0.1 from a throwaway CA (its PEM path in .ca_file)."""
    import ssl

    import trustme

    ca = trustme.CA()
    cert = ca.issue_cert("127.0.0.1")
    ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    cert.configure_cert(ctx)
    ca_pem = tmp_path / "ca.pem"
    ca.cert_pem.write_to_path(str(ca_pem))
    for server in _stub(ctx):
        server.ca_file = str(ca_pem)
        yield server


def _stub(tls: Any) -> Iterator[StubServer]:
    from urllib.parse import parse_qs, urlsplit

    routes: dict[str, tuple[int, Any]] = {}
    release = threading.Event()
    seen: list[tuple[str, dict[str, list[str]], dict[str, str]]] = []

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 - http.server's name
            parts = urlsplit(self.path)
            seen.append((parts.path, parse_qs(parts.query), {k.lower(): v for k, v in self.headers.items()}))
            status, body = routes.get(parts.path, (404, "404 page not found\n"))
            if status == HANG:
                release.wait(30)  # answers only when the test is over
                return
            raw = body.encode() if isinstance(body, str) else json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "text/plain" if isinstance(body, str) else "application/json")
            self.send_header("Content-Length", str(len(raw)))
            self.end_headers()
            self.wfile.write(raw)

        def log_message(self, *args: Any) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    if tls is not None:
        server.socket = tls.wrap_socket(server.socket, server_side=True)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True)
    thread.start()
    try:
        scheme = "https" if tls is not None else "http"
        yield StubServer(f"{scheme}://127.0.0.1:{server.server_address[1]}", routes, seen)
    finally:
        release.set()
        server.shutdown()
        server.server_close()
