"""Incremental metric fetch for a long-running poller (`srvmon serve`), shared by every board and view.

After the first load a refresh asks the provider only for the buckets that can still change: those not
yet *final* (fetched at least `settle_s` after they ended, so late data has arrived) and not fetched in
the last `fresh_s` (views of one poll cycle share a fetch). The answer is merged into the series kept
per (provider instance, query, step); settled windows (the week-ago copy, long ranges) are fetched once,
reaching `horizon` ahead so the next refreshes of a sliding compare window are served from here.

Queries with a top-N `limit` are ranked by the provider over their exact window, so they are never
merged: their answer is reused only for the same window while it is fresh or final.

A batch becomes at most two provider calls (the exact window, and one span for the merged queries) and
usually one. Bounded: least recently used entries go first beyond `max_points` cached points.

With a `backing` (the serve store), settled entries are also written there and read back on a miss, so
a poller that takes over (or restarts) does not fetch the settled windows again."""

from __future__ import annotations

import contextlib
import hashlib
import json
import threading
from collections import OrderedDict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any, Protocol

from srvmon.clock import Clock
from srvmon.model import MetricQuery, QueryResult, Series, TimeWindow
from srvmon.providers.base import Provider, ProviderError

#: A bucket fetched this long after it ended is final (CloudWatch and most backends settle within minutes).
SETTLE_S = 600
#: A bucket fetched this recently is reused even when not final (the views of one poll cycle share it).
FRESH_S = 20.0
#: Points kept over all entries.
MAX_POINTS = 1_000_000

QueryFn = Callable[[Sequence[MetricQuery], TimeWindow], Mapping[str, QueryResult]]
#: How long a settled entry stays in the backing store.
BACKING_TTL_S = 2 * 86400.0


class SeriesBacking(Protocol):
    """Where settled entries outlive this process (srvmon.store.Store has these two methods)."""

    def put_series(self, name: str, doc: str, at: float, ttl_s: float) -> None: ...

    def get_series(self, name: str, now: float) -> str | None: ...


def horizon_s(step_s: int) -> int:
    """How far past a settled window its fetch reaches (1 h, or 12 steps for coarse windows)."""
    return max(3600, 12 * step_s)


@dataclass
class _Merged:
    """A query without a top-N limit at one step: every bucket it knows, and when each was fetched."""

    fetched: dict[int, float] = field(default_factory=dict)
    #: labels (as a sorted tuple) -> (labels, {bucket: value}); insertion order = the provider's order.
    series: dict[tuple[tuple[str, str], ...], tuple[Mapping[str, str], dict[int, float | None]]] = field(
        default_factory=dict
    )
    warnings: tuple[str, ...] = ()
    #: The longest window asked of this entry: buckets older than one such length behind a request go.
    keep_s: int = 0

    @property
    def points(self) -> int:
        return len(self.fetched) + sum(len(p) for _, p in self.series.values())


@dataclass
class _Exact:
    """A top-N query's answer for one exact window."""

    result: QueryResult
    fetched_at: float

    @property
    def points(self) -> int:
        return sum(len(s.values) for s in self.result.series) + 1


@dataclass
class CacheStats:
    """What the cache saved: queries answered without a call, and what was asked of providers."""

    hits: int = 0
    fetched: int = 0
    calls: int = 0
    points_fetched: int = 0
    #: Settled entries read back from the backing store instead of fetched.
    loaded: int = 0


