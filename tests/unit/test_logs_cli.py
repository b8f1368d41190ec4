"""`srvmon logs` as JSON lines: provider choice, window from --since, local filtering, --health."""

from __future__ import annotations

import argparse
import io
import json
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import ClassVar

import pytest

from srvmon.clock import FrozenClock
from srvmon.logs_args import add_logs_arguments
from srvmon.logs_cli import rfc3339, run_logs
from srvmon.model import (
    FunctionHealth,
    LogQuery,
    LogRecord,
    LogResult,
    MetricQuery,
    QueryResult,
    TimeWindow,
)
from srvmon.providers.base import Provider, ProviderError, ProviderOptions

NOW = datetime(2026, 11, 22, 4, 0, tzinfo=UTC)
T0 = NOW.timestamp()


class FakeLogs(Provider):
    """Serves fixed records; optionally claims it filtered, or fails."""

    type_name: ClassVar[str] = "fakelogs"

    def __init__(
        self,
        instance: str,
        records: Sequence[LogRecord],
        *,
        filtered: bool = False,
        fail: ProviderError | None = None,
    ) -> None:
        super().__init__(instance, ProviderOptions())
        self.records = list(records)
        self.filtered = filtered
        self.fail = fail
        self.queries: list[LogQuery] = []

    def query(self, queries: Sequence[MetricQuery], window: TimeWindow) -> dict[str, QueryResult]:
        return {q.ref_id: QueryResult(q.ref_id) for q in queries}

    def logs(self, query: LogQuery) -> LogResult:
        self.queries.append(query)
        if self.fail:
            raise self.fail
        return LogResult(tuple(self.records), filtered_by_provider=self.filtered)

    def resources(self) -> list[str]:
        return ["checkout-api", "auth"]


class FakeHealth(FakeLogs):
    type_name: ClassVar[str] = "fakehealth"

    def function_health(self, window: TimeWindow, resources: Sequence[str] = ()) -> list[FunctionHealth]:
        return [FunctionHealth("fn", 10, 1, 10.0, 200.0, 0, 0, 5.0, 50.0, None, 1.5, 0.001)]


RECORDS = [
    LogRecord(
        T0 - 30,
        "checkout-api",
        "GET /cart 200",
        level="INFO",
        status=200,
        duration_ms=12.5,
        request_id="r1",
        fields={"path": "/cart"},
    ),
    LogRecord(
        T0 - 20,
        "checkout-api",
        "POST /pay 503 \x1b[31mupstream\x1b[0m",
        level="ERROR",
        status=503,
        request_id="r2",
        link="https://console.example/r2",
    ),
    LogRecord(
        T0 - 10,
        "auth",
        "REPORT RequestId: 3604209a-e9a3-11e6-939a-754dd98c7be3\tDuration: 100.00 ms\t"
        "Billed Duration: 100 ms\tMemory Size: 1024 MB\tMax Memory Used: 80 MB\tInit Duration: 300.00 ms",
    ),
    LogRecord(T0 - 5, "auth", "bad duration", duration_ms=float("nan"), fields={"x": float("inf")}),
]


def parse(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="srvmon logs")
    add_logs_arguments(parser)
    return parser.parse_args(argv)


def run(argv: list[str], providers: dict[str, Provider]) -> tuple[int, list[dict], str]:
    out, err = io.StringIO(), io.StringIO()
    code = run_logs(parse(argv), None, providers, FrozenClock(NOW), out=out, err=err)
    lines = [json.loads(line) for line in out.getvalue().splitlines()]
    return code, lines, err.getvalue()


def test_all_records_as_json_lines_oldest_first() -> None:
    p = FakeLogs("prod", RECORDS)
    code, lines, err = run([], {"prod": p})
    assert code == 0 and err == ""
    assert [line["request_id"] for line in lines] == ["r1", "r2", None, None]
    first = lines[0]
    assert first == {
        "time": rfc3339(T0 - 30),
        "resource": "checkout-api",
        "level": "INFO",
        "status": 200,
        "duration_ms": 12.5,
        "request_id": "r1",
        "message": "GET /cart 200",
        "fields": {"path": "/cart"},
        "link": None,
        "truncated": False,
    }
    assert first["time"] == "2026-11-22T03:59:30.000Z"
    assert lines[1]["message"] == "POST /pay 503 \x1b[31mupstream\x1b[0m"  # round-trips exactly
    assert lines[3]["duration_ms"] is None and lines[3]["fields"] == {"x": None}  # NaN/inf -> null
    # The query covered --since (default 1h) ending now, over every resource of the provider.
    [q] = p.queries
    assert q.window.end == NOW and q.window.duration_s == 3600
    assert q.resources == ("checkout-api", "auth") and q.limit == 1000


