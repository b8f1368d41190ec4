"""Lambda log mining: REPORT lines, timeouts and out-of-memory kills -> per-function health rows."""

from __future__ import annotations

import json
import math
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from srvmon.model import FunctionHealth, LogRecord

#: Lambda compute price per GB-second (us-east-1, first tier) by architecture.
PRICE_PER_GB_S: dict[str, float] = {"x86_64": 0.0000166667, "arm64": 0.0000133334}
#: Lambda request price: $0.20 per million requests.
PRICE_PER_REQUEST = 0.20 / 1_000_000


@dataclass(frozen=True)
class FunctionConfig:
    """What the configuration of one function says (for timeout % and cost)."""

    timeout_s: float
    memory_mb: int
    arch: str = "x86_64"


@dataclass(frozen=True)
class ReportLine:
    """One invocation report: a plain `REPORT RequestId: ...` line or a JSON `platform.report` record."""

    request_id: str
    duration_ms: float
    billed_ms: float | None = None
    memory_mb: int | None = None
    max_memory_mb: int | None = None
    init_ms: float | None = None
    restore_ms: float | None = None
    #: "success" | "error" | "timeout" when the log says so (JSON format, newer plain lines).
    status: str | None = None
    error_type: str | None = None

    @property
    def cold(self) -> bool:
        """A cold start: an init (or SnapStart restore) phase ran before this invocation."""
        return self.init_ms is not None or self.restore_ms is not None

    @property
    def out_of_memory(self) -> bool:
        if self.error_type and ("OutOfMemory" in self.error_type):
            return True
        return (
            self.memory_mb is not None
            and self.max_memory_mb is not None
            and self.memory_mb > 0
            and self.max_memory_mb >= self.memory_mb
        )

    @property
    def timed_out(self) -> bool:
        return self.status == "timeout"


# ---- line parsers ----------------------------------------------------------------------------

_UUID = r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}"
_REPORT_ID = re.compile(r"^\s*REPORT\s+RequestId:\s*(\S+)")
_REPORT_FIELD = re.compile(
    r"(Billed Restore Duration|Restore Duration|Init Duration|Billed Duration|Duration|"
    r"Memory Size|Max Memory Used):\s*([0-9]+(?:\.[0-9]+)?)"
)
_REPORT_STATUS = re.compile(r"\bStatus:\s*(\w+)")
_REPORT_ERROR_TYPE = re.compile(r"\bError Type:\s*([\w.]+)")
_TIMEOUT = re.compile(r"Task timed out after\s+([0-9]+(?:\.[0-9]+)?)\s+seconds")
_OOM = re.compile(
    r"Runtime exited with error: signal: killed|Runtime\.OutOfMemory|"
    r"Process exited before completing request|Runtime\.ExitError"
)
_NOT_OOM_EXIT = re.compile(r"Runtime exited with error: exit status")
_REQUEST_ID = re.compile(rf"(?:RequestId:\s*)?({_UUID})")
_REQUEST_ID_LABELLED = re.compile(r"RequestId:\s*([0-9A-Za-z][\w-]{7,})")
_REQUEST_ID_BEFORE_TIMEOUT = re.compile(r"^\s*\S+\s+([0-9A-Za-z][\w-]{7,})\s+Task timed out")
_START = re.compile(r"^\s*(?:START|END)\s+RequestId:\s*(\S+)")


def _num(value: Any) -> float | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return float(value) if math.isfinite(value) else None
    if isinstance(value, str):
        try:
            f = float(value)
        except ValueError:
            return None
        return f if math.isfinite(f) else None
    return None


def _json_object(message: str) -> dict[str, Any] | None:
    text = message.strip()
    if not text.startswith("{"):
        return None
    try:
        obj = json.loads(text)
    except (ValueError, RecursionError):
        return None
    return obj if isinstance(obj, dict) else None


def _from_platform_report(obj: Mapping[str, Any]) -> ReportLine | None:
    record = obj.get("record")
    if not isinstance(record, Mapping):
        return None
    metrics = record.get("metrics")
    if not isinstance(metrics, Mapping):
        return None
    duration = _num(metrics.get("durationMs"))
    if duration is None:
        return None
    memory = _num(metrics.get("memorySizeMB"))
    max_memory = _num(metrics.get("maxMemoryUsedMB"))
    status = record.get("status")
    error_type = record.get("errorType")
    return ReportLine(
        request_id=str(record.get("requestId") or ""),
        duration_ms=duration,
        billed_ms=_num(metrics.get("billedDurationMs")),
        memory_mb=int(memory) if memory is not None else None,
        max_memory_mb=int(max_memory) if max_memory is not None else None,
        init_ms=_num(metrics.get("initDurationMs")),
        restore_ms=_num(metrics.get("restoreDurationMs")),
        status=str(status) if isinstance(status, str) else None,
        error_type=str(error_type) if isinstance(error_type, str) else None,
    )


