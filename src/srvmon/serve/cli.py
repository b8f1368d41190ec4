"""The `serve`, `attach` and `status` subcommands (argparse only at import: `import srvmon.cli` stays cheap)."""

from __future__ import annotations

import argparse
import sys
from typing import Any, TextIO

EXIT_OK, EXIT_USAGE, EXIT_PROVIDER = 0, 2, 3


def add_commands(sub: Any, common: Any) -> None:
    """Register the subcommands on the main parser's subparsers (`common` adds --config/--demo/--now)."""
    store_help = "sqlite:PATH (default: the user state dir) or redis://HOST:PORT/DB"
    attach_help = store_help + " (default: $SRVMON_STORE, then the user state dir)"
    srv = sub.add_parser(
        "serve", help="one poller for many read-only viewers (local, ssh); see docs/serve.md"
    )
    common(srv)
    srv.add_argument("--store", metavar="URL", help=store_help)
    srv.add_argument("--ssh", metavar="HOST:PORT", help="serve the board over ssh on this address")
    srv.add_argument(
        "--authorized-keys", metavar="FILE", help="OpenSSH authorized_keys of who may log in (with --ssh)"
    )
    srv.add_argument(
        "--host-key", metavar="FILE", help="ssh host key (default: generated in the user state dir)"
    )
    srv.add_argument(
        "--max-sessions", type=int, default=20, metavar="N", help="ssh sessions at once (default 20)"
    )
    srv.add_argument(
        "--idle-timeout", metavar="DUR", help="close ssh sessions without input this long (e.g. 30m)"
    )
    srv.add_argument("--metrics", metavar="HOST:PORT", help="expose `srvmon status` as Prometheus metrics")
    srv.add_argument("--lease", default="15s", metavar="DUR", help="poller lease length (default 15s)")
    srv.add_argument("--log", metavar="FILE", help="append the serve log here (default: stderr)")

    att = sub.add_parser("attach", help="a read-only viewer of a store written by `srvmon serve`")
    att.add_argument("--store", metavar="URL", help=attach_help)
    att.add_argument("--board", metavar="B", help="board name (default: the first)")
    att.add_argument("--range", metavar="R", help="time range: 1h, 4h, 12h, 1d, 1w, 1mo")

    st = sub.add_parser("status", help="pollers, leases, budgets and viewers of a store")
    st.add_argument("--store", metavar="URL", help=store_help)
    st.add_argument("--format", default="txt", choices=["txt", "json"])


def _address(text: str, what: str) -> tuple[str, int]:
    host, sep, port = text.rpartition(":")
    if not sep or not host or not port.isdigit() or not 0 < int(port) < 65536:
        raise ValueError(f"{what} {text!r}: use HOST:PORT, e.g. 127.0.0.1:2222")
    return host.strip("[]"), int(port)


def _open(url: str | None, err: TextIO) -> Any:
    from srvmon.store import StoreError, open_store

    try:
        return open_store(url)
    except StoreError as exc:
        print(f"srvmon: {exc}", file=err)
        return None


def cmd_status(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    import time

    from srvmon.serve.status import gather, render_json, render_txt

    store = _open(args.store, err)
    if store is None:
        return EXIT_USAGE
    try:
        doc = gather(store, time.time())
    finally:
        store.close()
    out.write(render_json(doc) if args.format == "json" else render_txt(doc))
    return EXIT_OK if doc["pollers"] else EXIT_PROVIDER


def cmd_attach(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    import os

    from srvmon.clock import clock_from_env, zone
    from srvmon.model import RANGES
    from srvmon.store.catalog import boards_from

    if args.range and args.range not in RANGES:
        print(f"srvmon: --range {args.range!r}: use one of {', '.join(RANGES)}", file=err)
        return EXIT_USAGE
    store = _open(args.store or os.environ.get("SRVMON_STORE"), err)
    if store is None:
        return EXIT_USAGE
    try:
        doc = store.boards()
        if doc is None:
            print(f"srvmon: nothing has been served on {store.url} yet; start `srvmon serve --store {store.url}`",
                  file=err)  # fmt: skip
            return EXIT_USAGE
        try:
            infos = boards_from(doc)
        except (ValueError, KeyError, TypeError) as exc:
            print(f"srvmon: {store.url}: {exc}; run the same srvmon version as the server", file=err)
            return EXIT_USAGE
        if args.board and args.board not in {i.name for i in infos}:
            print(f"srvmon: --board {args.board!r}: use one of {', '.join(i.name for i in infos)}", file=err)
            return EXIT_USAGE
        from srvmon.serve.viewer import viewer_app

        settings = doc.get("settings") or {}
        origin = os.environ.get("SRVMON_VIEWER_ORIGIN") or f"local {os.environ.get('USER', '')}".strip()
        app = viewer_app(store, infos, board=args.board, range_=args.range, origin=origin, clock=clock_from_env(None),
                         tz=zone(settings.get("timezone")), theme=settings.get("theme"))  # fmt: skip
        app.run()
    finally:
        store.close()
    return EXIT_OK


def cmd_serve(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    from srvmon.serve.run import ServeOptions, run_serve

    try:
        opts = ServeOptions.from_args(args)
    except ValueError as exc:
        print(f"srvmon: {exc}", file=err)
        return EXIT_USAGE
    return run_serve(args, opts, out, err)


COMMANDS = {"serve": cmd_serve, "attach": cmd_attach, "status": cmd_status}

if __name__ == "__main__":  # pragma: no cover
    sys.exit("use `srvmon serve`, `srvmon attach` or `srvmon status`")
