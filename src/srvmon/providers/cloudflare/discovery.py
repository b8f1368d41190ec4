"""The account's Worker scripts (Workers scripts API), filtered by include/exclude and cached for a while."""

from __future__ import annotations

import fnmatch
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from srvmon.providers.cloudflare.client import CloudflareClient

#: Pages of the scripts list read at most (the list is one page today; result_info paging is followed).
MAX_PAGES = 20
PER_PAGE = 100


@dataclass(frozen=True, slots=True)
class Script:
    """One Worker script: its name (the analytics `scriptName`) and when it last changed."""

    name: str
    modified_on: str | None = None


def matches(name: str, include: Sequence[str], exclude: Sequence[str]) -> bool:
    """fnmatch include (all when empty), then exclude."""
    if include and not any(fnmatch.fnmatchcase(name, p) for p in include):
        return False
    return not any(fnmatch.fnmatchcase(name, p) for p in exclude)


class Discovery:
    """`GET /accounts/{id}/workers/scripts`, following `result_info` pages; trusted for `ttl_s`."""

    def __init__(self, client: CloudflareClient, ttl_s: float, now: Callable[[], float]) -> None:
        self.client = client
        self.ttl_s = ttl_s
        self.now = now
        self._lock = threading.Lock()
        self._cached: tuple[float, tuple[Script, ...]] | None = None

    def scripts(self) -> tuple[Script, ...]:
        """Every script of the account (not filtered). Raises ProviderError/HttpError when it cannot list."""
        with self._lock:
            now = self.now()
            if self._cached and now - self._cached[0] < self.ttl_s:
                return self._cached[1]
            found = self._fetch()
            self._cached = (now, found)
            return found

    def known_count(self) -> int | None:
        """How many scripts the last listing found (None before one succeeded); never calls the API."""
        with self._lock:
            return len(self._cached[1]) if self._cached else None

    def _fetch(self) -> tuple[Script, ...]:
        opts = self.client.options
        out: dict[str, Script] = {}
        page, per_page = 1, PER_PAGE
        while page <= MAX_PAGES:
            # page 1 as the API serves it; later pages with the page size the first one reported
            params = {"page": page, "per_page": per_page} if page > 1 else None
            body = self.client.rest(
                "GET", f"/accounts/{opts.account_id}/workers/scripts", "workers_scripts", params=params
            )
            for item in body.get("result") or []:
                if isinstance(item, dict) and isinstance(item.get("id"), str) and item["id"]:
                    modified = item.get("modified_on")
                    out[item["id"]] = Script(item["id"], modified if isinstance(modified, str) else None)
            info = body.get("result_info")
            total = info.get("total_pages") if isinstance(info, dict) else None
            if not isinstance(total, int) or page >= total:
                break
            if isinstance(info, dict) and isinstance(info.get("per_page"), int) and info["per_page"] > 0:
                per_page = info["per_page"]
            page += 1
        return tuple(sorted(out.values(), key=lambda s: s.name))

    def selected(self, patterns: Sequence[str] = ()) -> tuple[str, ...]:
        """Names kept by include/exclude (and by `patterns` when given)."""
        opts = self.client.options
        names = [s.name for s in self.scripts() if matches(s.name, opts.include, opts.exclude)]
        if patterns:
            names = [n for n in names if any(fnmatch.fnmatchcase(n, p) for p in patterns)]
        return tuple(names)
