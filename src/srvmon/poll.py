"""Board -> the needs of its panels (srvmon.kinds) -> deduplicated provider calls, batched per provider and
window, run in each provider's pool under the deadline -> one Snapshot; failures stay on their panels."""

from __future__ import annotations

import threading
from collections import defaultdict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import TYPE_CHECKING, Any

from srvmon import kinds
from srvmon.annotate import annotate, board_events
from srvmon.clock import Clock
from srvmon.config import Board
from srvmon.kinds.base import Plan, PlanContext
from srvmon.model import (
    RANGES,
    ChangeEvent,
    MetricQuery,
    PanelSnapshot,
    ProviderStatus,
    QueryResult,
    Snapshot,
    TimeWindow,
    compare_for,
)
from srvmon.model import range_label as range_label_of
from srvmon.needs import (
    AlarmsNeed,
    CostNeed,
    EventsNeed,
    Failed,
    HealthNeed,
    LimitsNeed,
    LogsNeed,
    MetricNeed,
    Need,
    Results,
    ServiceGraphNeed,
)
from srvmon.providers.base import Provider
from srvmon.runtime import Call, ProviderRun, Runtime
from srvmon.schema import PanelCfg

if TYPE_CHECKING:
    from srvmon.fetchcache import FetchCache  # serve hook


@dataclass(frozen=True)
class _Batch:
    """One provider call and the needs it answers (a metric batch answers many)."""

    call: Call
    needs: tuple[Need[Any], ...]
    #: For a metric batch: need -> the ref id its result comes back under.
    refs: Mapping[MetricNeed, str] | None = None


def board_compare(window: TimeWindow, compare: bool) -> str | None:
    """The board window's compare code: 4 weeks for month-long windows, else 1 week; None when off."""
    if not compare:
        return None
    return compare_for(28 if window.duration_s >= 28 * 86400 else 7).code


