"""Print how long AWS provider calls take against endpoints that misbehave: one that accepts and never
answers (stall), one that trickles a byte every 2 s, a closed port, and one sending an endless body.

Run: .venv/bin/python benchmarks/aws_faults.py [cap_seconds]
Each call runs in a daemon thread and is abandoned after `cap_seconds` (default 90): ">90" in the table
means it was still running. Uses tests/faults.py for the servers and the provider's default options
(plus `timeout`/`max_response_mb` when the provider has them)."""

from __future__ import annotations

import os
import sys
import tempfile
import threading
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

os.environ.update(
    {
        "AWS_ACCESS_KEY_ID": "bench",
        "AWS_SECRET_ACCESS_KEY": "bench",
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_CONFIG_FILE": os.devnull,
        "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
        "AWS_EC2_METADATA_DISABLED": "true",
    }
)
sys.path.insert(0, str(Path(__file__).parents[1] / "tests"))

from faults import Fault, FaultServer, closed_port  # noqa: E402

from srvmon.clock import FrozenClock  # noqa: E402
from srvmon.model import MetricQuery, TimeWindow  # noqa: E402
from srvmon.providers.aws import AwsOptions, AwsProvider  # noqa: E402

NOW = datetime(2026, 11, 18, 12, 0, tzinfo=UTC)


def provider(url: str, cache: Path) -> AwsProvider:
    opts: dict[str, Any] = {"endpoint_url": url, "regions": ["us-east-1"]}
    if "timeout" in AwsOptions.model_fields:
        opts["timeout"] = "5s"
    return AwsProvider("bench", AwsOptions(**opts), FrozenClock(NOW), cache_dir=cache)


CALLS = {
    "alarms()": lambda p: p.alarms(),
    "query()": lambda p: p.query(
        [MetricQuery("a", "bench", "lambda:Invocations", "sum")], TimeWindow.ending_at(NOW, 3600)
    ),
    "check()": lambda p: p.check(),
}


WARM = ("sts", "lambda", "cloudwatch", "apigateway", "apigatewayv2", "dynamodb", "sqs", "stepfunctions", "ce")


def measure(url: str, call: Any, cap: float, cache: Path) -> str:
    """One call in a daemon thread, its clients built before the clock starts (loading botocore's
    models is not what is measured); abandoned after `cap` seconds."""
    p = provider(url, cache)
    target = p.sessions.targets()[0]
    for service in WARM:
        p.sessions.client(service, target)
    out: list[Any] = []

    def run() -> None:
        start = time.monotonic()
        try:
            result: Any = call(p)
        except Exception as exc:
            result = exc
        out.append((time.monotonic() - start, result))

    t = threading.Thread(target=run, daemon=True)
    t.start()
    t.join(cap)
    if not out:
        return f">{cap:g} s"
    elapsed, result = out[0]
    what = type(result).__name__
    if what == "Health":
        what = f"ok={result.ok}"
    return f"{elapsed:.1f} s ({what})"


def main() -> None:
    cap = float(sys.argv[1]) if len(sys.argv) > 1 else 90.0
    cases: dict[str, Fault | None] = {
        "stall": Fault("stall"),
        "trickle 1 B/2 s": Fault("trickle", interval_s=2.0),
        "endless body": Fault("endless"),
        "closed port": None,
    }
    timeout = "5s" if "timeout" in AwsOptions.model_fields else "(none)"
    print(f"timeout = {timeout}; each call abandoned after {cap:g} s")
    print(f"{'endpoint':<18}" + "".join(f"{c:<26}" for c in CALLS))
    with tempfile.TemporaryDirectory() as tmp:
        for name, fault in cases.items():
            server = None
            if fault is None:
                url = f"http://127.0.0.1:{closed_port()}"
            else:
                server = FaultServer()
                server.routes["*"] = fault
                url = server.url
            cells = [measure(url, call, cap, Path(tmp)) for call in CALLS.values()]
            print(f"{name:<18}" + "".join(f"{c:<26}" for c in cells), flush=True)
            if server is not None:
                server.close()


if __name__ == "__main__":
    main()
