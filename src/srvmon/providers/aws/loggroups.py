"""Which CloudWatch log groups exist, per target: one exact lookup per named group, or the paged list of
Lambda log groups (bounded), both cached for the discovery TTL (thread-safe)."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

from srvmon.providers.aws.session import Sessions, Target
from srvmon.providers.base import UsageCounter

#: Lambda log groups listed at most per target (DescribeLogGroups pages hold 50).
MAX_LOG_GROUPS = 5_000
LAMBDA_PREFIX = "/aws/lambda/"


class LogGroups:
    def __init__(
        self,
        sessions: Sessions,
        counter: UsageCounter,
        ttl_s: float,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self.sessions = sessions
        self.counter = counter
        self.ttl_s = ttl_s
        self.monotonic = monotonic
        self._lock = threading.Lock()
        self._exists: dict[tuple[Target, str], tuple[float, bool]] = {}
        self._lists: dict[Target, tuple[float, list[str], bool]] = {}

    def _fresh(self, at: float) -> bool:
        return self.monotonic() - at < self.ttl_s

    def exists(self, target: Target, group: str) -> bool:
        """Whether `group` exists in `target`: one DescribeLogGroups by prefix (the exact name sorts
        first among the names it prefixes), or the cached Lambda list when one is fresh."""
        with self._lock:
            hit = self._exists.get((target, group))
            listed = self._lists.get(target)
        if hit is not None and self._fresh(hit[0]):
            return hit[1]
        if (
            listed is not None
            and self._fresh(listed[0])
            and group.startswith(LAMBDA_PREFIX)
            and not listed[2]
        ):
            return group in listed[1]
        client = self.sessions.client("logs", target)
        self.counter.call("DescribeLogGroups")
        resp = client.describe_log_groups(logGroupNamePrefix=group, limit=5)
        found = any(g.get("logGroupName") == group for g in resp.get("logGroups", []))
        with self._lock:
            self._exists[(target, group)] = (self.monotonic(), found)
        return found

    def lambda_groups(self, target: Target) -> tuple[list[str], bool]:
        """Every Lambda log group of `target` (at most MAX_LOG_GROUPS) and whether the list was cut."""
        with self._lock:
            listed = self._lists.get(target)
        if listed is not None and self._fresh(listed[0]):
            return listed[1], listed[2]
        client = self.sessions.client("logs", target)
        groups: list[str] = []
        for page in client.get_paginator("describe_log_groups").paginate(
            logGroupNamePrefix=LAMBDA_PREFIX, PaginationConfig={"MaxItems": MAX_LOG_GROUPS}
        ):
            self.counter.call("DescribeLogGroups")
            groups.extend(str(g["logGroupName"]) for g in page.get("logGroups", []) if g.get("logGroupName"))
        cut = len(groups) >= MAX_LOG_GROUPS
        with self._lock:
            self._lists[target] = (self.monotonic(), groups, cut)
        return groups, cut
