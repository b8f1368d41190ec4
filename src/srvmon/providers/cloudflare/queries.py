"""The Cloudflare panel query syntax (`workers:<metric>` or a table), parsed and checked at config time."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any


class QueryError(ValueError):
    """A panel query this provider cannot run; the message names the problem and the fix."""


#: metric -> (kind, GraphQL field or quantile stem, unit shown in the docs)
METRICS: dict[str, tuple[str, str, str]] = {
    "requests": ("sum", "requests", "invocations per bucket"),
    "errors": ("sum", "errors", "failed invocations per bucket"),
    "subrequests": ("sum", "subrequests", "fetch() subrequests per bucket"),
    "error_rate": ("ratio", "errors", "% of invocations that failed"),
    "cpu_time": ("quantile", "cpuTime", "ms of CPU per invocation"),
    "wall_time": ("quantile", "wallTime", "ms of wall-clock time per invocation"),
}
#: Quantiles the dataset offers (cpuTimeP50 ... cpuTimeP999).
QUANTILES = ("p25", "p50", "p75", "p90", "p95", "p99", "p999")
#: group_by key -> dataset dimension.
GROUPS: dict[str, str] = {"script": "scriptName", "scriptName": "scriptName", "status": "status"}
#: Invocation statuses Cloudflare documents (others may appear; they are passed through).
STATUSES = ("success", "clientDisconnected", "scriptThrewException", "exceededResources", "internalError")
_STATUS = re.compile(r"[A-Za-z][A-Za-z0-9_]{0,63}")
_DICT_KEYS = {"metric", "scripts", "status"}


@dataclass(frozen=True, slots=True)
class Spec:
    """A parsed panel query."""

    metric: str
    stat: str | None  # quantile name for quantile metrics
    scripts: tuple[str, ...] = ()  # glob patterns, narrowing the provider's include/exclude
    statuses: tuple[str, ...] = ()

    @property
    def kind(self) -> str:
        return METRICS[self.metric][0]

    @property
    def field(self) -> str:
        """The GraphQL field: "requests" for sums, "cpuTimeP99" for quantiles."""
        stem = METRICS[self.metric][1]
        if self.kind == "quantile":
            return stem + (self.stat or "p50").upper()
        return stem


def _strings(value: Any, key: str) -> tuple[str, ...]:
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
        raise QueryError(f'`{key}` must be a list of non-empty strings, e.g. {key} = ["checkout-*"]')
    return tuple(value)


def parse(query: str | Mapping[str, Any] | None, stat: str | None) -> Spec:
    """`query` as a Spec; QueryError says what is wrong and how to write it."""
    scripts: tuple[str, ...] = ()
    statuses: tuple[str, ...] = ()
    if isinstance(query, str):
        name = query.strip()
        if not name.startswith("workers:"):
            raise QueryError(
                f'{query!r} is not a Cloudflare query; write "workers:<metric>" with metric one of '
                + ", ".join(METRICS)
            )
        metric = name.removeprefix("workers:")
    elif isinstance(query, Mapping):
        unknown = sorted(set(query) - _DICT_KEYS)
        if unknown:
            raise QueryError(f"unknown key(s) {unknown} in the query; use metric, scripts, status")
        metric = str(query.get("metric") or "").removeprefix("workers:")
        if "scripts" in query:
            scripts = _strings(query["scripts"], "scripts")
        if "status" in query:
            statuses = _strings(query["status"], "status")
            bad = [s for s in statuses if not _STATUS.fullmatch(s)]
            if bad:
                raise QueryError(
                    f"status {bad[0]!r} is not an invocation status; use e.g. {', '.join(STATUSES)}"
                )
    else:
        raise QueryError('a Cloudflare panel needs `query`, e.g. query = "workers:requests"')
    if metric not in METRICS:
        raise QueryError(f"unknown Workers metric {metric!r}; use one of {', '.join(METRICS)}")
    kind = METRICS[metric][0]
    s = stat.lower() if isinstance(stat, str) else None
    if kind == "quantile":
        if s is None:
            s = "p50"
        if s not in QUANTILES:
            raise QueryError(
                f"stat {stat!r} is not available for {metric}; use one of {', '.join(QUANTILES)}"
            )
    elif s not in (None, "sum"):
        what = "a percentage" if kind == "ratio" else "a count"
        raise QueryError(
            f'{metric} is {what}: leave stat unset (or "sum"); percentiles exist for cpu_time and wall_time'
        )
    else:
        s = None
    return Spec(metric, s, scripts, statuses)


def group_dims(group_by: Sequence[str]) -> tuple[str, ...]:
    """Dataset dimensions for a panel's group_by (in a stable order); QueryError for unknown keys."""
    out: list[str] = []
    for g in group_by:
        dim = GROUPS.get(g)
        if dim is None:
            raise QueryError(
                f'cannot group Workers analytics by {g!r}; use group_by = ["script"] or ["status"]'
            )
        if dim not in out:
            out.append(dim)
    return tuple(sorted(out))


def label(dim: str) -> str:
    """Series label key for a dimension."""
    return "script" if dim == "scriptName" else dim
