"""The fault suite: the installed `srvmon snapshot` and `srvmon check` against servers that stall, trickle,
send endless or huge bodies, wrong shapes, 429 with Retry-After, 5xx then recover - exit code and time.

Each case starts a real misbehaving HTTP server (tests/faults.py) on 127.0.0.1 behind a Prometheus
provider, on a board that also has demo panels: the stuck provider must fail on its own panels, within the
refresh deadline (settings.timeout + 2 s for the whole process), while the demo panels are fine.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

import pytest
from faults import Fault, FaultServer, closed_port

NOW = "2026-11-18T12:00:00Z"
#: The refresh deadline the configs below set; the process must be done within this + 2 s.
DEADLINE_S = 3


def config(url: str, timeout: str = "2s") -> str:
    return f"""
[settings]
timeout = "{DEADLINE_S}s"

[providers.demo]
type = "demo"

[providers.faas]
type = "prometheus"
url = "{url}"
timeout = "{timeout}"
max_response_mb = 1
detect = false

[[boards]]
name = "mixed"
provider = "demo"

[[boards.panels]]
id = "demo_requests"
title = "Demo requests"
kind = "stat"
query = "api.requests"
position = {{ row = 0, col = 0, width = 6 }}

[[boards.panels]]
id = "faas_requests"
title = "FaaS requests"
kind = "stat"
provider = "faas"
query = "sum(rate(gateway_function_invocation_total[5m]))"
position = {{ row = 0, col = 6, width = 6 }}
"""


def srvmon(*args: str, cfg: Path) -> tuple[int, dict | str, str, float]:
    start = time.monotonic()
    proc = subprocess.run([sys.executable, "-m", "srvmon", *args, "--config", str(cfg), "--now", NOW],
                          capture_output=True, text=True, timeout=60)  # fmt: skip
    took = time.monotonic() - start
    try:
        out: dict | str = json.loads(proc.stdout)
    except ValueError:
        out = proc.stdout
    return proc.returncode, out, proc.stderr, took


@pytest.fixture
def server() -> FaultServer:
    s = FaultServer()
    yield s
    s.close()


def panels(doc: dict) -> dict[str, dict]:
    return {p["id"]: p for p in doc["panels"]}


@pytest.mark.parametrize(
    "fault, says",
    [
        (Fault("stall"), "timed out"),
        (Fault("trickle", interval_s=0.5), "timed out"),
        (Fault("endless"), "more than 1 MiB"),
        (Fault("huge", size=5 * 1024 * 1024), "more than 1 MiB"),
        (
            Fault("json", body={"status": "success", "data": {"resultType": "vector", "result": []}}),
            "resultType",
        ),
        (Fault("json", body=b"<html>not json</html>"), "did not answer JSON"),
        (
            Fault("status", status=429, body={"error": "slow down"}, headers={"Retry-After": "30"}),
            "retry after 30s",
        ),
        (Fault("status", status=503, body={"error": "overloaded"}), "503"),
    ],
    ids=["stall", "trickle", "endless", "huge", "wrong-shape", "not-json", "429", "503"],
)
def test_snapshot_fails_the_faulty_provider_in_time_and_keeps_the_others(
    server, tmp_path, fault, says
) -> None:
    server.routes["/api/v1/query_range"] = fault
    cfg = tmp_path / "c.toml"
    cfg.write_text(config(server.url))
    rc, doc, err, took = srvmon("snapshot", "--format", "json", cfg=cfg)
    assert took < DEADLINE_S + 2 + 1.5, f"took {took:.1f}s"  # + interpreter start-up
    assert rc == 3, err
    assert isinstance(doc, dict)
    p = panels(doc)
    assert p["demo_requests"]["status"] != "error" and p["demo_requests"]["value"] is not None
    assert p["faas_requests"]["status"] == "error" and says in p["faas_requests"]["error"], p["faas_requests"]
    assert "faas_requests" in err


def test_snapshot_against_a_closed_port_is_quick(tmp_path) -> None:
    cfg = tmp_path / "c.toml"
    cfg.write_text(config(f"http://127.0.0.1:{closed_port()}"))
    rc, doc, err, took = srvmon("snapshot", "--format", "json", cfg=cfg)
    assert rc == 3 and took < 5
    assert "cannot reach" in panels(doc)["faas_requests"]["error"]  # type: ignore[arg-type]


def test_check_fails_in_time_against_a_stalled_server(server, tmp_path) -> None:
    server.routes["*"] = Fault("stall")
    cfg = tmp_path / "c.toml"
    cfg.write_text(config(server.url))
    rc, out, err, took = srvmon("check", cfg=cfg)
    assert rc == 3 and took < DEADLINE_S + 2 + 1.5, (rc, took)
    assert "provider faas (prometheus): FAILED" in str(out)


def test_a_flaky_server_recovers_on_the_next_refresh(server, clock) -> None:
    from srvmon.config import parse_config
    from srvmon.poll import Poller

    ok = {"status": "success", "data": {"resultType": "matrix", "result": []}}
    server.routes["/api/v1/query_range"] = Fault(
        "flaky", status=503, failures=2, body=ok
    )  # the first refresh: its window and the week-ago copy
    loaded = parse_config(config(server.url))
    runtime = loaded.runtime(clock)
    try:
        poller = Poller(loaded.boards[0], runtime, clock)
        first = poller.poll()
        assert first.panel("faas_requests").status == "error"
        clock.advance(60)
        second = poller.poll(force=True)
        assert second.panel("faas_requests").status == "nodata"  # answered (no series): recovered
        assert all(p.ok for p in second.providers)
    finally:
        runtime.close()
