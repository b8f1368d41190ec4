"""Plain immutable data shared by providers, analysis, export and the TUI (no I/O, no Textual)."""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, timedelta
from typing import Any, Literal, get_args

Status = Literal["ok", "warn", "crit", "nodata", "error"]
AlarmState = Literal["OK", "ALARM", "INSUFFICIENT_DATA"]
Layout = Literal["auto", "grid", "compact"]
#: Board layouts (config `layout`, `--layout`): auto picks the fitted grid, or one line per panel when the
#: terminal is too small for it.
LAYOUTS: tuple[Layout, ...] = get_args(Layout)

#: Named ranges the UI cycles through, in seconds.
RANGES: dict[str, int] = {
    "1h": 3600,
    "4h": 4 * 3600,
    "12h": 12 * 3600,
    "1d": 86400,
    "1w": 7 * 86400,
    "1mo": 30 * 86400,
}
#: Compare offsets in days. "1mo"-range boards compare 4 weeks back so weekdays line up.
COMPARE_DAYS: dict[str, int] = {"1d": 1, "1w": 7, "4w": 28}


#: The longest duration srvmon accepts anywhere (refresh, timeouts, TTLs, --since): about ten years.
MAX_DURATION_S = 10 * 366 * 86400
_UNITS = {"ms": 0.001, "s": 1, "m": 60, "h": 3600, "d": 86400, "w": 7 * 86400, "mo": 30 * 86400}


def parse_seconds(text: str) -> float:
    """'500ms', '1.5s', '5m', '4h', '1d', '1w', '1mo' -> seconds (fractions kept). ValueError names the problem.

    Rejects zero, negative, non-finite ("infs", "1e400s", "nans") and anything longer than ~10 years."""
    t = str(text).strip().lower()
    if t in RANGES:
        return float(RANGES[t])
    for suffix in ("ms", "mo", "s", "m", "h", "d", "w"):
        if t.endswith(suffix):
            num = t[: -len(suffix)].strip()
            try:
                value = float(num)
            except ValueError:
                break
            if not math.isfinite(value) or value <= 0:
                raise ValueError(f"{text!r} must be a positive, finite duration; use e.g. 30s, 5m, 4h or 1d")
            seconds = value * _UNITS[suffix]
            if seconds > MAX_DURATION_S:
                raise ValueError(f"{text!r} is longer than 10 years; use e.g. 30s, 5m, 4h or 1d")
            return seconds
    raise ValueError(f"{text!r} is not a duration; use e.g. 30s, 5m, 4h, 1d, 1w or 1mo")


def parse_duration(text: str) -> int:
    """'90s', '5m', '4h', '1d', '1w', '1mo' -> whole seconds (at least 1). ValueError with a readable message."""
    seconds = parse_seconds(text)
    if seconds < 1:
        raise ValueError(f"{text!r} is shorter than a second; use e.g. 1s or more")
    return int(seconds)


def range_label(seconds: int) -> str:
    """The label of a span: a named range ('4h', '1mo') when it is one, else '2d', '3h', '2h30m', '45m'."""
    for name, span in RANGES.items():
        if span == seconds:
            return name
    s = int(seconds)
    if s % 86400 == 0:
        return f"{s // 86400}d"
    if s % 3600 == 0:
        return f"{s // 3600}h"
    return f"{s // 3600}h{(s % 3600) // 60:02d}m" if s >= 3600 else f"{s // 60}m"


def step_for_range(range_s: int) -> int:
    """The bucket size for a window: about 60-360 points, on periods CloudWatch retains."""
    if range_s <= 4 * 3600:
        return 60
    if range_s <= 86400:
        return 300
    if range_s <= 7 * 86400:
        return 1800
    return 7200


def _utc(dt: datetime) -> datetime:
    return dt.replace(tzinfo=UTC) if dt.tzinfo is None else dt.astimezone(UTC)


