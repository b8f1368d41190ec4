"""Change events and panels: which events concern a panel's resources, merging the same change read from
several sources, and saying plainly what changed ("p99 +212% since checkout-api deploy at 11:25 (v42)").

Pure functions, no I/O. Conventions every provider follows: `ChangeEvent.resources[0]` is the primary
resource (the name an operator knows: function, API, app, deployment), later entries are related names
(its service, revision, ARN); `summary`, `actor` and `version` are untrusted text.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Iterable, Sequence
from dataclasses import replace
from datetime import UTC, datetime, tzinfo

from srvmon.changepoint import Shift
from srvmon.model import ChangeEvent, EventKind
from srvmon.sanitize import clean

#: Separators after which a longer name still belongs to a shorter one: "checkout" owns "checkout-api",
#: "checkout_worker", "checkout.v2", "checkout:live", "checkout/prod".
_SEPARATORS = "-_.:/"
#: Kinds that can cause a level shift, most telling first (alarm transitions are effects, not causes).
CAUSE_KINDS: tuple[EventKind, ...] = ("deploy", "config", "scale", "permission", "incident")
_NOUN: dict[str, str] = {
    "deploy": "deploy",
    "config": "change",
    "scale": "scaling",
    "permission": "permission change",
    "incident": "incident",
}
#: An event up to this long before a shift (or one step after: the shift is seen at bucket granularity)
#: explains it.
EXPLAIN_BEFORE_S = 10 * 60


def normalise(name: str) -> str:
    """The comparable form of a resource name: an ARN's or resource id's last segment, casefolded.

    "arn:aws:lambda:us-east-1:1:function:checkout-api" -> "checkout-api";
    ".../Microsoft.Web/sites/Checkout-Api" -> "checkout-api"; "123/us-east-1:orders" -> "orders"."""
    text = str(name).strip()
    if text.startswith("arn:"):
        parts = text.split(":")
        if len(parts) >= 7 and parts[5] in ("function", "stateMachine"):  # ...:function:NAME[:qualifier]
            text = parts[6]
        else:
            text = re.split(r"[:/]", text)[-1]
    elif text.startswith("/subscriptions/"):
        text = text.rstrip("/").rsplit("/", 1)[-1]
    elif re.match(r"^\d{12}/[a-z0-9-]+:", text):  # "account/region:resource" of multi-account boards
        text = text.split(":", 1)[1]
    return text.casefold()


def _owns(short: str, long: str) -> bool:
    return len(long) > len(short) and long.startswith(short) and long[len(short)] in _SEPARATORS


def names_match(a: str, b: str) -> bool:
    """Two resource names denote the same thing or one is the other's service prefix (either way)."""
    x, y = normalise(a), normalise(b)
    if not x or not y:
        return False
    return x == y or _owns(x, y) or _owns(y, x)


def events_for(
    resources: Iterable[str], events: Iterable[ChangeEvent], *, kinds: Iterable[str] | None = None
) -> list[ChangeEvent]:
    """The events that concern a panel showing `resources`, oldest first.

    A name matches exactly (after `normalise`) or as a service prefix either way: a panel on
    "checkout" gets "checkout-api"'s deploy, a panel on "checkout-api" gets a deploy of the "checkout"
    service. A panel without resources (a fleet-wide total) gets every event. `kinds` keeps only those
    kinds (e.g. CAUSE_KINDS for chart markers without alarm transitions)."""
    wanted = [r for r in resources if str(r).strip()]
    allowed = set(kinds) if kinds is not None else None
    out = [
        e
        for e in events
        if (allowed is None or e.kind in allowed)
        and (not wanted or any(names_match(w, r) for w in wanted for r in e.resources))
    ]
    return sorted(out, key=lambda e: (e.time, e.id))


