"""AWS console deep links: functions and their versions, log groups (optionally with a Logs Insights query),
alarms, CloudTrail events."""

from __future__ import annotations

from urllib.parse import quote


def _console(region: str, service: str) -> str:
    return f"https://{region}.console.aws.amazon.com/{service}/home?region={region}"


def _fragment(text: str) -> str:
    """The CloudWatch console's own fragment escaping: percent-encode, then '%' -> '$25'."""
    return quote(text, safe="").replace("%", "$25")


def function_link(region: str, name: str) -> str:
    return f"{_console(region, 'lambda')}#/functions/{quote(name, safe='')}"


def log_group_link(region: str, group: str) -> str:
    return f"{_console(region, 'cloudwatch')}#logsV2:log-groups/log-group/{_fragment(group)}"


def _jsurl(text: str) -> str:
    """The console's inner escaping of strings inside queryDetail: percent-encoding with '*' for '%'."""
    return quote(text, safe="").replace("%", "*")


def insights_link(region: str, groups: list[str], query: str, start_s: int, end_s: int) -> str:
    """Logs Insights opened on `groups` with `query` over [start, end] (absolute time, UTC)."""
    from datetime import UTC, datetime

    def iso(ts: int) -> str:
        return datetime.fromtimestamp(ts, UTC).strftime("%Y-%m-%dT%H:%M:%S.000Z")

    sources = "~".join("'" + _jsurl(g) for g in groups)
    detail = (
        f"~(end~'{_jsurl(iso(end_s))}~start~'{_jsurl(iso(start_s))}~timeType~'ABSOLUTE~tz~'UTC"
        f"~editorString~'{_jsurl(query)}~source~(~{sources}))"
    )
    return f"{_console(region, 'cloudwatch')}#logsV2:logs-insights$3FqueryDetail$3D{detail}"


def alarm_link(region: str, name: str) -> str:
    return f"{_console(region, 'cloudwatch')}#alarmsV2:alarm/{quote(name, safe='')}"


def log_stream_link(region: str, group: str, stream: str) -> str:
    return f"{log_group_link(region, group)}/log-events/{_fragment(stream)}"


def function_version_link(region: str, name: str, version: str) -> str:
    """A published version (or alias) of a function in the Lambda console."""
    kind = "versions" if version.isdigit() else "aliases"
    return f"{function_link(region, name)}/{kind}/{quote(version, safe='')}"


def cloudtrail_event_link(region: str, event_id: str) -> str:
    """One event of CloudTrail's Event history (who did what, with the full record)."""
    return f"{_console(region, 'cloudtrailv2')}#/events/{quote(event_id, safe='')}"
