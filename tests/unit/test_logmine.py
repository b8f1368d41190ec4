"""Lambda REPORT-line mining against real-format log lines (plain text and JSON log format)."""

from __future__ import annotations

import json

import pytest

from srvmon.logmine import (
    PRICE_PER_GB_S,
    FunctionConfig,
    is_oom,
    mine_health,
    parse_report,
    parse_timeout,
    percentile,
)
from srvmon.model import LogRecord

# Shapes as CloudWatch Logs stores them (tab-separated, trailing tab/newline included).
NODE_REPORT_COLD = (
    "REPORT RequestId: 8f5b6c2a-3b1e-4d5f-9a7b-1c2d3e4f5a6b\tDuration: 15.74 ms\tBilled Duration: 16 ms\t"
    "Memory Size: 128 MB\tMax Memory Used: 56 MB\tInit Duration: 130.75 ms\t\n"
)
PYTHON_REPORT_XRAY = (
    "REPORT RequestId: 3604209a-e9a3-11e6-939a-754dd98c7be3\tDuration: 12.34 ms\tBilled Duration: 13 ms\t"
    "Memory Size: 512 MB\tMax Memory Used: 41 MB\t\n"
    "XRAY TraceId: 1-5e1b4151-43a0913a12345678901234\tSegmentId: 1ae7d9b2c3f4e5d6\tSampled: true\t\n"
)
JAVA_SNAPSTART = (
    "REPORT RequestId: 2f1c4a9b-1111-4222-8333-944455556666\tDuration: 40.21 ms\tBilled Duration: 260 ms\t"
    "Memory Size: 1024 MB\tMax Memory Used: 150 MB\tRestore Duration: 473.71 ms\t"
    "Billed Restore Duration: 219 ms\t\n"
)
# Older runtimes wrote space-separated and rounded billing up to 100 ms.
OLD_REPORT = (
    "REPORT RequestId: a0537bcb-712d-11e4-8c97-af075a3c0929 Duration: 718.65 ms Billed Duration: 800 ms "
    "Memory Size: 128 MB Max Memory Used: 14 MB"
)
TIMEOUT_REPORT = (
    "REPORT RequestId: b9e1c0d2-7777-4888-9999-aaaabbbbcccc\tDuration: 3000.00 ms\tBilled Duration: 3000 ms\t"
    "Memory Size: 128 MB\tMax Memory Used: 48 MB\tStatus: timeout\n"
)
TIMEOUT_LINE = (
    "2024-02-20T12:00:03.000Z b9e1c0d2-7777-4888-9999-aaaabbbbcccc Task timed out after 3.00 seconds\n"
)
OOM_LINE = (
    "RequestId: 0c1d2e3f-4a5b-4c6d-8e7f-8091a2b3c4d5 Error: Runtime exited with error: signal: killed\n"
    "Runtime.ExitError\n"
)
OOM_REPORT = (
    "REPORT RequestId: 0c1d2e3f-4a5b-4c6d-8e7f-8091a2b3c4d5\tDuration: 2500.00 ms\tBilled Duration: 2500 ms\t"
    "Memory Size: 256 MB\tMax Memory Used: 256 MB\t\n"
)
OLD_OOM = "RequestId: 16f8d3a2-26fc-11e8-bca6-73dbc61c39e7 Process exited before completing request\n"
EXIT_1 = (
    "RequestId: 7d7d7d7d-1111-4222-8333-944455556666 Error: Runtime exited with error: exit status 1\n"
    "Runtime.ExitError\n"
)

JSON_REPORT = {
    "time": "2024-02-20T12:00:00.000Z",
    "type": "platform.report",
    "record": {
        "requestId": "6d68ca91-49c9-448d-89b8-7ca3e6dc66aa",
        "metrics": {
            "durationMs": 2.19,
            "billedDurationMs": 3,
            "memorySizeMB": 128,
            "maxMemoryUsedMB": 68,
            "initDurationMs": 155.36,
        },
        "status": "success",
    },
}
JSON_TIMEOUT = {
    "time": "2024-02-20T12:00:05.000Z",
    "type": "platform.report",
    "record": {
        "requestId": "11111111-2222-4333-8444-555555555555",
        "metrics": {
            "durationMs": 5000.0,
            "billedDurationMs": 5000,
            "memorySizeMB": 128,
            "maxMemoryUsedMB": 70,
        },
        "status": "timeout",
    },
}


