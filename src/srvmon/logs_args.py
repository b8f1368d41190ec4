"""`srvmon logs` options, apart from the command (building the CLI parser must not import providers)."""

from __future__ import annotations

import argparse

#: The largest --limit: records are held in memory to print them oldest first.
MAX_LIMIT = 100_000


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
    parser.add_argument(
        "--limit", type=int, default=1000, metavar="N", help=f"the newest N records (at most {MAX_LIMIT:,})"
    )
    parser.add_argument(
        "--health",
        action="store_true",
        help="one line per function: cold starts, timeouts, OOM, durations, cost",
    )