def parse_report(message: str) -> ReportLine | None:
    """Parse a plain `REPORT RequestId: ...` line or a JSON `platform.report` record; None otherwise."""
    if not isinstance(message, str):
        return None
    obj = _json_object(message)
    if obj is not None:
        if obj.get("type") == "platform.report":
            return _from_platform_report(obj)
        return None
    m = _REPORT_ID.match(message)
    if not m:
        return None
    values: dict[str, float] = {}
    for name, raw in _REPORT_FIELD.findall(message):
        values.setdefault(name, float(raw))
    if "Duration" not in values:
        return None
    status = _REPORT_STATUS.search(message)
    error_type = _REPORT_ERROR_TYPE.search(message)
    memory = values.get("Memory Size")
    max_memory = values.get("Max Memory Used")
    return ReportLine(
        request_id=m.group(1),
        duration_ms=values["Duration"],
        billed_ms=values.get("Billed Duration"),
        memory_mb=int(memory) if memory is not None else None,
        max_memory_mb=int(max_memory) if max_memory is not None else None,
        init_ms=values.get("Init Duration"),
        restore_ms=values.get("Restore Duration"),
        status=status.group(1).lower() if status else None,
        error_type=error_type.group(1) if error_type else None,
    )


def parse_timeout(message: str) -> float | None:
    """Seconds from `Task timed out after 3.00 seconds`; None when the line is not a timeout."""
    m = _TIMEOUT.search(message)
    return float(m.group(1)) if m else None


def is_oom(message: str) -> bool:
    """True for the runtime's out-of-memory kill messages (not for a plain non-zero exit)."""
    if _NOT_OOM_EXIT.search(message) and "signal: killed" not in message:
        return False
    return bool(_OOM.search(message))


def _request_id(record: LogRecord, text: str) -> str | None:
    if record.request_id:
        return record.request_id
    for pattern in (_REQUEST_ID_LABELLED, _REQUEST_ID_BEFORE_TIMEOUT, _REQUEST_ID):
        m = pattern.search(text)
        if m:
            return m.group(1)
    return None


# ---- aggregation ---------------------------------------------------------------------------


def percentile(values: list[float], q: float) -> float | None:
    """Linear-interpolated percentile (numpy's default method), q in [0, 100]."""
    if not values:
        return None
    data = sorted(values)
    if len(data) == 1:
        return data[0]
    pos = (len(data) - 1) * q / 100.0
    lo = math.floor(pos)
    hi = min(lo + 1, len(data) - 1)
    return data[lo] + (data[hi] - data[lo]) * (pos - lo)


@dataclass
class Observed:
    """What the logs said about one invocation: its report (if seen), and whether it timed out or was
    killed for memory. A provider that knows its invocations without log text (the demo) hands these to
    `health_of` directly; `mine_health` builds them from log lines."""

    report: ReportLine | None = None
    timeout: bool = False
    oom: bool = False


@dataclass
class _Function:
    invocations: dict[str, Observed] = field(default_factory=dict)
    anonymous: int = 0  # timeouts/OOM lines we could not tie to a request id
    anonymous_timeouts: int = 0
    anonymous_oom: int = 0

    def get(self, request_id: str) -> Observed:
        inv = self.invocations.get(request_id)
        if inv is None:
            inv = self.invocations[request_id] = Observed()
        return inv


def _observe(fn: _Function, record: LogRecord) -> None:
    message = record.message if isinstance(record.message, str) else str(record.message)
    obj = _json_object(message)
    if obj is not None:
        kind = obj.get("type")
        rec = obj.get("record") if isinstance(obj.get("record"), Mapping) else {}
        assert isinstance(rec, Mapping)
        rid = str(rec.get("requestId") or record.request_id or "")
        if kind == "platform.report":
            report = _from_platform_report(obj)
            if report is not None:
                key = report.request_id or rid or f"@{record.timestamp}"
                inv = fn.get(key)
                inv.report = report
                inv.timeout |= report.timed_out
                inv.oom |= report.out_of_memory
            return
        if kind in ("platform.start", "platform.runtimeDone") and rid:
            inv = fn.get(rid)
            if kind == "platform.runtimeDone":
                inv.timeout |= rec.get("status") == "timeout"
                inv.oom |= "OutOfMemory" in str(rec.get("errorType") or "")
            return
        # A JSON application log line: look at its message text below.
        inner = obj.get("message")
        message = inner if isinstance(inner, str) else message
    report = parse_report(message)
    if report is not None:
        inv = fn.get(report.request_id)
        inv.report = report
        inv.timeout |= report.timed_out
        inv.oom |= report.out_of_memory
        return
    start = _START.match(message)
    if start:
        fn.get(start.group(1))
        return
    timed_out = parse_timeout(message) is not None
    oom = not timed_out and is_oom(message)
    if not (timed_out or oom):
        return
    found = _request_id(record, message)
    if found is None:
        fn.anonymous += 1
        fn.anonymous_timeouts += int(timed_out)
        fn.anonymous_oom += int(oom)
        return
    inv = fn.get(found)
    inv.timeout |= timed_out
    inv.oom |= oom


