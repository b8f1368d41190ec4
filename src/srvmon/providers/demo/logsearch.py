"""Demo log search: LogQuery filters applied provider-side, newest first; records for health mining."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Sequence

from srvmon.model import LogQuery, LogRecord, LogResult
from srvmon.providers.base import ProviderError
from srvmon.providers.demo import logs
from srvmon.providers.demo.fleet import Fleet, Function, Incidents
from srvmon.providers.demo.rhythm import rhythm

#: Stop a search after generating this many invocations (the result is then marked partial).
SCAN_BUDGET = 60_000
#: Health mining looks at no more than this many minutes per function (spread over the window).
HEALTH_MINUTES = 120


def _text_matcher(query: LogQuery) -> Callable[[str], bool] | None:
    if not query.text:
        return None
    if query.regex:
        try:
            pattern = re.compile(query.text)
        except re.error as exc:
            raise ProviderError(f"invalid regular expression {query.text!r}: {exc}") from exc
        return lambda message: pattern.search(message) is not None
    needle = query.text.lower()
    return lambda message: needle in message.lower()


def _is_error(rec: LogRecord) -> bool:
    return rec.level in ("ERROR", "FATAL") or (rec.status is not None and rec.status >= 500)


def _record_filter(query: LogQuery, start: float, end: float) -> Callable[[LogRecord], bool]:
    text = _text_matcher(query)
    klass = int(query.status_class[0]) if query.status_class and query.status_class[0].isdigit() else None
    fields = dict(query.fields)

    def keep(rec: LogRecord) -> bool:
        if not start <= rec.timestamp < end:
            return False
        if query.errors_only and not _is_error(rec):
            return False
        if query.status_class is not None and (rec.status is None or rec.status // 100 != klass):
            return False
        if fields and any(str(rec.fields.get(k)) != str(v) for k, v in fields.items()):
            return False
        return text is None or text(rec.message)

    return keep


def _outcome_may_match(query: LogQuery, outcome: str) -> bool:
    if query.errors_only and outcome in ("ok", "4xx"):
        return False
    if query.status_class is not None:
        return {"2": "ok", "4": "4xx", "5": "5xx"}.get(query.status_class[:1]) == outcome
    return True


def search(
    fleet: Fleet,
    inc: Incidents,
    query: LogQuery,
    functions: Sequence[Function],
    now_s: int,
    warnings: tuple[str, ...] = (),
) -> LogResult:
    """Newest-first records of `functions` matching every filter of `query`, up to `query.limit`."""
    keep = _record_filter(query, query.window.start_s, min(query.window.end_s, now_s))
    limit = max(0, query.limit)
    if query.request_id:
        found = logs.decode_request_id(fleet, query.request_id)
        allowed = {fn.name for fn in functions}
        if found is None or found[0].name not in allowed or found[1] * 60 >= now_s:
            return LogResult((), filtered_by_provider=True, warnings=warnings)
        fn, minute, k = found
        recs = [r for r in logs.records(logs.invocation(fleet, inc, fn, minute, k)) if _lookup_keep(query, r)]
        return LogResult(
            tuple(sorted(recs, key=lambda r: -r.timestamp)[:limit]),
            filtered_by_provider=True,
            warnings=warnings,
        )
    out: list[LogRecord] = []
    prefilter = query.errors_only or query.status_class is not None
    scanned = 0
    partial = False
    first = query.window.start_s // 60
    last = (min(query.window.end_s, now_s) - 1) // 60
    for minute in range(last, first - 1, -1):
        if len(out) >= limit:
            break
        if scanned > SCAN_BUDGET:
            partial = True
            break
        r = rhythm(minute * 60, inc.anchor_s)
        batch: list[LogRecord] = []
        for fn in functions:
            n = logs.count(fleet, fn, minute, r)
            scanned += n
            for k in range(n):
                if prefilter and not _outcome_may_match(query, logs.quick_outcome(fleet, inc, fn, minute, k)):
                    continue
                batch.extend(
                    rec for rec in logs.records(logs.invocation(fleet, inc, fn, minute, k)) if keep(rec)
                )
        batch.sort(key=lambda rec: (-rec.timestamp, rec.resource))
        out.extend(batch)
    if partial:
        warnings += (
            f"demo: stopped after scanning {scanned} invocations; narrow the window or the functions",
        )
    return LogResult(tuple(out[:limit]), filtered_by_provider=True, partial=partial, warnings=warnings)


def _lookup_keep(query: LogQuery, rec: LogRecord) -> bool:
    """A request-id lookup shows the whole invocation, still honouring an explicit text filter."""
    text = _text_matcher(query)
    return text is None or text(rec.message)


def health_minutes(start_s: int, end_s: int) -> range:
    """The epoch minutes health samples: at most HEALTH_MINUTES, spread over the window, newest first, on
    absolute multiples of the stride (so successive refreshes, and windows of one stride, agree)."""
    first, last = start_s // 60, (end_s - 1) // 60
    count = last - first + 1
    stride = max(1, -(-count // HEALTH_MINUTES))
    return range(last - last % stride, first - 1, -stride) if count > 0 else range(0)


def health_invocations(
    fleet: Fleet, inc: Incidents, functions: Sequence[Function], start_s: int, end_s: int
) -> Iterator[logs.Invocation]:
    """The invocations health looks at: those of `health_minutes`, newest minute first."""
    for minute in health_minutes(start_s, end_s):
        r = rhythm(minute * 60, inc.anchor_s)
        for fn in functions:
            yield from logs.invocations(fleet, inc, fn, minute, r)


def health_records(
    fleet: Fleet, inc: Incidents, functions: Sequence[Function], start_s: int, end_s: int
) -> Iterator[LogRecord]:
    """The REPORT/timeout/OOM lines of those invocations: what mining the logs for health would read."""
    for inv in health_invocations(fleet, inc, functions, start_s, end_s):
        yield from logs.records(inv, health_only=True)
