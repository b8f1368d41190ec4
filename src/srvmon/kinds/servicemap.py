"""The service-map kind: services and their call paths (X-Ray's service graph) with rates, errors, p99.

Rules (one place; the widget and every export show these ratings, never their own):

* a node's or edge's **fault %** (5xx answers) is rated by the panel `thresholds` (default warn 1%,
  crit 5%);
* its **error %** (4xx answers, throttles included) is a warning from 10%: client errors are seldom the
  service's fault, but a wall of them is worth a look;
* its **throttle %** (429 answers) is a warning from 1% and critical from 10% (a capacity limit);
* p99 is the smallest response time with at least 99% of the histogram's requests at or below it;
* a service without requests in the window is `nodata`; the panel's status is the worst rating, its
  value the number of services that need attention.

Client nodes (X-Ray's "client", the callers outside the map) and the edges leaving them are left out:
they repeat the entry services' own traffic. At most `top` services are listed (worst first, then the
busiest), with the call paths between them (at most 2 x `top`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from srvmon import analysis as an
from srvmon.fmt import Data, Detail, fmt_value, join
from srvmon.kinds.base import PanelKind, Plan, PlanContext, r4, thresholds
from srvmon.model import (
    GraphNode,
    GraphStats,
    PanelSnapshot,
    ServiceEdge,
    ServiceGraph,
    ServiceNode,
    Status,
    Thresholds,
)
from srvmon.needs import Failed, Need, Results, ServiceGraphNeed

if TYPE_CHECKING:
    from srvmon.schema import PanelCfg

FAULT_WARN_PCT = 1.0
FAULT_CRIT_PCT = 5.0
ERROR_WARN_PCT = 10.0
THROTTLE_WARN_PCT = 1.0
THROTTLE_CRIT_PCT = 10.0
#: Node types that stand for callers outside the map.
CLIENT_TYPES = frozenset({"client"})
#: Listing order: what needs attention first, services without data last.
_ORDER: dict[str, int] = {"crit": 0, "error": 1, "warn": 2, "ok": 3, "nodata": 4}


def p99_ms(histogram: tuple[tuple[float, int], ...]) -> float | None:
    """The 99th percentile of a (seconds, count) histogram, in ms; None when it holds no requests."""
    entries = sorted((v, c) for v, c in histogram if c > 0 and math.isfinite(v) and v >= 0)
    total = sum(c for _, c in entries)
    if not total:
        return None
    need = math.ceil(0.99 * total)
    seen = 0
    for value, count in entries:
        seen += count
        if seen >= need:
            return value * 1000.0
    return entries[-1][0] * 1000.0  # pragma: no cover - the loop always reaches `need`


def _pct(part: int, whole: int) -> float | None:
    return part / whole * 100.0 if whole > 0 else None


def rate(
    stats: GraphStats | None, fault_th: Thresholds
) -> tuple[Status, float | None, float | None, float | None]:
    """(status, error %, fault %, throttle %) of one node or edge by the rules above."""
    if stats is None or stats.requests <= 0:
        return "nodata", None, None, None
    error, fault, throttle = (_pct(x, stats.requests) for x in (stats.errors, stats.faults, stats.throttles))
    ratings: list[Status] = [an.threshold_status(fault, fault_th)]
    if error is not None and error >= ERROR_WARN_PCT:
        ratings.append("warn")
    if throttle is not None:
        ratings.append(
            "crit" if throttle >= THROTTLE_CRIT_PCT else "warn" if throttle >= THROTTLE_WARN_PCT else "ok"
        )
    return an.worst_status(ratings), error, fault, throttle


def fault_thresholds(cfg: PanelCfg) -> Thresholds:
    t = thresholds(cfg)
    if t.warn is None and t.crit is None:
        return Thresholds(FAULT_WARN_PCT, FAULT_CRIT_PCT)
    return t


@dataclass(frozen=True)
class ServiceMapPlan(Plan):
    need: ServiceGraphNeed

    def needs(self) -> tuple[Need[Any], ...]:
        return (self.need,)


class ServiceMapKind(PanelKind[ServiceMapPlan]):
    name = "servicemap"
    row_types = (ServiceNode, ServiceEdge)
    summary = "services and call paths (X-Ray service map): req/s, error/fault/throttle %, p99, rated"
    fields = frozenset({"top", "thresholds"})
    body = "srvmon.widgets.servicemap:ServiceMapView"
    drill_errors_only = True

    def plan(self, cfg: PanelCfg, ctx: PlanContext) -> ServiceMapPlan:
        window = ctx.window_for(cfg)
        return ServiceMapPlan(window, ServiceGraphNeed(cfg.provider or "", window))

    def assemble(self, cfg: PanelCfg, plan: ServiceMapPlan, results: Results, now: datetime) -> PanelSnapshot:
        graph = results.get(plan.need)
        if isinstance(graph, Failed):
            return self.failed(cfg, graph, now, plan.window)
        nodes, edges, hidden = self.rows(cfg, graph, plan.window.duration_s)
        notes = tuple(graph.warnings)
        if hidden:
            notes += (f"{hidden} more services not listed (top = {cfg.top})",)
        if not nodes:
            return self.panel(cfg, "nodata", now, plan.window, rows=(), notes=notes)
        rated: list[ServiceNode | ServiceEdge] = [*nodes, *edges]
        status = an.worst_status(r.status for r in rated if r.status != "nodata")
        bad = sum(1 for r in nodes if r.status in ("warn", "crit"))
        return self.panel(cfg, status, now, plan.window, value=float(bad), rows=tuple(rated), notes=notes)

    def rows(
        self, cfg: PanelCfg, graph: ServiceGraph, default_s: int
    ) -> tuple[list[ServiceNode], list[ServiceEdge], int]:
        """The rated node rows (at most `top`), the edges among them, and how many nodes were left out."""
        seconds = (graph.end - graph.start).total_seconds() or float(default_s)
        fault_th = fault_thresholds(cfg)
        by_key: dict[str, GraphNode] = {n.key: n for n in graph.nodes}

        def per_s(stats: GraphStats | None) -> float | None:
            return r4(stats.requests / seconds) if stats is not None and seconds > 0 else None

        rated: list[tuple[ServiceNode, str]] = []
        for n in graph.nodes:
            if n.type in CLIENT_TYPES:
                continue
            status, err, fault, thr = rate(n.stats, fault_th)
            rated.append((ServiceNode(
                n.name, n.type, per_s(n.stats), r4(err), r4(fault), r4(thr), r4(p99_ms(n.histogram)), status,
                n.root, n.stats.requests if n.stats is not None else None, n.account,
            ), n.key))  # fmt: skip
        rated.sort(key=lambda rk: (_ORDER[rk[0].status], -(rk[0].requests or 0), rk[0].name, rk[0].type))
        kept = rated[: cfg.top]
        keys = {k for _, k in kept}
        edges: list[ServiceEdge] = []
        for e in graph.edges:
            if e.source not in keys or e.target not in keys:
                continue
            src, dst = by_key[e.source], by_key[e.target]
            status, err, fault, thr = rate(e.stats, fault_th)
            edges.append(ServiceEdge(
                src.name, dst.name, per_s(e.stats), r4(err), r4(fault), r4(p99_ms(e.histogram)), status,
                src.type, dst.type, r4(thr),
            ))  # fmt: skip
        edges.sort(key=lambda r: (_ORDER[r.status], -(r.requests_per_s or 0), r.source, r.target))
        return [n for n, _ in kept], edges[: 2 * cfg.top], len(rated) - len(kept)

    def detail(self, panel: PanelSnapshot) -> Detail:
        nodes = [r for r in panel.rows or () if isinstance(r, ServiceNode)]
        bad = [r for r in nodes if r.status in ("warn", "crit")]
        if not bad:
            return (f"{len(nodes)} services healthy",)
        return join([
            (Data(r.name), f": fault {fmt_value(r.fault_pct, '%')}, errors {fmt_value(r.error_pct, '%')},"
                           f" p99 {fmt_value(r.p99_ms, 'ms')}")
            for r in bad[:3]
        ])  # fmt: skip