# From the AWS Lambda developer guide (python-logging): tabs rendered as spaces, "xmpl" in the ids.
DOCS_PYTHON = [
    "START RequestId: 8f507cfc-xmpl-4697-b07a-ac58fc914c95 Version: $LATEST",
    "## ENVIRONMENT VARIABLES",
    "END RequestId: 8f507cfc-xmpl-4697-b07a-ac58fc914c95",
    "REPORT RequestId: 8f507cfc-xmpl-4697-b07a-ac58fc914c95  Duration: 15.74 ms  Billed Duration: 147 ms "
    "Memory Size: 128 MB Max Memory Used: 56 MB  Init Duration: 130.49 ms\n"
    "XRAY TraceId: 1-5e34a614-10bdxmplf1fb44f07bc535a1   SegmentId: 07f5xmpl2d1f6f85   Sampled: true",
]
# JSON log format with the telemetry schema's optional parts (tracing, spans) and an OOM error.
JSON_OOM = {
    "time": "2024-02-20T12:01:00.000Z",
    "type": "platform.report",
    "record": {
        "requestId": "22222222-3333-4444-8555-666666666666",
        "metrics": {
            "durationMs": 812.0,
            "billedDurationMs": 812,
            "memorySizeMB": 256,
            "maxMemoryUsedMB": 256,
        },
        "tracing": {
            "spanId": "54565fb41ac79632",
            "type": "X-Amzn-Trace-Id",
            "value": "Root=1-62e900b2-710d76f0",
        },
        "spans": [{"name": "responseLatency", "start": "2024-02-20T12:00:59.188Z", "durationMs": 1.0}],
        "status": "error",
        "errorType": "Runtime.OutOfMemory",
    },
}


def rec(message: str, resource: str = "checkout-api", ts: float = 1_700_000_000.0, **kw: object) -> LogRecord:
    return LogRecord(timestamp=ts, resource=resource, message=message, **kw)  # type: ignore[arg-type]


def test_parse_plain_report_with_init_duration() -> None:
    r = parse_report(NODE_REPORT_COLD)
    assert r is not None
    assert r.request_id == "8f5b6c2a-3b1e-4d5f-9a7b-1c2d3e4f5a6b"
    assert (r.duration_ms, r.billed_ms, r.memory_mb, r.max_memory_mb) == (15.74, 16.0, 128, 56)
    assert r.init_ms == 130.75 and r.cold and not r.out_of_memory and r.status is None


def test_parse_report_with_xray_trailer_is_warm() -> None:
    r = parse_report(PYTHON_REPORT_XRAY)
    assert r is not None
    assert r.duration_ms == 12.34 and r.billed_ms == 13.0 and r.memory_mb == 512
    assert r.init_ms is None and not r.cold


def test_parse_snapstart_restore_is_cold_and_billed_restore_not_confused() -> None:
    r = parse_report(JAVA_SNAPSTART)
    assert r is not None
    assert r.duration_ms == 40.21 and r.billed_ms == 260.0
    assert r.restore_ms == 473.71 and r.init_ms is None and r.cold


def test_parse_old_space_separated_report() -> None:
    r = parse_report(OLD_REPORT)
    assert r is not None
    assert (r.duration_ms, r.billed_ms, r.memory_mb, r.max_memory_mb) == (718.65, 800.0, 128, 14)


def test_parse_report_status_timeout_and_oom_by_memory() -> None:
    t = parse_report(TIMEOUT_REPORT)
    assert t is not None and t.timed_out and t.status == "timeout"
    o = parse_report(OOM_REPORT)
    assert o is not None and o.out_of_memory and not o.timed_out


