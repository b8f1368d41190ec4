"""KQL text for the drill-down: escaping of user text and the requests/exceptions/traces union query.

Two schemas: classic Application Insights (`requests`, `exceptions`, `traces`, queried on the
component) and workspace-based (`AppRequests`, `AppExceptions`, `AppTraces`, queried on the workspace).
Every user-supplied value enters the query only through `kql_string`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from srvmon.model import LogQuery

_ESCAPES = {"\\": "\\\\", '"': '\\"', "\n": "\\n", "\r": "\\r", "\t": "\\t"}


def kql_string(text: str) -> str:
    """A double-quoted KQL string literal holding `text` verbatim (other control chars dropped)."""
    out = []
    for ch in str(text):
        if ch in _ESCAPES:
            out.append(_ESCAPES[ch])
        elif ord(ch) < 32 or ord(ch) == 127:
            continue
        else:
            out.append(ch)
    return '"' + "".join(out) + '"'


def kql_list(values: Sequence[str]) -> str:
    return "(" + ", ".join(kql_string(v) for v in values) + ")"


def kql_datetime(dt: datetime) -> str:
    return f"datetime({dt.strftime('%Y-%m-%dT%H:%M:%SZ')})"


@dataclass(frozen=True)
class Schema:
    """Column names of one App Insights flavour."""

    requests: str
    exceptions: str
    traces: str
    time: str
    role: str
    op_name: str
    op_id: str
    result_code: str
    success: str
    duration: str
    req_name: str
    exc_type: str
    exc_message: str
    message: str
    severity: str
    role_instance: str


CLASSIC = Schema(
    "requests",
    "exceptions",
    "traces",
    "timestamp",
    "cloud_RoleName",
    "operation_Name",
    "operation_Id",
    "resultCode",
    "success",
    "duration",
    "name",
    "type",
    "outerMessage",
    "message",
    "severityLevel",
    "cloud_RoleInstance",
)
WORKSPACE = Schema(
    "AppRequests",
    "AppExceptions",
    "AppTraces",
    "TimeGenerated",
    "AppRoleName",
    "OperationName",
    "OperationId",
    "ResultCode",
    "Success",
    "DurationMs",
    "Name",
    "ExceptionType",
    "OuterMessage",
    "Message",
    "SeverityLevel",
    "AppRoleInstance",
)

#: Columns every row of the union has, in this order.
COLUMNS = ("ts", "kind", "app", "fn", "op", "code", "ok", "duration_ms", "level", "text")


def logs_query(q: LogQuery, s: Schema, take: int | None = None) -> str:
    """The union query for a drill-down: newest first, at most `take` rows (default q.limit, <= 10,001)."""
    base = f"| where {s.time} >= {kql_datetime(q.window.start)} and {s.time} < {kql_datetime(q.window.end)}"
    scope = ""
    if q.resources:
        names = kql_list(q.resources)
        scope = f"| where {s.role} in~ {names} or {s.op_name} in~ {names}"
    common = f"ts={s.time}, app={s.role}, fn={s.op_name}, op={s.op_id}"
    parts = [
        f'let _req = {s.requests} {base} {scope} | project {common}, kind="request", '
        f"code=tostring({s.result_code}), ok=tobool({s.success}), duration_ms=todouble({s.duration}), "
        f'level=iff(tobool({s.success}), "INFO", "ERROR"), '
        f'text=strcat({s.req_name}, " ", tostring({s.result_code}));',
        f'let _exc = {s.exceptions} {base} {scope} | project {common}, kind="exception", '
        f'code="", ok=false, duration_ms=real(null), level="ERROR", '
        f'text=strcat({s.exc_type}, ": ", {s.exc_message});',
        f'let _trc = {s.traces} {base} {scope} | project {common}, kind="trace", '
        f'code="", ok=toint({s.severity}) < 3, duration_ms=real(null), '
        f'level=case(toint({s.severity}) >= 3, "ERROR", toint({s.severity}) == 2, "WARNING", "INFO"), '
        f"text=tostring({s.message});",
        "union _req, _exc, _trc",
    ]
    filters = []
    if q.errors_only:
        filters.append('level == "ERROR"')
    if q.status_class and len(q.status_class) == 3 and q.status_class[0].isdigit():
        filters.append(f'kind == "request" and code startswith {kql_string(q.status_class[0])}')
    if q.request_id:
        filters.append(f"op == {kql_string(q.request_id)}")
    if q.text:
        op = "matches regex" if q.regex else "contains"
        filters.append(f"text {op} {kql_string(q.text)}")
    for f in filters:
        parts.append(f"| where {f}")
    parts.append(f"| project {', '.join(COLUMNS)}")
    parts.append("| order by ts desc")
    parts.append(f"| take {max(1, min(int(take if take is not None else q.limit), 10001))}")
    return "\n".join(parts)


def health_query(start: datetime, end: datetime, resources: Sequence[str], s: Schema) -> str:
    """Per function: invocations, p50/p99 duration, timeouts and out-of-memory from exceptions.

    Cold starts are estimated as the first request served by each host instance seen in the window
    (an instance that was already warm when the window began counts once too).
    """
    base = f"| where {s.time} >= {kql_datetime(start)} and {s.time} < {kql_datetime(end)}"
    scope = ""
    if resources:
        names = kql_list(resources)
        scope = f"| where {s.role} in~ {names} or {s.op_name} in~ {names}"
    return "\n".join(
        [
            f"let _exc = {s.exceptions} {base} {scope}",
            f'| summarize timeouts=countif({s.exc_type} has "FunctionTimeoutException" or '
            f'{s.exc_message} has "Timeout value of"), oom=countif({s.exc_type} has "OutOfMemory" or '
            f'{s.exc_message} has "OutOfMemory") by fn={s.op_name};',
            f"let _cold = {s.requests} {base} {scope} | where isnotempty({s.role_instance})",
            f"| summarize arg_min({s.time}, {s.op_name}) by {s.role_instance}",
            f"| summarize cold_starts=count() by fn={s.op_name};",
            f"{s.requests} {base} {scope}",
            f"| summarize invocations=count(), p50_ms=percentile(todouble({s.duration}), 50), "
            f"p99_ms=percentile(todouble({s.duration}), 99), ms_total=sum(todouble({s.duration})), "
            f"app=take_any({s.role}) by fn={s.op_name}",
            "| join kind=leftouter _exc on fn",
            "| join kind=leftouter _cold on fn",
            "| project fn, app, invocations, p50_ms, p99_ms, ms_total, timeouts=coalesce(timeouts, 0), "
            "oom=coalesce(oom, 0), cold_starts=coalesce(cold_starts, 0)",
            "| order by invocations desc",
        ]
    )
