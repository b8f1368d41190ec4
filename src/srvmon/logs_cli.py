"""`srvmon logs`: the drill-down for scripts — log records (or per-function health) as JSON lines.

Always the newest `--limit` records (at most MAX_LIMIT), printed oldest first. Whenever the answer is cut
or incomplete it says so: every line carries `"truncated"` (more records matched than were returned, or
health summarised a capped sample), and stderr explains (the provider's warnings too). A provider or
resource that does not exist is a usage error naming the close matches (exit 2).
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any, TextIO

from srvmon.clock import Clock
from srvmon.logs_args import MAX_LIMIT
from srvmon.model import LogQuery, LogRecord, LogResult, TimeWindow, parse_duration, step_for_range
from srvmon.providers.base import NotSupported, Provider, ProviderError
from srvmon.sanitize import clean

EXIT_OK = 0
EXIT_USAGE = 2
EXIT_PROVIDER = 3


def rfc3339(epoch_s: float) -> str:
    """Epoch seconds -> '2026-11-22T04:10:47.189Z' (millisecond precision, UTC)."""
    dt = datetime.fromtimestamp(epoch_s, UTC)
    return dt.strftime("%Y-%m-%dT%H:%M:%S.") + f"{dt.microsecond // 1000:03d}Z"


def record_json(record: LogRecord, truncated: bool = False) -> dict[str, Any]:
    """The JSON-lines shape of one record; `truncated`: the answer it belongs to was cut at the limit."""
    return {
        "time": rfc3339(record.timestamp),
        "resource": record.resource,
        "level": record.level,
        "status": record.status,
        "duration_ms": _finite(record.duration_ms),
        "request_id": record.request_id,
        "message": record.message,
        "fields": dict(record.fields),
        "link": record.link,
        "truncated": truncated,
    }


def _finite(value: float | None) -> float | None:
    if isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value):
        return value
    return None


def dumps(obj: Mapping[str, Any]) -> str:
    """One JSON line; control and non-ASCII characters are escaped, so the output is terminal-safe."""
    try:
        return json.dumps(obj, ensure_ascii=True, default=str, allow_nan=False, separators=(", ", ": "))
    except ValueError:  # NaN/Infinity somewhere in provider fields: not JSON, write null instead
        return json.dumps(_scrub(obj), ensure_ascii=True, default=str, separators=(", ", ": "))


def _scrub(value: Any) -> Any:
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, Mapping):
        return {str(k): _scrub(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_scrub(v) for v in value]
    return value


def close_matches(name: str, known: Sequence[str]) -> str:
    """'; did you mean 'a' or 'b'?' (difflib), or the first known names when none is close."""
    import difflib

    near = difflib.get_close_matches(name, list(known), n=3, cutoff=0.6)
    if near:
        return "; did you mean " + " or ".join(repr(n) for n in near) + "?"
    if known:
        shown = ", ".join(list(known)[:10]) + (", ..." if len(known) > 10 else "")
        return f"; known: {shown}"
    return ""


def choose_provider(providers: Mapping[str, Provider], name: str | None, capability: str) -> Provider:
    """The named provider, or the first one offering `capability` (then "logs"); ValueError if none."""
    if name:
        if name not in providers:
            hint = close_matches(name, list(providers)) or "; none configured"
            raise ValueError(f"no provider named {name!r}{hint}")
        return providers[name]
    for wanted in (capability, "logs"):
        for provider in providers.values():
            if wanted in provider.capabilities:
                return provider
    raise ValueError("no configured provider offers logs; add one or pass --provider")


def unknown_resources(provider: Provider, names: Sequence[str]) -> str | None:
    """A usage error for the `names` the provider does not have, or None. Providers that can tell
    cheaply implement `missing_resources(names) -> {name: [close matches]}` (AWS: one log-group lookup
    per name); the others are checked after the query (see `empty_unknown`)."""
    finder = getattr(provider, "missing_resources", None)
    if not names or not callable(finder):
        return None
    missing: Mapping[str, Sequence[str]] = finder(list(names))
    if not missing:
        return None
    parts = []
    for name, near in missing.items():
        hint = "; did you mean " + " or ".join(repr(n) for n in near) + "?" if near else ""
        parts.append(f"{name!r}{hint}")
    return f"provider {provider.name!r} has no resource " + ", no resource ".join(parts)


def empty_unknown(provider: Provider, names: Sequence[str], found: Sequence[LogRecord]) -> str | None:
    """For providers without `missing_resources`: a named resource that returned nothing and is not
    among `resources()` is reported as unknown (names with wildcards or a ':' are patterns, not names)."""
    if not names or found or callable(getattr(provider, "missing_resources", None)):
        return None
    known = provider.resources()
    plain = [n for n in names if not any(ch in n for ch in "*?[:")]
    missing = [n for n in plain if known and n not in known]
    if not missing:
        return None
    return "; ".join(
        f"provider {provider.name!r} has no resource {n!r}{close_matches(n, known)}" for n in missing
    )


def build_query(args: argparse.Namespace, provider: Provider, clock: Clock) -> LogQuery:
    try:
        since_s = parse_duration(args.since)
    except ValueError as exc:
        raise ValueError(f"--since: {exc}") from None
    if since_s > 400 * 86400:
        raise ValueError(f"--since {args.since!r}: logs reach back at most 400 days")
    now = clock.now()
    window = TimeWindow(now - timedelta(seconds=since_s), now, step_for_range(since_s))
    resources = tuple(args.resource) if args.resource else tuple(provider.resources())
    return LogQuery(
        provider=provider.name,
        window=window,
        resources=resources,
        text=args.filter or None,
        regex=bool(args.regex),
        errors_only=bool(args.errors),
        status_class=args.status or None,
        limit=args.limit,
    )


def fetch_records(provider: Provider, query: LogQuery) -> tuple[list[LogRecord], LogResult]:
    """Records for `query`, filtered locally when the provider did not, oldest first, the newest `limit`;
    and the provider's LogResult (its partial/truncated/warnings), `truncated` set when the local
    filter or limit cut more."""
    from dataclasses import replace

    from srvmon.logfilter import apply_query

    result = provider.logs(query)
    records = list(result.records)
    if not result.filtered_by_provider:
        records = apply_query(query, records)
    records.sort(key=lambda r: r.timestamp)
    if query.limit and len(records) > query.limit:
        records = records[-query.limit :]
        result = replace(result, truncated=True)
    return records, result


def health_rows(provider: Provider, query: LogQuery) -> tuple[list[dict[str, Any]], str | None]:
    """Per-function health rows (provider-computed when it can, else mined from the provider's logs),
    and a note when they summarise a capped sample of the window's invocations."""
    note: str | None = None
    if "health" in provider.capabilities:
        try:
            sample = getattr(provider, "function_health_sample", None)
            if callable(sample):
                rows, note = sample(query.window, query.resources)
            else:
                rows = provider.function_health(query.window, query.resources)
            return [{**h.row(), "truncated": note is not None} for h in rows], note
        except NotSupported:
            pass
    from srvmon.logmine import mine_health

    lines = max(query.limit, 10000)
    unfiltered = LogQuery(
        provider=query.provider, window=query.window, resources=query.resources, limit=lines
    )
    result = provider.logs(unfiltered)
    if result.truncated or len(result.records) >= lines:
        note = (
            f"health mined from the newest {len(result.records):,} log records only; older ones were not read"
        )
    return [{**h.row(), "truncated": note is not None} for h in mine_health(result.records)], note


def run_logs(
    args: argparse.Namespace,
    loaded_config: Any,
    providers: Mapping[str, Provider],
    clock: Clock,
    *,
    out: TextIO | None = None,
    err: TextIO | None = None,
) -> int:
    """Run `srvmon logs`: 0 ok, 2 usage error, 3 provider failure. `loaded_config` is not needed."""
    out = out or sys.stdout
    err = err or sys.stderr
    try:
        if args.limit is not None and args.limit <= 0:
            raise ValueError(f"--limit must be positive, not {args.limit}")
        if args.limit is not None and args.limit > MAX_LIMIT:
            raise ValueError(f"--limit must be at most {MAX_LIMIT:,}, not {args.limit:,}")
        if args.status:
            from srvmon.logfilter import parse_status_class

            parse_status_class(args.status)
        if args.filter and args.regex:
            import re

            try:
                re.compile(args.filter)
            except re.error as exc:
                raise ValueError(f"--filter is not a valid regex: {exc}") from None
        provider = choose_provider(providers, args.provider, "health" if args.health else "logs")
        query = build_query(args, provider, clock)
    except ValueError as exc:
        print(f"srvmon logs: {exc}", file=err)
        return EXIT_USAGE
    notes: list[str] = []
    try:
        problem = unknown_resources(provider, args.resource)
        if problem:
            print(f"srvmon logs: {clean(problem)}", file=err)
            return EXIT_USAGE
        lines: Sequence[Mapping[str, Any]]
        if args.health:
            lines, note = health_rows(provider, query)
            notes += [note] if note else []
        else:
            records, result = fetch_records(provider, query)
            problem = empty_unknown(provider, args.resource, records)
            if problem:
                print(f"srvmon logs: {clean(problem)}", file=err)
                return EXIT_USAGE
            notes += [f"warning: {w}" for w in result.warnings]
            if result.partial:
                notes.append("the search did not finish: the records are partial")
            if result.truncated:
                notes.append(
                    f"showing the newest {len(records):,} records; more matched (raise --limit, up to"
                    f" {MAX_LIMIT:,}, or narrow --since / --filter)"
                )
            lines = [record_json(r, result.truncated) for r in records]
    except NotSupported as exc:
        print(f"srvmon logs: {exc}", file=err)
        return EXIT_USAGE
    except ProviderError as exc:
        hint = " (throttled; try again later)" if exc.throttled else ""
        print(f"srvmon logs: provider {provider.name!r} failed: {clean(str(exc))}{hint}", file=err)
        return EXIT_PROVIDER
    for line in lines:
        out.write(dumps(line) + "\n")
    out.flush()
    for note in notes:
        print(f"srvmon logs: {clean(note)}", file=err)
    return EXIT_OK