def test_parse_json_platform_report() -> None:
    r = parse_report(json.dumps(JSON_REPORT))
    assert r is not None
    assert r.request_id == "6d68ca91-49c9-448d-89b8-7ca3e6dc66aa"
    assert (r.duration_ms, r.billed_ms, r.memory_mb, r.max_memory_mb, r.init_ms) == (2.19, 3, 128, 68, 155.36)
    assert r.status == "success" and r.cold


@pytest.mark.parametrize(
    "message",
    [
        "START RequestId: 8f5b6c2a-3b1e-4d5f-9a7b-1c2d3e4f5a6b Version: $LATEST",
        "2024-02-20T12:00:00.000Z\t8f5b6c2a\tINFO\tREPORT RequestId: in the middle of app text",
        '{"type": "platform.start", "record": {"requestId": "x"}}',
        '{"type": "platform.report", "record": {"metrics": {"durationMs": "abc"}}}',
        '{"type": "platform.report", "record": "nope"}',
        "REPORT RequestId: x\tBilled Duration: 3 ms",
        "{not json",
        "",
    ],
)
def test_parse_report_rejects_non_reports(message: str) -> None:
    assert parse_report(message) is None


def test_timeout_and_oom_detectors() -> None:
    assert parse_timeout(TIMEOUT_LINE) == 3.0
    assert parse_timeout("Task timed out after 900.00 seconds") == 900.0
    assert parse_timeout(NODE_REPORT_COLD) is None
    assert is_oom(OOM_LINE)
    assert is_oom(OLD_OOM)
    assert is_oom('{"errorType": "Runtime.OutOfMemory", "errorMessage": "..."}')
    assert not is_oom(EXIT_1)  # a non-zero exit is a crash, not an OOM kill
    assert not is_oom("all good")


def test_percentile_linear_interpolation() -> None:
    assert percentile([], 50) is None
    assert percentile([7.0], 99) == 7.0
    assert percentile([1.0, 2.0, 3.0, 4.0], 50) == 2.5
    assert percentile(list(map(float, range(1, 101))), 99) == pytest.approx(99.01)


def test_mine_health_counts_cold_starts_timeouts_oom_and_cost() -> None:
    records = [
        rec("START RequestId: 8f5b6c2a-3b1e-4d5f-9a7b-1c2d3e4f5a6b Version: $LATEST"),
        rec(NODE_REPORT_COLD),
        rec(PYTHON_REPORT_XRAY.replace("512 MB", "128 MB")),
        rec(TIMEOUT_LINE),
        rec(TIMEOUT_REPORT),  # same request as the timeout line: one invocation, one timeout
        rec(OOM_LINE),
        rec(OOM_REPORT.replace("256 MB", "128 MB")),  # same request as the OOM line
        rec("2024-02-20T12:00:00.000Z\t8f5b6c2a\tINFO\thello from the handler"),
    ]
    [h] = mine_health(records, {"checkout-api": FunctionConfig(timeout_s=3.0, memory_mb=128)})
    assert h.function == "checkout-api"
    assert h.invocations == 4
    assert h.cold_starts == 1 and h.cold_start_pct == 25.0 and h.init_ms_avg == 130.75
    assert h.timeouts == 1 and h.oom == 1
    durations = sorted([15.74, 12.34, 3000.0, 2500.0])
    assert h.p50_ms == round((durations[1] + durations[2]) / 2, 2)
    p99 = durations[2] + (durations[3] - durations[2]) * 0.97
    assert h.p99_ms == pytest.approx(round(p99, 2))
    assert h.timeout_pct == pytest.approx(round(p99 / 3000 * 100, 2))
    billed = 16 + 13 + 3000 + 2500
    gb_s = billed / 1000 * 128 / 1024
    assert h.gb_seconds == pytest.approx(gb_s)
    assert h.cost_usd == pytest.approx(gb_s * PRICE_PER_GB_S["x86_64"] + 4 * 0.2 / 1e6)


