"""Command line: the board (default), `snapshot`, `check`, `providers`, `logs`. Heavy imports happen per command."""

from __future__ import annotations

import argparse
import contextlib
import gc
import sys
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, TextIO, TypedDict

if TYPE_CHECKING:
    from srvmon.clock import Clock
    from srvmon.config import Board, LoadedConfig
    from srvmon.model import Snapshot

EXIT_OK, EXIT_THRESHOLD, EXIT_USAGE, EXIT_PROVIDER = 0, 1, 2, 3
#: The largest saved snapshot `open`, `diff` and `snapshot --from` read.
MAX_SNAPSHOT_BYTES = 256 * 2**20


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


def _screen_opts(p: argparse.ArgumentParser, *, picture: bool = False) -> None:
    """How the board is laid out: --layout (and, on the live screen, the wall/kiosk options)."""
    from srvmon.model import LAYOUTS

    p.add_argument("--layout", choices=LAYOUTS, help="auto (default: the grid fitted to the screen, one line "
                   "per panel when it cannot fit), grid or compact")  # fmt: skip
    if picture:
        return
    p.add_argument("--wall", action="store_true", help="wall/kiosk mode: no focus ring, panels needing attention "
                   "large and first, healthy ones as one-line rows, high contrast")  # fmt: skip
    p.add_argument(
        "--cycle", metavar="DUR", help="with --wall: maximise each unhealthy panel in turn, DUR each"
    )
    p.add_argument("--on-crit", metavar="CMD", help="run CMD when a panel newly turns critical (the panel in "
                   "$SRVMON_PANEL/$SRVMON_TITLE); --wall alone rings the terminal bell")  # fmt: skip


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
    _screen_opts(parser)
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
    snap.add_argument("--no-compare", action="store_true", help="skip the compare (week-ago) window")
    snap.add_argument("--from", dest="from_file", metavar="SAVED.json",
                      help="re-render a saved JSON snapshot instead of polling (offline)")  # fmt: skip
    _screen_opts(snap, picture=True)

    opn = sub.add_parser("open", help="show a saved JSON snapshot in the TUI, offline")
    opn.add_argument("file", metavar="SAVED.json")
    _common(opn)
    _screen_opts(opn, picture=True)

    dif = sub.add_parser("diff", help="what changed between two saved snapshots, ranked")
    dif.add_argument("a", metavar="A.json")
    dif.add_argument("b", metavar="B.json")
    dif.add_argument("--format", default="txt", choices=["txt", "md", "json"])
    dif.add_argument("--fail-on", choices=["worse"], help="exit 1 when any panel got worse")
    _common(dif)

    chk = sub.add_parser(
        "check", help="validate the config and probe each provider's credentials/permissions"
    )
    _common(chk)

    prov = sub.add_parser("providers", help="list installed providers (built-in and plugins)")
    _common(prov)

    logs = sub.add_parser("logs", help="drill-down for scripts: log records (or --health) as JSON lines")
    _common(logs)
    from srvmon.logs_args import add_logs_arguments

    add_logs_arguments(logs)
    from srvmon.import_cli import add_import_arguments  # `srvmon import cloudwatch|grafana`

    add_import_arguments(sub.add_parser("import", help="existing dashboards as boards (CloudWatch, Grafana)"))

    # -- serve hook: `serve`, `attach`, `status` (srvmon.serve.cli) ---------------------------------
    from srvmon.serve.cli import add_commands

    add_commands(sub, _common)
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
        print(
            f"srvmon: --now/$SRVMON_NOW: {exc}; use RFC 3339 like 2026-11-22T04:00:00Z or epoch seconds",
            file=err,
        )
        return None


def _board_setup(args: argparse.Namespace, err: TextIO) -> tuple[LoadedConfig, Clock, Board] | None:
    """Validate --range, load the config and clock, pick the board; None after printing the problem."""
    from srvmon.config import ConfigError
    from srvmon.model import RANGES

    if getattr(args, "range", None) is not None and args.range not in RANGES:
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