class Poller:
    """Fetches one board. `poll()` is blocking and meant for a worker thread; polls of one board never overlap.

    Providers belong to the Runtime (shared by every board): closing a poller never closes them. Given a
    plain mapping of providers instead (scripts, tests), the poller makes a runtime of its own and closes
    only that runtime's pools."""

    def __init__(self, board: Board, runtime: Runtime | Mapping[str, Provider], clock: Clock, *,
                 timeout_s: float | None = None, fetch: FetchCache | None = None) -> None:  # fmt: skip
        self.board = board
        #: serve hook: metric batches go through this shared incremental fetch cache (srvmon.fetchcache).
        self.fetch = fetch
        self._own = not isinstance(runtime, Runtime)
        if isinstance(runtime, Runtime):
            self.runtime = runtime
        else:
            self.runtime = Runtime(runtime, clock, timeout_s=timeout_s or 20.0)
        if timeout_s is not None:
            self.runtime.timeout_s = timeout_s
        self.clock = clock
        self._lock = threading.Lock()
        self._previous: dict[str, PanelSnapshot] = {}
        self._optional: frozenset[Need[Any]] = frozenset()

    #: poll() takes `progress` (partial snapshots while a slow provider is still running).
    reports_progress = True

    def close(self) -> None:
        """Releases the pools of a runtime the poller made itself; never closes providers."""
        if self._own:
            self.runtime.close(providers=False)

    def poll(self, *, range_s: int | None = None, end: datetime | None = None, compare: bool = True,
             force: bool = False, range_label: str | None = None,
             progress: Callable[[Snapshot], None] | None = None) -> Snapshot:  # fmt: skip
        """One refresh. With `progress`, a partial Snapshot (the panels of the providers that have answered,
        the others left out) is handed over each time a provider finishes while others are still running."""
        with self._lock:
            return self._poll(range_s, end, compare, force, range_label, progress)

    # -- one refresh -------------------------------------------------------------------------------------
    def _poll(self, range_s: int | None, end: datetime | None, compare: bool, force: bool,
              range_label: str | None, progress: Callable[[Snapshot], None] | None = None) -> Snapshot:  # fmt: skip
        now = self.clock.now()
        end = end or now
        span = range_s or RANGES[self.board.range]
        board_window = TimeWindow.ending_at(end, span)
        ctx = PlanContext(board_window, end, compare, now)
        plans: dict[str, Plan | Failed] = {}
        for cfg in self.board.panels:
            try:
                plans[cfg.id] = kinds.get(cfg.kind).plan(cfg, ctx)
            except Exception as exc:  # a kind bug stays on its panel
                plans[cfg.id] = Failed(f"{type(exc).__name__}: {exc}")
        needs: dict[Need[Any], None] = {}
        for plan in plans.values():
            if isinstance(plan, Plan):
                needs.update(dict.fromkeys(plan.needs()))
        event_needs = self._event_needs(board_window)
        self._optional = frozenset(n for n in event_needs if n not in needs)
        needs.update(dict.fromkeys(event_needs))
        batches = self._batches(list(needs))
        label = range_label or range_label_of(span)

        def partial(done: frozenset[str], outcomes: list[Any]) -> None:
            if progress is None:
                return
            answered = Results({n: v for n, v in self._spread(batches, outcomes).items() if v is not None})
            ready = [
                cfg for cfg in self.board.panels if cfg.provider in done and isinstance(plans[cfg.id], Plan)
            ]
            shown = tuple(self._assemble(cfg, plans[cfg.id], answered, now) for cfg in ready)
            progress(Snapshot(self.board.name, self.board.title, now, board_window,
                              board_compare(board_window, compare), shown, (), label,
                              float(self.board.refresh_s)))  # fmt: skip

        outcomes, runs = self.runtime.run([b.call for b in batches], force=force,
                                          progress=partial if progress is not None else None)  # fmt: skip
        results = Results(self._spread(batches, outcomes))
        panels = tuple(self._assemble(cfg, plans[cfg.id], results, now) for cfg in self.board.panels)
        events = board_events(self._events(event_needs, results), board_window)
        panels = annotate(panels, events, board_window)
        for ps in panels:
            self._previous[ps.id] = ps
        return Snapshot(
            board=self.board.name,
            title=self.board.title,
            generated_at=now,
            window=board_window,
            compare=board_compare(board_window, compare),
            panels=panels,
            providers=self._statuses(runs),
            range=label,
            refresh_s=float(self.board.refresh_s),
            events=events,
        )

    def _event_needs(self, window: TimeWindow) -> list[EventsNeed]:
        """One board-wide events call per provider of this board that reads change events (markers and
        "what changed" sentences); an events panel asks for its own window through its kind."""
        if not any(kinds.get(cfg.kind).chart for cfg in self.board.panels):
            return []
        out = []
        for name in self.board.providers():
            provider = self.runtime.get(name)
            if provider is not None and "events" in provider.capabilities:
                out.append(EventsNeed(name, window))
        return out

    @staticmethod
    def _events(needs: Sequence[EventsNeed], results: Results) -> list[ChangeEvent]:
        found: list[ChangeEvent] = []
        for need in needs:
            got = results.get(need)
            if not isinstance(got, Failed):
                found.extend(replace(e, provider=e.provider or need.provider) for e in got)
        return found

    def _batches(self, needs: Sequence[Need[Any]]) -> list[_Batch]:
        metric: dict[tuple[str, TimeWindow], list[MetricNeed]] = defaultdict(list)
        out: list[_Batch] = []
        for need in needs:
            if isinstance(need, MetricNeed):
                metric[(need.provider, need.window)].append(need)
            else:
                optional = need in self._optional
                out.append(_Batch(Call(need.provider, self._call_for(need), _what(need), optional), (need,)))
        for (prov, window), group in metric.items():
            refs = {n: f"q{i}" for i, n in enumerate(group)}
            queries = [replace(n.query, ref_id=refs[n]) for n in group]
            provider = self.runtime.get(prov)
            # serve hook (srvmon.fetchcache): only the buckets that can still change are asked for
            cached = self.fetch.bind(prov, provider) if provider and self.fetch else None
            fn = _bound(cached or provider.query, queries, window) if provider else _missing(prov)
            out.append(_Batch(Call(prov, fn, "query"), tuple(group), refs))
        return out

    def _call_for(self, need: Need[Any]) -> Callable[[], Any]:
        p: Provider | None = self.runtime.get(need.provider)
        if p is None:
            return _missing(need.provider)
        if isinstance(need, AlarmsNeed):
            return p.alarms
        if isinstance(need, LimitsNeed):
            return p.limits
        if isinstance(need, CostNeed):
            return _bound(p.cost, need.window)
        if isinstance(need, HealthNeed):
            return _bound(p.function_health, need.window, need.resources)
        if isinstance(need, LogsNeed):
            return _bound(p.logs, need.query)
        if isinstance(need, EventsNeed):
            return _bound(p.events, need.window, need.resources)
        # -- service map (X-Ray) --
        if isinstance(need, ServiceGraphNeed):
            return _bound(p.service_graph, need.window)
        # -- end service map --
        raise TypeError(f"no provider call for {type(need).__name__}")

    @staticmethod
    def _spread(batches: Sequence[_Batch], outcomes: Sequence[Any]) -> dict[Need[Any], Any]:
        """Each need's own outcome: a metric batch's answer is split by ref id."""
        out: dict[Need[Any], Any] = {}
        for batch, got in zip(batches, outcomes, strict=True):
            if batch.refs is None:
                out[batch.needs[0]] = got
                continue
            for need, ref in batch.refs.items():
                if isinstance(got, Failed):
                    out[need] = got
                elif not isinstance(got, Mapping):
                    out[need] = Failed(f"provider answered {type(got).__name__}, not results by ref id")
                else:
                    out[need] = got.get(ref) or QueryResult(ref, error="provider returned no result")
        return out

    def _assemble(self, cfg: PanelCfg, plan: Plan | Failed, results: Results, now: datetime) -> PanelSnapshot:
        kind = kinds.get(cfg.kind)
        prev = self._previous.get(cfg.id)
        if isinstance(plan, Failed):
            panel = kind.failed(cfg, plan, now, TimeWindow.ending_at(now, RANGES[self.board.range]))
        else:
            try:
                panel = kind.assemble(cfg, plan, results, now)
            except Exception as exc:  # bad data from a provider stays on its panel
                panel = kind.failed(cfg, f"{type(exc).__name__}: {exc}", now, plan.window)
        if panel.status == "error" and prev is not None and prev.status != "error":
            return replace(prev, stale=True, error=panel.error)
        return panel

    def _statuses(self, runs: Mapping[str, ProviderRun]) -> tuple[ProviderStatus, ...]:
        """The board's own providers (those its panels use), with this refresh's real state."""
        used = sorted({cfg.provider or "" for cfg in self.board.panels} | set(runs))
        out = []
        for name in used:
            run = runs.get(name, ProviderRun())
            provider = self.runtime.get(name)
            u = provider.usage() if provider else None
            out.append(ProviderStatus(
                name=name,
                type=provider.type_name if provider else "?",
                ok=run.failed == 0 and provider is not None,
                error=(run.errors[0] if run.errors else None) if provider else f"provider {name!r} is not configured",
                api_calls=u.api_calls if u else 0,
                metrics_requested=u.metrics_requested if u else 0,
                estimated_cost_usd=u.estimated_cost_usd if u else 0.0,
                demo=bool(provider and provider.is_demo),
                calls=run.calls,
                failed=run.failed,
                warnings=tuple(run.warnings),
            ))  # fmt: skip
        return tuple(out)


def _what(need: Need[Any]) -> str:
    return {AlarmsNeed: "alarms", LimitsNeed: "limits", CostNeed: "cost", HealthNeed: "function health",
            LogsNeed: "logs", EventsNeed: "events",
            ServiceGraphNeed: "service graph"}.get(type(need), type(need).__name__)  # fmt: skip


def _bound(fn: Callable[..., Any], *args: Any) -> Callable[[], Any]:
    return lambda: fn(*args)


def _missing(name: str) -> Callable[[], Any]:
    def fail() -> Any:
        raise LookupError(f"provider {name!r} is not configured")

    return fail


__all__ = ["MetricQuery", "Poller", "board_compare"]
