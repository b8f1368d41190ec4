"""`srvmon status`: what the ops screen itself is doing, read from the store: each poller (last poll,
errors, budget use, leases, ssh sessions), who holds each lease, and the viewers connected."""

from __future__ import annotations

import json
from typing import Any

from srvmon.fmt import fmt_age
from srvmon.store import POLLER, VIEWER, Store


def gather(store: Store, now: float) -> dict[str, Any]:
    pollers = store.statuses(POLLER, now)
    names = sorted({n for p in pollers for n in p.get("lease_names", ())})
    leases = {}
    for name in names:
        got = store.lease(name, now)
        leases[name] = (
            None if got is None else {"holder": got.holder, "expires_in_s": round(got.expires_in, 1)}
        )
    return {"store": store.url, "at": now, "pollers": pollers, "leases": leases,
            "viewers": store.statuses(VIEWER, now)}  # fmt: skip


def render_json(doc: dict[str, Any]) -> str:
    return json.dumps(doc, indent=2, sort_keys=True) + "\n"


def _ago(now: float, at: float | None) -> str:
    return "never" if at is None else f"{fmt_age(max(0.0, now - at))} ago"


def render_txt(doc: dict[str, Any]) -> str:
    now = float(doc["at"])
    out = [f"store {doc['store']}"]
    if not doc["pollers"]:
        out.append("no poller is running (start `srvmon serve`)")
    for p in doc["pollers"]:
        leases = ", ".join(p.get("leases") or []) or "none (standing by)"
        out.append(f"poller {p['holder']} (srvmon {p.get('version', '?')}) up {fmt_age(now - p['started_at'])}, "
                   f"seen {_ago(now, p.get('at'))}; leases: {leases}")  # fmt: skip
        for v in p.get("views", ()):
            what = f"{v['board']} {v['range']} {'live' if v['live'] else 'paused'}"
            what += "" if v.get("compare", True) else " no-compare"
            what += "" if v.get("default") else " (asked by a viewer)"
            line = f"  view {what}: last snapshot {_ago(now, v.get('last_written') or v.get('last_poll'))}"
            if v.get("duration_s") is not None:
                line += f" in {v['duration_s']:.1f}s"
            line += f", {v.get('polls', 0)} polls"
            if v.get("held_s"):
                line += f"; waiting {fmt_age(v['held_s'])} for the API budget of {v.get('held_by')}"
            line += f"; {v['error']}" if v.get("error") else "; ok"
            out.append(line)
        for name, b in (p.get("budgets") or {}).items():
            parts = []
            if b.get("calls_per_min"):
                parts.append(f"{b['calls_last_min']} of {b['calls_per_min']} calls/min")
            if b.get("usd_per_day"):
                parts.append(f"${b['usd_last_day']:.4f} of ${b['usd_per_day']:g}/day")
            out.append(f"  budget {name}: {', '.join(parts)}")
        for name, u in (p.get("providers") or {}).items():
            out.append(f"  provider {name} ({u['type']}): {u['api_calls']} API calls, {u['metrics_requested']} "
                       f"metrics, ~${u['estimated_cost_usd']:.4f} since start")  # fmt: skip
        ssh = p.get("ssh")
        if ssh:
            out.append(f"  ssh on {ssh['listen']}: {len(ssh['sessions'])} of {ssh['max_sessions']} sessions")
            for s in ssh["sessions"]:
                out.append(
                    f"    {s['id']} {s['key']} from {s['peer']} on {s['board']}, {_ago(now, s['started_at'])}"
                )
    for name, lease in doc["leases"].items():
        held = (
            "free"
            if lease is None
            else f"held by {lease['holder']} (expires in {fmt_age(lease['expires_in_s'])})"
        )
        out.append(f"lease {name}: {held}")
    out.append(f"viewers: {len(doc['viewers'])}")
    for v in doc["viewers"]:
        where = f"{v.get('board')} {v.get('range')}" + ("" if v.get("live", True) else " paused")
        fetching = f", fetching {v['fetching']}" if v.get("fetching") else ""
        out.append(f"  {v['id']} {v.get('origin') or 'local'} on {where}, since {_ago(now, v.get('started_at'))}, "
                   f"last shown {_ago(now, v.get('shown_at'))}{fetching}")  # fmt: skip
    return "\n".join(out) + "\n"
