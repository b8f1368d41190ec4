"""Drill-down logs: Logs Insights (escaped user text, polled with backoff within a time budget, capped and
paged) with FilterLogEvents as the fallback, and REPORT-line function health via srvmon.logmine."""

from __future__ import annotations

import contextlib
import re
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from srvmon.model import LogQuery, LogRecord, LogResult, TimeWindow
from srvmon.providers.aws.errors import describe, is_denied, is_throttle
from srvmon.providers.aws.links import log_stream_link
from srvmon.providers.aws.session import Target
from srvmon.providers.base import ProviderError, UsageCounter

MAX_ROWS = 10_000
MAX_GROUPS_PER_QUERY = 50
PRICE_PER_GB_SCANNED = 0.005
ERROR_PATTERN = r"(?i)(error|exception|fatal|task timed out|runtime exited|runtime\.exiterror|traceback)"
HEALTH_QUERY = (
    "fields @timestamp, @message, @log, @logStream\n"
    '| filter @type = "REPORT" or @message like /Task timed out|Runtime exited|Runtime\\.ExitError'
    '|Process exited before completing|"type":"platform\\.report"|"type":"platform\\.runtimeDone"/\n'
    "| sort @timestamp desc\n"  # past the row cap, health describes the most recent invocations
    f"| limit {MAX_ROWS}"
)
_ERROR_RE = re.compile(ERROR_PATTERN)
_STATUS_RE = {c: re.compile(rf"\b{c[0]}\d\d\b") for c in ("2xx", "3xx", "4xx", "5xx")}
_LAMBDA_LINE = re.compile(r"^\S+\t([0-9a-fA-F-]{8,})\t([A-Z]+)\t")
_REQ_ID = re.compile(
    r"RequestId:\s*([0-9a-fA-F-]{8,})|\b([0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12})\b"
)
_DURATION = re.compile(r"\tDuration:\s*([\d.]+)\s*ms")
_LEVEL = re.compile(r"\b(FATAL|ERROR|WARN|WARNING|INFO|DEBUG|TRACE)\b")


def log_group(resource: str) -> str:
    """A function name -> its log group; a name starting with '/' is already a log group."""
    return resource if resource.startswith("/") else f"/aws/lambda/{resource}"


def resource_of(group: str) -> str:
    """'/aws/lambda/checkout-api' or '123456789012:/aws/lambda/checkout-api' -> 'checkout-api'."""
    group = group.split(":", 1)[1] if ":" in group and not group.startswith("/") else group
    return group.removeprefix("/aws/lambda/")


def regex_literal(text: str) -> str:
    """User text as a literal inside `like /.../`: regex metacharacters and '/' escaped, no newlines."""
    return re.escape(" ".join(text.splitlines())).replace("/", "\\/")


def regex_safe(pattern: str) -> str:
    """A user regex made safe inside `/.../`: validated, unescaped '/' escaped, newlines removed."""
    pattern = " ".join(pattern.splitlines())
    re.compile(pattern)  # raises re.error for a broken pattern
    out, escaped = [], False
    for ch in pattern:
        if ch == "/" and not escaped:
            out.append("\\/")
        else:
            out.append(ch)
        escaped = ch == "\\" and not escaped
    return "".join(out)


def quoted(text: str) -> str:
    """A double-quoted Logs Insights string literal."""
    return '"' + " ".join(text.splitlines()).replace("\\", "\\\\").replace('"', '\\"') + '"'


def insights_query(query: LogQuery, limit: int) -> str:
    """The Logs Insights text for a drill-down; every piece of user text is escaped."""
    lines = ["fields @timestamp, @message, @logStream, @log, @requestId"]
    if query.text:
        body = regex_safe(query.text) if query.regex else regex_literal(query.text)
        lines.append(f"| filter @message like /{body}/")
    if query.errors_only:
        lines.append(f"| filter @message like /{ERROR_PATTERN}/")
    if query.status_class in _STATUS_RE:
        lines.append(f"| filter @message like /\\b{query.status_class[0]}\\d\\d\\b/")
    if query.request_id:
        lines.append(
            f"| filter @requestId = {quoted(query.request_id)} or @message like /{regex_literal(query.request_id)}/"
        )
    for key, value in sorted(query.fields.items()):
        if re.fullmatch(r"[A-Za-z_@][A-Za-z0-9_.@]*", key):
            lines.append(f"| filter {key} = {quoted(str(value))}")
    lines.append("| sort @timestamp desc")
    lines.append(f"| limit {limit}")
    return "\n".join(lines)


def matches(record: LogRecord, query: LogQuery) -> bool:
    """The same filters, applied client-side (FilterLogEvents, and emulators that ignore `filter`)."""
    msg = record.message
    if query.text:
        if query.regex:
            if not re.search(query.text, msg):
                return False
        elif query.text not in msg:
            return False
    if query.errors_only and not (_ERROR_RE.search(msg) or record.level in ("ERROR", "FATAL")):
        return False
    if query.status_class in _STATUS_RE and not _STATUS_RE[query.status_class].search(msg):
        return False
    return not (query.request_id and query.request_id not in msg and record.request_id != query.request_id)


