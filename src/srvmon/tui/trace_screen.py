"""The trace drill-down: a trace search's matches (newest first) and one trace as a waterfall of its
segments and subsegments with durations. Fetches run on worker threads; everything shown is the typed
TraceList / Trace, untrusted text made inert."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, ClassVar

from rich.style import Style
from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.message import Message
from textual.screen import Screen
from textual.widget import Widget
from textual.widgets import Static

from srvmon.fmt import ellipsize, fmt_value
from srvmon.model import Trace, TraceList, TraceQuery, TraceSpan
from srvmon.providers.base import NotSupported, Provider, ProviderError
from srvmon.sanitize import clean
from srvmon.traces import waterfall
from srvmon.tui.key_bar import KeyBar
from srvmon.tui.refresher import in_background

#: Columns the name column takes at most (the rest is the time axis).
NAME_COLUMNS = 40


def _ms(seconds: float | None) -> str:
    return fmt_value(None if seconds is None else seconds * 1000.0, "ms")


def _flags(span: TraceSpan) -> str:
    out = []
    if span.fault:
        out.append("fault")
    if span.error:
        out.append("error")
    if span.throttle:
        out.append("throttle")
    if span.http_status is not None:
        out.append(str(span.http_status))
    if span.in_progress or span.end is None:
        out.append("in progress")
    return " ".join(out)


def render_trace(trace: Trace, width: int, *, fault: Style | None = None, warn: Style | None = None,
                 muted: Style | None = None) -> Text:  # fmt: skip
    """A trace as text: a header, then one line per span - indented name, duration, flags and a bar on
    the trace's time axis. Pure: the same Trace and width give the same Text."""
    muted = muted or Style(dim=True)
    out = Text(no_wrap=True, overflow="ellipsis")
    out.append(f"trace {clean(trace.id)}", style="bold")
    out.append(f"  {_ms(trace.duration_s)}, {len(trace.spans)} spans\n", style=muted)
    for w in trace.warnings:
        out.append(f"{clean(w)}\n", style=warn or muted)
    if not trace.spans:
        out.append("no segments in this trace", style=muted)
        return out
    name_w = min(NAME_COLUMNS, max(16, width // 3))
    info_w = 28
    bar_w = max(10, width - name_w - info_w - 2)
    start = trace.start or 0.0
    for bar in waterfall(trace, bar_w):
        s = bar.span
        indent = "  " * min(s.depth, 8)
        label = ellipsize(clean(s.name), max(4, name_w - len(indent)))
        line = Text(no_wrap=True, overflow="ellipsis")
        bad = s.fault or s.error or s.throttle
        style = (fault if s.fault else warn) if bad else None
        line.append(f"{indent}{label}".ljust(name_w), style=style)
        info = f"{_ms(s.duration_s):>8} {ellipsize(_flags(s), info_w - 10):<{info_w - 10}}"
        line.append(f" {info} ", style=style or (muted if s.kind == "subsegment" else None))
        glyph = "▒" if bar.open else ("▇" if s.kind == "segment" else "▆")
        line.append(" " * bar.offset + glyph * bar.length, style=style)
        out.append_text(line)
        out.append("\n")
        if s.error_message and bad:
            out.append(f"{' ' * (len(indent) + 2)}{clean(s.error_message)[:200]}\n", style=muted)
    end = trace.end or start
    out.append(f"{'':<{name_w}} {'':<{info_w}}0", style=muted)
    out.append(f"{_ms(end - start):>{max(1, bar_w - 1)}}", style=muted)
    return out


def render_matches(found: TraceList, selected: int | None, width: int, *, muted: Style | None = None) -> Text:
    """A search's traces, one line each: start time, duration, status, method and URL, services."""
    muted = muted or Style(dim=True)
    out = Text(no_wrap=True, overflow="ellipsis")
    out.append(f"{len(found.summaries)} traces, {found.scanned:,} scanned", style="bold")
    out.append("  (Enter opens the selected trace)\n", style=muted)
    for w in found.warnings:
        out.append(f"{clean(w)}\n", style=muted)
    for i, s in enumerate(found.summaries):
        when = (
            datetime.fromtimestamp(s.start, UTC).strftime("%H:%M:%S") if s.start is not None else "--:--:--"
        )
        state = "fault" if s.fault else "error" if s.error else "throttle" if s.throttle else "ok"
        what = " ".join(x for x in (s.http_method, s.http_url) if x)
        line = Text(no_wrap=True, overflow="ellipsis")
        line.append(f"{when} {_ms(s.duration_s):>8} {state:<8} {s.http_status or '':>3} ")
        line.append(ellipsize(clean(what), max(10, width // 2)))
        if s.services:
            line.append("  " + clean(", ".join(s.services[:4])), style=muted)
        if i == selected:
            line.stylize("reverse")
        out.append_text(line)
        out.append("\n")
    if not found.summaries:
        out.append("no traces match in this window", style=muted)
    out.rstrip()
    return out


@dataclass
class TraceFetched(Message):
    """A whole trace arrived (or could not be read)."""

    trace_id: str
    """The trace asked for."""
    trace: Trace | None
    """The trace, or None on failure."""
    error: str | None = None
    """Why it could not be read."""


@dataclass
class TracesFound(Message):
    """A trace search answered (or failed)."""

    found: TraceList | None
    """The matches, or None on failure."""
    error: str | None = None
    """Why the search failed."""


class TraceView(Widget):
    """The screen's body: the search's matches or one trace's waterfall, rendered at the current width."""

    DEFAULT_CSS = "TraceView { height: auto; width: 1fr; }"

    def __init__(self) -> None:
        super().__init__(id="trace-view")
        self.content: Trace | TraceList | str | None = None
        self.selected: int | None = None

    def show(self, content: Trace | TraceList | str | None) -> None:
        """What to show: a trace, a search's matches, an error message, or None while loading."""
        self.content = content
        self.refresh(layout=True)

    def _style(self, name: str) -> Style:
        from textual.color import Color

        value = self.app.theme_variables.get(name) or self.app.theme_variables.get("foreground") or "white"
        return Style(color=Color.parse(value).rich_color)

    def render(self) -> Text:
        width = max(40, self.size.width)
        c = self.content
        if c is None:
            return Text("loading…", style="italic")
        if isinstance(c, str):
            return Text(clean(c), style=self._style("error"))
        if isinstance(c, Trace):
            return render_trace(c, width, fault=self._style("error"), warn=self._style("warning"),
                                muted=self._style("foreground-muted"))  # fmt: skip
        return render_matches(c, self.selected, width, muted=self._style("foreground-muted"))


class TraceScreen(Screen[None]):
    """One trace (`trace_id`, or an already read `trace`), or the matches of `query` first (Enter opens
    one, Esc goes back to the list, then to the caller). `y` copies the trace id."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "back", "Back"),
        Binding("j,down", "move(1)", "Next", show=False),
        Binding("k,up", "move(-1)", "Previous", show=False),
        Binding("enter", "open", "Open trace"),
        Binding("y", "copy", "Copy trace id"),
    ]

    def __init__(
        self,
        provider: Provider | None = None,
        *,
        trace_id: str | None = None,
        trace: Trace | None = None,
        query: TraceQuery | None = None,
        name: str | None = None,
    ) -> None:
        super().__init__(name=name)
        if trace is None and trace_id is None and query is None:
            raise ValueError("TraceScreen needs a trace, a trace_id or a query")
        self.provider = provider
        self.trace_id = trace.id if trace is not None else trace_id
        self.trace = trace
        self.query_ = query
        self.found: TraceList | None = None
        self.view = TraceView()

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="trace-body"):
            yield Static(self._title(), id="trace-title")
            yield self.view
        yield KeyBar()

    def _title(self) -> Text:
        q = self.query_
        if self.trace_id is not None or q is None:
            return Text(f"X-Ray trace {clean(self.trace_id or '')}", style="bold")
        what = [clean(q.service)] if q.service else ["every service"]
        what += [f for f, on in (("faults", q.fault), ("errors", q.error), ("throttles", q.throttle)) if on]
        if q.http_status is not None:
            what.append(f"HTTP {q.http_status}")
        if q.min_duration_s is not None:
            what.append(f"slower than {_ms(q.min_duration_s)}")
        return Text("traces: " + ", ".join(what), style="bold")

    def on_mount(self) -> None:
        self.query_one("#trace-body").focus()
        if self.trace is not None:
            self.view.show(self.trace)
        elif self.trace_id is not None:
            self._fetch_trace(self.trace_id)
        elif self.query_ is not None:
            self._search(self.query_)

    # -- fetches on daemon threads (never touch widgets: they post messages) ------------------------
    def _call(self, fn: Any, what: str) -> Any:
        """On the provider's own pool and deadline when the app has a runtime (quitting never waits)."""
        runtime = getattr(self.app, "runtime", None)
        assert self.provider is not None
        if runtime is not None and self.provider.name in runtime:
            return runtime.call(self.provider.name, fn, what)
        return fn()

    def _fetch_trace(self, trace_id: str) -> None:
        if self.provider is None:
            self.post_message(TraceFetched(trace_id, None, "no provider to read the trace from"))
            return
        provider = self.provider

        def done(got: Any, error: BaseException | None) -> None:
            self.post_message(TraceFetched(trace_id, got, _describe(error) if error else None))

        in_background("trace", lambda: self._call(lambda: provider.trace(trace_id), "trace"), done)

    def _search(self, query: TraceQuery) -> None:
        if self.provider is None:
            self.post_message(TracesFound(None, "no provider to search"))
            return
        provider = self.provider

        def done(found: Any, error: BaseException | None) -> None:
            self.post_message(TracesFound(found, _describe(error) if error else None))

        in_background("traces", lambda: self._call(lambda: provider.traces(query), "traces"), done)

    @on(TraceFetched)
    def _trace_arrived(self, message: TraceFetched) -> None:
        if message.trace_id != self.trace_id:
            return
        if message.trace is None:
            self.view.show(f"could not read trace {message.trace_id}: {message.error or ''}")
            return
        self.trace = message.trace
        self.view.show(message.trace)

    @on(TracesFound)
    def _matches_arrived(self, message: TracesFound) -> None:
        if message.found is None:
            self.view.show(f"trace search failed: {message.error or ''}")
            return
        self.found = message.found
        self.view.selected = 0 if message.found.summaries else None
        self.view.show(message.found)

    # -- actions ---------------------------------------------------------------------------------
    def action_move(self, delta: int) -> None:
        if self.trace_id is not None or self.found is None or not self.found.summaries:
            return
        count = len(self.found.summaries)
        self.view.selected = ((self.view.selected or 0) + delta) % count
        self.view.refresh()

    def action_open(self) -> None:
        if self.trace_id is not None or self.found is None or self.view.selected is None:
            return
        chosen = self.found.summaries[self.view.selected]
        self.trace_id, self.trace = chosen.id, None
        self.query_one("#trace-title", Static).update(self._title())
        self.view.show(None)
        self._fetch_trace(chosen.id)

    def action_back(self) -> None:
        if self.query_ is not None and self.found is not None and self.trace_id is not None:
            self.trace_id, self.trace = None, None  # back from a trace to the search's list
            self.query_one("#trace-title", Static).update(self._title())
            self.view.show(self.found)
            return
        self.dismiss(None)

    def action_copy(self) -> None:
        if self.trace_id:
            self.app.copy_to_clipboard(self.trace_id)
            self.notify(f"trace id {self.trace_id} copied (OSC 52)")


def _describe(exc: BaseException) -> str:
    """A provider failure in words (a bug shows its type: it never takes the app down)."""
    if isinstance(exc, ProviderError | NotSupported):
        return str(exc)
    return f"{type(exc).__name__}: {exc}"
