"""Board → deduplicated provider calls run concurrently in threads → Snapshot; failures stay on their panels."""

from __future__ import annotations

import contextlib
import threading
import time
from collections import defaultdict
from collections.abc import Callable, Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any, Literal

from srvmon import panels as pn
from srvmon.analysis import prev_month_start
from srvmon.clock import Clock
from srvmon.config import Board
from srvmon.model import (
    COMPARE_DAYS,
    RANGES,
    LogQuery,
    MetricQuery,
    PanelSnapshot,
    ProviderStatus,
    QueryResult,
    Snapshot,
    TimeWindow,
)
from srvmon.providers.base import NotSupported, Provider, ProviderError
from srvmon.schema import METRIC_KINDS, PanelCfg

BACKOFF_BASE_S = 5.0
BACKOFF_MAX_S = 300.0

# one provider call's outcome: ("ok", value) or ("err", message, "timeout"|"unsupported"|"throttled"|"error")
_Outcome = tuple[Literal["ok"], Any] | tuple[Literal["err"], str, str]


@dataclass
class _Backoff:
    failures: int = 0
    retry_at: float = 0.0  # epoch seconds on the injected clock
    reason: str = ""


@dataclass
class _Plan:
    """What one refresh asks each provider for."""

    metric: dict[tuple[str, TimeWindow], dict[str, MetricQuery]] = field(
        default_factory=lambda: defaultdict(dict)
    )
    panel_refs: dict[str, tuple[TimeWindow, str, str | None, TimeWindow | None, int]] = field(
        default_factory=dict
    )
    calls: dict[str, set[str]] = field(default_factory=lambda: defaultdict(set))  # provider -> {"alarms",...}
    health_windows: dict[str, TimeWindow] = field(default_factory=dict)
    logs: dict[str, LogQuery] = field(default_factory=dict)  # panel id -> query


def compare_days(p: PanelCfg, range_s: int, enabled: bool) -> int | None:
    """Days to shift for the overlay: the panel's choice, else 4w for month ranges and 1w otherwise."""
    if not enabled or p.compare == "none" or p.kind not in METRIC_KINDS:
        return None
    if p.compare:
        return COMPARE_DAYS[p.compare]
    return 28 if range_s >= 28 * 86400 else 7


