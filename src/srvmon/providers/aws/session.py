"""boto3 sessions and clients per (account, region) target: profile, assumed roles, retries, endpoint."""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Any

from srvmon.providers.aws.options import AwsOptions

DEFAULT_REGION = "us-east-1"


@dataclass(frozen=True, slots=True)
class Target:
    """One account + region the provider reads from."""

    account: str  # account id from the role ARN, or "default"
    region: str
    role_arn: str | None = None

    def labels(self) -> dict[str, str]:
        return {"account": self.account, "region": self.region}


def account_of(role_arn: str) -> str:
    """'arn:aws:iam::123456789012:role/x' -> '123456789012' (or the ARN itself when unparsable)."""
    parts = role_arn.split(":")
    return parts[4] if len(parts) > 5 and parts[4] else role_arn


class Sessions:
    """Builds and caches boto3 sessions/clients; thread-safe (clients are shared between threads)."""

    def __init__(self, options: AwsOptions, session_factory: Any = None) -> None:
        import boto3  # lazy: keeps `import srvmon.providers.aws` cheap
        from botocore.config import Config

        self.options = options
        self._factory = session_factory or boto3.Session
        self._config = Config(
            retries={"mode": "adaptive", "max_attempts": options.max_attempts},
            connect_timeout=5,
            read_timeout=30,
            user_agent_extra="srvmon",
        )
        self._lock = threading.Lock()
        self._base: Any = None
        self._sessions: dict[str | None, Any] = {}
        self._clients: dict[tuple[str, str, str | None], Any] = {}
        self.hooks: list[tuple[str, Any]] = []  # (event, handler) registered on every new client

    def _base_session(self) -> Any:
        if self._base is None:
            self._base = (
                self._factory(profile_name=self.options.profile) if self.options.profile else self._factory()
            )
        return self._base

    def targets(self) -> list[Target]:
        """Every (account, region) pair named by the options, in config order."""
        base = self._base_session()
        regions = list(self.options.regions) or [base.region_name or DEFAULT_REGION]
        roles: list[str | None] = list(self.options.accounts) or [self.options.role_arn]
        out: list[Target] = []
        for role in roles:
            account = account_of(role) if role else "default"
            out.extend(Target(account, region, role) for region in regions)
        return out

    def _session_for(self, role_arn: str | None) -> Any:
        if role_arn is None:
            return self._base_session()
        if role_arn not in self._sessions:
            self._sessions[role_arn] = self._assumed(role_arn)
        return self._sessions[role_arn]

    def _assumed(self, role_arn: str) -> Any:
        """A session whose credentials come from sts:AssumeRole and refresh themselves."""
        import boto3
        from botocore.credentials import DeferredRefreshableCredentials
        from botocore.session import get_session

        base = self._base_session()
        sts = base.client("sts", endpoint_url=self.options.endpoint_url, config=self._config)

        def refresh() -> dict[str, str]:
            kwargs: dict[str, Any] = {"RoleArn": role_arn, "RoleSessionName": "srvmon"}
            if self.options.external_id:
                kwargs["ExternalId"] = self.options.external_id
            creds = sts.assume_role(**kwargs)["Credentials"]
            return {
                "access_key": creds["AccessKeyId"],
                "secret_key": creds["SecretAccessKey"],
                "token": creds["SessionToken"],
                "expiry_time": creds["Expiration"].isoformat(),
            }

        core = get_session()
        core._credentials = DeferredRefreshableCredentials(refresh_using=refresh, method="sts-assume-role")
        return boto3.Session(botocore_session=core, region_name=base.region_name)

    def client(self, service: str, target: Target) -> Any:
        """A cached client of `service` for `target` (Cost Explorer always uses us-east-1)."""
        region = DEFAULT_REGION if service == "ce" else target.region
        key = (service, region, target.role_arn)
        with self._lock:
            if key not in self._clients:
                session = self._session_for(target.role_arn)
                client = session.client(
                    service, region_name=region, endpoint_url=self.options.endpoint_url, config=self._config
                )
                for event, handler in self.hooks:
                    client.meta.events.register(event, handler)
                self._clients[key] = client
            return self._clients[key]

    def close(self) -> None:
        with self._lock:
            for client in self._clients.values():
                close = getattr(client, "close", None)
                if close is not None:
                    close()
            self._clients.clear()