class FetchCache:
    """Thread-safe. The batches of one poll are planned in the order the poller made them (each
    provider's batches get tickets from `bind`): a later batch whose buckets an earlier one is fetching
    waits for that fetch instead of asking again, so the calls a poll makes never depend on thread timing."""

    def __init__(self, clock: Clock, *, settle_s: float = SETTLE_S, fresh_s: float = FRESH_S,
                 max_points: int = MAX_POINTS, wait_s: float = 30.0,
                 backing: SeriesBacking | None = None) -> None:  # fmt: skip
        self.clock = clock
        self.backing = backing
        self.settle_s = settle_s
        self.fresh_s = fresh_s
        self.max_points = max_points
        #: How long a batch waits for an earlier one to plan, or for its fetch (then it fetches itself).
        self.wait_s = wait_s
        self.stats = CacheStats()
        self._cond = threading.Condition()
        self._entries: OrderedDict[tuple[Any, ...], _Merged] = OrderedDict()
        self._exact: dict[tuple[Any, ...], _Exact] = {}
        self._points = 0
        self._tickets: dict[str, int] = {}
        self._planned: dict[str, int] = {}
        #: key -> fetches under way: (start_s, end_s, done)
        self._inflight: dict[tuple[Any, ...], list[tuple[int, int, threading.Event]]] = {}

    def bind(self, name: str, provider: Provider) -> QueryFn:
        """`provider.query` through this cache (the Poller's hook); call it in the poll's batch order."""
        with self._cond:
            ticket = self._tickets[name] = self._tickets.get(name, 0) + 1
        return lambda queries, window: self.query(name, provider.query, queries, window, ticket=ticket)

    # -- the decision -----------------------------------------------------------------------------
    def _usable(self, fetched_at: float | None, bucket_end: int, now: float) -> bool:
        if fetched_at is None:
            return False
        return fetched_at >= bucket_end + self.settle_s or now - fetched_at <= self.fresh_s

    def _span(self, entry: _Merged | None, window: TimeWindow, now: float) -> tuple[int, int] | None:
        """The buckets of `window` to fetch for a merged query (None: none), reaching ahead when settled."""
        step = window.step_s
        missing = [t for t in window.timestamps()
                   if entry is None or not self._usable(entry.fetched.get(t), t + step, now)]  # fmt: skip
        if not missing:
            return None
        start, end = missing[0], missing[-1] + step
        edge = int(now - self.settle_s) // step * step
        if window.end_s <= edge:  # settled: fetch ahead, never past the settled edge
            end = max(end, min(window.end_s + horizon_s(step), edge))
        return start, end

    def _plan(self, name: str, queries: Sequence[MetricQuery], window: TimeWindow, now: float,
              out: dict[str, QueryResult]) -> tuple[list[MetricQuery], dict[str, tuple[MetricQuery, tuple[int, int]]],
                                                    list[tuple[MetricQuery, threading.Event]]]:  # fmt: skip
        """Under the lock: answer what the cache can; the rest is fetched (exact, merged) or awaited."""
        step = window.step_s
        exact: list[MetricQuery] = []
        merged: dict[str, tuple[MetricQuery, tuple[int, int]]] = {}
        awaited: list[tuple[MetricQuery, threading.Event]] = []
        self._purge_exact(now)
        for q in queries:
            key = (name, q.key(), step)
            if q.limit is not None:
                got = self._exact.get((*self._merged_key(key, window, now), window.start_s, window.end_s))
                if got is not None and self._usable(got.fetched_at, window.end_s, now):
                    out[q.ref_id] = replace(got.result, ref_id=q.ref_id)
                else:
                    exact.append(q)
                continue
            key = self._merged_key(key, window, now)
            entry = self._entries.get(key)
            if entry is None and self.backing is not None and key[-1] >= 1:  # a settled region: maybe stored
                entry = self._load(key, now)
            span = self._span(entry, window, now)
            if span is None and entry is not None:
                self._entries.move_to_end(key)
                out[q.ref_id] = _assemble(entry, q.ref_id, window)
                continue
            span = span or (window.start_s, window.end_s)
            under_way = [ev for lo, hi, ev in self._inflight.get(key, ()) if lo <= span[0] and span[1] <= hi]
            if under_way:
                awaited.append((q, under_way[0]))
            else:
                merged[q.ref_id] = (q, span)
        self.stats.hits += len(out)
        return exact, merged, awaited

    # -- the call ---------------------------------------------------------------------------------
    def query(self, name: str, fetch: QueryFn, queries: Sequence[MetricQuery], window: TimeWindow, *,
              ticket: int | None = None) -> dict[str, QueryResult]:  # fmt: skip
        now = self.clock.now().timestamp()
        step = window.step_s
        out: dict[str, QueryResult] = {}
        done = threading.Event()
        registered: list[tuple[Any, ...]] = []
        with self._cond:
            if ticket is not None:  # earlier batches of this poll plan first (bounded: one may never run)
                self._cond.wait_for(lambda: self._planned.get(name, 0) >= ticket - 1, timeout=self.wait_s)
            exact, merged, awaited = self._plan(name, queries, window, now, out)
            calls = self._calls(window, exact, merged)
            for span_window, qs in calls:
                for q in qs:
                    if q.limit is None:
                        key = self._merged_key((name, q.key(), step), window, now)
                        self._inflight.setdefault(key, []).append(
                            (span_window.start_s, span_window.end_s, done)
                        )
                        registered.append(key)
            if ticket is not None:
                self._planned[name] = max(self._planned.get(name, 0), ticket)
                self._cond.notify_all()
        try:
            failures = self._run(name, fetch, calls, window, now, out)
        finally:
            with self._cond:
                for key in registered:
                    self._inflight[key] = [f for f in self._inflight.get(key, ()) if f[2] is not done]
                    if not self._inflight[key]:
                        del self._inflight[key]
            done.set()
        if awaited:
            late: dict[str, tuple[MetricQuery, tuple[int, int]]] = {}
            for _, ev in awaited:
                ev.wait(self.wait_s)
            with self._cond:
                for q, _ in awaited:
                    entry = self._entries.get(self._merged_key((name, q.key(), step), window, now))
                    span = self._span(entry, window, now)
                    if span is None and entry is not None:
                        self.stats.hits += 1
                        out[q.ref_id] = _assemble(entry, q.ref_id, window)
                    else:  # the fetch we waited for failed: ask ourselves
                        late[q.ref_id] = (q, span or (window.start_s, window.end_s))
            if late:
                more = self._calls(window, [], late)
                failures += self._run(name, fetch, more, window, now, out)
                calls += more
        if failures and len(failures) == len(calls):
            raise failures[0]  # the runtime's backoff and Retry-After see the provider's own error
        return out

    @staticmethod
    def _calls(window: TimeWindow, exact: list[MetricQuery],
               merged: Mapping[str, tuple[MetricQuery, tuple[int, int]]]) -> list[tuple[TimeWindow, list[MetricQuery]]]:  # fmt: skip
        """At most two calls: the exact window (the merged queries ride along when their span fits in
        it), and one span covering every merged query."""
        if not merged:
            return [(window, exact)] if exact else []
        lo = min(s[0] for _, s in merged.values())
        hi = max(s[1] for _, s in merged.values())
        if exact and window.start_s <= lo and hi <= window.end_s:
            return [(window, exact + [q for q, _ in merged.values()])]
        out = [(window, exact)] if exact else []
        return [*out, (_window(lo, hi, window.step_s), [q for q, _ in merged.values()])]

    def _run(self, name: str, fetch: QueryFn, calls: list[tuple[TimeWindow, list[MetricQuery]]],
             window: TimeWindow, now: float, out: dict[str, QueryResult]) -> list[BaseException]:  # fmt: skip
        failures: list[BaseException] = []
        for span_window, qs in calls:
            try:
                answer = fetch(qs, span_window)
            except Exception as exc:  # one of two calls failing fails only its own queries
                failures.append(exc)
                for q in qs:
                    out[q.ref_id] = QueryResult(q.ref_id, error=str(exc) or type(exc).__name__,
                                                throttled=isinstance(exc, ProviderError) and exc.throttled)  # fmt: skip
                continue
            self._take(name, qs, span_window, window, answer, now, out)
        return failures

    def _take(self, name: str, qs: Sequence[MetricQuery], got_window: TimeWindow, window: TimeWindow,
              answer: Mapping[str, QueryResult], now: float, out: dict[str, QueryResult]) -> None:  # fmt: skip
        step = window.step_s
        with self._cond:
            self.stats.calls += 1
            self.stats.fetched += len(qs)
            for q in qs:
                res = answer.get(q.ref_id)
                if res is None:
                    out[q.ref_id] = QueryResult(q.ref_id, error="provider returned no result")
                    continue
                self.stats.points_fetched += sum(len(s.values) for s in res.series)
                if not res.ok or res.throttled:
                    out[q.ref_id] = res  # never cached, never merged
                    continue
                key = (name, q.key(), step)
                if q.limit is not None:
                    ex = _Exact(replace(res, ref_id=""), now)
                    region = self._merged_key(key, window, now)
                    for k in [k for k in self._exact if k[:4] == region]:  # a sliding window supersedes
                        self._points -= self._exact.pop(k).points
                    self._exact[(*region, window.start_s, window.end_s)] = ex
                    self._points += ex.points
                    out[q.ref_id] = res
                    continue
                key = self._merged_key(key, window, now)
                entry = self._entries.pop(key, None) or _Merged()
                self._points -= entry.points
                entry.keep_s = max(entry.keep_s, window.duration_s)
                _merge(entry, res, got_window, now)
                _trim(entry, window.start_s - entry.keep_s)
                self._entries[key] = entry
                self._points += entry.points
                out[q.ref_id] = _assemble(entry, q.ref_id, window)
                if self.backing is not None and key[-1] >= 1:
                    self._save(key, entry, now)
            self._evict()

    # -- the backing store --------------------------------------------------------------------------
    @staticmethod
    def _name(key: tuple[Any, ...]) -> str:
        return hashlib.sha256(json.dumps(list(key), default=str).encode()).hexdigest()[:32]

    def _save(self, key: tuple[Any, ...], entry: _Merged, now: float) -> None:
        assert self.backing is not None
        doc = {"fetched": list(entry.fetched.items()), "warnings": list(entry.warnings), "keep_s": entry.keep_s,
               "series": [[dict(labels), list(points.items())] for labels, points in entry.series.values()]}  # fmt: skip
        with contextlib.suppress(Exception):  # the backing is an optimisation: memory still has it
            self.backing.put_series(self._name(key), json.dumps(doc, allow_nan=False), now, BACKING_TTL_S)

    def _load(self, key: tuple[Any, ...], now: float) -> _Merged | None:
        assert self.backing is not None
        try:
            raw = self.backing.get_series(self._name(key), now)
            if raw is None:
                return None
            doc = json.loads(raw)
            entry = _Merged(fetched={int(t): float(f) for t, f in doc["fetched"]},
                            warnings=tuple(str(w) for w in doc["warnings"]), keep_s=int(doc["keep_s"]))  # fmt: skip
            for labels, points in doc["series"]:
                entry.series[_label_key(labels)] = (
                    {str(k): str(v) for k, v in labels.items()},
                    {int(t): None if v is None else float(v) for t, v in points},
                )
        except Exception:  # noqa: BLE001 - unreadable: fetch instead
            return None
        self._entries[key] = entry
        self._points += entry.points
        self.stats.loaded += 1
        return entry

    @staticmethod
    def _merged_key(key: tuple[Any, ...], window: TimeWindow, now: float) -> tuple[Any, ...]:
        """Merged series are kept per region of time: live, a day ago, a week ago... (whole days back), so
        trimming behind the live window never drops the week-ago copy."""
        return (*key, round((now - window.end_s) / 86400))

    def _purge_exact(self, now: float) -> None:
        """Exact answers that are neither final nor fresh can never be used again."""
        for k, ex in list(self._exact.items()):
            if not self._usable(ex.fetched_at, int(k[-1]), now):
                self._points -= ex.points
                del self._exact[k]

    def _evict(self) -> None:
        while self._points > self.max_points and (self._entries or self._exact):
            if self._exact:
                k = next(iter(self._exact))
                self._points -= self._exact.pop(k).points
            else:
                _, dropped = self._entries.popitem(last=False)
                self._points -= dropped.points

    @property
    def points(self) -> int:
        return self._points