class Poller:
    """Fetches one board. `poll()` is blocking and meant for a worker thread; calls never overlap."""

    def __init__(
        self,
        board: Board,
        providers: Mapping[str, Provider],
        clock: Clock,
        *,
        timeout_s: float = 20.0,
        max_workers: int = 16,
    ) -> None:
        self.board = board
        self.providers = dict(providers)
        self.clock = clock
        self.timeout_s = timeout_s
        self._pool = ThreadPoolExecutor(max_workers=max_workers, thread_name_prefix="srvmon-fetch")
        self._lock = threading.Lock()
        self._previous: dict[str, PanelSnapshot] = {}
        self._backoff: dict[str, _Backoff] = defaultdict(_Backoff)
        self._provider_errors: dict[str, str | None] = {}

    def close(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)
        for p in self.providers.values():
            with contextlib.suppress(Exception):
                p.close()

    # -- planning ------------------------------------------------------------------------------------
    def _plan(self, board_window: TimeWindow, end: datetime, compare: bool) -> _Plan:
        plan = _Plan()
        ref_by_key: dict[tuple[str, TimeWindow, str], str] = {}

        def ref_for(prov: str, window: TimeWindow, q: MetricQuery) -> str:
            k = (prov, window, q.key())
            if k not in ref_by_key:
                ref = f"q{len(ref_by_key)}"
                ref_by_key[k] = ref
                plan.metric[(prov, window)][ref] = MetricQuery(
                    ref, q.provider, q.query, q.stat, q.group_by, q.limit, q.order
                )
            return ref_by_key[k]

        for p in self.board.panels:
            prov = p.provider or ""
            window = TimeWindow.ending_at(end, RANGES[p.range]) if p.range else board_window
            if p.kind in METRIC_KINDS:
                many = p.kind == "toplist" or (p.kind == "timeseries" and bool(p.group_by))
                q = MetricQuery(
                    "",
                    prov,
                    p.query or "",
                    p.stat,
                    tuple(p.group_by),
                    limit=p.top if many else None,
                    order=p.order,
                )
                cur_ref = ref_for(prov, window, q)
                days = compare_days(p, window.duration_s, compare)
                cmp_window = window.shifted(days) if days else None
                cmp_ref = ref_for(prov, cmp_window, q) if cmp_window else None
                plan.panel_refs[p.id] = (window, cur_ref, cmp_ref, cmp_window, days * 86400 if days else 0)
                if p.kind == "gauge" and p.limit:
                    plan.calls[prov].add("limits")
            elif p.kind in ("alarms", "cost"):
                plan.calls[prov].add(p.kind)
            elif p.kind == "health":
                plan.health_windows[prov] = window
                plan.calls[prov].add("health")
            elif p.kind == "logs":
                d = p.drilldown
                plan.logs[p.id] = LogQuery(
                    provider=prov,
                    window=window,
                    resources=tuple(d.resources) if d else (),
                    text=d.filter if d else None,
                    regex=d.regex if d else False,
                    errors_only=d.errors_only if d else True,
                    status_class=d.status_class if d else None,
                    limit=max(p.top, 50),
                )
        return plan

    # -- running -------------------------------------------------------------------------------------
    def poll(
        self,
        *,
        range_s: int | None = None,
        end: datetime | None = None,
        compare: bool = True,
        force: bool = False,
    ) -> Snapshot:
        with self._lock:
            return self._poll(range_s, end, compare, force)

    def _poll(self, range_s: int | None, end: datetime | None, compare: bool, force: bool) -> Snapshot:
        now = self.clock.now()
        end = end or now
        board_window = TimeWindow.ending_at(end, range_s or RANGES[self.board.range])
        plan = self._plan(board_window, end, compare)
        today = end.date()

        tasks: dict[tuple[str, Any], tuple[str, Callable[[], Any]]] = {}
        skipped: dict[str, str] = {}
        now_s = now.timestamp()
        used = set(plan.calls) | {prov for prov, _ in plan.metric} | {q.provider for q in plan.logs.values()}
        for prov in used:
            if prov not in self.providers:
                skipped[prov] = f"provider {prov!r} is not configured"
                continue
            bo = self._backoff[prov]
            if not force and bo.failures and now_s < bo.retry_at:
                skipped[prov] = f"{bo.reason} (retrying in {int(bo.retry_at - now_s)}s)"
        for (prov, window), queries in plan.metric.items():
            if prov in skipped:
                continue
            provider = self.providers[prov]
            tasks[(prov, ("metrics", window))] = (prov, _bind(provider.query, list(queries.values()), window))
        for prov, kinds in plan.calls.items():
            if prov in skipped:
                continue
            provider = self.providers[prov]
            for kind in kinds:
                if kind == "alarms":
                    fn: Callable[[], Any] = provider.alarms
                elif kind == "limits":
                    fn = provider.limits
                elif kind == "cost":
                    fn = _bind(provider.cost, _cost_window(today))
                else:
                    fn = _bind(provider.function_health, plan.health_windows[prov], ())
                tasks[(prov, kind)] = (prov, fn)
        for pid, lq in plan.logs.items():
            if lq.provider not in skipped:
                tasks[(lq.provider, ("logs", pid))] = (
                    lq.provider,
                    _bind(self.providers[lq.provider].logs, lq),
                )

        results = self._run(tasks)

        # provider health + backoff
        prov_errors: dict[str, str] = dict(skipped)
        throttled: set[str] = set()
        for (prov, _), outcome in results.items():
            if outcome[0] == "err" and outcome[2] != "unsupported":
                prov_errors.setdefault(prov, outcome[1])
                if outcome[2] == "throttled":
                    throttled.add(prov)
        for prov in used:
            if prov in skipped:
                continue
            bo = self._backoff[prov]
            if prov in prov_errors:
                bo.failures += 1
                delay = min(
                    BACKOFF_MAX_S, BACKOFF_BASE_S * 2 ** (bo.failures - 1) * (2 if prov in throttled else 1)
                )
                bo.retry_at = now_s + delay
                bo.reason = prov_errors[prov]
            else:
                self._backoff[prov] = _Backoff()

        panels = tuple(self._panel(p, plan, results, skipped, today, now) for p in self.board.panels)
        for ps in panels:
            self._previous[ps.id] = ps
        statuses = []
        for name, provider in self.providers.items():
            u = provider.usage()
            statuses.append(
                ProviderStatus(
                    name=name,
                    type=provider.type_name,
                    ok=name not in prov_errors,
                    error=prov_errors.get(name),
                    api_calls=u.api_calls,
                    metrics_requested=u.metrics_requested,
                    estimated_cost_usd=u.estimated_cost_usd,
                    demo=provider.is_demo,
                )
            )
        return Snapshot(
            board=self.board.name,
            title=self.board.title,
            generated_at=now,
            window=board_window,
            compare="1w" if compare else None,
            panels=panels,
            providers=tuple(statuses),
        )

    def _run(
        self, tasks: Mapping[tuple[str, Any], tuple[str, Callable[[], Any]]]
    ) -> dict[tuple[str, Any], _Outcome]:
        futures: dict[tuple[str, Any], Future[Any]] = {
            k: self._pool.submit(fn) for k, (_, fn) in tasks.items()
        }
        deadline = time.monotonic() + self.timeout_s
        out: dict[tuple[str, Any], _Outcome] = {}
        for key, fut in futures.items():
            try:
                out[key] = ("ok", fut.result(timeout=max(0.0, deadline - time.monotonic())))
            except FutureTimeout:
                fut.cancel()
                out[key] = ("err", f"timed out after {self.timeout_s:g}s", "timeout")
            except NotSupported as exc:
                out[key] = ("err", str(exc), "unsupported")
            except ProviderError as exc:
                out[key] = ("err", str(exc), "throttled" if exc.throttled else "error")
            except Exception as exc:  # a provider bug must not take the board down
                out[key] = ("err", f"{type(exc).__name__}: {exc}", "error")
        return out

    # -- assembling ----------------------------------------------------------------------------------
    def _panel(
        self,
        p: PanelCfg,
        plan: _Plan,
        results: Mapping[tuple[str, Any], _Outcome],
        skipped: Mapping[str, str],
        today: date,
        now: datetime,
    ) -> PanelSnapshot:
        prov = p.provider or ""
        prev = self._previous.get(p.id)
        if prov in skipped:
            return pn.failed(p, skipped[prov], prev, now)
        try:
            if p.kind in METRIC_KINDS:
                window, cur_ref, cmp_ref, cmp_window, shift = plan.panel_refs[p.id]
                got = results[(prov, ("metrics", window))]
                if got[0] == "err":
                    return pn.failed(p, got[1], prev, now)
                cur = got[1].get(cur_ref) or QueryResult(cur_ref, error="provider returned no result")
                if not cur.ok:
                    return pn.failed(p, cur.error or "query failed", prev, now)
                cmp = None
                if cmp_ref is not None and cmp_window is not None:
                    cgot = results[(prov, ("metrics", cmp_window))]
                    cmp = cgot[1].get(cmp_ref) if cgot[0] == "ok" else None
                limits = None
                if p.kind == "gauge" and p.limit:
                    lgot = results[(prov, "limits")]
                    if lgot[0] == "err":
                        return pn.failed(p, lgot[1], prev, now)
                    limits = {lim.name: lim for lim in lgot[1]}
                return pn.metric_panel(p, window, cur, cmp, shift, limits, now)
            key: Any = ("logs", p.id) if p.kind == "logs" else p.kind
            got = results[(prov, key)]
            if got[0] == "err":
                return pn.failed(p, got[1], prev, now)
            if p.kind == "alarms":
                return pn.alarms_panel(p, got[1], now)
            if p.kind == "cost":
                return pn.cost_panel(p, got[1], today, now)
            if p.kind == "health":
                return pn.health_panel(p, got[1], now)
            return pn.logs_panel(p, got[1], now)
        except Exception as exc:  # bad data from a provider stays on its panel
            return pn.failed(p, f"{type(exc).__name__}: {exc}", prev, now)


def _bind(fn: Callable[..., Any], *args: Any) -> Callable[[], Any]:
    return lambda: fn(*args)


def _cost_window(today: date) -> TimeWindow:
    """Daily buckets from the 1st of last month through today (inclusive)."""
    start = prev_month_start(today)
    start_dt = datetime(start.year, start.month, start.day, tzinfo=UTC)
    end_dt = datetime(today.year, today.month, today.day, tzinfo=UTC) + timedelta(days=1)
    return TimeWindow(start_dt, end_dt, 86400)