def parse_timestamp(value: Any) -> float | None:
    """Insights '@timestamp': AWS '2026-11-22 04:10:47.189' (UTC) or moto's epoch-ms string."""
    text = str(value or "").strip()
    if not text:
        return None
    if text.isdigit():
        return int(text) / 1000.0
    try:
        dt = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    return (dt if dt.tzinfo else dt.replace(tzinfo=UTC)).timestamp()


def make_record(
    ts: float, group: str, message: str, region: str, stream: str = "", extra: dict[str, Any] | None = None
) -> LogRecord:
    level, request_id, duration = None, None, None
    m = _LAMBDA_LINE.match(message)
    if m:
        request_id, level = m.group(1), m.group(2)
    else:
        lm = _LEVEL.search(message[:200])
        level = lm.group(1) if lm else None
        rm = _REQ_ID.search(message)
        request_id = (rm.group(1) or rm.group(2)) if rm else None
    if message.startswith("REPORT"):
        dm = _DURATION.search(message)
        duration = float(dm.group(1)) if dm else None
        level = level if level in ("ERROR", "FATAL") else "INFO"
    if re.search(r"Task timed out|Runtime exited|Runtime\.ExitError", message):
        level = "ERROR"
    fields = {"log_group": group, "log_stream": stream, **(extra or {})}
    return LogRecord(
        timestamp=ts,
        resource=resource_of(group),
        message=message,
        level=level,
        request_id=request_id,
        duration_ms=duration,
        fields=fields,
        link=log_stream_link(region, group, stream) if stream else None,
    )


@dataclass
class InsightsRun:
    rows: list[dict[str, str]] = field(default_factory=list)
    complete: bool = True
    bytes_scanned: float = 0.0
    warnings: list[str] = field(default_factory=list)


