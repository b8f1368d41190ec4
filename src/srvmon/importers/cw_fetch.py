"""`srvmon import cloudwatch --name D`: the dashboard body read with GetDashboard (read-only) through an
AWS provider of the config."""

from __future__ import annotations

from typing import Any

from srvmon.config import LoadedConfig
from srvmon.importers.jsonin import DashboardError, parse_json
from srvmon.providers.base import ProviderError


def aws_provider_name(loaded: LoadedConfig, wanted: str | None) -> str:
    """The AWS provider to read through: `wanted`, or the config's only one."""
    aws = [n for n, s in loaded.providers.items() if s.type == "aws"]
    if wanted is not None:
        if wanted not in loaded.providers or loaded.providers[wanted].type != "aws":
            raise DashboardError(
                "--provider", f"no AWS provider named {wanted!r} in the config",
                f"use one of: {', '.join(aws)}" if aws else 'add [providers.NAME] type = "aws" to the config',
            )  # fmt: skip
        return wanted
    if len(aws) != 1:
        raise DashboardError(
            "--provider",
            "no AWS provider in the config" if not aws else f"{len(aws)} AWS providers: {', '.join(aws)}",
            "pass --provider NAME" if aws else 'add [providers.NAME] type = "aws" (or import a FILE)',
        )
    return aws[0]


def fetch_dashboard(aws: Any, name: str) -> tuple[Any, str]:
    """(the dashboard body, where it came from), read with GetDashboard through the AWS provider `aws`.
    DashboardError for an unknown dashboard, ProviderError when AWS cannot be read."""
    from srvmon.providers.aws.errors import describe

    target = aws.sessions.targets()[0]
    client = aws.sessions.client("cloudwatch", target)
    aws.counter.call("GetDashboard")
    try:
        answer = client.get_dashboard(DashboardName=name)
    except Exception as exc:
        code = getattr(exc, "response", {}).get("Error", {}).get("Code", "")
        if code in ("ResourceNotFound", "ResourceNotFoundException", "DashboardNotFoundError"):
            raise DashboardError(
                f"--name {name}", f"no dashboard named {name!r} (account {target.account}, {target.region})",
                "list them with `aws cloudwatch list-dashboards` (names are case-sensitive)",
            ) from None  # fmt: skip
        raise ProviderError(describe(exc, "GetDashboard")) from None
    body = answer.get("DashboardBody")
    if not isinstance(body, str):
        raise DashboardError(
            f"--name {name}", "GetDashboard returned no DashboardBody", "check the dashboard in the console"
        )
    return parse_json(body, f"GetDashboard {name!r}"), f"GetDashboard {name!r} via provider {aws.name!r}"
