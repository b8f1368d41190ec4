"""Print GetMetricData calls and metrics requested per refresh of the aws-serverless preset board at
40, 500 and 5,000 functions against a local moto server, vs the minimum ceil(series / 500) per window,
and the wall time of one refresh vs one GetMetricData round trip; 'next' columns: the following 60 s
refresh, when settled windows (week-ago copies, 1w/1mo ranges) come from the in-memory cache.

Run: .venv/bin/python benchmarks/aws_calls.py [sizes...]
The fleet inventory is injected (creating 5,000 functions in moto is not what is measured); every
metric/alarm/log/cost call of the refresh goes to moto over HTTP. moto crashes on percentile stats, so
the preset's p99 panel is swapped for max here (same number of metrics)."""

from __future__ import annotations

import math
import os
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

os.environ.update(
    {
        "AWS_ACCESS_KEY_ID": "bench",
        "AWS_SECRET_ACCESS_KEY": "bench",
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_CONFIG_FILE": os.devnull,
        "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
    }
)

CONFIG = """
[providers.prod]
type = "aws"
endpoint_url = "{url}"
regions = ["us-east-1"]
cache_dir = "{cache}"

[[boards]]
name = "ops"
preset = "aws-serverless"

[[boards.panels]]
id = "lambda_p99"
title = "Lambda max (slowest fn)"
kind = "stat"
query = "lambda:Duration"
stat = "max"
group_by = ["function"]
aggregate = "max"
reduce = "max"
position = {{ row = 1, col = 6, width = 2, height = 1 }}
"""


def fleet(target: Any, n: int) -> Any:
    from srvmon.providers.aws.discovery import Inventory, Resource

    res = [Resource("function", f"fn-{i:05d}", target, memory_mb=256, timeout_s=30.0) for i in range(n)]
    res += [Resource("rest_api", f"api-{i}", target, id=f"r{i}") for i in range(3)]
    res += [Resource("http_api", f"http-{i}", target, id=f"h{i}") for i in range(2)]
    res += [Resource("table", f"table-{i}", target, read_capacity=100, write_capacity=50) for i in range(10)]
    res += [Resource("queue", f"queue-{i}", target, retention_s=345600, is_dlq=i % 2 == 1) for i in range(10)]
    res += [
        Resource(
            "state_machine", "flow", target, arn="arn:aws:states:us-east-1:123456789012:stateMachine:flow"
        )
    ]
    return Inventory(tuple(res))


def main(sizes: list[int]) -> None:
    from moto.server import ThreadedMotoServer

    from srvmon.clock import FrozenClock
    from srvmon.config import load_config
    from srvmon.poll import Poller

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    url = f"http://{host}:{port}"
    now = datetime.now(UTC).replace(minute=0, second=0, microsecond=0)
    print(f"moto server {url}; board aws-serverless; compare windows included")
    print(
        f"{'functions':>9} {'GetMetricData':>13} {'minimum':>8} {'metrics':>8} {'est. USD':>9} "
        f"{'refresh s':>9} {'1 GMD s':>8} {'other calls':>11} {'next GMD':>8} {'next metrics':>12}"
    )
    try:
        with tempfile.TemporaryDirectory() as tmp:
            cfg_path = Path(tmp) / "srvmon.toml"
            cfg_path.write_text(CONFIG.format(url=url, cache=Path(tmp) / "cache"))
            for n in sizes:
                cfg = load_config(cfg_path)
                clock = FrozenClock(now)
                cfg._built.clear()
                providers = cfg.build_providers(clock)
                prov = providers["prod"]
                inv = fleet(prov.sessions.targets()[0], n)
                prov.discovery._cached, prov.discovery._at = inv, time.monotonic()
                prov._existing_groups = lambda target: set()  # no log groups in this fleet
                per_window: dict[Any, int] = {}
                real_fetch = prov.runner.fetch

                def fetch(
                    leaves: Any,
                    window: Any,
                    at: Any,
                    _real: Any = real_fetch,
                    per_window: dict[Any, int] = per_window,
                ) -> Any:
                    per_window[window] = per_window.get(window, 0) + len({leaf.key() for leaf in leaves})
                    return _real(leaves, window, at)

                prov.runner.fetch = fetch
                poller = Poller(cfg.board("ops"), providers, clock, timeout_s=600)
                t0 = time.perf_counter()
                poller.poll()
                refresh = time.perf_counter() - t0
                usage = prov.usage()
                cw = prov.sessions.client("cloudwatch", prov.sessions.targets()[0])
                t0 = time.perf_counter()
                cw.get_metric_data(
                    MetricDataQueries=[
                        {
                            "Id": "m0",
                            "MetricStat": {
                                "Metric": {"Namespace": "AWS/Lambda", "MetricName": "Invocations"},
                                "Period": 60,
                                "Stat": "Sum",
                            },
                        }
                    ],
                    StartTime=now - timedelta(hours=4),
                    EndTime=now,
                )
                one = time.perf_counter() - t0
                gmd = usage.by_operation.get("GetMetricData", 0)
                minimum = sum(math.ceil(c / 500) for c in per_window.values() if c)
                other = usage.api_calls - gmd
                clock.advance(60)  # the next 60 s refresh: settled windows come from memory
                poller.poll()
                nxt = prov.usage()
                next_gmd = nxt.by_operation.get("GetMetricData", 0) - gmd - 1
                next_metrics = nxt.metrics_requested - usage.metrics_requested - 1
                print(
                    f"{n:>9} {gmd:>13} {minimum:>8} {usage.metrics_requested:>8} {usage.estimated_cost_usd:>9.4f} "
                    f"{refresh:>9.2f} {one:>8.3f} {other:>11} {next_gmd:>8} {next_metrics:>12}"
                )
                poller.close()
    finally:
        server.stop()


if __name__ == "__main__":
    main([int(a) for a in sys.argv[1:]] or [40, 500, 5000])
