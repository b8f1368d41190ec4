"""`srvmon logs`: the drill-down for scripts — log records (or per-function health) as JSON lines."""

from __future__ import annotations

import argparse
import json
import math
import sys
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any, TextIO

from srvmon.clock import Clock
from srvmon.model import FunctionHealth, LogQuery, LogRecord, TimeWindow, parse_duration, step_for_range
from srvmon.providers.base import NotSupported, Provider, ProviderError

EXIT_OK = 0
EXIT_USAGE = 2
EXIT_PROVIDER = 3


def add_logs_arguments(parser: argparse.ArgumentParser) -> None:
    """Add the `srvmon logs` options to a (sub)parser."""
    parser.add_argument("--provider", metavar="P", help="provider instance (default: the first with logs)")
    parser.add_argument(
        "--resource",
        metavar="R",
        action="append",
        default=[],
        help="function/app to read (repeatable; default: every resource of the provider)",
    )
    parser.add_argument("--since", default="1h", metavar="DUR", help="how far back, e.g. 15m, 1h, 1d")
    parser.add_argument("--filter", metavar="X", help="keep records whose message contains X")
    parser.add_argument("--regex", action="store_true", help="treat --filter as a regular expression")
    parser.add_argument("--errors", action="store_true", help="only errors (level, 5xx, timeouts, crashes)")
    parser.add_argument("--status", metavar="5xx", help="only this status class (2xx, 4xx, 5xx) or code")
    parser.add_argument("--limit", type=int, default=1000, metavar="N", help="at most N records (newest)")
    parser.add_argument(
        "--health",
        action="store_true",
        help="one line per function: cold starts, timeouts, OOM, durations, cost",
    )


def rfc3339(epoch_s: float) -> str:
    """Epoch seconds -> '2026-11-22T04:10:47.189Z' (millisecond precision, UTC)."""
    dt = datetime.fromtimestamp(epoch_s, UTC)
    return dt.strftime("%Y-%m-%dT%H:%M:%S.") + f"{dt.microsecond // 1000:03d}Z"


def record_json(record: LogRecord) -> dict[str, Any]:
    """The JSON-lines shape of one record."""
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


def choose_provider(providers: Mapping[str, Provider], name: str | None, capability: str) -> Provider:
    """The named provider, or the first one offering `capability` (then "logs"); ValueError if none."""
    if name:
        if name not in providers:
            known = ", ".join(providers) or "none"
            raise ValueError(f"no provider named {name!r}; configured: {known}")
        return providers[name]
    for wanted in (capability, "logs"):
        for provider in providers.values():
            if wanted in provider.capabilities:
                return provider
    raise ValueError("no configured provider offers logs; add one or pass --provider")


def build_query(args: argparse.Namespace, provider: Provider, clock: Clock) -> LogQuery:
    since_s = parse_duration(args.since)
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


def fetch_records(provider: Provider, query: LogQuery) -> list[LogRecord]:
    """Records for `query`, filtered locally when the provider did not, oldest first, newest `limit`."""
    from srvmon.logfilter import apply_query

    result = provider.logs(query)
    records = list(result.records)
    if not result.filtered_by_provider:
        records = apply_query(query, records)
    records.sort(key=lambda r: r.timestamp)
    if query.limit and len(records) > query.limit:
        records = records[-query.limit :]
    return records


def health_rows(provider: Provider, query: LogQuery) -> list[FunctionHealth]:
    """Provider-computed health when it has it, else mined from the provider's Lambda logs."""
    if "health" in provider.capabilities:
        try:
            return provider.function_health(query.window, query.resources)
        except NotSupported:
            pass
    from srvmon.logmine import mine_health

    unfiltered = LogQuery(
        provider=query.provider, window=query.window, resources=query.resources, limit=max(query.limit, 10000)
    )
    return mine_health(provider.logs(unfiltered).records)


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
    try:
        lines: Sequence[Mapping[str, Any]]
        if args.health:
            lines = [h.row() for h in health_rows(provider, query)]
        else:
            lines = [record_json(r) for r in fetch_records(provider, query)]
    except NotSupported as exc:
        print(f"srvmon logs: {exc}", file=err)
        return EXIT_USAGE
    except ProviderError as exc:
        hint = " (throttled; try again later)" if exc.throttled else ""
        print(f"srvmon logs: provider {provider.name!r} failed: {exc}{hint}", file=err)
        return EXIT_PROVIDER
    for line in lines:
        out.write(dumps(line) + "\n")
    out.flush()
    return EXIT_OK
