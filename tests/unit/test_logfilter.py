"""The local log filter: text/regex, errors only, status class, fields — and fast at 100,000 records."""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime

import pytest

from srvmon.logfilter import (
    FilterError,
    LogFilter,
    apply_query,
    is_error,
    message_fields,
    parse_status_class,
    record_fields,
)
from srvmon.model import LogQuery, LogRecord, TimeWindow

RECORDS = [
    LogRecord(1.0, "checkout-api", "GET /cart 200 in 12 ms", level="INFO", status=200, request_id="r1"),
    LogRecord(
        2.0, "checkout-api", "POST /pay 503 upstream timeout", level="WARN", status=503, request_id="r2"
    ),
    LogRecord(3.0, "checkout-api", "GET /missing 404", status=404, request_id="r3"),
    LogRecord(4.0, "auth", "2024-02-20T12:00:00.000Z\tr4\tERROR\tInvoke Error", request_id="r4"),
    LogRecord(5.0, "auth", "2024-02-20T12:00:03.000Z r5 Task timed out after 3.00 seconds"),
    LogRecord(6.0, "auth", json.dumps({"level": "info", "message": "login ok", "user": "alice", "code": 7})),
    LogRecord(
        7.0, "auth", json.dumps({"level": "error", "message": "Login FAILED", "user": "bob"}), level="error"
    ),
    LogRecord(8.0, "img", "[ERROR]\t2024-02-20T12:00:00Z\tr8\tTraceback (most recent call last):"),
    LogRecord(9.0, "img", "ordinary line with Ünïcode", fields={"tenant": "acme"}),
]


def ts(records: list[LogRecord]) -> list[float]:
    return [r.timestamp for r in records]


def test_empty_filter_keeps_everything() -> None:
    f = LogFilter()
    assert f.empty
    assert ts(f.apply(RECORDS)) == ts(RECORDS)


def test_text_is_case_insensitive_substring() -> None:
    assert ts(LogFilter(text="login").apply(RECORDS)) == [6.0, 7.0]
    assert ts(LogFilter(text="ÜNÏCODE").apply(RECORDS)) == [9.0]
    assert ts(LogFilter(text="(most").apply(RECORDS)) == [8.0]  # not a regex


def test_regex() -> None:
    assert ts(LogFilter(text=r"\b(404|503)\b", regex=True).apply(RECORDS)) == [2.0, 3.0]
    with pytest.raises(FilterError, match="invalid regex"):
        LogFilter(text="(unclosed", regex=True).compile()


def test_errors_only() -> None:
    assert ts(LogFilter(errors_only=True).apply(RECORDS)) == [2.0, 4.0, 5.0, 7.0, 8.0]
    assert not is_error(RECORDS[2])  # a 404 is the user's error, not ours


def test_status_class_and_code() -> None:
    assert ts(LogFilter(status_class="5xx").apply(RECORDS)) == [2.0]
    assert ts(LogFilter(status_class="4xx").apply(RECORDS)) == [3.0]
    assert ts(LogFilter(status_class="200").apply(RECORDS)) == [1.0]
    assert parse_status_class(None) is None
    assert parse_status_class("2XX") == (200, 299)
    with pytest.raises(FilterError):
        parse_status_class("6xx")


def test_fields_from_json_message_and_record_fields() -> None:
    assert ts(LogFilter(fields={"user": "alice"}).apply(RECORDS)) == [6.0]
    assert ts(LogFilter(fields={"code": "7"}).apply(RECORDS)) == [6.0]
    assert ts(LogFilter(fields={"tenant": "acme"}).apply(RECORDS)) == [9.0]
    assert ts(LogFilter(fields={"resource": "img", "level": "ERROR"}).apply(RECORDS)) == []
    assert ts(LogFilter(fields={"status": "404"}).apply(RECORDS)) == [3.0]
    assert message_fields("not json") is None
    assert message_fields("  [1, 2]") is None
    assert record_fields(RECORDS[8]) == {"tenant": "acme"}


def test_resources_request_id_and_combination() -> None:
    assert ts(LogFilter(resources=("auth",), errors_only=True).apply(RECORDS)) == [4.0, 5.0, 7.0]
    assert ts(LogFilter(request_id="r5").apply(RECORDS)) == [5.0]  # found in the message text
    assert ts(LogFilter(request_id="r2").apply(RECORDS)) == [2.0]


def test_apply_query_uses_every_query_field() -> None:
    window = TimeWindow(datetime(2026, 1, 1, tzinfo=UTC), datetime(2026, 1, 1, 1, tzinfo=UTC), 60)
    q = LogQuery(provider="p", window=window, resources=("checkout-api",), text="pay", status_class="5xx")
    assert ts(apply_query(q, RECORDS)) == [2.0]


def test_fast_at_100k_records() -> None:
    records = [
        LogRecord(
            float(i),
            f"fn-{i % 20}",
            f"2024-02-20T12:00:00.000Z\treq-{i}\t{'ERROR' if i % 97 == 0 else 'INFO'}\tprocessed order {i}",
            status=500 if i % 101 == 0 else 200,
        )
        for i in range(100_000)
    ]
    start = time.process_time()  # CPU time: robust to a loaded machine
    text_hits = LogFilter(text="ORDER 4242").apply(records)
    regex_hits = LogFilter(text=r"order 4242\d$", regex=True).apply(records)
    errors = LogFilter(errors_only=True).apply(records)
    both = LogFilter(status_class="5xx", text="order").apply(records)
    elapsed = time.process_time() - start
    assert [r.timestamp for r in text_hits] == [4242.0] + [float(42420 + d) for d in range(10)]
    assert [r.timestamp for r in regex_hits] == [float(42420 + d) for d in range(10)]
    assert len(errors) == len({i for i in range(100_000) if i % 97 == 0 or i % 101 == 0})
    assert len(both) == len(range(0, 100_000, 101))
    assert elapsed < 1.5, f"4 passes over 100k records took {elapsed:.2f}s of CPU"
