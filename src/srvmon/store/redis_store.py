"""The shared store for several hosts: Redis. Snapshots as hashes, a sequence counter, pub/sub to wake
viewers, demands in a hash, status keys that expire, and leases taken with SET NX PX (renewed by a
compare-and-expire script) so one poller per provider instance runs across every host."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Mapping
from typing import Any

from srvmon.store.base import Demand, Lease, Store, Stored, StoreError, ViewKey

PREFIX = "srvmon:"
CHANNEL = PREFIX + "snapshots"
#: Every Redis command has this deadline (connect and each reply).
TIMEOUT_S = 5.0
_RENEW = """
if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('pexpire', KEYS[1], ARGV[2]) end
return 0
"""
_RELEASE = """
if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) end
return 0
"""


def redact(url: str) -> str:
    """The URL with any password replaced by ***."""
    from urllib.parse import urlsplit, urlunsplit

    parts = urlsplit(url)
    if parts.password is None:
        return url
    user = parts.username or ""
    host = parts.hostname or ""
    netloc = f"{user}:***@{host}" + (f":{parts.port}" if parts.port else "")
    return urlunsplit((parts.scheme, netloc, parts.path, parts.query, parts.fragment))


class RedisStore(Store):
    def __init__(self, url: str) -> None:
        import redis

        self.url = redact(url)  # shown in status and hints: never the password
        self._r: Any  # redis-py's sync client (its stubs type every reply as sync-or-async)
        try:
            self._r = redis.Redis.from_url(url, socket_timeout=TIMEOUT_S, socket_connect_timeout=TIMEOUT_S,
                                           health_check_interval=30)  # fmt: skip
            self._r.ping()
        except (redis.RedisError, ValueError) as exc:
            raise StoreError(
                f"{self.url}: cannot reach Redis: {exc}; check host, port, database and that it runs"
            ) from exc
        self._renew = self._r.register_script(_RENEW)
        self._release = self._r.register_script(_RELEASE)
        self._pubsub: Any = None
        self._sub_lock = threading.Lock()

    @staticmethod
    def _k(*parts: str) -> str:
        return PREFIX + ":".join(parts)

    # -- boards ---------------------------------------------------------------------------------
    def put_boards(self, doc: Mapping[str, Any]) -> None:
        self._r.set(self._k("boards"), json.dumps(doc))

    def boards(self) -> Mapping[str, Any] | None:
        raw = self._r.get(self._k("boards"))
        return None if raw is None else dict(json.loads(raw))

    # -- snapshots ------------------------------------------------------------------------------
    def put_snapshot(self, key: ViewKey, text: str, at: float) -> int:
        seq = int(self._r.incr(self._k("seq")))
        kt = key.text()
        pipe = self._r.pipeline(transaction=True)
        pipe.hset(self._k("snap", kt), mapping={"seq": seq, "at": repr(at), "body": text})
        pipe.zadd(self._k("changes"), {kt: seq})
        pipe.publish(CHANNEL, str(seq))
        pipe.execute()
        return seq

    def latest(self, key: ViewKey) -> Stored | None:
        got = self._r.hgetall(self._k("snap", key.text()))
        if not got:
            return None
        return Stored(key, int(got[b"seq"]), float(got[b"at"]), got[b"body"].decode("utf-8"))

    def head(self) -> int:
        raw = self._r.get(self._k("seq"))
        return 0 if raw is None else int(raw)

    def changed_since(self, seq: int) -> list[tuple[int, ViewKey]]:
        rows = self._r.zrangebyscore(self._k("changes"), f"({seq}", "+inf", withscores=True)
        return [(int(score), ViewKey.parse(member.decode("utf-8"))) for member, score in rows]

    def wait_change(self, seq: int, timeout_s: float) -> int:
        deadline = time.monotonic() + max(0.0, timeout_s)
        with self._sub_lock:
            if self._pubsub is None:  # subscribed before the first look, so no write slips between
                self._pubsub = self._r.pubsub(ignore_subscribe_messages=True)
                self._pubsub.subscribe(CHANNEL)
            while True:
                head = self.head()
                left = deadline - time.monotonic()
                if head > seq or left <= 0:
                    return head
                self._pubsub.get_message(timeout=min(1.0, left))

    def drop_snapshots(self, keep: set[ViewKey] | None, older_than: float) -> int:
        keep_text = {k.text() for k in keep or ()}
        gone = 0
        for member in self._r.zrange(self._k("changes"), 0, -1):
            kt = member.decode("utf-8")
            if kt in keep_text:
                continue
            at = self._r.hget(self._k("snap", kt), "at")
            if at is None or float(at) < older_than:
                self._r.delete(self._k("snap", kt))
                self._r.zrem(self._k("changes"), kt)
                gone += 1
        return gone

    # -- series ---------------------------------------------------------------------------------
    def put_series(self, name: str, doc: str, at: float, ttl_s: float) -> None:
        self._r.set(self._k("series", name), doc, px=max(1, int(ttl_s * 1000)))

    def get_series(self, name: str, now: float) -> str | None:
        raw = self._r.get(self._k("series", name))
        return None if raw is None else raw.decode("utf-8")

    # -- demands --------------------------------------------------------------------------------
    def demand(self, key: ViewKey, viewer: str, at: float, force: bool = False) -> None:
        field = json.dumps([key.text(), viewer])
        force_at = at if force else None
        if force_at is None:
            old = self._r.hget(self._k("demands"), field)
            if old is not None:
                force_at = json.loads(old).get("force_at")
        self._r.hset(self._k("demands"), field, json.dumps({"at": at, "force_at": force_at}))

    def demands(self, since: float) -> list[Demand]:
        out = []
        stale = []
        for field, value in self._r.hgetall(self._k("demands")).items():
            kt, viewer = json.loads(field)
            doc = json.loads(value)
            if doc["at"] < since:
                stale.append(field)
                continue
            out.append(Demand(ViewKey.parse(kt), str(viewer), float(doc["at"]), doc.get("force_at")))
        if stale:
            self._r.hdel(self._k("demands"), *stale)
        return out

    # -- status ---------------------------------------------------------------------------------
    def put_status(self, kind: str, ident: str, doc: Mapping[str, Any], at: float, ttl_s: float) -> None:
        self._r.set(self._k("status", kind, ident), json.dumps(doc), px=max(1, int(ttl_s * 1000)))

    def statuses(self, kind: str, now: float) -> list[dict[str, Any]]:
        keys = sorted(self._r.scan_iter(match=self._k("status", kind, "*"), count=200))
        if not keys:
            return []
        return [dict(json.loads(v)) for v in self._r.mget(keys) if v is not None]

    def drop_status(self, kind: str, ident: str) -> None:
        self._r.delete(self._k("status", kind, ident))

    # -- leases ---------------------------------------------------------------------------------
    def acquire(self, name: str, holder: str, ttl_s: float, now: float) -> bool:
        """SET NX PX on the Redis server's clock (`now` is not used: hosts' clocks may differ)."""
        key, ms = self._k("lease", name), max(1, int(ttl_s * 1000))
        if self._r.set(key, holder, nx=True, px=ms):
            return True
        return bool(self._renew(keys=[key], args=[holder, ms]))

    def release(self, name: str, holder: str) -> None:
        self._release(keys=[self._k("lease", name)], args=[holder])

    def lease(self, name: str, now: float) -> Lease | None:
        key = self._k("lease", name)
        pipe = self._r.pipeline(transaction=True)
        pipe.get(key)
        pipe.pttl(key)
        holder, ttl = pipe.execute()
        if holder is None or ttl is None or ttl < 0:
            return None
        return Lease(holder.decode("utf-8"), ttl / 1000.0)

    def close(self) -> None:
        with self._sub_lock:
            if self._pubsub is not None:
                self._pubsub.close()
                self._pubsub = None
        self._r.close()
