"""Command line: the board (default), `snapshot`, `check`, `providers`, `logs`. Heavy imports happen per command."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, TextIO, TypedDict

if TYPE_CHECKING:
    from srvmon.clock import Clock
    from srvmon.config import Board, LoadedConfig

EXIT_OK, EXIT_THRESHOLD, EXIT_USAGE, EXIT_PROVIDER = 0, 1, 2, 3


class _DefaultKw(TypedDict, total=False):
    """Extra add_argument() keywords: on subcommands, `default=argparse.SUPPRESS`."""

    default: str


def _default_kw(sub: bool) -> _DefaultKw:
    # On subcommands the defaults are suppressed so `srvmon --config F snapshot` keeps F.
    return {"default": argparse.SUPPRESS} if sub else {}


def _common(p: argparse.ArgumentParser, sub: bool = True) -> None:
    d = _default_kw(sub)
    p.add_argument(
        "--config",
        metavar="FILE",
        help="config file (default: $SRVMON_CONFIG, then the user config dir)",
        **d,
    )
    p.add_argument(
        "--demo",
        action="store_true",
        help="use the built-in demo provider and board, ignoring any config",
        **d,
    )
    p.add_argument(
        "--now", metavar="TIME", help="freeze the clock (RFC 3339 or epoch seconds; also $SRVMON_NOW)", **d
    )
    from srvmon.var_args import add_var_argument  # board variables: --var NAME=VALUE

    add_var_argument(p, **d)


def _board_opts(p: argparse.ArgumentParser, sub: bool = True) -> None:
    d = _default_kw(sub)
    p.add_argument("--board", metavar="B", help="board name (default: the first)", **d)
    p.add_argument("--range", metavar="R", help="time range: 1h, 4h, 12h, 1d, 1w, 1mo", **d)


class _VersionAction(argparse.Action):
    """`--version`, resolving the installed version only when asked (importlib.metadata is slow)."""

    def __init__(self, option_strings: list[str], dest: str = argparse.SUPPRESS, **kwargs: Any) -> None:
        super().__init__(option_strings, dest, nargs=0, help="show the version and exit")

    def __call__(
        self,
        parser: argparse.ArgumentParser,
        namespace: argparse.Namespace,
        values: Any,
        option_string: str | None = None,
    ) -> None:
        from srvmon import __version__

        sys.stdout.write(f"srvmon {__version__}\n")
        parser.exit()


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="srvmon", description="Terminal screenboard for serverless operations."
    )
    parser.add_argument("--version", action=_VersionAction)
    _common(parser, sub=False)
    _board_opts(parser, sub=False)
    parser.add_argument("--refresh", metavar="DUR", help="refresh interval, e.g. 30s (default: the board's)")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    snap = sub.add_parser("snapshot", help="export a board headlessly (json, csv, md, txt, svg, html)")
    _common(snap)
    _board_opts(snap)
    snap.add_argument("--format", default="json", choices=["json", "csv", "md", "txt", "svg", "html"])
    snap.add_argument(
        "-o", "--output", default="-", metavar="FILE", help="file to write atomically, or - (stdout)"
    )
    snap.add_argument(
        "--size", default="160x48", metavar="WxH", help="terminal size for svg/html (default 160x48)"
    )
    snap.add_argument("--fail-on", choices=["warn", "crit"], help="exit 1 when a panel reaches this status")
    snap.add_argument("--no-compare", action="store_true", help="skip the week-ago overlay")

    chk = sub.add_parser(
        "check", help="validate the config and probe each provider's credentials/permissions"
    )
    _common(chk)

    prov = sub.add_parser("providers", help="list installed providers (built-in and plugins)")
    _common(prov)

    logs = sub.add_parser("logs", help="drill-down for scripts: log records (or --health) as JSON lines")
    _common(logs)
    from srvmon.logs_cli import add_logs_arguments

    add_logs_arguments(logs)
    from srvmon.import_cli import add_import_arguments  # `srvmon import cloudwatch|grafana`

    add_import_arguments(sub.add_parser("import", help="existing dashboards as boards (CloudWatch, Grafana)"))
    return parser


def _load(args: argparse.Namespace, err: TextIO) -> LoadedConfig | None:
    from srvmon.config import ConfigError, load_config
    from srvmon.var_args import var_values

    try:
        return load_config(args.config, demo=args.demo, variables=var_values(args))
    except ConfigError as exc:
        print(f"srvmon: config error\n{exc}", file=err)
        return None


def _clock(args: argparse.Namespace, err: TextIO) -> Clock | None:
    from srvmon.clock import clock_from_env

    try:
        return clock_from_env(args.now)
    except ValueError as exc:
        print(f"srvmon: --now/$SRVMON_NOW: {exc}; use RFC 3339 like 2026-11-22T04:00:00Z", file=err)
        return None


def _board_setup(args: argparse.Namespace, err: TextIO) -> tuple[LoadedConfig, Clock, Board] | None:
    """Validate --range, load the config and clock, pick the board; None after printing the problem."""
    from srvmon.config import ConfigError
    from srvmon.model import RANGES

    if getattr(args, "range", None) and args.range not in RANGES:
        print(f"srvmon: --range {args.range!r}: use one of {', '.join(RANGES)}", file=err)
        return None
    loaded = _load(args, err)
    clock = _clock(args, err)
    if loaded is None or clock is None:
        return None
    try:
        board = loaded.board(getattr(args, "board", None))
    except ConfigError as exc:
        print(f"srvmon: {exc}", file=err)
        return None
    return loaded, clock, board


def _parse_size(text: str) -> tuple[int, int]:
    try:
        w, h = (int(x) for x in text.lower().split("x"))
    except ValueError:
        raise ValueError(f"--size {text!r}: use WIDTHxHEIGHT, e.g. 160x48") from None
    if not (40 <= w <= 1000 and 10 <= h <= 500):
        raise ValueError(f"--size {text!r}: width 40-1000 and height 10-500")
    return w, h


def cmd_snapshot(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    from srvmon.export import render, write_atomic
    from srvmon.model import RANGES
    from srvmon.poll import Poller

    try:
        size = _parse_size(args.size)
    except ValueError as exc:
        print(f"srvmon: {exc}", file=err)
        return EXIT_USAGE
    setup = _board_setup(args, err)
    if setup is None:
        return EXIT_USAGE
    loaded, clock, board = setup
    poller = Poller(board, loaded.build_providers(clock), clock, timeout_s=loaded.timeout_s)
    try:
        snap = poller.poll(range_s=RANGES[args.range] if args.range else None, compare=not args.no_compare)
    finally:
        poller.close()
    text = render(snap, args.format, size=size, hint=loaded.hint)
    if args.output == "-":
        out.write(text)
        out.flush()
    else:
        write_atomic(args.output, text)
    if loaded.hint and args.output != "-":
        print(loaded.hint, file=err)
    if not all(p.ok for p in snap.providers):
        for p in snap.providers:
            if not p.ok:
                print(f"srvmon: provider {p.name!r} failed: {p.error}", file=err)
        return EXIT_PROVIDER
    if args.fail_on:
        levels = {"warn": ("warn", "crit"), "crit": ("crit",)}[args.fail_on]
        hit = [p.id for p in snap.panels if p.status in levels]
        if hit:
            print(f"srvmon: {len(hit)} panel(s) at {args.fail_on} or worse: {', '.join(hit)}", file=err)
            return EXIT_THRESHOLD
    return EXIT_OK


def cmd_check(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    loaded = _load(args, err)
    clock = _clock(args, err)
    if loaded is None or clock is None:
        return EXIT_USAGE
    where = loaded.path or "(built-in demo)"
    print(
        f"config: {where}: ok ({len(loaded.boards)} board(s), {len(loaded.providers)} provider(s))", file=out
    )
    failed = False
    for name, provider in loaded.build_providers(clock).items():
        try:
            h = provider.check()
        except Exception as exc:  # a check must report, not crash
            from srvmon.model import Health

            h = Health(ok=False, message=f"{type(exc).__name__}: {exc}")
        failed |= not h.ok
        print(f"provider {name} ({provider.type_name}): {'ok' if h.ok else 'FAILED'}: {h.message}", file=out)
        for d in h.details:
            print(f"  - {d}", file=out)
        if h.missing_permissions:
            print(f"  missing permissions: {', '.join(h.missing_permissions)}", file=out)
    return EXIT_PROVIDER if failed else EXIT_OK


def cmd_providers(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    from srvmon.providers.base import list_providers

    for info in list_providers():
        if info.error:
            print(f"{info.name:<12} {info.source:<9} BROKEN: {info.error}", file=out)
        else:
            print(f"{info.name:<12} {info.source:<9} {info.description}", file=out)
    return EXIT_OK


def cmd_logs(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    from srvmon.logs_cli import run_logs

    loaded = _load(args, err)
    clock = _clock(args, err)
    if loaded is None or clock is None:
        return EXIT_USAGE
    return run_logs(args, loaded, loaded.build_providers(clock), clock, out=out, err=err)


def cmd_board(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    from srvmon.model import parse_duration

    refresh_s = None
    if args.refresh:
        try:
            refresh_s = parse_duration(args.refresh)
        except ValueError as exc:
            print(f"srvmon: --refresh: {exc}", file=err)
            return EXIT_USAGE
    setup = _board_setup(args, err)
    if setup is None:
        return EXIT_USAGE
    loaded, clock, _board = setup
    from srvmon.tui.app import create_app

    app = create_app(
        loaded, loaded.build_providers(clock), clock, board=args.board, range_=args.range, refresh_s=refresh_s
    )
    app.run()
    return EXIT_OK


def cmd_import(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    from srvmon.import_cli import run_import

    return run_import(args, out, err)


COMMANDS = {"snapshot": cmd_snapshot, "check": cmd_check, "providers": cmd_providers, "logs": cmd_logs}
COMMANDS["import"] = cmd_import


def main(argv: Sequence[str] | None = None, *, out: TextIO | None = None, err: TextIO | None = None) -> int:
    out = out or sys.stdout
    err = err or sys.stderr
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # argparse: 0 for --help/--version, 2 for usage errors
        return int(exc.code or 0)
    handler = COMMANDS.get(args.command or "", cmd_board)
    try:
        return handler(args, out, err)
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        return EXIT_OK
