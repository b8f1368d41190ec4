"""The `[providers.NAME] type = "cloudflare"` option schema: account, token env var, endpoint, filters, budget."""

from __future__ import annotations

import re
from typing import Annotated

from pydantic import AfterValidator, Field, field_validator, model_validator

from srvmon.model import parse_duration
from srvmon.providers.base import NetworkOptions
from srvmon.schema import Duration, Url

#: Where the Cloudflare API answers (client/v4 base; the GraphQL API is {endpoint}/graphql).
DEFAULT_ENDPOINT = "https://api.cloudflare.com/client/v4"
#: Cloudflare's own ceiling: GraphQL queries per user per 5-minute window.
GRAPHQL_LIMIT_PER_5M = 300
_LOOPBACK = {"127.0.0.1", "::1", "localhost"}


def _glob(v: str) -> str:
    if not v.strip() or any(ord(ch) < 32 for ch in v):
        raise ValueError(f"{v!r} is not a script name pattern; write e.g. 'checkout-*'")
    return v


Glob = Annotated[str, AfterValidator(_glob)]


class CloudflareOptions(NetworkOptions):
    """One Cloudflare account's Workers, read with an API token taken from the environment."""

    account_id: str
    """The account id (32 hex digits: dashboard > Workers & Pages > Account details, or `wrangler whoami`)."""
    api_token_env: str = "CLOUDFLARE_API_TOKEN"
    """Name of the environment variable holding the API token (the token never lives in the config).
    The token needs Account Analytics Read and Workers Scripts Read (+ Workers Observability Read for logs)."""
    endpoint: Url = DEFAULT_ENDPOINT
    """The Cloudflare API base URL; only changed for tests or a proxy. https is required except on loopback."""
    ca_file: str | None = None
    """PEM file of extra trusted CAs (a TLS-inspecting proxy, or a test server)."""
    include: list[Glob] = []
    """Glob patterns of Worker script names to show (default: every script of the account)."""
    exclude: list[Glob] = []
    """Glob patterns of script names to leave out (applied after include)."""
    query_budget: int = Field(default=250, ge=1, le=GRAPHQL_LIMIT_PER_5M)
    """GraphQL queries srvmon may spend per 5 minutes. Cloudflare allows 300 per user across all the
    tools using the same user's tokens; past this srvmon refuses with a clear message and backs off."""
    discovery_ttl: Duration = "5m"
    """How long the Workers list (for include/exclude and the logs resource list) is trusted."""
    logs: bool = True
    """Log drill-down through Workers Logs (the Workers Observability telemetry API); false = no logs."""

    @field_validator("account_id")
    @classmethod
    def _v_account(cls, v: str) -> str:
        if not re.fullmatch(r"[0-9a-f]{32}", v):
            raise ValueError(
                f"{v!r} is not a Cloudflare account id: expected 32 lowercase hex digits "
                "(dashboard > Workers & Pages > Account details, or `wrangler whoami`)"
            )
        return v

    @field_validator("api_token_env")
    @classmethod
    def _v_env(cls, v: str) -> str:
        if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", v):
            raise ValueError(
                f"{v!r} is not an environment variable name; name the variable that holds the token "
                "(e.g. CLOUDFLARE_API_TOKEN), never the token itself"
            )
        return v

    @model_validator(mode="after")
    def _v_tls(self) -> CloudflareOptions:
        from urllib.parse import urlsplit

        parts = urlsplit(self.endpoint)
        if parts.scheme != "https" and (parts.hostname or "") not in _LOOPBACK:
            raise ValueError(
                f"endpoint {self.endpoint!r} must use https: the API token would travel in clear text"
            )
        return self

    @property
    def discovery_ttl_s(self) -> int:
        return parse_duration(self.discovery_ttl)