def test_output_escapes_control_characters() -> None:
    out = io.StringIO()
    run_logs(parse([]), None, {"p": FakeLogs("p", RECORDS)}, FrozenClock(NOW), out=out, err=io.StringIO())
    text = out.getvalue()
    assert "\x1b" not in text and "\\u001b[31m" in text


def test_local_filtering_when_provider_did_not_filter() -> None:
    p = FakeLogs("prod", RECORDS)
    code, lines, _ = run(
        [
            "--resource",
            "checkout-api",
            "--since",
            "15m",
            "--errors",
            "--status",
            "5xx",
            "--filter",
            "UPSTREAM",
        ],
        {"prod": p},
    )
    assert code == 0
    assert [line["request_id"] for line in lines] == ["r2"]
    [q] = p.queries
    assert q.resources == ("checkout-api",) and q.window.duration_s == 900
    assert q.errors_only and q.status_class == "5xx" and q.text == "UPSTREAM" and not q.regex


def test_provider_side_filtering_is_trusted() -> None:
    p = FakeLogs("prod", RECORDS, filtered=True)
    code, lines, _ = run(["--filter", "nothing matches this"], {"prod": p})
    assert code == 0 and len(lines) == 4


def test_regex_and_limit_keep_newest() -> None:
    code, lines, _ = run(["--filter", r"^(GET|POST) ", "--regex"], {"p": FakeLogs("p", RECORDS)})
    assert [line["request_id"] for line in lines] == ["r1", "r2"]
    code, lines, _ = run(["--limit", "2"], {"p": FakeLogs("p", RECORDS)})
    assert code == 0 and [line["message"] for line in lines] == [RECORDS[2].message, "bad duration"]


def test_health_mined_from_logs() -> None:
    code, lines, _ = run(["--health"], {"p": FakeLogs("p", RECORDS)})
    assert code == 0
    assert lines == [
        {
            "function": "auth",
            "invocations": 1,
            "cold_starts": 1,
            "cold_start_pct": 100.0,
            "init_ms_avg": 300.0,
            "timeouts": 0,
            "oom": 0,
            "p50_ms": 100.0,
            "p99_ms": 100.0,
            "p99_timeout_pct": None,
            "timeout_pct": None,
            "gb_seconds": 0.1,
            "cost_usd": pytest.approx(0.1 * 0.0000166667 + 0.2 / 1e6),
            "truncated": False,
        }
    ]


def test_health_from_provider_capability_is_preferred() -> None:
    providers: dict[str, Provider] = {"a": FakeLogs("a", RECORDS), "b": FakeHealth("b", [])}
    code, lines, _ = run(["--health"], providers)
    assert code == 0 and [line["function"] for line in lines] == ["fn"] and lines[0]["gb_seconds"] == 1.5


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--provider", "nope"], "no provider named 'nope'"),
        (["--since", "soon"], "is not a duration"),
        (["--status", "7xx"], "not a status class"),
        (["--filter", "(x", "--regex"], "not a valid regex"),
        (["--limit", "0"], "--limit must be positive"),
    ],
)
def test_usage_errors_exit_2(argv: list[str], message: str) -> None:
    code, lines, err = run(argv, {"p": FakeLogs("p", RECORDS)})
    assert code == 2 and lines == [] and message in err


def test_no_provider_with_logs_exit_2() -> None:
    code, _, err = run([], {})
    assert code == 2 and "no configured provider offers logs" in err


def test_provider_failure_exit_3() -> None:
    p = FakeLogs("p", RECORDS, fail=ProviderError("ThrottlingException: Rate exceeded", throttled=True))
    code, lines, err = run([], {"p": p})
    assert code == 3 and lines == []
    assert "provider 'p' failed: ThrottlingException: Rate exceeded (throttled" in err
