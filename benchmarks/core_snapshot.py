"""Prints: `srvmon snapshot --format json` wall time + peak RSS at 40 / 1,000 / 10,000 demo functions,
and the import time of srvmon.cli vs `python -c pass`. Run: .venv/bin/python benchmarks/core_snapshot.py"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
import time

NOW = "2026-11-18T12:00:00Z"
CONFIG = """
[providers.demo]
type = "demo"
functions = {n}

[[boards]]
name = "serverless"
preset = "serverless"
"""


def run_snapshot(n: int) -> tuple[float, float]:
    """Wall seconds and peak RSS (MiB) of one `srvmon snapshot` process."""
    with tempfile.NamedTemporaryFile("w", suffix=".toml", delete=False) as f:
        f.write(CONFIG.format(n=n))
    code = (
        "import resource, sys, time; t = time.perf_counter(); from srvmon.cli import main; "
        f"rc = main(['snapshot', '--config', {f.name!r}, '--now', {NOW!r}, '-o', '/dev/null']); "
        "el = time.perf_counter() - t; "
        "print(el, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, file=sys.stderr); sys.exit(rc)"
    )
    res = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    os.unlink(f.name)
    if res.returncode != 0:
        raise SystemExit(f"snapshot failed at {n} functions: {res.stderr}")
    wall, rss = res.stderr.strip().splitlines()[-1].split()
    return float(wall), float(rss)


def import_time(stmt: str, repeat: int = 7) -> float:
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        subprocess.run([sys.executable, "-c", stmt], check=True)
        times.append(time.perf_counter() - t)
    return statistics.median(times)


def main() -> None:
    print(
        "srvmon snapshot --format json, demo provider, preset 'serverless' (median of 3, in-process timing)"
    )
    base = None
    for n in (40, 1000, 10000):
        runs = [run_snapshot(n) for _ in range(3)]
        wall = statistics.median(r[0] for r in runs)
        rss = max(r[1] for r in runs)
        base = base or wall
        print(
            f"  {n:>6} functions: {wall * 1000:8.1f} ms  ({wall / base:4.2f}x the 40-function time)  "
            f"peak RSS {rss:6.1f} MiB"
        )
    bare = import_time("pass")
    cli = import_time("import srvmon.cli")
    print(
        f"import srvmon.cli: {cli * 1000:.1f} ms vs python -c pass: {bare * 1000:.1f} ms "
        f"(+{(cli - bare) * 1000:.1f} ms)"
    )


if __name__ == "__main__":
    main()
