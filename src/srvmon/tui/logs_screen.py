"""The logs drill-down screen: a provider's records for a LogQuery, filterable, followable, newest first."""

from __future__ import annotations

import contextlib
import re
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta, tzinfo
from typing import TYPE_CHECKING, ClassVar

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.css.query import NoMatches
from textual.message import Message
from textual.screen import ModalScreen, Screen
from textual.timer import Timer
from textual.widgets import Input, OptionList, SelectionList, Static
from textual.widgets.option_list import Option

from srvmon.clock import Clock
from srvmon.logfilter import FilterError, LogFilter
from srvmon.model import LogQuery, LogRecord, LogResult, TimeWindow
from srvmon.providers.base import NotSupported, Provider, ProviderError
from srvmon.sanitize import clean
from srvmon.tui.key_bar import KeyBar
from srvmon.tui.refresher import in_background
from srvmon.widgets.log_table import LogTable

if TYPE_CHECKING:
    from srvmon.runtime import Runtime

#: Window sizes `[` and `]` step through (seconds).
WINDOW_LADDER: tuple[int, ...] = (300, 900, 3600, 4 * 3600, 12 * 3600, 86400, 7 * 86400)
STATUS_CHOICES: tuple[str | None, ...] = (None, "2xx", "3xx", "4xx", "5xx")
BUILTIN_FIELDS = ("resource", "level", "status", "request_id")
_FIELD_TOKEN = re.compile(r"^([A-Za-z_@][\w.@-]*)=(.+)$")


# ---- messages (posted from worker threads) -------------------------------------------------------


@dataclass
class LogsFetched(Message):
    """A fetch for the screen finished (successfully or not)."""

    generation: int
    """Which fetch this answers; stale answers (an older generation) are dropped."""
    query: LogQuery
    """The query that was run."""
    result: LogResult | None
    """The records, or None when the fetch failed."""
    error: str | None = None
    """Why the fetch failed, shown in the header."""
    follow: bool = False
    """True for a follow-mode poll (merge new records) rather than a full reload."""


def _describe(exc: BaseException) -> str:
    if isinstance(exc, ProviderError):
        return f"{exc} (throttled)" if exc.throttled else str(exc)
    if isinstance(exc, NotSupported):
        return str(exc)
    return f"{type(exc).__name__}: {exc}"


def split_filter_text(text: str, known_fields: set[str]) -> tuple[str, dict[str, str]]:
    """'user=alice timed out' -> ('timed out', {'user': 'alice'}) for fields the records have."""
    words: list[str] = []
    fields: dict[str, str] = {}
    for token in text.split():
        m = _FIELD_TOKEN.match(token)
        if m and m.group(1) in known_fields:
            fields[m.group(1)] = m.group(2)
        else:
            words.append(token)
    return " ".join(words), fields


def _filter_signature(q: LogQuery) -> tuple[object, ...]:
    return (
        q.text,
        q.regex,
        q.errors_only,
        q.status_class,
        q.resources,
        q.request_id,
        tuple(sorted(q.fields.items())),
    )


def _narrows(old: LogQuery, new: LogQuery) -> bool:
    """True when `new` keeps a subset of what `old` kept: only a plain-text needle grew."""
    if old.regex or new.regex or not new.text:
        return False
    if replace(old, text=new.text) != new:
        return False
    return (old.text or "").casefold() in new.text.casefold()


def _zone_name(tz: tzinfo, at: datetime) -> str:
    return "UTC" if tz is UTC else (tz.tzname(at) or "local")


def window_span(w: TimeWindow, tz: tzinfo) -> str:
    """'2026-11-30 06:52–07:52 UTC', with the end's date too when the window crosses midnight or spans days
    ('2026-11-29 06:52 – 2026-11-30 06:52 UTC')."""
    start, end = w.start.astimezone(tz), w.end.astimezone(tz)
    zone = _zone_name(tz, start)
    if start.date() == end.date():
        return f"{start:%Y-%m-%d %H:%M}–{end:%H:%M} {zone}"
    return f"{start:%Y-%m-%d %H:%M} – {end:%Y-%m-%d %H:%M} {zone}"


def _fmt_range(seconds: int) -> str:
    for unit, size in (("w", 7 * 86400), ("d", 86400), ("h", 3600), ("m", 60)):
        if seconds >= size and seconds % size == 0:
            return f"{seconds // size}{unit}"
    return f"{seconds}s"