@dataclass(frozen=True, slots=True)
class TimeWindow:
    """A half-open window [start, end) cut into buckets of `step_s`; start and end are step-aligned."""

    start: datetime
    end: datetime
    step_s: int

    @classmethod
    def ending_at(cls, end: datetime, range_s: int, step_s: int | None = None) -> TimeWindow:
        """The window of `range_s` seconds ending at the last step boundary at or before `end`."""
        step = step_s or step_for_range(range_s)
        end_s = int(_utc(end).timestamp()) // step * step
        start_s = end_s - (range_s // step) * step
        return cls(datetime.fromtimestamp(start_s, UTC), datetime.fromtimestamp(end_s, UTC), step)

    @property
    def start_s(self) -> int:
        return int(self.start.timestamp())

    @property
    def end_s(self) -> int:
        return int(self.end.timestamp())

    @property
    def duration_s(self) -> int:
        return self.end_s - self.start_s

    @property
    def points(self) -> int:
        return self.duration_s // self.step_s

    def timestamps(self) -> range:
        """Epoch seconds of each bucket start."""
        return range(self.start_s, self.end_s, self.step_s)

    def shifted(self, days: float) -> TimeWindow:
        """The same window `days` earlier (positive = into the past)."""
        delta = timedelta(days=days)
        return TimeWindow(self.start - delta, self.end - delta, self.step_s)


@dataclass(frozen=True, slots=True)
class MetricQuery:
    """One provider-specific metric request; `ref_id` keys its result."""

    ref_id: str
    provider: str
    query: str | Mapping[str, Any]
    stat: str | None = None
    group_by: tuple[str, ...] = ()
    #: Top-N hint for grouped queries (toplists, many-series charts): a provider MAY return only the
    #: `limit` series ranked by their window total (`order` desc = largest first). None = all series.
    limit: int | None = None
    order: str = "desc"

    def key(self) -> str:
        """Identity for de-duplication: everything but ref_id."""
        return json.dumps(
            [self.provider, self.query, self.stat, list(self.group_by), self.limit, self.order],
            sort_keys=True,
            default=str,
        )


@dataclass(frozen=True, slots=True)
class Series:
    """One labelled series on the window's bucket timestamps; None marks a gap."""

    labels: Mapping[str, str]
    timestamps: tuple[int, ...]
    values: tuple[float | None, ...]

    def name(self) -> str:
        if not self.labels:
            return "value"
        return ",".join(str(v) for v in self.labels.values())

    def present(self) -> list[float]:
        return [v for v in self.values if v is not None]

    def shifted(self, seconds: int) -> Series:
        """Timestamps moved forward by `seconds` (to draw a week-ago series on today's axis)."""
        return replace(self, timestamps=tuple(t + seconds for t in self.timestamps))


@dataclass(frozen=True, slots=True)
class QueryResult:
    """The answer to one MetricQuery: series, or an error that stays on its panels."""

    ref_id: str
    series: tuple[Series, ...] = ()
    error: str | None = None
    warnings: tuple[str, ...] = ()
    throttled: bool = False

    @property
    def ok(self) -> bool:
        return self.error is None


@dataclass(frozen=True, slots=True)
class LogQuery:
    """A drill-down request for log records."""

    provider: str
    window: TimeWindow
    resources: tuple[str, ...] = ()
    text: str | None = None
    regex: bool = False
    errors_only: bool = False
    status_class: str | None = None  # "2xx" | "4xx" | "5xx"
    request_id: str | None = None
    limit: int = 1000
    fields: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class LogRecord:
    """One log line/event. `message` is untrusted text: never interpret it as markup or escapes."""

    timestamp: float  # epoch seconds
    resource: str
    message: str
    level: str | None = None
    status: int | None = None
    duration_ms: float | None = None
    request_id: str | None = None
    fields: Mapping[str, Any] = field(default_factory=dict)
    link: str | None = None


@dataclass(frozen=True, slots=True)
class LogResult:
    records: tuple[LogRecord, ...]
    filtered_by_provider: bool = False
    partial: bool = False
    truncated: bool = False
    warnings: tuple[str, ...] = ()
    scanned_bytes: int = 0


@dataclass(frozen=True, slots=True)
class Alarm:
    name: str
    state: AlarmState
    reason: str = ""
    since: datetime | None = None
    resource: str = ""
    link: str | None = None
    severity: str | None = None


@dataclass(frozen=True, slots=True)
class CostItem:
    """Cost of one service on one day, in USD."""

    service: str
    day: date
    amount_usd: float
    forecast: bool = False


EventKind = Literal["deploy", "config", "scale", "permission", "alarm-state", "incident"]


@dataclass(frozen=True, slots=True)
class ChangeEvent:
    """Something that changed in the fleet (a deploy, a config change, an alarm transition) at one instant.

    `summary` and `actor` are untrusted text from the provider: views must make them inert."""

    time: datetime
    kind: EventKind
    summary: str
    resources: tuple[str, ...] = ()
    actor: str | None = None
    link: str | None = None
    provider: str = ""
    #: Where it was read (e.g. "CloudTrail", "Lambda versions", "Activity Log"), and a stable id for dedup.
    source: str = ""
    id: str = ""
    #: The version/revision the change introduced when the source names one ("42", "hello-00003",
    #: "v2.14.0"); shown as "(v42)" in explanations. Untrusted text, like `summary`.
    version: str | None = None


@dataclass(frozen=True, slots=True)
class Limit:
    """A capacity against its ceiling (account concurrency, table capacity, queue age)."""

    name: str
    used: float
    limit: float
    resource: str = ""
    unit: str = ""


@dataclass(frozen=True, slots=True)
class FunctionHealth:
    """Per-function failure modes mined from logs (REPORT lines, timeouts, OOM)."""

    function: str
    invocations: int
    cold_starts: int
    cold_start_pct: float | None
    init_ms_avg: float | None
    timeouts: int
    oom: int
    p50_ms: float | None
    p99_ms: float | None
    timeout_pct: float | None  # p99 duration as % of configured timeout
    gb_seconds: float
    cost_usd: float

    def row(self) -> dict[str, Any]:
        return {
            "function": self.function,
            "invocations": self.invocations,
            "cold_starts": self.cold_starts,
            "cold_start_pct": self.cold_start_pct,
            "init_ms_avg": self.init_ms_avg,
            "timeouts": self.timeouts,
            "oom": self.oom,
            "p50_ms": self.p50_ms,
            "p99_ms": self.p99_ms,
            "p99_timeout_pct": self.timeout_pct,
            "timeout_pct": self.timeout_pct,  # the old name of p99_timeout_pct, kept one version (docs/snapshot.md)
            "gb_seconds": self.gb_seconds,
            "cost_usd": self.cost_usd,
        }


# ---- service graphs and traces (provider answers; X-Ray's shape, kept provider-neutral) ------------


@dataclass(frozen=True, slots=True)
class GraphStats:
    """Request counts of a node or edge over the graph's window (X-Ray SummaryStatistics)."""

    requests: int
    ok: int = 0
    #: 4xx answers (throttles included), 5xx answers, 429 answers.
    errors: int = 0
    faults: int = 0
    throttles: int = 0
    total_response_s: float = 0.0


@dataclass(frozen=True, slots=True)
class GraphNode:
    """A service in a service graph; `key` is unique within the graph (names may repeat across types)."""

    key: str
    name: str
    type: str
    root: bool = False
    stats: GraphStats | None = None
    #: Response-time histogram: (seconds, count) pairs, in any order.
    histogram: tuple[tuple[float, int], ...] = ()
    account: str = ""


@dataclass(frozen=True, slots=True)
class GraphEdge:
    source: str  # GraphNode.key
    target: str  # GraphNode.key
    stats: GraphStats | None = None
    histogram: tuple[tuple[float, int], ...] = ()


@dataclass(frozen=True, slots=True)
class ServiceGraph:
    """What `Provider.service_graph(window)` answers: the services and call paths seen in the window."""

    start: datetime
    end: datetime
    nodes: tuple[GraphNode, ...] = ()
    edges: tuple[GraphEdge, ...] = ()
    warnings: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class TraceQuery:
    """A trace search (drill-down from a service map or a panel): every set filter must hold."""

    provider: str
    window: TimeWindow
    #: A service name, and optionally its type ("AWS::Lambda::Function"), the trace passed through.
    service: str | None = None
    service_type: str | None = None
    fault: bool = False
    error: bool = False
    throttle: bool = False
    http_status: int | None = None
    #: Only traces that took longer than this (seconds).
    min_duration_s: float | None = None
    limit: int = 20


@dataclass(frozen=True, slots=True)
class TraceSummary:
    """One trace found by a search. `http_url` and `services` are untrusted text."""

    id: str
    duration_s: float | None
    response_s: float | None = None
    fault: bool = False
    error: bool = False
    throttle: bool = False
    http_status: int | None = None
    http_method: str | None = None
    http_url: str | None = None
    services: tuple[str, ...] = ()
    #: Epoch seconds the trace started (from its id when the answer does not say).
    start: float | None = None


@dataclass(frozen=True, slots=True)
class TraceList:
    """The answer of `Provider.traces(query)`: newest matches first, at most `query.limit`."""

    summaries: tuple[TraceSummary, ...]
    #: Traces the search looked at (what X-Ray bills as scanned).
    scanned: int = 0
    #: More traces matched than were listed, or the search stopped at its page budget.
    truncated: bool = False
    warnings: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class TraceSpan:
    """One segment or subsegment of a trace, in waterfall order (parents before children).

    Times are epoch seconds; `end` is None while in progress. `name`, `origin` and `error_message` are
    untrusted text."""

    id: str
    name: str
    start: float
    end: float | None
    depth: int = 0
    parent_id: str | None = None
    #: "segment" (a service's own record), "subsegment" (a call or block inside it).
    kind: Literal["segment", "subsegment"] = "segment"
    #: Segments: the service type ("AWS::Lambda::Function"); subsegments: the namespace ("aws", "remote").
    origin: str = ""
    fault: bool = False
    error: bool = False
    throttle: bool = False
    http_status: int | None = None
    in_progress: bool = False
    inferred: bool = False
    error_message: str | None = None

    @property
    def duration_s(self) -> float | None:
        return None if self.end is None else max(0.0, self.end - self.start)


@dataclass(frozen=True, slots=True)
class Trace:
    """A whole trace: its spans in waterfall order, ready to render."""

    id: str
    duration_s: float | None
    spans: tuple[TraceSpan, ...] = ()
    warnings: tuple[str, ...] = ()

    @property
    def start(self) -> float | None:
        return min((s.start for s in self.spans), default=None)

    @property
    def end(self) -> float | None:
        ends = [s.end for s in self.spans if s.end is not None]
        return max(ends, default=None)


@dataclass(frozen=True, slots=True)
class Health:
    """Result of Provider.check()."""

    ok: bool
    message: str
    details: tuple[str, ...] = ()
    missing_permissions: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Usage:
    """What a provider has spent since start: calls, metrics requested, estimated USD."""

    api_calls: int = 0
    metrics_requested: int = 0
    estimated_cost_usd: float = 0.0
    by_operation: Mapping[str, int] = field(default_factory=dict)
    extra: Mapping[str, float] = field(default_factory=dict)


# ---- snapshot ---------------------------------------------------------------------------------
#
# Everything a view shows is here, computed once by the core (srvmon.kinds, srvmon.poll): statuses,
# thresholds, compare, health ratings, cost summaries, time to limit, notes. Views only format it, and a
# Snapshot read back from its JSON (srvmon.codec) is equal to the one that was written.


@dataclass(frozen=True, slots=True)
class Trend:
    slope_per_h: float
    intercept: float  # value at the window start


@dataclass(frozen=True, slots=True)
class Thresholds:
    warn: float | None = None
    crit: float | None = None
    direction: Literal["above", "below"] = "above"


@dataclass(frozen=True, slots=True)
class LimitInfo:
    used: float
    limit: float
    time_to_limit_s: float | None
    #: The limit's resource (e.g. the fullest table) when the provider names one.
    resource: str = ""


@dataclass(frozen=True, slots=True)
class Compare:
    """What the dotted line is: the same window `shift_days` earlier, and how views name it."""

    shift_days: int
    label: str

    @property
    def code(self) -> str:
        """'1d', '1w', '4w' for the standard shifts; 'Nd' otherwise."""
        return {1: "1d", 7: "1w", 28: "4w"}.get(self.shift_days, f"{self.shift_days}d")


#: Compare shift (days) -> its label.
COMPARE_LABELS: dict[int, str] = {1: "yesterday", 7: "last week", 28: "4 weeks earlier"}


def compare_for(days: int) -> Compare:
    return Compare(days, COMPARE_LABELS.get(days, f"{days} days earlier"))


@dataclass(frozen=True, slots=True)
class PanelSeries:
    labels: Mapping[str, str]
    points: tuple[tuple[int, float | None], ...]
    compare_points: tuple[tuple[int, float | None], ...] | None = None  # on today's axis

    def name(self) -> str:
        return ",".join(str(v) for v in self.labels.values())


@dataclass(frozen=True, slots=True)
class PanelPosition:
    row: int
    col: int
    width: int
    height: int


@dataclass(frozen=True, slots=True)
class ToplistRow:
    """One ranked resource."""

    name: str
    resource: str
    value: float | None
    compare_value: float | None
    delta_pct: float | None
    status: Status
    labels: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class ShareRow:
    """One contributor to a gauge (e.g. the functions running the most in parallel)."""

    name: str
    value: float | None


@dataclass(frozen=True, slots=True)
class AlarmRow:
    name: str
    state: AlarmState
    reason: str = ""
    since: datetime | None = None
    resource: str = ""
    link: str | None = None
    severity: str | None = None
    status: Status = "ok"


@dataclass(frozen=True, slots=True)
class CostRow:
    """One service: month-to-date vs the same part of last month, week over week, month-end forecast."""

    service: str
    mtd: float
    last_month_same_days: float
    delta_pct: float | None
    wow_pct: float | None
    forecast: float | None
    status: Status = "ok"


@dataclass(frozen=True, slots=True)
class HealthRow:
    """One function's failure modes, each rated by the core (see srvmon.kinds.health for the rules)."""

    function: str
    invocations: int
    cold_starts: int
    cold_start_pct: float | None
    init_ms_avg: float | None
    timeouts: int
    oom: int
    p50_ms: float | None
    p99_ms: float | None
    #: p99 duration as % of the function's configured timeout.
    p99_timeout_pct: float | None
    gb_seconds: float
    cost_usd: float
    status: Status = "ok"
    cold_status: Status = "ok"
    timeouts_status: Status = "ok"
    oom_status: Status = "ok"
    duration_status: Status = "ok"


@dataclass(frozen=True, slots=True)
class LogRow:
    """One recent log record: `message` is the extracted message (untrusted text)."""

    time: datetime
    resource: str
    message: str
    level: str | None = None
    status: int | None = None
    request_id: str | None = None
    link: str | None = None


@dataclass(frozen=True, slots=True)
class EventRow:
    """One change event on an events panel (summary, actor and version are untrusted text)."""

    id: str
    time: datetime
    kind: EventKind
    summary: str
    resources: tuple[str, ...] = ()
    actor: str | None = None
    link: str | None = None
    provider: str = ""
    version: str | None = None


@dataclass(frozen=True, slots=True)
class ServiceNode:
    """One service on a service map (an X-Ray node), rated by the core (see srvmon.kinds.servicemap).

    Rates are per second over the panel window; the % are of the node's requests; p99 comes from its
    response-time histogram. `name` and `type` are untrusted text. `row` tells node rows from edge rows
    in the JSON."""

    name: str
    type: str
    requests_per_s: float | None
    error_pct: float | None
    fault_pct: float | None
    throttle_pct: float | None
    p99_ms: float | None
    status: Status = "ok"
    #: The node receives requests from outside the map (an entry point).
    root: bool = False
    #: Requests in the window (None for nodes without statistics, e.g. the client).
    requests: int | None = None
    account: str = ""
    row: Literal["node"] = "node"


@dataclass(frozen=True, slots=True)
class ServiceEdge:
    """One call path between two services (source -> target), rated like a node."""

    source: str
    target: str
    requests_per_s: float | None
    error_pct: float | None
    fault_pct: float | None
    p99_ms: float | None
    status: Status = "ok"
    source_type: str = ""
    target_type: str = ""
    throttle_pct: float | None = None
    row: Literal["edge"] = "edge"


Row = ToplistRow | ShareRow | AlarmRow | CostRow | HealthRow | LogRow | EventRow | ServiceNode | ServiceEdge


@dataclass(frozen=True, slots=True)
class CostSummary:
    """A cost panel's totals: month-to-date (today's partial day included) vs the same part of last month."""

    mtd: float
    last_month_same_days: float
    delta_pct: float | None
    wow_pct: float | None
    #: Month-end forecast; None until a full day of the month has elapsed.
    forecast: float | None
    #: Days of the month counted (today counts as the fraction elapsed).
    days_elapsed: float


@dataclass(frozen=True, slots=True)
class DrillTarget:
    """What Enter on a panel asks for: provider, window and filters (a selected row narrows resources)."""

    provider: str
    window: TimeWindow
    resources: tuple[str, ...] = ()
    errors_only: bool = False
    status_class: str | None = None
    text: str | None = None
    regex: bool = False


@dataclass(frozen=True, slots=True)
class PanelHead:
    """What a panel is before it has data: enough to lay the board out."""

    id: str
    title: str
    kind: str
    position: PanelPosition | None = None
    description: str = ""
    provider: str = ""


@dataclass(frozen=True, slots=True)
class PanelSnapshot:
    id: str
    title: str
    kind: str
    status: Status
    unit: str = ""
    value: float | None = None
    compare_value: float | None = None
    delta_pct: float | None = None
    trend: Trend | None = None
    series: tuple[PanelSeries, ...] = ()
    rows: tuple[Row, ...] | None = None
    limit: LimitInfo | None = None
    error: str | None = None
    fetched_at: datetime | None = None
    stale: bool = False
    provider: str = ""
    #: Levels drawn on the value axis (empty when the panel is thresholded on its % change).
    thresholds: Thresholds = field(default_factory=Thresholds)
    position: PanelPosition | None = None
    description: str = ""
    #: The compare window (None: no compare for this panel, or compare off).
    compare: Compare | None = None
    #: Short facts a view shows with the panel (provider warnings, "weighted by requests", "sampled").
    notes: tuple[str, ...] = ()
    drill: DrillTarget | None = None
    cost: CostSummary | None = None
    #: The panel's own range when it differs from the board's (e.g. "1mo").
    range: str | None = None
    #: Ids of `Snapshot.events` on this panel's resources within its window, oldest first.
    events: tuple[str, ...] = ()

    @property
    def head(self) -> PanelHead:
        return PanelHead(self.id, self.title, self.kind, self.position, self.description, self.provider)


@dataclass(frozen=True, slots=True)
class ProviderStatus:
    name: str
    type: str
    ok: bool
    error: str | None = None
    api_calls: int = 0
    metrics_requested: int = 0
    estimated_cost_usd: float = 0.0
    demo: bool = False
    #: Calls made for this snapshot and how many failed (partial when 0 < failed < calls).
    calls: int = 0
    failed: int = 0
    #: What did not work but did not fail a panel (e.g. "events: ..." when change events could not be read).
    warnings: tuple[str, ...] = ()

    @property
    def partial(self) -> bool:
        return 0 < self.failed < self.calls

    @property
    def state(self) -> str:
        """'ok', 'partial: N of M calls failed: <first reason>' or 'error: <reason>'."""
        if self.ok:
            return "ok"
        if self.partial:
            return f"partial: {self.failed} of {self.calls} calls failed: {self.error or ''}".rstrip(": ")
        return f"error: {self.error or 'failed'}"


@dataclass(frozen=True, slots=True)
class BoardInfo:
    """A board before any data: name, title, default range, refresh interval and its panels."""

    name: str
    title: str
    range: str = "4h"
    refresh_s: float = 60.0
    panels: tuple[PanelHead, ...] = ()


@dataclass(frozen=True, slots=True)
class Snapshot:
    """Everything a board shows at one instant; immutable, exported as the schema-1 JSON."""

    board: str
    title: str
    generated_at: datetime
    window: TimeWindow
    #: The board window's compare ('1w', '4w', '1d'), None when compare is off.
    compare: str | None
    panels: tuple[PanelSnapshot, ...]
    providers: tuple[ProviderStatus, ...]
    #: The range label asked for ("4h", or a zoomed span such as "2h").
    range: str = "4h"
    refresh_s: float = 60.0
    events: tuple[ChangeEvent, ...] = ()

    @property
    def demo(self) -> bool:
        return any(p.demo for p in self.providers)

    def panel(self, panel_id: str) -> PanelSnapshot:
        for p in self.panels:
            if p.id == panel_id:
                return p
        raise KeyError(panel_id)

    def info(self) -> BoardInfo:
        return BoardInfo(
            self.board, self.title, self.range, self.refresh_s, tuple(p.head for p in self.panels)
        )