class LogsReader:
    """Runs log reads for one provider; `sleep` and `monotonic` are injectable for tests."""

    def __init__(
        self,
        counter: UsageCounter,
        budget_s: float,
        *,
        sleep: Callable[[float], None] = time.sleep,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self.counter = counter
        self.budget_s = budget_s
        self.sleep = sleep
        self.monotonic = monotonic

    # -- Logs Insights -------------------------------------------------------------------------------
    def insights(
        self, client: Any, groups: Sequence[str], window: TimeWindow, text: str, limit: int
    ) -> InsightsRun:
        run = InsightsRun()
        deadline = self.monotonic() + self.budget_s
        for i in range(0, len(groups), MAX_GROUPS_PER_QUERY):
            chunk = list(groups[i : i + MAX_GROUPS_PER_QUERY])
            self.counter.call("StartQuery")
            qid = client.start_query(
                logGroupNames=chunk,
                startTime=window.start_s,
                endTime=window.end_s - 1,
                queryString=text,
                limit=limit,
            )["queryId"]
            self._poll(client, qid, deadline, limit, run)
            if not run.complete or len(run.rows) >= limit:
                break
        if run.bytes_scanned:
            self.counter.add("logs_gb_scanned", run.bytes_scanned / 1e9)
            self.counter.call("LogsInsightsScan", usd=run.bytes_scanned / 1e9 * PRICE_PER_GB_SCANNED, n=0)
        return run

    def _poll(self, client: Any, qid: str, deadline: float, limit: int, run: InsightsRun) -> None:
        delay = 0.2
        while True:
            self.counter.call("GetQueryResults")
            resp = client.get_query_results(queryId=qid)
            status = resp.get("status")
            if status in ("Complete", "Failed", "Cancelled", "Timeout", "Unknown"):
                break
            if self.monotonic() + delay > deadline:
                self.counter.call("StopQuery")
                with contextlib.suppress(Exception):
                    client.stop_query(queryId=qid)
                run.complete = False
                run.warnings.append("Logs Insights query stopped at the time budget; results are partial")
                break
            self.sleep(delay)
            delay = min(delay * 2, 2.0)
        if status in ("Failed", "Cancelled", "Timeout", "Unknown"):
            run.complete = False
            run.warnings.append(f"Logs Insights query {status.lower()}")
        run.bytes_scanned += float((resp.get("statistics") or {}).get("bytesScanned") or 0)
        run.rows.extend(_row(r) for r in resp.get("results", []))
        token = resp.get("nextToken")
        while token and len(run.rows) < limit and self.monotonic() < deadline:
            self.counter.call("GetQueryResults")
            resp = client.get_query_results(queryId=qid, nextToken=token)
            run.rows.extend(_row(r) for r in resp.get("results", []))
            token = resp.get("nextToken")

    # -- FilterLogEvents -----------------------------------------------------------------------------
    def filter_events(
        self,
        client: Any,
        groups: Sequence[str],
        window: TimeWindow,
        pattern: str | None,
        limit: int,
        keep: Callable[[LogRecord], bool],
        region: str,
    ) -> tuple[list[LogRecord], bool]:
        """Pages each group until `limit` matching records or the budget; (records, complete)."""
        deadline = self.monotonic() + self.budget_s
        out: list[LogRecord] = []
        complete = True
        for group in groups:
            kwargs: dict[str, Any] = {
                "logGroupName": group,
                "startTime": window.start_s * 1000,
                "endTime": window.end_s * 1000 - 1,
            }
            if pattern:
                kwargs["filterPattern"] = pattern
            token = None
            while True:
                if self.monotonic() > deadline:
                    return out, False
                self.counter.call("FilterLogEvents")
                try:
                    resp = client.filter_log_events(**kwargs, **({"nextToken": token} if token else {}))
                except Exception as exc:
                    if (
                        getattr(exc, "response", {}).get("Error", {}).get("Code")
                        == "ResourceNotFoundException"
                    ):
                        break
                    raise
                for e in resp.get("events", []):
                    rec = make_record(
                        int(e.get("timestamp", 0)) / 1000.0,
                        group,
                        str(e.get("message", "")),
                        region,
                        str(e.get("logStreamName", "")),
                    )
                    if keep(rec):
                        out.append(rec)
                token = resp.get("nextToken")
                if not token or len(out) >= limit:
                    complete = complete and not token
                    break
        return out, complete


def _row(fields: Iterable[dict[str, Any]]) -> dict[str, str]:
    return {str(f.get("field")): str(f.get("value", "")) for f in fields}


def filter_pattern(query: LogQuery) -> str | None:
    """A FilterLogEvents pattern for the plain-text part (regex and error filters run client-side)."""
    if query.text and not query.regex:
        return quoted(query.text)
    return None


def rows_to_records(rows: Iterable[dict[str, str]], default_group: str, region: str) -> list[LogRecord]:
    out = []
    for row in rows:
        ts = parse_timestamp(row.get("@timestamp"))
        if ts is None:
            continue
        group = row.get("@log") or default_group
        extra = {
            k: v for k, v in row.items() if k not in ("@timestamp", "@message", "@log", "@logStream", "@ptr")
        }
        rec = make_record(ts, group, row.get("@message", ""), region, row.get("@logStream", ""), extra)
        if row.get("@requestId") and rec.request_id is None:
            from dataclasses import replace

            rec = replace(rec, request_id=row["@requestId"])
        out.append(rec)
    return out


def read_logs(
    reader: LogsReader, client: Any, target: Target, groups: Sequence[str], query: LogQuery, mode: str
) -> LogResult:
    """Logs Insights (falls back to FilterLogEvents when Insights is denied/unavailable)."""
    limit = max(1, min(query.limit, MAX_ROWS))
    warnings: list[str] = []
    if mode == "insights":
        try:
            run = reader.insights(client, groups, query.window, insights_query(query, limit), limit)
        except Exception as exc:
            if is_throttle(exc):
                raise ProviderError(describe(exc, "StartQuery"), throttled=True) from exc
            if isinstance(exc, re.error):
                raise ProviderError(f"invalid regex: {exc}") from exc
            warnings.append(f"{describe(exc, 'StartQuery')}; fell back to FilterLogEvents")
            if not (is_denied(exc) or hasattr(exc, "response")):
                raise ProviderError(describe(exc, "StartQuery")) from exc
        else:
            records = [
                r
                for r in rows_to_records(run.rows, groups[0] if groups else "", target.region)
                if matches(r, query)
            ]
            records.sort(key=lambda r: r.timestamp, reverse=True)
            partial = not run.complete or len(run.rows) >= limit
            return LogResult(
                tuple(records[:limit]),
                filtered_by_provider=True,
                partial=partial,
                warnings=tuple(run.warnings),
                scanned_bytes=int(run.bytes_scanned),
            )
    try:
        records, complete = reader.filter_events(
            client,
            groups,
            query.window,
            filter_pattern(query),
            limit,
            lambda r: matches(r, query),
            target.region,
        )
    except re.error as exc:
        raise ProviderError(f"invalid regex: {exc}") from exc
    except Exception as exc:
        raise ProviderError(describe(exc, "FilterLogEvents"), throttled=is_throttle(exc)) from exc
    records.sort(key=lambda r: r.timestamp, reverse=True)
    return LogResult(
        tuple(records[:limit]),
        filtered_by_provider=True,
        partial=not complete or len(records) > limit,
        warnings=tuple(warnings),
    )


_HEALTH_RE = re.compile(
    r"^REPORT |Task timed out|Runtime exited|Runtime\.ExitError|Process exited before completing"
)


def filter_events_all(
    reader: LogsReader, client: Any, groups: Sequence[str], window: TimeWindow, region: str
) -> list[LogRecord]:
    """REPORT/timeout/OOM lines through FilterLogEvents (the health fallback when Insights is off)."""
    records, _ = reader.filter_events(
        client, groups, window, None, MAX_ROWS, lambda r: bool(_HEALTH_RE.search(r.message)), region
    )
    return records
