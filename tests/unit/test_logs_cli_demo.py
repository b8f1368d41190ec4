"""`srvmon logs` against the demo provider, in-process and through the installed command line."""

from __future__ import annotations

import argparse
import io
import json
import os
import subprocess
import sys
from datetime import UTC, datetime

from srvmon.clock import FrozenClock
from srvmon.logs_args import add_logs_arguments
from srvmon.logs_cli import run_logs
from srvmon.providers.demo.provider import DemoOptions, DemoProvider

NOW = datetime(2026, 11, 20, 14, 7, 30, tzinfo=UTC)


def _run(argv: list[str]) -> tuple[int, list[dict]]:
    parser = argparse.ArgumentParser()
    add_logs_arguments(parser)
    clock = FrozenClock(NOW)
    out = io.StringIO()
    code = run_logs(
        parser.parse_args(argv),
        None,
        {"demo": DemoProvider("demo", DemoOptions(), clock)},
        clock,
        out=out,
        err=io.StringIO(),
    )
    return code, [json.loads(line) for line in out.getvalue().splitlines()]


def test_demo_errors_5xx_in_time_order() -> None:
    code, lines = _run(["--since", "1h", "--status", "5xx", "--limit", "20"])
    assert code == 0 and 0 < len(lines) <= 20
    assert all(500 <= line["status"] <= 599 for line in lines)
    times = [line["time"] for line in lines]
    assert times == sorted(times) and all(t.endswith("Z") and t.startswith("2026-11-20T1") for t in times)


def test_demo_health_rows() -> None:
    code, lines = _run(["--since", "1h", "--health", "--resource", "checkout-get-cart"])
    assert code == 0
    [row] = lines
    assert row["function"] == "checkout-get-cart" and row["invocations"] > 0
    assert set(row) == {
        "function",
        "invocations",
        "cold_starts",
        "cold_start_pct",
        "init_ms_avg",
        "timeouts",
        "oom",
        "p50_ms",
        "p99_ms",
        "p99_timeout_pct",
        "timeout_pct",
        "gb_seconds",
        "cost_usd",
        "truncated",
    }
    assert row["truncated"] is False
    assert row["p99_timeout_pct"] == row["timeout_pct"]  # the new name and its alias for one version
    assert row["p50_ms"] <= row["p99_ms"] and row["gb_seconds"] > 0 and row["cost_usd"] > 0


def test_command_line_wiring() -> None:
    env = {**os.environ, "SRVMON_NOW": "2026-11-20T14:07:30Z"}
    proc = subprocess.run(
        [sys.executable, "-m", "srvmon", "logs", "--demo", "--since", "15m", "--errors", "--limit", "3"],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
    )
    assert proc.returncode == 0, proc.stderr
    lines = [json.loads(line) for line in proc.stdout.splitlines()]
    assert 0 < len(lines) <= 3 and all(line["level"] == "ERROR" for line in lines)
    bad = subprocess.run(
        [sys.executable, "-m", "srvmon", "logs", "--demo", "--status", "9xx"],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
    )
    assert bad.returncode == 2 and "not a status class" in bad.stderr
