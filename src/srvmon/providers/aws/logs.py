"""Drill-down logs: the newest N records through Logs Insights (escaped user text, polled with backoff
within a time budget) with FilterLogEvents as the fallback, and REPORT-line function health.

Bounds: a Logs Insights query returns at most 10,000 rows (`limit`), so more than that is read by asking
again for the part of the window older than the oldest row seen; FilterLogEvents pages hold at most
1 MB or 10,000 events. Whatever the pages hold, srvmon keeps only the newest `limit` matching records
(a bounded heap), reads at most MAX_LIMIT records per request, stops at the time budget, and says so:
`partial` (the search did not finish) and `truncated` (more records matched than were returned).
"""

from __future__ import annotations

import contextlib
import heapq
import math
import re
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any

from srvmon.model import LogQuery, LogRecord, LogResult, TimeWindow
from srvmon.providers.aws.errors import describe, is_denied, is_throttle, provider_error
from srvmon.providers.aws.links import log_stream_link
from srvmon.providers.aws.session import Target
from srvmon.providers.base import ProviderError, UsageCounter

#: Rows one Logs Insights query returns at most (the API's `limit` maximum).
MAX_ROWS = 10_000
#: The most records srvmon reads for one request (memory stays bounded by this many records).
MAX_LIMIT = 100_000
#: Log lines function health mines at most, over every log group (the newest ones).
MAX_HEALTH_LINES = 50_000
MAX_GROUPS_PER_QUERY = 50
#: Insights queries one request may start (each pages back 10,000 rows; each scans and is billed).
MAX_QUERIES = 40
#: FilterLogEvents pages one request may read (each ≤1 MB / 10,000 events).
MAX_FILTER_PAGES = 2_000
PRICE_PER_GB_SCANNED = 0.005
ERROR_PATTERN = r"(?i)(error|exception|fatal|task timed out|runtime exited|runtime\.exiterror|traceback)"


def health_query(limit: int = MAX_ROWS) -> str:
    """REPORT, timeout and crash lines, newest first (past the cap, health describes recent invocations)."""
    return (
        "fields @timestamp, @message, @log, @logStream\n"
        '| filter @type = "REPORT" or @message like /Task timed out|Runtime exited|Runtime\\.ExitError'
        '|Process exited before completing|"type":"platform\\.report"|"type":"platform\\.runtimeDone"/\n'
        "| sort @timestamp desc\n"
        f"| limit {limit}"
    )


HEALTH_QUERY = health_query()
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


class Newest:
    """The newest `limit` records offered, in bounded memory (a min-heap on the timestamp).

    `matched` counts every record offered; `floor` is the oldest timestamp kept once full."""

    def __init__(self, limit: int) -> None:
        self.limit = max(1, limit)
        self.matched = 0
        self._heap: list[tuple[float, int, LogRecord]] = []
        self._n = 0

    def add(self, record: LogRecord) -> None:
        self.matched += 1
        self._n += 1
        item = (record.timestamp, self._n, record)
        if len(self._heap) < self.limit:
            heapq.heappush(self._heap, item)
        elif item > self._heap[0]:
            heapq.heapreplace(self._heap, item)

    @property
    def full(self) -> bool:
        return len(self._heap) >= self.limit

    @property
    def floor(self) -> float:
        return self._heap[0][0] if self.full else -math.inf

    def newest_first(self) -> list[LogRecord]:
        return [r for _, _, r in sorted(self._heap, reverse=True)]

    def __len__(self) -> int:
        return len(self._heap)


@dataclass
class Collected:
    """What a newest-N read found: the kept records and whether the answer is partial or truncated."""

    newest: Newest
    complete: bool = True
    #: more matching records are known to exist than could be read (e.g. >10,000 in one second)
    more_unread: bool = False
    bytes_scanned: float = 0.0
    warnings: list[str] = field(default_factory=list)

    @property
    def truncated(self) -> bool:
        """More records matched than were kept (the limit cut the answer)."""
        return self.newest.matched > self.newest.limit or self.more_unread


