"""The dataset's limits from the GraphQL `settings` node, read once and cached (re-read hourly)."""

from __future__ import annotations

import threading
from collections.abc import Callable

from srvmon.providers.base import ProviderError
from srvmon.providers.cloudflare import graphql as gq
from srvmon.providers.cloudflare.client import CloudflareClient
from srvmon.providers.httpio import HttpError

#: How long the settings are trusted (a plan change shows within the hour).
SETTINGS_TTL_S = 3600.0


class SettingsCache:
    """`settings { workersInvocationsAdaptive { maxDuration notOlderThan ... } }` for the account."""

    def __init__(self, client: CloudflareClient, now: Callable[[], float]) -> None:
        self.client = client
        self.now = now
        self._lock = threading.Lock()
        self._cached: tuple[float, gq.DatasetSettings, tuple[str, ...]] | None = None

    def get(self) -> tuple[gq.DatasetSettings, tuple[str, ...]]:
        """The settings and any warnings about them. Raises ProviderError when the account cannot be read
        at all (token refused, account not visible, throttled); a settings node the API will not give
        falls back to the documented limits with a warning."""
        with self._lock:
            now = self.now()
            if self._cached and now - self._cached[0] < SETTINGS_TTL_S:
                return self._cached[1], self._cached[2]
            settings, notes = self._read()
            self._cached = (now, settings, notes)
            return settings, notes

    def peek(self) -> gq.DatasetSettings | None:
        with self._lock:
            return self._cached[1] if self._cached else None

    def _read(self) -> tuple[gq.DatasetSettings, tuple[str, ...]]:
        opts = self.client.options
        try:
            answer = self.client.graphql(gq.SETTINGS_QUERY, {"accountTag": opts.account_id}, queries=1)
        except HttpError as exc:
            if exc.status in (400, 422):  # the settings node itself refused: use the documented limits
                return gq.DatasetSettings(from_server=False), (_fallback(str(exc)),)
            raise
        account = gq.account_node(answer.data)
        if answer.errors and account is None:
            message = gq.explain(str(answer.errors[0].get("message") or "unknown error"))
            if "not authorized" in message.lower() or "authz" in message.lower():
                raise ProviderError(f"Cloudflare GraphQL API refused account {opts.account_id}: {message}")
            return gq.DatasetSettings(from_server=False), (_fallback(message),)
        if account is None:
            raise ProviderError(
                f"Cloudflare account {opts.account_id} is not visible to this API token: check account_id and "
                "that the token's Account Resources include this account"
            )
        settings = account.get("settings")
        node = settings.get(gq.DATASET) if isinstance(settings, dict) else None
        if node is None:
            return gq.DatasetSettings(from_server=False), (_fallback("the settings node had no answer"),)
        return gq.parse_settings(node), ()


def _fallback(why: str) -> str:
    return (
        f"could not read the dataset limits ({why}); assuming the documented one month per query and "
        "three months of history"
    )