def _read_snapshot(path: str, err: TextIO) -> Snapshot | None:
    """A saved snapshot, or None after saying why (file, field)."""
    from srvmon.codec import SnapshotFormatError, loads

    try:
        with open(path, encoding="utf-8") as f:
            text = f.read(MAX_SNAPSHOT_BYTES + 1)
    except (OSError, UnicodeDecodeError) as exc:
        print(f"srvmon: {path}: cannot read: {exc}", file=err)
        return None
    if len(text) > MAX_SNAPSHOT_BYTES:
        print(
            f"srvmon: {path}: larger than {MAX_SNAPSHOT_BYTES // 2**20} MiB; not a srvmon snapshot", file=err
        )
        return None
    try:
        return loads(text)
    except SnapshotFormatError as exc:
        print(
            f"srvmon: {path}: {exc}\n    fix: pass a file written by `srvmon snapshot --format json`",
            file=err,
        )
        return None


def render_any(snap: Snapshot, fmt: str, size: tuple[int, int], hint: str | None, tz: Any = None,
               theme: str | None = None, layout: str = "auto") -> str:  # fmt: skip
    """Text formats from srvmon.export; pictures from the TUI layer (the only place that imports Textual)."""
    from srvmon.export import PICTURE_FORMATS, render

    if fmt in PICTURE_FORMATS:
        from srvmon.tui import export as pictures

        fn = pictures.render_svg if fmt == "svg" else pictures.render_html
        return fn(snap, size, hint=hint, tz=tz, theme=theme, layout=layout)
    return render(snap, fmt)


def snapshot_exit(snap: Snapshot, fail_on: str | None, err: TextIO) -> int:
    """3 when any panel is in error or a provider call failed (saying which), 1 at --fail-on, else 0."""
    failed = [p for p in snap.providers if not p.ok]
    errored = [p.id for p in snap.panels if p.status == "error" or p.stale]
    for p in failed:
        print(f"srvmon: provider {p.name!r} {p.state}", file=err)
    if errored:
        print(f"srvmon: {len(errored)} panel(s) in error or stale: {', '.join(errored)}", file=err)
    if failed or errored:
        return EXIT_PROVIDER
    if fail_on:
        levels = {"warn": ("warn", "crit"), "crit": ("crit",)}[fail_on]
        hit = [p.id for p in snap.panels if p.status in levels]
        if hit:
            print(f"srvmon: {len(hit)} panel(s) at {fail_on} or worse: {', '.join(hit)}", file=err)
            return EXIT_THRESHOLD
    return EXIT_OK


