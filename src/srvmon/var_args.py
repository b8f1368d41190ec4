"""`--var NAME=VALUE` on every command that loads a config: the argument, and its values for load_config."""

from __future__ import annotations

import argparse
from typing import Any


def add_var_argument(parser: argparse.ArgumentParser, **kwargs: Any) -> None:
    """Add the repeatable `--var NAME=VALUE` option (kwargs: e.g. default=argparse.SUPPRESS on subcommands)."""
    parser.add_argument(
        "--var",
        action="append",
        metavar="NAME=VALUE",
        help="a board variable's value ($NAME in queries; `*` = All where offered); repeatable",
        **kwargs,
    )


def var_values(args: argparse.Namespace) -> dict[str, str]:
    """The `--var` values given; ConfigError (exit 2 with the usual message) for a malformed one."""
    from srvmon.config import ConfigError, ConfigIssue
    from srvmon.variables import parse_assignments

    try:
        return parse_assignments(getattr(args, "var", None) or [])
    except ValueError as exc:
        raise ConfigError(
            [ConfigIssue("<command line>", None, "--var", str(exc), "write --var NAME=VALUE")]
        ) from exc
