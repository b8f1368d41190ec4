"""`srvmon import cloudwatch|grafana`: existing dashboards as srvmon boards (TOML), with a report of what
was not imported exactly; exit 0 ok, 2 bad input or --strict with diagnostics, 3 AWS could not be read."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING, TextIO

if TYPE_CHECKING:
    from srvmon.importers.board import BoardDraft
    from srvmon.importers.report import Report

EXIT_OK, EXIT_USAGE, EXIT_PROVIDER = 0, 2, 3


def _output_options(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "-o",
        "--output",
        default="-",
        metavar="FILE",
        help="write the board TOML here (atomically), or - (stdout)",
    )
    p.add_argument(
        "--board", metavar="NAME", help="the srvmon board name (default: from the dashboard's title)"
    )
    p.add_argument(
        "--report", choices=["text", "json"], default="text", help="the import report on stderr: text or json"
    )
    p.add_argument(
        "--strict",
        action="store_true",
        help="exit 2 (and write nothing) when anything is not imported exactly",
    )


def add_import_arguments(parser: argparse.ArgumentParser) -> None:
    """The `srvmon import` subcommands (called with the `import` subparser)."""
    formats = parser.add_subparsers(dest="import_format", metavar="FORMAT", required=True)
    cw = formats.add_parser(
        "cloudwatch", help="a CloudWatch dashboard body (FILE, or --name through the AWS provider)"
    )
    cw.add_argument("file", nargs="?", metavar="FILE", help="dashboard body JSON ('-' reads stdin)")
    cw.add_argument("--name", metavar="DASHBOARD", help="read this dashboard with GetDashboard (read-only)")
    cw.add_argument(
        "--provider",
        metavar="P",
        help="the AWS provider to read with and for the board (default: the only one / 'aws')",
    )
    cw.add_argument(
        "--config",
        metavar="FILE",
        default=argparse.SUPPRESS,
        help="config with the AWS provider (for --name)",
    )
    _output_options(cw)
    gf = formats.add_parser("grafana", help="a Grafana dashboard JSON (classic, V1 or V2 resource)")
    gf.add_argument("file", metavar="FILE", help="dashboard JSON ('-' reads stdin)")
    gf.add_argument(
        "--var",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="default value of a dashboard variable",
    )
    gf.add_argument(
        "--datasource", action="append", default=[], metavar="NAME=PROVIDER",
        help="read Grafana data source NAME (its name, uid, ${DS_...} input or type) through srvmon provider PROVIDER",
    )  # fmt: skip
    _output_options(gf)


def run_import(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    from srvmon.config import ConfigError
    from srvmon.importers.jsonin import DashboardError
    from srvmon.importers.verify import verify
    from srvmon.providers.base import ProviderError

    try:
        if args.import_format == "cloudwatch":
            board, report, types = _cloudwatch(args)
        else:
            board, report, types = _grafana(args)
        verify(board, types, report)
    except DashboardError as exc:
        print(f"srvmon import: {exc}", file=err)
        return EXIT_USAGE
    except ConfigError as exc:
        print(f"srvmon import: config error\n{exc}", file=err)
        return EXIT_USAGE
    except ProviderError as exc:
        print(f"srvmon import: AWS: {exc}", file=err)
        return EXIT_PROVIDER
    err.write(report.json() if args.report == "json" else report.text())
    if not board.panels:
        print("srvmon import: nothing in the dashboard could be imported (see the report above)", file=err)
        return EXIT_USAGE
    if args.strict and report.diagnostics:
        print(
            f"srvmon import: --strict: {len(report.diagnostics)} item(s) not imported exactly; nothing written",
            file=err,
        )
        return EXIT_USAGE
    text = board.to_toml()
    if args.output == "-":
        out.write(text)
        out.flush()
    else:
        from srvmon.export import write_atomic

        try:
            write_atomic(args.output, text)
        except OSError as exc:
            print(f"srvmon import: -o {args.output}: {exc.strerror or exc}; check the directory", file=err)
            return EXIT_USAGE
    return EXIT_OK


def _cloudwatch(args: argparse.Namespace) -> tuple[BoardDraft, Report, dict[str, str]]:
    from srvmon.importers.cloudwatch import import_cloudwatch
    from srvmon.importers.jsonin import DashboardError, read_json

    if (args.file is None) == (args.name is None):
        raise DashboardError(
            "srvmon import cloudwatch",
            "give a FILE or --name DASHBOARD (one of them)",
            "e.g. srvmon import cloudwatch body.json",
        )
    provider = args.provider or "aws"
    if args.name is not None:
        from srvmon.clock import clock_from_env
        from srvmon.config import load_config
        from srvmon.importers.cw_fetch import aws_provider_name, fetch_dashboard

        loaded = load_config(getattr(args, "config", None))
        provider = aws_provider_name(loaded, args.provider)
        spec = loaded.providers[provider]
        aws = spec.cls(provider, spec.options, clock_from_env(None))
        try:
            body, where = fetch_dashboard(aws, args.name)
        finally:
            aws.close()
        name = args.name
    else:
        body = read_json(args.file)
        where = "<stdin>" if args.file == "-" else args.file
        name = _stem(args.file)
    board, report = import_cloudwatch(body, name=name, where=where, provider=provider)
    if args.board:
        board.name = _board_name(args.board)
    return board, report, {provider: "aws"}


def _grafana(args: argparse.Namespace) -> tuple[BoardDraft, Report, dict[str, str]]:
    from srvmon.importers.grafana import import_grafana
    from srvmon.importers.jsonin import DashboardError, read_json
    from srvmon.variables import parse_assignments

    try:
        values = parse_assignments(args.var)
    except ValueError as exc:
        raise DashboardError("--var", str(exc), "write --var NAME=VALUE") from None
    mapping: dict[str, str] = {}
    for item in args.datasource:
        name, sep, prov = item.partition("=")
        if not sep or not name.strip() or not prov.strip():
            raise DashboardError(
                "--datasource", f"{item!r} is not NAME=PROVIDER", "e.g. --datasource DS_PROMETHEUS=faas"
            )
        mapping[name.strip()] = prov.strip()
    body = read_json(args.file)
    where = "<stdin>" if args.file == "-" else args.file
    board, report, types = import_grafana(body, where=where, values=values, datasources=mapping)
    if args.board:
        board.name = _board_name(args.board)
    return board, report, types


def _stem(path: str) -> str:
    from pathlib import Path

    return "cloudwatch" if path == "-" else Path(path).stem


def _board_name(text: str) -> str:
    import re

    from srvmon.importers.jsonin import DashboardError

    if not re.fullmatch(r"[A-Za-z0-9_.-]+", text):
        raise DashboardError(
            "--board", f"{text!r} is not a board name", "use letters, digits, '_', '-' and '.'"
        )
    return text