def _window(start_s: int, end_s: int, step: int) -> TimeWindow:
    return TimeWindow(datetime.fromtimestamp(start_s, UTC), datetime.fromtimestamp(end_s, UTC), step)


def _label_key(labels: Mapping[str, str]) -> tuple[tuple[str, str], ...]:
    return tuple(sorted((str(k), str(v)) for k, v in labels.items()))


def _merge(entry: _Merged, res: QueryResult, got: TimeWindow, now: float) -> None:
    """The answer for `got` replaces every bucket of `got` (a series it lacks has no points there)."""
    buckets = got.timestamps()
    for t in buckets:
        entry.fetched[t] = now
    lo, hi = got.start_s, got.end_s
    for _, points in entry.series.values():
        for t in [t for t in points if lo <= t < hi]:
            del points[t]
    for s in res.series:
        lk = _label_key(s.labels)
        if lk not in entry.series:
            entry.series[lk] = (dict(s.labels), {})
        points = entry.series[lk][1]
        for t, v in zip(s.timestamps, s.values, strict=True):
            points[t] = v
        # keep each series' buckets in time order (a merged tail arrives after older buckets)
        if points and next(reversed(points)) < max(points):
            entry.series[lk] = (entry.series[lk][0], dict(sorted(points.items())))
    entry.warnings = tuple(res.warnings)


def _trim(entry: _Merged, before_s: int) -> None:
    """Forget buckets before `before_s` (the window slid past them)."""
    if entry.fetched and min(entry.fetched) < before_s:
        entry.fetched = {t: f for t, f in entry.fetched.items() if t >= before_s}
        for lk, (labels, points) in list(entry.series.items()):
            kept = {t: v for t, v in points.items() if t >= before_s}
            if kept:
                entry.series[lk] = (labels, kept)
            else:
                del entry.series[lk]


def _assemble(entry: _Merged, ref_id: str, window: TimeWindow) -> QueryResult:
    lo, hi = window.start_s, window.end_s
    out = []
    for labels, points in entry.series.values():
        ts = tuple(t for t in points if lo <= t < hi)
        if ts:
            out.append(Series(labels=labels, timestamps=ts, values=tuple(points[t] for t in ts)))
    return QueryResult(ref_id, series=tuple(out), warnings=entry.warnings)