# ---- choosers --------------------------------------------------------------------------------------


class StatusChooser(ModalScreen[str | None]):
    """Pick a status class (or any); dismisses with the choice, Esc keeps the current one."""

    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape,q", "cancel", "Cancel")]

    def __init__(self, current: str | None) -> None:
        super().__init__()
        self.current = current

    def compose(self) -> ComposeResult:
        options = [Option("any status" if c is None else c, id=c or "any") for c in STATUS_CHOICES]
        with Vertical(id="chooser"):
            yield Static("Status class", classes="chooser-title")
            yield OptionList(*options, id="status-options")

    def on_mount(self) -> None:
        options = self.query_one(OptionList)
        options.highlighted = STATUS_CHOICES.index(self.current) if self.current in STATUS_CHOICES else 0
        options.focus()

    @on(OptionList.OptionSelected)
    def _chosen(self, event: OptionList.OptionSelected) -> None:
        choice = event.option.id
        self.dismiss(None if choice == "any" else choice)

    def action_cancel(self) -> None:
        self.dismiss(self.current)


class ColumnChooser(ModalScreen[tuple[str, ...] | None]):
    """Pick which JSON message fields show as columns (space toggles, Enter applies)."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,q", "cancel", "Cancel"),
        Binding("enter", "apply", "Apply", priority=True),
    ]

    def __init__(self, fields: list[str], chosen: tuple[str, ...]) -> None:
        super().__init__()
        self.fields = fields
        self.chosen = chosen

    def compose(self) -> ComposeResult:
        with Vertical(id="chooser"):
            yield Static("JSON fields as columns (space toggles, Enter applies)", classes="chooser-title")
            yield SelectionList[str](
                *[(Text(clean(f)), f, f in self.chosen) for f in self.fields], id="column-options"
            )

    def on_mount(self) -> None:
        self.query_one(SelectionList).focus()

    def action_apply(self) -> None:
        self.dismiss(tuple(self.query_one(SelectionList).selected))

    def action_cancel(self) -> None:
        self.dismiss(None)


# ---- the screen ------------------------------------------------------------------------------------


class LogsScreen(Screen[None]):
    """Log records for `query` from `provider`. Push it; Esc pops it and the board is as it was.

    Keys: `/` filter (text, or regex after `r`; `field=value` words filter JSON fields), `e` errors
    only, `s` status class, `[`/`]` widen/narrow the window, `f` follow, `c` field columns,
    Enter open the record, Esc back.
    """

    CSS_PATH = "logs.tcss"

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,q", "back", "Back", tooltip="close the filter box, or back to the board"),
        Binding(
            "slash",
            "filter",
            "Filter",
            tooltip="filter: text (regex after r); field=value words filter JSON fields",
        ),  # fmt: skip
        Binding("r", "toggle_regex", "Regex", tooltip="the filter text is a regular expression (on/off)"),
        Binding("e", "toggle_errors", "Errors", tooltip="errors only (on/off)"),
        Binding("s", "choose_status", "Status", tooltip="status class: any, 2xx, 3xx, 4xx, 5xx"),
        Binding("left_square_bracket", "widen", "Wider", tooltip="a wider time window (5m … 1w)"),
        Binding("right_square_bracket", "narrow", "Narrower", tooltip="a narrower time window"),
        Binding(
            "f", "toggle_follow", "Follow", tooltip="follow: fetch new records every few seconds (on/off)"
        ),
        Binding("c", "choose_columns", "Columns", tooltip="pick JSON fields shown as columns"),
        Binding("R", "reload", "Reload", show=False, tooltip="fetch the records again"),
    ]

    def __init__(
        self,
        provider: Provider,
        query: LogQuery,
        clock: Clock,
        *,
        follow_interval_s: float = 5.0,
        name: str | None = None,
        runtime: Runtime | None = None,
    ) -> None:
        super().__init__(name=name)
        self.provider = provider
        #: Calls go through the provider's pool and deadline when the app has a runtime.
        self.runtime = runtime
        self.log_query = query
        self.clock = clock
        self.follow_interval_s = follow_interval_s
        self.following = False
        #: A full fetch is in flight (not `loading`: that is Textual's loading-indicator reactive).
        self.fetching = False
        self.error: str | None = None
        self.filter_error: str | None = None
        self.result: LogResult | None = None
        self.fetched_query: LogQuery | None = None
        self._generation = 0
        self._follow_timer: Timer | None = None
        self._follow_pending = False
        self._local_filter: object | None = None
        #: Times are shown in this zone: the board app's `tz` when it has one, else UTC.
        self.tz: tzinfo = UTC

    # -- layout --------------------------------------------------------------------------------
    def compose(self) -> ComposeResult:
        with Vertical(id="logs-header"):
            yield Static(id="logs-title")
            yield Static(id="logs-status")
        yield Input(placeholder="filter text (Enter applies, Esc closes)", id="logs-filter")
        yield LogTable(id="logs-table", empty_text="loading…")
        yield KeyBar()

    def on_mount(self) -> None:
        if hasattr(self.app, "tz"):  # the board's display zone (None there = the system's local zone)
            self.tz = self.app.tz or datetime.now().astimezone().tzinfo or UTC
            self.table.tz = self.tz
        self.query_one("#logs-filter", Input).display = False
        self.table.focus()
        self._update_header()
        self.reload()

    @property
    def table(self) -> LogTable:
        return self.query_one("#logs-table", LogTable)

    # -- fetching --------------------------------------------------------------------------------
    def reload(self) -> None:
        """Fetch the current query from the provider (replaces what is shown)."""
        self._generation += 1
        self.fetching = True
        self.error = None
        self._update_header()
        self._fetch(self.log_query, self._generation, False)

    def _fetch(self, query: LogQuery, generation: int, follow: bool) -> None:
        """Ask the provider on a daemon thread (quitting never waits for it); the answer comes as a message."""
        provider, runtime = self.provider, self.runtime

        def work() -> LogResult:
            if runtime is not None:
                return runtime.call(provider.name, lambda: provider.logs(query), "logs")  # type: ignore[no-any-return]
            return provider.logs(query)

        def done(result: LogResult | None, error: BaseException | None) -> None:
            # every failure stays on this screen, never takes the app down
            self.post_message(
                LogsFetched(generation, query, result, _describe(error) if error else None, follow)
            )

        in_background("logs", work, done)

    @on(LogsFetched)
    def _fetched(self, message: LogsFetched) -> None:
        if message.follow:
            self._follow_pending = False
            if message.generation != self._generation:
                self._arm_follow()  # the query changed meanwhile: drop this answer, keep following
                return
            if message.result is not None:
                self.error = None
                self.table.add_records(message.result.records)
            else:
                self.error = message.error
            self._arm_follow()
            self._update_header()
            return
        if message.generation != self._generation:
            return  # an answer to a query that was replaced meanwhile
        self.fetching = False
        if message.result is None:
            self.error = message.error
            self.table.empty_text = "fetch failed — R to retry"
            self.table.set_records([])
        else:
            self.result = replace(message.result, records=())  # the table holds the records
            self.fetched_query = message.query
            self.table.empty_text = "no records match"
            ok, predicate = self._compile_filter()
            self.table.set_records(message.result.records, predicate=predicate if ok else True)
        self._update_header()
        if self.following:
            self._arm_follow()

    # -- filtering -------------------------------------------------------------------------------
    @property
    def filtered_by_provider(self) -> bool:
        """The provider applied exactly the current filter, so nothing is re-filtered locally."""
        return (
            self.result is not None
            and self.result.filtered_by_provider
            and self.fetched_query is not None
            and _filter_signature(self.fetched_query) == _filter_signature(self.log_query)
        )

    def _compile_filter(self) -> tuple[bool, Callable[[LogRecord], bool] | None]:
        """(usable, predicate) for the current query; None when the provider already filtered.

        An invalid filter (bad regex) is not usable: the error is kept for the header.
        """
        if self.filtered_by_provider:
            self.filter_error = None
            self._local_filter = None
            return True, None
        try:
            predicate = LogFilter.from_query(self.log_query).compile()
        except FilterError as exc:
            self.filter_error = str(exc)
            return False, None
        self.filter_error = None
        self._local_filter = predicate
        return True, predicate

    def _apply_filter(self, previous: LogQuery | None = None) -> None:
        had_error = self.filter_error is not None
        had_local = self._local_filter is not None
        ok, predicate = self._compile_filter()
        if not ok:
            return
        narrowing = (
            predicate is not None
            and previous is not None
            and not had_error
            and had_local
            and _narrows(previous, self.log_query)
        )
        self.table.set_filter(predicate, narrowing=narrowing)

    def _set_query(self, query: LogQuery, *, refetch: bool) -> None:
        previous, self.log_query = self.log_query, query
        self._apply_filter(previous)
        self._update_header()
        if refetch:
            self.reload()

    def _known_fields(self) -> set[str]:
        return set(BUILTIN_FIELDS) | set(self.table.discover_fields())

    @on(Input.Changed, "#logs-filter")
    def _filter_typed(self, event: Input.Changed) -> None:
        self._set_query(self._query_for_text(event.value), refetch=False)

    @on(Input.Submitted, "#logs-filter")
    def _filter_submitted(self, event: Input.Submitted) -> None:
        self._close_filter()
        self._set_query(self._query_for_text(event.value), refetch=not self.filter_error)

    def _query_for_text(self, value: str) -> LogQuery:
        if self.log_query.regex:
            return replace(self.log_query, text=value or None, fields={})
        text, fields = split_filter_text(value, self._known_fields())
        return replace(self.log_query, text=text or None, fields=fields)

    def _close_filter(self) -> None:
        box = self.query_one("#logs-filter", Input)
        box.display = False
        self.table.focus()

    # -- header ----------------------------------------------------------------------------------
    def _update_header(self) -> None:
        try:
            title_box = self.query_one("#logs-title", Static)
            status_box = self.query_one("#logs-status", Static)
        except NoMatches:  # not composed yet
            return
        q = self.log_query
        w = q.window
        title = Text()
        title.append("LOGS ", style="bold")
        title.append(clean(self.provider.name), style="bold")
        title.append("  ")
        title.append(", ".join(clean(r) for r in q.resources) if q.resources else "all resources")
        title.append(f"  {window_span(w, self.tz)} ({_fmt_range(w.duration_s)})")
        if self.following:
            title.append("  ● following", style="bold")
        if getattr(self.provider, "is_demo", False):
            title.append("  DEMO", style="reverse")
        title_box.update(title)

        status = Text()
        parts: list[str] = []
        if q.text:
            parts.append(f"{'regex' if q.regex else 'text'} {clean(q.text)!r}")
        elif q.regex:
            parts.append("regex mode")
        for key, value in q.fields.items():
            parts.append(f"{clean(key)}={clean(value)}")
        if q.errors_only:
            parts.append("errors only")
        if q.status_class:
            parts.append(f"status {clean(q.status_class)}")
        if q.request_id:
            parts.append(f"request {clean(q.request_id)}")
        status.append(" · ".join(parts) if parts else "no filter")
        if parts and self.filtered_by_provider:
            status.append("  — filtered by provider")
        elif parts:
            status.append("  — filtered locally")
        shown, held = len(self.table.rows), len(self.table.records)
        if self.fetching:
            status.append("  loading…", style="italic")
        else:
            status.append(f"  {shown:,} of {held:,} records")
            if self.result is not None and self.result.truncated:
                status.append(f"  capped: the newest {held:,} ({self.log_query.limit:,} at most; narrow the window "
                              "or filter to see older ones)", style="bold")  # fmt: skip
            if self.result is not None and self.result.partial:
                status.append("  partial: the provider did not read every source in time", style="bold")
            if self.result is not None and self.result.warnings:
                status.append("  " + "; ".join(clean(w) for w in self.result.warnings[:2]), style="italic")
        if self.filter_error:
            status.append(f"  {clean(self.filter_error)}", style="bold")
        if self.error:
            status.append(f"  error: {clean(self.error)}", style="bold")
        status_box.update(status)
        self.set_class(bool(self.error or self.filter_error), "-error")

    # -- actions ---------------------------------------------------------------------------------
    def action_back(self) -> None:
        box = self.query_one("#logs-filter", Input)
        if box.display:
            self._close_filter()
            return
        self._stop_follow()
        self.dismiss(None)

    def action_filter(self) -> None:
        box = self.query_one("#logs-filter", Input)
        box.display = True
        text = self.log_query.text or ""
        if not self.log_query.regex and self.log_query.fields:
            text = " ".join([*(f"{k}={v}" for k, v in self.log_query.fields.items()), text]).strip()
        box.value = text
        box.placeholder = (
            "regex (Enter applies, Esc closes)"
            if self.log_query.regex
            else ("text or field=value (Enter applies, Esc closes)")
        )
        box.focus()

    def action_toggle_regex(self) -> None:
        self._set_query(
            replace(self.log_query, regex=not self.log_query.regex), refetch=bool(self.log_query.text)
        )

    def action_toggle_errors(self) -> None:
        self._set_query(replace(self.log_query, errors_only=not self.log_query.errors_only), refetch=True)

    def action_choose_status(self) -> None:
        def chosen(value: str | None) -> None:
            if value != self.log_query.status_class:
                self._set_query(replace(self.log_query, status_class=value), refetch=True)

        self.app.push_screen(StatusChooser(self.log_query.status_class), chosen)

    def action_choose_columns(self) -> None:
        fields = self.table.discover_fields()
        if not fields:
            self.notify("no JSON fields in these records", severity="information")
            return

        def chosen(value: tuple[str, ...] | None) -> None:
            if value is not None:
                self.table.set_extra_columns(value)

        self.app.push_screen(ColumnChooser(fields, self.table.extra_columns), chosen)

    def _resize_window(self, step: int) -> None:
        current = self.log_query.window.duration_s
        ladder = list(WINDOW_LADDER)
        if step > 0:
            bigger = [s for s in ladder if s > current]
            new = bigger[0] if bigger else current
        else:
            smaller = [s for s in ladder if s < current]
            new = smaller[-1] if smaller else current
        if new == current:
            self.notify("window is already at its " + ("widest" if step > 0 else "narrowest"))
            return
        end = self.log_query.window.end
        window = TimeWindow(end - timedelta(seconds=new), end, self.log_query.window.step_s)
        self._set_query(replace(self.log_query, window=window), refetch=True)

    def action_widen(self) -> None:
        self._resize_window(+1)

    def action_narrow(self) -> None:
        self._resize_window(-1)

    def action_reload(self) -> None:
        self.reload()

    # -- follow mode -----------------------------------------------------------------------------
    def action_toggle_follow(self) -> None:
        if self.following:
            self._stop_follow()
        else:
            self.following = True
            self.poll_now()
        self._update_header()

    def _stop_follow(self) -> None:
        self.following = False
        if self._follow_timer is not None:
            self._follow_timer.stop()
            self._follow_timer = None

    def _arm_follow(self) -> None:
        """Re-arm after each poll finishes, so polls never overlap."""
        if not self.following:
            return
        if self._follow_timer is not None:
            self._follow_timer.stop()
        self._follow_timer = self.set_timer(self.follow_interval_s, self.poll_now)

    def poll_now(self) -> None:
        """Ask the provider for records since the newest one held (follow mode)."""
        if self.fetching or self._follow_pending:
            return
        now = self.clock.now()
        start = self.log_query.window.start
        newest = self.table.newest_timestamp
        if newest is not None:  # from the newest record held (inclusive: same-instant ones are de-duplicated)
            with contextlib.suppress(ValueError, OverflowError, OSError):
                start = max(start, datetime.fromtimestamp(newest, UTC))
        start = min(start, now)
        window = TimeWindow(start, now, self.log_query.window.step_s)
        # The shown window now ends at the clock: keep its length, slide it forward.
        span = timedelta(seconds=self.log_query.window.duration_s)
        self.log_query = replace(
            self.log_query, window=TimeWindow(now - span, now, self.log_query.window.step_s)
        )
        self._follow_pending = True
        self._update_header()
        self._fetch(replace(self.log_query, window=window), self._generation, True)

    def on_unmount(self) -> None:
        self._stop_follow()

    # -- drill into one record -------------------------------------------------------------------
    @on(LogTable.Selected)
    def _open_record(self, event: LogTable.Selected) -> None:
        from srvmon.tui.record_screen import RecordScreen

        self.app.push_screen(RecordScreen(self.provider, event.record, self.clock, query=self.log_query))


def initial_query(provider: Provider, clock: Clock, *, range_s: int = 3600, **filters: object) -> LogQuery:
    """A LogQuery over the last `range_s` seconds ending now, for callers that have no panel window."""
    now = clock.now()
    window = TimeWindow(now - timedelta(seconds=range_s), now, 60)
    return LogQuery(provider=provider.name, window=window, **filters)  # type: ignore[arg-type]


__all__ = [
    "ColumnChooser",
    "LogsFetched",
    "LogsScreen",
    "StatusChooser",
    "initial_query",
    "split_filter_text",
]
