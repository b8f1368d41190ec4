"""Print how long each Azure provider call takes against a misbehaving local HTTPS server, and its peak RSS.

Every call (ARM discovery, metrics:getBatch, a Log Analytics query, the Durable Task listing) is run
against tests/faults.py over TLS: a server that accepts and never answers (stall), one that sends a
byte a second (trickle), a closed port, a 256 MiB body (huge), 429 with Retry-After, and 503 once then
a good answer (recovery). Each scenario runs in its own process, killed after --cap seconds.

Run: .venv/bin/python benchmarks/azure_faults.py [--timeout 2s] [--cap 45]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

SUB = "12345678-abcd-1234-abcd-123456789abc"
WS = "11111111-2222-3333-4444-555555555555"
SITE_ID = f"/subscriptions/{SUB}/resourceGroups/rg/providers/Microsoft.Web/sites/fn-a"
PATHS = {
    "arm": f"/subscriptions/{SUB}/providers/Microsoft.Web/sites",
    "metrics": f"/subscriptions/{SUB}/metrics:getBatch",
    "logs": f"/v1/workspaces/{WS}/query",
    "durable": "/runtime/webhooks/durabletask/instances",
}
GOOD = {
    "arm": {
        "value": [
            {
                "id": SITE_ID,
                "name": "fn-a",
                "kind": "functionapp,linux",
                "location": "westeurope",
                "properties": {"defaultHostName": "127.0.0.1", "serverFarmId": ""},
            }
        ]
    },
    "metrics": {"values": []},
    "logs": {
        "tables": [{"name": "PrimaryResult", "columns": [{"name": "ts", "type": "datetime"}], "rows": []}]
    },
    "durable": [],
}
FAULTS = ("stall", "trickle", "closed", "huge", "429", "503-then-ok")
CLIENTS = ("arm", "metrics", "logs", "durable")


def _tls() -> tuple[Any, str]:
    import ssl
    import tempfile

    import trustme

    ca = trustme.CA()
    ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert("127.0.0.1").configure_cert(ctx)
    pem = Path(tempfile.mkdtemp()) / "ca.pem"
    ca.cert_pem.write_to_path(str(pem))
    return ctx, str(pem)


class Cred:
    def get_token(self, *scopes: str, **kw: Any) -> Any:
        from azure.core.credentials import AccessToken

        return AccessToken("bench", int(time.time()) + 3600)


def one(client: str, fault: str, timeout: str) -> dict[str, Any]:
    """Run one scenario in this process; returns seconds, outcome and peak RSS."""
    from faults import Fault, FaultServer, closed_port
    from pydantic import ValidationError

    from srvmon.clock import FrozenClock
    from srvmon.model import LogQuery, MetricQuery, TimeWindow
    from srvmon.providers.azure import AzureProvider
    from srvmon.providers.azure.options import AzureOptions

    ctx, pem = _tls()
    server = FaultServer(tls=ctx)
    for name, path in PATHS.items():
        server.routes[path] = Fault(body=GOOD[name])
    server.routes[f"/subscriptions/{SUB}/providers/Microsoft.Web/serverfarms"] = Fault(body={"value": []})
    target = {
        "stall": Fault("stall"),
        "trickle": Fault("trickle", interval_s=1.0),
        "huge": Fault("huge", size=256 * 1024 * 1024),
        "429": Fault(
            "status", status=429, body={"error": {"code": "TooManyRequests"}}, headers={"Retry-After": "30"}
        ),
        "503-then-ok": Fault("flaky", status=503, failures=1, body=GOOD[client]),
    }.get(fault)
    if target is not None:
        server.routes[PATHS[client]] = target
    url = server.url
    endpoint = f"https://127.0.0.1:{closed_port()}" if fault == "closed" else url
    opts: dict[str, Any] = {
        "subscription_id": SUB,
        "arm_endpoint": endpoint if client == "arm" else url,
        "logs_endpoint": endpoint if client == "logs" else url,
        "metrics_endpoint": endpoint if client == "metrics" else url,
        "durable_endpoint": endpoint if client == "durable" else url,
        "ca_bundle": pem,
        "retries": 1,
        "region": "westeurope",
        "workspace_id": WS,
        "durable_apps": ["fn-a"],
        "durable_key_env": "BENCH_DT_KEY",
    }
    os.environ["BENCH_DT_KEY"] = "k"
    try:
        options = AzureOptions(**opts, timeout=timeout)
    except ValidationError:
        options = AzureOptions(**opts)  # before the timeout option existed
    now = datetime(2026, 11, 22, 4, 0, tzinfo=UTC)
    p = AzureProvider("az", options, FrozenClock(now), credential=Cred())
    w = TimeWindow.ending_at(now, 3600)
    start = time.monotonic()
    try:
        if client in ("arm", "metrics"):
            res = p.query([MetricQuery("a", "az", "FunctionExecutionCount")], w)["a"]
            outcome = f"error: {res.error}" if res.error else "ok"
        elif client == "logs":
            p.logs(LogQuery("az", w))
            outcome = "ok"
        else:
            res = p.query([MetricQuery("a", "az", "durable:Running")], w)["a"]
            outcome = f"error: {res.error}" if res.error else "ok"
    except Exception as exc:
        outcome = f"{type(exc).__name__}: {exc}"
    took = time.monotonic() - start
    rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return {"s": round(took, 2), "outcome": outcome.splitlines()[0][:110], "rss_mb": round(rss_mb)}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--timeout", default="2s")
    ap.add_argument("--cap", type=float, default=45.0)
    ap.add_argument("--one", nargs=2, metavar=("CLIENT", "FAULT"))
    args = ap.parse_args()
    if args.one:
        print(json.dumps(one(*args.one, args.timeout)))
        return
    print(f"timeout option {args.timeout}; each scenario capped at {args.cap:g}s")
    print(f"{'client':8} {'fault':12} {'seconds':>8} {'peak MB':>8}  outcome")
    for client in CLIENTS:
        for fault in FAULTS:
            cmd = [sys.executable, __file__, "--timeout", args.timeout, "--one", client, fault]
            start = time.monotonic()
            try:
                out = subprocess.run(cmd, capture_output=True, text=True, timeout=args.cap)
                row = json.loads(out.stdout.strip().splitlines()[-1])
            except subprocess.TimeoutExpired:
                row = {"s": f">{args.cap:g}", "outcome": "still running (killed)", "rss_mb": "?"}
            except (ValueError, IndexError):
                row = {
                    "s": round(time.monotonic() - start, 2),
                    "outcome": "crashed: " + out.stderr[-200:],
                    "rss_mb": "?",
                }
            print(f"{client:8} {fault:12} {row['s']!s:>8} {row['rss_mb']!s:>8}  {row['outcome']}", flush=True)


if __name__ == "__main__":
    main()