def cmd_snapshot(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    from srvmon.model import RANGES
    from srvmon.writer import WriteError, check_target, write_atomic

    try:
        size = _parse_size(args.size)
        if args.output != "-":
            check_target(args.output)
    except (ValueError, WriteError) as exc:
        print(f"srvmon: {'-o ' + args.output + ': ' if isinstance(exc, WriteError) else ''}{exc}", file=err)
        return EXIT_USAGE
    hint = None
    tz = theme = None
    if args.from_file:
        snap = _read_snapshot(args.from_file, err)
        if snap is None:
            return EXIT_USAGE
    else:
        setup = _board_setup(args, err)
        if setup is None:
            return EXIT_USAGE
        loaded, clock, board = setup
        from srvmon.poll import Poller

        runtime = loaded.runtime(clock)
        try:
            snap = Poller(board, runtime, clock).poll(range_s=RANGES[args.range] if args.range else None,
                                                      compare=not args.no_compare)  # fmt: skip
        finally:
            runtime.close()
        hint = loaded.hint
        tz, theme = _zone(loaded.settings.timezone), loaded.settings.theme
    text = render_any(snap, args.format, size, hint, tz, theme, args.layout or "auto")
    try:
        if args.output == "-":
            out.write(text)
            out.flush()
        else:
            write_atomic(args.output, text)
    except OSError as exc:
        print(f"srvmon: -o {args.output}: cannot write: {exc.strerror or exc}", file=err)
        return EXIT_USAGE
    if hint and args.output != "-":
        print(hint, file=err)
    return snapshot_exit(snap, args.fail_on, err)


def _zone(name: str | None) -> Any:
    from srvmon.clock import zone

    return zone(name)


def cmd_open(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    snap = _read_snapshot(args.file, err)
    if snap is None:
        return EXIT_USAGE
    from srvmon.tui.app import open_saved

    open_saved(snap, source=args.file, layout=args.layout or "auto").run()
    return EXIT_OK


def cmd_diff(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    from srvmon import diff

    a = _read_snapshot(args.a, err)
    b = _read_snapshot(args.b, err)
    if a is None or b is None:
        return EXIT_USAGE
    if a.board != b.board:
        print(f"srvmon: note: comparing board {a.board!r} with board {b.board!r}", file=err)
    result = diff.diff(a, b)
    out.write(diff.RENDERERS[args.format](result))
    out.flush()
    return EXIT_THRESHOLD if args.fail_on == "worse" and result.worse else EXIT_OK


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
    providers = loaded.build_providers(clock)
    for name, provider in providers.items():
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
    for provider in providers.values():
        with contextlib.suppress(Exception):
            provider.close()
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

    refresh_s = cycle_s = None
    for option, text in (("--refresh", args.refresh), ("--cycle", args.cycle)):
        if text is None:
            continue
        try:
            seconds = parse_duration(text)
            if seconds > 86400:
                raise ValueError(f"{text!r} is longer than a day; use e.g. 30s, 2m or 1h")
        except ValueError as exc:
            print(f"srvmon: {option}: {exc}", file=err)
            return EXIT_USAGE
        if option == "--refresh":
            refresh_s = seconds
        else:
            cycle_s = seconds
    if cycle_s and not args.wall:
        print("srvmon: --cycle needs --wall (the slideshow is part of the wall mode)", file=err)
        return EXIT_USAGE
    setup = _board_setup(args, err)
    if setup is None:
        return EXIT_USAGE
    loaded, clock, _board = setup
    from srvmon.tui.app import create_app

    runtime = loaded.runtime(clock)
    try:
        create_app(loaded, runtime, clock, board=args.board, range_=args.range, refresh_s=refresh_s,
                   layout=args.layout, wall=args.wall, cycle_s=cycle_s, on_crit=args.on_crit).run()  # fmt: skip
    finally:
        runtime.close()
    return EXIT_OK


def cmd_import(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    from srvmon.import_cli import run_import

    return run_import(args, out, err)


COMMANDS = {
    "snapshot": cmd_snapshot,
    "check": cmd_check,
    "providers": cmd_providers,
    "logs": cmd_logs,
    "open": cmd_open,
    "diff": cmd_diff,
    "import": cmd_import,
}


def main(argv: Sequence[str] | None = None, *, out: TextIO | None = None, err: TextIO | None = None) -> int:
    # The garbage collector is off while srvmon starts: imports, the config and a board's widgets are all
    # long-lived, so a full collection then only rescans them (two cost ~60 ms of a 600 ms board start).
    # It is back on after parsing, or for a board after its first frame (tui.app.collector_after_start),
    # and on leaving, whatever happened.
    gc.disable()
    try:
        return _main(argv, out or sys.stdout, err or sys.stderr)
    finally:
        gc.enable()


def _main(argv: Sequence[str] | None, out: TextIO, err: TextIO) -> int:
    parser = build_parser()
    try:
        # argparse writes usage errors to stderr: to the caller's `err` stream (and --help to `out`)
        with contextlib.redirect_stderr(err), contextlib.redirect_stdout(out):
            args = parser.parse_args(argv)
    except SystemExit as exc:  # argparse: 0 for --help/--version, 2 for usage errors
        return int(exc.code or 0) if not isinstance(exc.code, str) else EXIT_USAGE
    from srvmon.serve.cli import COMMANDS as SERVE_COMMANDS  # serve hook

    handler = {**COMMANDS, **SERVE_COMMANDS}.get(args.command or "", cmd_board)
    if handler not in (cmd_board, cmd_open):  # the commands that start a board turn it on themselves
        gc.enable()
    _exit_on_sigterm()
    try:
        return handler(args, out, err)
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        return EXIT_OK


def _exit_on_sigterm() -> None:
    """SIGTERM unwinds like Ctrl-C (temp files removed, terminal restored) instead of killing mid-write."""
    import signal
    import threading

    if threading.current_thread() is threading.main_thread():
        with contextlib.suppress(ValueError, OSError):
            signal.signal(signal.SIGTERM, lambda signum, frame: sys.exit(128 + signum))
