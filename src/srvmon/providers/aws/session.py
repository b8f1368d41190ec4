"""boto3 sessions and clients per (account, region) target: profile, assumed roles, retries, endpoint,
and the bounded transport plus call counting registered on every client (STS included)."""

from __future__ import annotations

import hashlib
import os
import threading
from dataclasses import dataclass
from typing import Any

from srvmon.providers.aws.options import AwsOptions
from srvmon.providers.aws.transport import BoundedTransport, TransportLimits
from srvmon.providers.base import UsageCounter

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


def transport_limits(options: AwsOptions) -> TransportLimits:
    """The per-request limits from the options: `timeout` for the whole request (connecting at most 5s
    of it), `max_response_mb`, and a breaker cooldown of 2x the timeout within [5s, 60s]."""
    timeout = options.timeout_s
    return TransportLimits(
        connect_s=min(5.0, timeout),
        deadline_s=timeout,
        max_bytes=options.max_response_bytes,
        cooldown_s=min(60.0, max(5.0, 2 * timeout)),
    )


class Sessions:
    """Builds and caches boto3 sessions/clients; thread-safe (clients are shared between threads).

    Every client gets: botocore connect/read timeouts and `max_attempts` total attempts (adaptive
    retries), the BoundedTransport (`before-send`) and, with a `counter`, the `calls` / `calls_failed`
    figures of Usage.extra (one per API call after botocore's retries, from `after-call` /
    `after-call-error`)."""

    def __init__(
        self, options: AwsOptions, session_factory: Any = None, counter: UsageCounter | None = None
    ) -> None:
        from botocore.config import Config

        self.options = options
        self._factory = session_factory
        self.counter = counter
        limits = transport_limits(options)
        self._config = Config(
            retries={"mode": "adaptive", "total_max_attempts": options.max_attempts},
            connect_timeout=limits.connect_s,
            read_timeout=limits.deadline_s,
            user_agent_extra="srvmon",
        )
        self.transport = BoundedTransport(limits)
        self._lock = threading.Lock()
        self._base: Any = None
        self._sessions: dict[str | None, Any] = {}
        self._clients: dict[tuple[str, str, str | None], Any] = {}
        self.hooks: list[tuple[str, Any]] = []  # (event, handler) registered on every new client

    def _base_session(self) -> Any:
        if self._base is None:
            if self._factory is not None:
                self._base = (
                    self._factory(profile_name=self.options.profile)
                    if self.options.profile
                    else self._factory()
                )
            else:
                import boto3
                import botocore.session

                core = botocore.session.Session(profile=self.options.profile)
                self._base = boto3.Session(botocore_session=core)
                bundle = os.environ.get("AWS_CA_BUNDLE") or core.get_config_variable("ca_bundle")
                if bundle:
                    import ssl

                    self.transport.verify = ssl.create_default_context(cafile=str(bundle))
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

    def identity(self) -> str:
        """Who and where this provider reads as, for cache keys: profile, endpoint, roles and a hash of
        the base credentials' access key id (never the key itself). Resolves credentials locally."""
        base = self._base_session()
        try:
            creds = base.get_credentials()
            key_id = getattr(creds, "access_key", None) or ""
        except Exception:
            key_id = ""
        digest = hashlib.sha256(key_id.encode()).hexdigest()[:16] if key_id else "none"
        roles = ",".join(self.options.accounts or ([self.options.role_arn] if self.options.role_arn else []))
        return "|".join(
            [
                f"profile={self.options.profile or ''}",
                f"endpoint={self.options.endpoint_url or ''}",
                f"roles={roles}",
                f"external_id={'set' if self.options.external_id else ''}",
                f"key={digest}",
            ]
        )

    def _session_for(self, role_arn: str | None) -> Any:
        if role_arn is None:
            return self._base_session()
        if role_arn not in self._sessions:
            self._sessions[role_arn] = self._assumed(role_arn)
        return self._sessions[role_arn]

    def _assumed(self, role_arn: str) -> Any:
        """A session whose credentials come from sts:AssumeRole and refresh themselves (a credential
        provider registered through botocore's public component API)."""
        import boto3
        import botocore.session
        from botocore.credentials import (
            CredentialProvider,
            CredentialResolver,
            DeferredRefreshableCredentials,
        )

        base = self._base_session()
        sts = self._new_client(base, "sts", base.region_name or DEFAULT_REGION)

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

        class AssumeRole(CredentialProvider):  # type: ignore[misc]
            METHOD = "sts-assume-role"

            def load(self) -> Any:
                return DeferredRefreshableCredentials(refresh_using=refresh, method=self.METHOD)

        core = botocore.session.Session()
        core.register_component("credential_provider", CredentialResolver(providers=[AssumeRole()]))
        return boto3.Session(botocore_session=core, region_name=base.region_name)

    def _new_client(self, session: Any, service: str, region: str) -> Any:
        client = session.client(
            service, region_name=region, endpoint_url=self.options.endpoint_url, config=self._config
        )
        events = client.meta.events
        events.register("before-send", self.transport.before_send)
        if self.counter is not None:
            counter = self.counter

            def after_call(http_response: Any = None, **_: Any) -> None:
                counter.add("calls", 1)
                if http_response is not None and getattr(http_response, "status_code", 200) >= 300:
                    counter.add("calls_failed", 1)

            def after_error(**_: Any) -> None:
                counter.add("calls", 1)
                counter.add("calls_failed", 1)

            events.register("after-call", after_call)
            events.register("after-call-error", after_error)
        for event, handler in self.hooks:
            events.register(event, handler)
        return client

    def client(self, service: str, target: Target) -> Any:
        """A cached client of `service` for `target` (Cost Explorer always uses us-east-1)."""
        region = DEFAULT_REGION if service == "ce" else target.region
        key = (service, region, target.role_arn)
        with self._lock:
            if key not in self._clients:
                session = self._session_for(target.role_arn)
                self._clients[key] = self._new_client(session, service, region)
            return self._clients[key]

    def close(self) -> None:
        with self._lock:
            for client in self._clients.values():
                close = getattr(client, "close", None)
                if close is not None:
                    close()
            self._clients.clear()
        self.transport.close()