def dedupe(
    events: Iterable[ChangeEvent],
    *,
    prefer: Sequence[str] = (),
    within_s: float = 120.0,
    loose_sources: Collection[str] = (),
) -> list[ChangeEvent]:
    """One event per change, oldest first, when several sources saw it.

    Events with the same non-empty `id` are one change (sources that know a change's identity, e.g.
    "lambda:NAME:version:42", give it the same id). `loose_sources` only infer a change from a
    timestamp and cannot name it (a Lambda LastModified cannot even tell code from config): an event
    of theirs is the same change as an event from another source on the same primary resource, at
    most `within_s` apart, of a deploy/config/scale kind (or the same kind) and not naming another
    version. The kept event is the non-loose one, else the one whose `source` comes first in `prefer`
    (an audit log before a listing: exact time and actor); missing actor, link and version are filled
    from the others."""
    rank = {s: i for i, s in enumerate(prefer)}
    changes = {"deploy", "config", "scale"}

    def alike(m: ChangeEvent, e: ChangeEvent) -> bool:
        if not (m.source in loose_sources or e.source in loose_sources):
            return False
        return m.kind == e.kind or (m.kind in changes and e.kind in changes)

    def better(e: ChangeEvent) -> tuple[int, float]:
        return (rank.get(e.source, len(rank)), e.time.timestamp())

    merged: list[ChangeEvent] = []
    by_id: dict[str, int] = {}
    for e in sorted(events, key=lambda e: (e.time, e.source, e.id)):
        at = by_id.get(e.id) if e.id else None
        if at is None:
            for i in range(len(merged) - 1, -1, -1):  # merged is in time order: look back within_s only
                m = merged[i]
                gap = (e.time - m.time).total_seconds()
                if gap > 2 * within_s:
                    break
                if (
                    alike(m, e)
                    and m.source != e.source
                    and m.resources[:1] == e.resources[:1]
                    and abs(gap) <= within_s
                    and (m.version is None or e.version is None or m.version == e.version)
                ):
                    at = i
                    break
        if at is None:
            if e.id:
                by_id[e.id] = len(merged)
            merged.append(e)
            continue
        kept, other = (merged[at], e) if better(merged[at]) <= better(e) else (e, merged[at])
        if kept.source in loose_sources and other.source not in loose_sources:
            kept, other = other, kept
        merged[at] = replace(
            kept,
            actor=kept.actor or other.actor,
            link=kept.link or other.link,
            version=kept.version or other.version,
            resources=tuple(dict.fromkeys(kept.resources + other.resources)),
        )
        for key in (kept.id, other.id):
            if key:
                by_id[key] = at
    return sorted(merged, key=lambda e: (e.time, e.id))


def _pct(shift: Shift, unit: str) -> str:
    """'+212%', '-40%'; percentage points for % metrics; levels when a ratio means nothing."""
    if unit == "%":
        return f"{shift.delta:+.1f} pts"
    if shift.pct is None or abs(shift.pct) >= 1000:
        u = f" {unit}" if unit else ""
        return f"{_num(shift.before)} → {_num(shift.after)}{u}"
    return f"{shift.pct:+.0f}%"


def _num(v: float) -> str:
    if v == 0:
        return "0"
    if abs(v) >= 100:
        return f"{v:.0f}"
    return f"{v:.3g}"


def _version(v: str | None) -> str:
    if not v:
        return ""
    text = clean(v)[:40]
    return f" (v{text})" if text.isdigit() else f" ({text})"


def cause_of(shift: Shift, events: Iterable[ChangeEvent], *, step_s: int = 60) -> ChangeEvent | None:
    """The change event that most plausibly caused `shift`: a cause kind at most EXPLAIN_BEFORE_S before
    the shift (or up to one step after it), the latest such, deploys before other kinds at a tie."""
    start = shift.time - EXPLAIN_BEFORE_S
    end = shift.time + step_s
    order = {k: i for i, k in enumerate(CAUSE_KINDS)}
    near = [e for e in events if e.kind in order and start <= e.time.timestamp() <= end]
    if not near:
        return None
    return max(near, key=lambda e: (e.time.timestamp(), -order[e.kind]))


def explain(
    shift: Shift | None,
    events: Iterable[ChangeEvent],
    unit: str = "",
    tz: tzinfo | None = None,
    *,
    label: str = "",
    step_s: int = 60,
) -> str | None:
    """One plain sentence tying a level shift to the change that preceded it, or None when no change
    event (of a cause kind, on these events' resources) falls within EXPLAIN_BEFORE_S before it.

    "p99 +212% since checkout-api deploy at 11:25 (v42)". `events` should already be the panel's
    (`events_for`); `label` names the value ("p99", a panel title; "level" when empty); `tz` sets the
    clock time shown (default UTC); `unit` is used when a ratio means nothing ("0 → 3.2 err/s") and
    for % metrics (percentage points). Untrusted names are cleaned of control characters."""
    if shift is None:
        return None
    event = cause_of(shift, events, step_s=step_s)
    if event is None:
        return None
    what = clean(label.strip()) if label.strip() else "level"
    who = clean(event.resources[0])[:80] if event.resources else ""
    at = event.time.astimezone(tz or UTC).strftime("%H:%M")
    noun = _NOUN.get(event.kind, event.kind)
    subject = f"{who} {noun}" if who else noun
    return f"{what} {_pct(shift, unit)} since {subject} at {at}{_version(event.version)}"


def in_window(events: Iterable[ChangeEvent], start: datetime, end: datetime) -> list[ChangeEvent]:
    """Events with start <= time < end, oldest first (what a provider returns for a window)."""
    return sorted((e for e in events if start <= e.time < end), key=lambda e: (e.time, e.id))
