"""One log record in full: every field, JSON pretty-printed, its invocation's lines, console link, copy."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, ClassVar
from urllib.parse import urlsplit

from rich.style import Style
from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.message import Message
from textual.screen import Screen
from textual.widgets import Static

from srvmon.clock import Clock
from srvmon.logfilter import message_fields
from srvmon.model import LogQuery, LogRecord, LogResult, TimeWindow
from srvmon.providers.base import NotSupported, Provider, ProviderError
from srvmon.sanitize import clean, safe_text
from srvmon.tui.key_bar import KeyBar

#: How far around a record to look for the rest of its invocation (Lambda's maximum run time).
INVOCATION_SPAN_S = 15 * 60
#: The detail view shows this much of a message; `y` still copies all of it.
MESSAGE_CHARS = 100_000


@dataclass
class InvocationFetched(Message):
    """The lines of the record's invocation arrived (or failed)."""

    request_id: str
    """The request id that was looked up."""
    result: LogResult | None
    """The records, or None on failure."""
    error: str | None = None
    """Why the lookup failed."""


def record_dict(record: LogRecord) -> dict[str, Any]:
    """Everything about a record as plain JSON-able data (what `y` copies)."""
    ts = record.timestamp
    try:
        time = datetime.fromtimestamp(ts, UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
    except (ValueError, OverflowError, OSError):
        time = None
    return {
        "time": time,
        "timestamp": ts,
        "resource": record.resource,
        "level": record.level,
        "status": record.status,
        "duration_ms": record.duration_ms,
        "request_id": record.request_id,
        "message": record.message,
        "fields": dict(record.fields),
        "link": record.link,
    }


def safe_link(url: str | None) -> str | None:
    """The URL if it is a plain http(s) link without control characters, else None."""
    if not url or clean(url) != url or any(c.isspace() for c in url):
        return None
    try:
        parts = urlsplit(url)
    except ValueError:
        return None
    return url if parts.scheme in ("http", "https") and parts.netloc else None


class RecordScreen(Screen[None]):
    """A record's detail. `i` its invocation's lines, `o` console link, `y` copy JSON, Esc back."""

    CSS_PATH = "logs.tcss"

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,q", "back", "Back", tooltip="back to the records"),
        Binding(
            "i", "invocation", "Invocation", tooltip="every line of this record's invocation (request id)"
        ),
        Binding("o", "open_link", "Console link", tooltip="show the record's console link"),
        Binding("y", "copy", "Copy JSON", tooltip="copy the whole record as JSON"),
        Binding("x", "trace", "Trace", tooltip="the X-Ray trace of this record (its trace id)"),
    ]

    def __init__(
        self,
        provider: Provider,
        record: LogRecord,
        clock: Clock,
        *,
        query: LogQuery | None = None,
        name: str | None = None,
    ) -> None:
        super().__init__(name=name)
        self.provider = provider
        self.record = record
        self.clock = clock
        self.log_query = query
        self.invocation: tuple[LogRecord, ...] | None = None

    def action_trace(self) -> None:
        """The X-Ray trace this record names, when the provider reads traces."""
        from srvmon.traces import trace_id_of

        trace_id = trace_id_of(self.record)
        if trace_id is None:
            self.notify("no X-Ray trace id in this record", severity="warning", timeout=4)
            return
        if "traces" not in self.provider.capabilities:
            self.notify(f"provider {self.provider.name!r} reads no traces", severity="warning", timeout=4)
            return
        from srvmon.tui.trace_screen import TraceScreen

        self.app.push_screen(TraceScreen(self.provider, trace_id=trace_id))

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="record-body"):
            yield Static(self._summary(), id="record-summary")
            yield Static(self._message(), id="record-message")
            yield Static(id="record-link")
            yield Static(id="record-invocation")
        yield KeyBar()

    def on_mount(self) -> None:
        self.query_one("#record-link", Static).display = False
        self.query_one("#record-invocation", Static).display = False
        self.query_one("#record-body").focus()

    # -- content ---------------------------------------------------------------------------------
    def _summary(self) -> Text:
        r = self.record
        data = record_dict(r)
        out = Text()
        rows = [
            ("time", data["time"] or str(r.timestamp)),
            ("resource", r.resource),
            ("level", r.level or ""),
            ("status", "" if r.status is None else str(r.status)),
            ("duration", "" if r.duration_ms is None else f"{r.duration_ms} ms"),
            ("request id", r.request_id or "—"),
        ]
        for label, value in rows:
            out.append(f"{label:>11}  ", style="bold")
            out.append_text(safe_text(value))
            out.append("\n")
        extra = _provider_only_fields(r)
        if extra:
            out.append("     fields  ", style="bold")
            out.append_text(safe_text(_pretty(extra), keep_newlines=True))
            out.append("\n")
        return out

    def _message(self) -> Text:
        out = Text()
        out.append("message\n", style="bold underline")
        parsed = message_fields(self.record.message)
        body = _pretty(parsed) if parsed is not None else self.record.message
        if len(body) > MESSAGE_CHARS:
            out.append_text(safe_text(body[:MESSAGE_CHARS], keep_newlines=True))
            out.append(
                f"\n… {len(body) - MESSAGE_CHARS:,} more characters (y copies the whole record)",
                style="italic",
            )
        else:
            out.append_text(safe_text(body, keep_newlines=True))
        return out

    # -- actions ---------------------------------------------------------------------------------
    def action_back(self) -> None:
        self.dismiss(None)

    def action_copy(self) -> None:
        payload = json.dumps(record_dict(self.record), ensure_ascii=True, default=str, indent=2)
        self.app.copy_to_clipboard(payload)
        self.notify(f"record JSON copied ({len(payload):,} bytes, OSC 52)")

    def action_open_link(self) -> None:
        box = self.query_one("#record-link", Static)
        box.display = True
        out = Text()
        out.append("console link\n", style="bold underline")
        url = safe_link(self.record.link)
        if url is None:
            out.append(
                "no console link for this record"
                if not self.record.link
                else "link is not a plain http(s) URL: "
            )
            if self.record.link:
                out.append_text(safe_text(self.record.link))
        else:
            out.append("open in the cloud console", style=Style(link=url, underline=True))
            out.append("\n")
            out.append(url)  # the plain URL too, to copy by hand over ssh
        box.update(out)
        box.scroll_visible()

    def action_invocation(self) -> None:
        rid = self.record.request_id
        if not rid:
            self.notify("this record has no request id", severity="warning")
            return
        box = self.query_one("#record-invocation", Static)
        box.display = True
        box.update(Text(f"loading every line of request {clean(rid)}…", style="italic"))
        ts = self.record.timestamp
        try:
            start = datetime.fromtimestamp(ts - INVOCATION_SPAN_S, UTC)
            # Up to 15 minutes after the record, but not past now (and never before the record itself).
            end = max(
                min(datetime.fromtimestamp(ts + INVOCATION_SPAN_S, UTC), self.clock.now()),
                datetime.fromtimestamp(ts, UTC) + timedelta(seconds=1),
            )
        except (ValueError, OverflowError, OSError):
            box.update(Text("this record has no valid time to search around", style="italic"))
            return
        step = self.log_query.window.step_s if self.log_query else 60
        query = LogQuery(
            provider=self.provider.name,
            window=TimeWindow(start, end, step),
            resources=(self.record.resource,),
            request_id=rid,
            limit=10_000,
        )
        self._fetch_invocation(query, rid)

    @work(thread=True, exclusive=True, group="record-invocation", exit_on_error=False)
    def _fetch_invocation(self, query: LogQuery, request_id: str) -> None:
        try:
            result = self.provider.logs(query)
        except (ProviderError, NotSupported) as exc:
            self.post_message(InvocationFetched(request_id, None, str(exc)))
            return
        except Exception as exc:  # a bad provider never takes the app down
            self.post_message(InvocationFetched(request_id, None, f"{type(exc).__name__}: {exc}"))
            return
        self.post_message(InvocationFetched(request_id, result))

    @on(InvocationFetched)
    def _invocation_arrived(self, message: InvocationFetched) -> None:
        box = self.query_one("#record-invocation", Static)
        out = Text()
        out.append(f"invocation {clean(message.request_id)}\n", style="bold underline")
        if message.result is None:
            out.append(f"could not load: {clean(message.error or '')}", style="bold")
            box.update(out)
            return
        records = message.result.records
        if not message.result.filtered_by_provider:
            records = tuple(r for r in records if _same_request(r, message.request_id))
        lines = sorted(records, key=lambda r: r.timestamp)
        self.invocation = tuple(lines)
        out.append(f"{len(lines)} line(s)\n", style="italic")
        for r in lines:
            try:
                stamp = datetime.fromtimestamp(r.timestamp, UTC).strftime("%H:%M:%S.%f")[:-3]
            except (ValueError, OverflowError, OSError):
                stamp = "?"
            out.append(stamp + "  ", style="dim")
            out.append_text(safe_text(r.message))
            out.append("\n")
        box.update(out)
        box.scroll_visible()


def _provider_only_fields(record: LogRecord) -> dict[str, Any]:
    """The provider's fields the JSON message does not already show with the same value."""
    if not record.fields:
        return {}
    parsed = message_fields(record.message) or {}
    missing = object()
    return {k: v for k, v in record.fields.items() if parsed.get(k, missing) != v}


def _same_request(record: LogRecord, request_id: str) -> bool:
    if record.request_id is not None:
        return record.request_id == request_id
    return request_id in record.message


def _pretty(value: Any) -> str:
    try:
        return json.dumps(value, indent=2, ensure_ascii=False, default=str, sort_keys=False)
    except (TypeError, ValueError):
        return str(value)