def _row_key(row: dict[str, str]) -> tuple[str, ...]:
    ptr = row.get("@ptr")
    if ptr:
        return (ptr,)
    return (
        row.get("@timestamp", ""),
        row.get("@log", ""),
        row.get("@logStream", ""),
        row.get("@message", ""),
    )


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
    def bill(self, scanned: float) -> None:
        if scanned:
            self.counter.add("logs_gb_scanned", scanned / 1e9)
            self.counter.call("LogsInsightsScan", usd=scanned / 1e9 * PRICE_PER_GB_SCANNED, n=0)

    def _query(
        self,
        client: Any,
        groups: Sequence[str],
        start_s: int,
        end_s: int,
        text: str,
        limit: int,
        deadline: float,
        run: InsightsRun,
    ) -> None:
        """Start one query over [start_s, end_s] (inclusive seconds) and poll it into `run`."""
        self.counter.call("StartQuery")
        qid = client.start_query(
            logGroupNames=list(groups), startTime=start_s, endTime=end_s, queryString=text, limit=limit
        )["queryId"]
        self._poll(client, qid, deadline, limit, run)

    def _poll(self, client: Any, qid: str, deadline: float, limit: int, run: InsightsRun) -> None:
        delay = 0.2
        first = len(run.rows)
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
        run.rows.extend(_row(r) for r in resp.get("results", [])[:limit])
        token = resp.get("nextToken")
        while token and len(run.rows) - first < limit and self.monotonic() < deadline:
            self.counter.call("GetQueryResults")
            resp = client.get_query_results(queryId=qid, nextToken=token)
            run.rows.extend(_row(r) for r in resp.get("results", [])[: limit - (len(run.rows) - first)])
            token = resp.get("nextToken")

    def newest_insights(
        self,
        client: Any,
        groups: Sequence[str],
        window: TimeWindow,
        text_for: Callable[[int], str],
        collected: Collected,
        convert: Callable[[list[dict[str, str]], str], list[LogRecord]],
        keep: Callable[[LogRecord], bool],
    ) -> None:
        """The newest `collected.newest.limit` matching records of `groups` into `collected`.

        Each query returns the newest ≤10,000 rows (limit + 1) of [start, end]; while a query comes back
        full, the next one asks for [start, second of the oldest row] (rows of that second seen twice are
        dropped), until the window is read, one more match than the limit was seen and what is left is
        older than every record kept, or the budget ends."""
        deadline = self.monotonic() + self.budget_s
        newest = collected.newest
        page = min(newest.limit + 1, MAX_ROWS)  # one more than wanted tells whether more matched
        queries = 0
        for i in range(0, len(groups), MAX_GROUPS_PER_QUERY):
            chunk = list(groups[i : i + MAX_GROUPS_PER_QUERY])
            end = window.end_s - 1
            seen: set[tuple[str, ...]] = set()
            while True:
                if queries >= MAX_QUERIES or self.monotonic() > deadline:
                    collected.complete = False
                    collected.warnings.append(
                        "Logs Insights: stopped at the time budget"
                        if queries < MAX_QUERIES
                        else f"Logs Insights: stopped after {MAX_QUERIES} queries"
                    )
                    return
                queries += 1
                run = InsightsRun()
                self._query(client, chunk, window.start_s, end, text_for(page), page, deadline, run)
                collected.bytes_scanned += run.bytes_scanned
                collected.warnings.extend(run.warnings)
                fresh = [r for r in run.rows if _row_key(r) not in seen]
                for rec in convert(fresh, chunk[0]):
                    if keep(rec):
                        newest.add(rec)
                if not run.complete:
                    collected.complete = False
                    return
                if len(run.rows) < page:
                    break  # the rest of [start, end] was in this answer
                stamps = [
                    t for t in (parse_timestamp(r.get("@timestamp")) for r in run.rows) if t is not None
                ]
                if not stamps:
                    break
                if newest.matched > newest.limit and min(stamps) <= newest.floor:
                    break  # what is left is older than every record kept, and the answer is known cut
                next_end = int(min(stamps))
                if next_end == end and not fresh:
                    collected.more_unread = True
                    collected.warnings.append(
                        f"more than {page:,} records in one second; older records were not read"
                    )
                    break
                if next_end < window.start_s:
                    break
                seen = {
                    _row_key(r)
                    for r in run.rows
                    if int(parse_timestamp(r.get("@timestamp")) or 0) == next_end
                }
                end = next_end

    # -- FilterLogEvents -----------------------------------------------------------------------------
    def newest_filtered(
        self,
        client: Any,
        groups: Sequence[str],
        window: TimeWindow,
        pattern: str | None,
        collected: Collected,
        keep: Callable[[LogRecord], bool],
        region: str,
    ) -> None:
        """The newest matching records of `groups` into `collected`, reading the window in slices from
        its end backwards (1/16 of it, then doubling): FilterLogEvents pages oldest first, so the slice
        order is what makes the answer the newest N without reading the whole window."""
        deadline = self.monotonic() + self.budget_s
        newest = collected.newest
        pages = 0
        start_ms, end_ms = window.start_s * 1000, window.end_s * 1000
        for group in groups:
            end = end_ms
            width = max(60_000, (end_ms - start_ms) // 16)
            while end > start_ms:
                if newest.matched > newest.limit and newest.floor * 1000 >= end:
                    break  # older slices cannot change the answer, and it is known cut
                begin = max(start_ms, end - width)
                token = None
                while True:
                    if pages >= MAX_FILTER_PAGES or self.monotonic() > deadline:
                        collected.complete = False
                        collected.warnings.append(
                            "FilterLogEvents: stopped at the time budget"
                            if pages < MAX_FILTER_PAGES
                            else f"FilterLogEvents: stopped after {MAX_FILTER_PAGES} pages"
                        )
                        return
                    pages += 1
                    kwargs: dict[str, Any] = {"logGroupName": group, "startTime": begin, "endTime": end - 1}
                    if pattern:
                        kwargs["filterPattern"] = pattern
                    if token:
                        kwargs["nextToken"] = token
                    self.counter.call("FilterLogEvents")
                    try:
                        resp = client.filter_log_events(**kwargs)
                    except Exception as exc:
                        if (
                            getattr(exc, "response", {}).get("Error", {}).get("Code")
                            == "ResourceNotFoundException"
                        ):
                            end = start_ms  # no such group: next group
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
                            newest.add(rec)
                    new_token = resp.get("nextToken")
                    if not new_token or new_token == token:
                        break
                    token = new_token
                end = min(end, begin)
                width *= 2


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
            rec = replace(rec, request_id=row["@requestId"])
        out.append(rec)
    return out


def read_logs(
    reader: LogsReader, client: Any, target: Target, groups: Sequence[str], query: LogQuery, mode: str
) -> LogResult:
    """The newest `query.limit` (at most MAX_LIMIT) matching records of `groups`, newest first, through
    Logs Insights (falling back to FilterLogEvents when Insights is denied/unavailable) or FilterLogEvents."""
    limit = max(1, min(query.limit, MAX_LIMIT))
    collected = Collected(Newest(limit))
    if query.limit > MAX_LIMIT:
        collected.warnings.append(f"srvmon reads at most {MAX_LIMIT:,} records per request")

    def keep(r: LogRecord) -> bool:
        return matches(r, query)

    def convert(rows: list[dict[str, str]], group: str) -> list[LogRecord]:
        return rows_to_records(rows, group, target.region)

    if mode == "insights":
        try:
            reader.newest_insights(
                client, groups, query.window, lambda n: insights_query(query, n), collected, convert, keep
            )
        except Exception as exc:
            if is_throttle(exc):
                raise provider_error(exc, "StartQuery") from exc
            if isinstance(exc, re.error):
                raise ProviderError(f"invalid regex: {exc}") from exc
            if not (is_denied(exc) or hasattr(exc, "response")):
                raise provider_error(exc, "StartQuery") from exc
            collected = Collected(
                Newest(limit), warnings=[f"{describe(exc, 'StartQuery')}; fell back to FilterLogEvents"]
            )
        else:
            reader.bill(collected.bytes_scanned)
            return _result(collected)
    try:
        reader.newest_filtered(
            client, groups, query.window, filter_pattern(query), collected, keep, target.region
        )
    except re.error as exc:
        raise ProviderError(f"invalid regex: {exc}") from exc
    except Exception as exc:
        raise provider_error(exc, "FilterLogEvents") from exc
    return _result(collected)


def _result(collected: Collected) -> LogResult:
    return LogResult(
        tuple(collected.newest.newest_first()),
        filtered_by_provider=True,
        partial=not collected.complete,
        truncated=collected.truncated,
        warnings=tuple(dict.fromkeys(collected.warnings)),
        scanned_bytes=int(collected.bytes_scanned),
    )


_HEALTH_RE = re.compile(
    r"^REPORT |Task timed out|Runtime exited|Runtime\.ExitError|Process exited before completing"
)


def health_lines(
    reader: LogsReader,
    client: Any,
    groups: Sequence[str],
    window: TimeWindow,
    region: str,
    mode: str,
    cap: int,
) -> Collected:
    """The newest `cap` REPORT/timeout/OOM lines of `groups` (Insights, or FilterLogEvents in filter mode)."""
    collected = Collected(Newest(cap))

    def keep(r: LogRecord) -> bool:
        return bool(_HEALTH_RE.search(r.message)) or '"platform.' in r.message

    if mode == "insights":

        def convert(rows: list[dict[str, str]], group: str) -> list[LogRecord]:
            return rows_to_records(rows, group, region)

        reader.newest_insights(client, groups, window, health_query, collected, convert, keep)
        reader.bill(collected.bytes_scanned)
    else:
        reader.newest_filtered(client, groups, window, None, collected, keep, region)
    return collected
