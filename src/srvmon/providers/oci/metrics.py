"""OCI Monitoring SummarizeMetricsData (MQL) for oci_faas: pick an interval, fetch, bucket onto the window.

POST /20180401/metrics/actions/summarizeMetricsData?compartmentId=...[&compartmentIdInSubtree=true]
    {"namespace": "oci_faas", "query": "<MQL>", "startTime": RFC3339, "endTime": RFC3339, "resolution": "1m"}
answers [{"namespace", "compartmentId", "name", "dimensions": {...}, "metadata": {...}, "resolution",
          "aggregatedDatapoints": [{"timestamp": RFC3339, "value": n}, ...]}, ...].

Facts used (OCI Monitoring docs): an aggregated datapoint's timestamp is the END of its interval (2:05 is
2:00-2:05); data is returned for at most 7 days back at a 1-minute resolution, 30 days at 5 minutes and
90 days at 1 hour or 1 day. srvmon asks for the coarsest of those that divides the window step and sums
(or averages, maxes...) intervals into buckets; when the window is too old for an interval that fine
(the week-ago copy of a 4-hour board), it uses the next coarser one and spreads each value over the
buckets it covers (sums divided evenly, other statistics repeated), with a warning saying so.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from srvmon.clock import Clock
from srvmon.model import MetricQuery, QueryResult, Series, TimeWindow

from . import mql
from .client import OciClient, OciError
from .options import OciOptions

OPERATION = "SummarizeMetricsData"
PATH = "/metrics/actions/summarizeMetricsData"
#: (seconds, MQL interval, days back the service returns it)
INTERVALS = ((60, "1m", 7), (300, "5m", 30), (3600, "1h", 90), (86400, "1d", 90))
MAX_DAYS = 90


def iso(ts: int) -> str:
    return datetime.fromtimestamp(ts, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_ts(text: Any) -> int | None:
    if not isinstance(text, str):
        return None
    try:
        return int(datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp())
    except ValueError:
        return None


def choose_interval(window: TimeWindow, now_s: float) -> tuple[int, str] | str:
    """(seconds, label) of the interval to ask for, or why no interval reaches the window."""
    reachable = [(s, label) for s, label, days in INTERVALS if window.start_s >= now_s - days * 86400]
    if not reachable:
        days_ago = int((now_s - window.start_s) // 86400)
        return (
            f"OCI Monitoring returns at most {MAX_DAYS} days of data; this window starts {days_ago} days ago"
        )
    dividing = [(s, label) for s, label in reachable if s <= window.step_s and window.step_s % s == 0]
    if dividing:
        return max(dividing)
    coarser = [(s, label) for s, label in reachable if s > window.step_s and s % window.step_s == 0]
    return min(coarser) if coarser else reachable[0]


_COMBINE = {
    "sum": sum,
    "count": sum,
    "avg": lambda vs: sum(vs) / len(vs),
    "rate": lambda vs: sum(vs) / len(vs),
    "max": max,
    "min": min,
}


def _combine(stat: str, values: list[float]) -> float:
    fn = _COMBINE.get(stat, max)  # percentiles of sub-intervals: the highest is the conservative bucket value
    return float(fn(values))  # type: ignore[operator]


class MetricsFetcher:
    def __init__(self, client: OciClient, options: OciOptions, clock: Clock) -> None:
        self.client = client
        self.options = options
        self.clock = clock

    def summarize(
        self, namespace: str, query: str, start_s: int, end_s: int, resolution: str
    ) -> list[dict[str, Any]]:
        params = {"compartmentId": self.options.compartment_id}
        if self.options.compartment_in_subtree:
            params["compartmentIdInSubtree"] = "true"
        body = {"namespace": namespace, "query": query, "startTime": iso(start_s), "endTime": iso(end_s),
                "resolution": resolution}  # fmt: skip
        resp = self.client.call("POST", PATH, params, operation=OPERATION, body=body, metrics=1)
        data = resp.json()
        streams = [d for d in data if isinstance(d, dict)] if isinstance(data, list) else []
        points = sum(len(s.get("aggregatedDatapoints") or []) for s in streams)
        price = self.options.price_per_million_datapoints
        self.client.counter.call(OPERATION, usd=points * price / 1_000_000, n=0)
        self.client.counter.add("datapoints", points)
        return streams

    def run(self, queries: Sequence[MetricQuery], window: TimeWindow) -> dict[str, QueryResult]:
        out: dict[str, QueryResult] = {}
        now_s = self.clock.now().timestamp()
        for mq in queries:
            try:
                q = mql.parse(mq.query, mq.stat, tuple(mq.group_by))
            except ValueError as exc:
                out[mq.ref_id] = QueryResult(mq.ref_id, error=str(exc))
                continue
            choice = choose_interval(window, now_s)
            if isinstance(choice, str):
                out[mq.ref_id] = QueryResult(mq.ref_id, error=choice)
                continue
            seconds, label = choice
            text = q.mql(label, tuple(self.options.functions))
            try:
                streams = self.summarize(q.namespace, text, window.start_s, window.end_s + seconds, label)
            except OciError as exc:
                if exc.kind in ("request", "server"):
                    out[mq.ref_id] = QueryResult(mq.ref_id, error=f"{exc} [MQL: {text}]")
                    continue
                raise
            series, notes = assemble(q, streams, window, seconds)
            if seconds > window.step_s:
                notes.append(
                    f"{label} data spread over {window.step_s // 60}-minute buckets: OCI returns 1-minute data "
                    "for the last 7 days only"
                )
            if mq.limit is not None and len(series) > mq.limit:
                series = sorted(series, key=lambda s: sum(s.present()), reverse=mq.order != "asc")[: mq.limit]
            out[mq.ref_id] = QueryResult(mq.ref_id, tuple(series), warnings=tuple(notes))
        return out

    def latest(self, metric: str) -> float | None:
        """The newest 1-minute max of a tenancy-wide metric over the last 15 minutes."""
        now = int(self.clock.now().timestamp()) // 60 * 60
        streams = self.summarize(mql.NAMESPACE, f"{metric}[1m].grouping().max()", now - 900, now + 60, "1m")
        best: tuple[int, float] | None = None
        for s in streams:
            for p in s.get("aggregatedDatapoints") or []:
                ts, v = parse_ts(p.get("timestamp")), p.get("value")
                if ts is not None and isinstance(v, int | float) and (best is None or ts >= best[0]):
                    best = (ts, float(v))
        return best[1] if best else None


def assemble(
    q: mql.OciQuery, streams: Sequence[dict[str, Any]], window: TimeWindow, interval_s: int
) -> tuple[list[Series], list[str]]:
    step, start, n = window.step_s, window.start_s, window.points
    grouped: dict[tuple[tuple[str, str], ...], dict[int, list[float]]] = defaultdict(
        lambda: defaultdict(list)
    )
    wanted = q.group_dims()
    bad = 0
    spread = interval_s > step
    for s in streams:
        raw = s.get("dimensions")
        dims: dict[str, Any] = raw if isinstance(raw, dict) else {}
        key = tuple((mql.LABELS.get(d, d), str(dims.get(d, ""))) for d in wanted)
        for p in s.get("aggregatedDatapoints") or []:
            ts, v = parse_ts(p.get("timestamp")), p.get("value")
            if ts is None or not isinstance(v, int | float) or isinstance(v, bool) or not math.isfinite(v):
                bad += 1
                continue
            begin = ts - interval_s  # the timestamp closes its interval
            if spread:
                k = interval_s // step
                share = float(v) / k if q.stat in ("sum", "count") else float(v)
                for j in range(k):
                    idx = (begin - start) // step + j
                    if 0 <= idx < n:
                        grouped[key][idx].append(share)
            else:
                idx = (begin - start) // step
                if 0 <= idx < n:
                    grouped[key][idx].append(float(v))
    stamps = tuple(window.timestamps())
    series = [
        Series(dict(key), stamps, tuple(_combine(q.stat, b[i]) if i in b else None for i in range(n)))
        for key, b in sorted(grouped.items())
    ]
    if not series and not wanted:
        series = [Series({}, stamps, (None,) * n)]
    notes = [f"{bad} datapoint(s) without a time or a finite value were left out"] if bad else []
    return series, notes