def health_of(name: str, invs: Sequence[Observed], config: FunctionConfig | None,
              price_per_gb_s: float | None = None, *, anonymous: tuple[int, int, int] = (0, 0, 0)
              ) -> FunctionHealth:  # fmt: skip
    """One function's health from its observed invocations (plus timeouts/OOM lines tied to no request:
    `anonymous` = (lines, of which timeouts, of which OOM)). The one place the health figures are made."""
    anon, anon_timeouts, anon_oom = anonymous
    reports = [i.report for i in invs if i.report is not None]
    durations = [r.duration_ms for r in reports]
    cold = [r for r in reports if r.cold]
    inits = [r.init_ms if r.init_ms is not None else r.restore_ms for r in cold]
    init_values = [v for v in inits if v is not None]
    invocations = len(invs) + anon
    timeouts = sum(1 for i in invs if i.timeout) + anon_timeouts
    # A timed-out invocation often shows max memory == size too; count it once, as a timeout.
    oom = sum(1 for i in invs if i.oom and not i.timeout) + anon_oom
    gb_s = 0.0
    for r in reports:
        memory = r.memory_mb if r.memory_mb is not None else (config.memory_mb if config else None)
        billed = r.billed_ms if r.billed_ms is not None else math.ceil(r.duration_ms)
        if memory:
            gb_s += billed / 1000.0 * memory / 1024.0
    if price_per_gb_s is None:
        arch = config.arch if config else "x86_64"
        price_per_gb_s = PRICE_PER_GB_S.get(arch, PRICE_PER_GB_S["x86_64"])
    p99 = percentile(durations, 99)
    timeout_pct = None
    if config is not None and config.timeout_s > 0 and p99 is not None:
        timeout_pct = round(p99 / (config.timeout_s * 1000.0) * 100.0, 2)
    return FunctionHealth(
        function=name,
        invocations=invocations,
        cold_starts=len(cold),
        cold_start_pct=round(len(cold) / invocations * 100.0, 2) if invocations else None,
        init_ms_avg=round(sum(init_values) / len(init_values), 2) if init_values else None,
        timeouts=timeouts,
        oom=oom,
        p50_ms=_round(percentile(durations, 50)),
        p99_ms=_round(p99),
        timeout_pct=timeout_pct,
        gb_seconds=round(gb_s, 6),
        cost_usd=round(gb_s * price_per_gb_s + invocations * PRICE_PER_REQUEST, 12),
    )


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 2)


def mine_health(
    records: Iterable[LogRecord],
    configs: Mapping[str, FunctionConfig] | None = None,
    *,
    price_per_gb_s: float | None = None,
) -> list[FunctionHealth]:
    """Per-function health from Lambda log records (record.resource = function name), sorted by name.

    Invocations are counted once per request id seen in START/END/REPORT/platform.* lines, timeouts
    and OOM kills; cost = GB-seconds x price (by the function's arch, x86_64 when unknown) plus
    $0.20 per million requests. `price_per_gb_s` overrides the per-arch price.
    """
    functions: dict[str, _Function] = {}
    for record in records:
        try:
            fn = functions.get(record.resource)
            if fn is None:
                fn = functions[record.resource] = _Function()
            _observe(fn, record)
        except Exception:  # never crash on bad data: a malformed record is skipped
            continue
    configs = configs or {}
    out = [
        health_of(
            name,
            list(fn.invocations.values()),
            configs.get(name),
            price_per_gb_s,
            anonymous=(fn.anonymous, fn.anonymous_timeouts, fn.anonymous_oom),
        )  # fmt: skip
        for name, fn in functions.items()
        if fn.invocations or fn.anonymous
    ]
    return sorted(out, key=lambda h: h.function)
