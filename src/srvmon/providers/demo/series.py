"""Shared pieces of the demo metric series: tuning constants, the per-window context, rounding."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from srvmon.providers.demo import noise
from srvmon.providers.demo.fleet import Fleet, Incidents

#: Latency statistic relative to the mean.
STAT_FACTOR = {"min": 0.25, "p50": 0.85, "avg": 1.0, "p90": 1.9, "p99": 3.3, "max": 5.0}
#: The bad deploy's effect on a latency statistic (p99 triples).
DEPLOY_FACTOR = {"min": 1.0, "p50": 1.25, "avg": 1.6, "p90": 2.2, "p99": 3.0, "max": 3.2}
#: Level (gauge-like) statistics relative to the bucket mean.
LEVEL_FACTOR = {"avg": 1.0, "max": 1.06, "min": 0.92}
UTIL_FACTOR = {"avg": 1.0, "max": 1.02, "min": 0.97}
BASE_ERROR_RATE = 0.0012
DEPLOY_ERROR_RATE = 0.035
TIMEOUT_ERROR_RATE = 0.03
OOM_ERROR_RATE = 0.02
THROTTLE_RATE = 0.08
DLQ_RATE = 0.05  # messages/s arriving in the dead-letter queue during the incident
HOT_BEFORE, HOT_NOW, CLIMB_S = 0.62, 0.82, 4 * 3600
#: With more than this many candidates, grouped-by-function top-N queries pre-rank by static weight.
PRERANK_FACTOR = 3

Values = list[float]


@dataclass(frozen=True, slots=True)
class Ctx:
    """Everything a series needs: the fleet, its incidents and the window's buckets and rhythm."""

    fleet: Fleet
    inc: Incidents
    ts: tuple[int, ...]
    step: int
    rhythm: tuple[float, ...]

    def noise(self, *parts: object) -> list[float]:
        return noise.signed_series(noise.key(self.fleet.seed, *parts), self.ts)

    def after(self, start_s: int) -> list[bool]:
        return [t >= start_s for t in self.ts]

    def load(self) -> list[float]:
        """Latency rises a little with traffic."""
        return [0.9 + 0.1 * r for r in self.rhythm]


def round_values(kind: str, values: Sequence[float]) -> Values:
    if kind == "count":
        return [float(round(max(0.0, v))) for v in values]
    return [round(max(0.0, v), 2) for v in values]