def test_mine_health_json_format_arm64_and_price_override() -> None:
    records = [rec(json.dumps(JSON_REPORT), "img"), rec(json.dumps(JSON_TIMEOUT), "img")]
    configs = {"img": FunctionConfig(timeout_s=5, memory_mb=128, arch="arm64")}
    [h] = mine_health(records, configs)
    assert h.invocations == 2 and h.timeouts == 1 and h.cold_starts == 1 and h.oom == 0
    gb_s = (3 + 5000) / 1000 * 128 / 1024
    assert h.gb_seconds == pytest.approx(gb_s)
    assert h.cost_usd == pytest.approx(gb_s * 0.0000133334 + 2 * 0.2 / 1e6)
    [h2] = mine_health(records, configs, price_per_gb_s=0.0001)
    assert h2.cost_usd == pytest.approx(gb_s * 0.0001 + 2 * 0.2 / 1e6)


def test_mine_health_without_config_has_no_timeout_pct_and_groups_functions() -> None:
    records = [
        rec(NODE_REPORT_COLD, "b-fn"),
        rec(OLD_REPORT, "a-fn"),
        rec(OLD_OOM, "a-fn"),  # OOM without any REPORT line: still an invocation
        rec("Task timed out after 6.00 seconds", "a-fn"),  # no request id at all
        rec("just an app log line", "c-fn"),  # nothing to mine: no row
    ]
    health = mine_health(records)
    assert [h.function for h in health] == ["a-fn", "b-fn"]
    a = health[0]
    assert a.invocations == 3 and a.oom == 1 and a.timeouts == 1 and a.timeout_pct is None
    assert a.p50_ms == 718.65 and a.cold_start_pct == 0.0 and a.init_ms_avg is None


def test_mine_health_uses_request_id_field_and_json_app_messages() -> None:
    python_json_app = json.dumps(
        {
            "timestamp": "2024-02-20T12:00:00Z",
            "level": "ERROR",
            "message": "Task timed out after 3.00 seconds",
            "requestId": "abc",
        }
    )
    records = [rec(python_json_app, request_id="99999999-8888-4777-8666-555555555555")]
    [h] = mine_health(records)
    assert h.invocations == 1 and h.timeouts == 1


def test_mine_health_never_crashes_on_bad_data() -> None:
    bad = [
        rec("REPORT RequestId: x\tDuration: nan ms"),
        rec('{"type": "platform.report", "record": {"requestId": 5, "metrics": {"durationMs": 1e400}}}'),
        rec('{"type": "platform.runtimeDone", "record": []}'),
        rec("[" * 10000),
        LogRecord(timestamp=0, resource="x", message=None),  # type: ignore[arg-type]
    ]
    assert mine_health(bad) == []
    assert mine_health([]) == []


def test_docs_python_sample_and_xmpl_timeout() -> None:
    r = parse_report(DOCS_PYTHON[3])
    assert r is not None
    assert r.request_id == "8f507cfc-xmpl-4697-b07a-ac58fc914c95"
    assert (r.duration_ms, r.billed_ms, r.memory_mb, r.max_memory_mb, r.init_ms) == (
        15.74,
        147.0,
        128,
        56,
        130.49,
    )
    timeout = (
        "2020-01-31T22:12:58.534Z 1c8df7d3-xmpl-46da-9778-518e6eca8125 Task timed out after 3.00 seconds"
    )
    report = (
        "REPORT RequestId: 1c8df7d3-xmpl-46da-9778-518e6eca8125\tDuration: 3003.21 ms\tBilled Duration: 3000 ms\t"
        "Memory Size: 128 MB\tMax Memory Used: 60 MB"
    )
    [h] = mine_health([rec(m) for m in DOCS_PYTHON] + [rec(timeout), rec(report)])
    assert h.invocations == 2 and h.timeouts == 1 and h.cold_starts == 1  # the timeout is tied to its REPORT


def test_json_report_with_tracing_spans_and_oom_error_type() -> None:
    r = parse_report(json.dumps(JSON_OOM))
    assert r is not None and r.status == "error" and r.error_type == "Runtime.OutOfMemory" and r.out_of_memory
    [h] = mine_health([rec(json.dumps(JSON_OOM))])
    assert h.invocations == 1 and h.oom == 1 and h.timeouts == 0 and h.p50_ms == 812.0
