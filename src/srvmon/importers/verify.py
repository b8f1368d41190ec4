"""The last step of an import: load the written TOML the way `srvmon check` does, with stand-in
providers of the types the board uses, and drop (into the report) any panel the config refuses."""

from __future__ import annotations

import re
from collections.abc import Mapping

from srvmon.importers.board import BoardDraft, _basic
from srvmon.importers.jsonin import DashboardError
from srvmon.importers.report import Report

#: Options that make a provider of each built-in type valid without touching any network.
STAND_IN: dict[str, str] = {
    "aws": "",
    "demo": "",
    "prometheus": 'url = "http://127.0.0.1:9"\n',
    "azure": 'subscription_id = "00000000-0000-0000-0000-000000000000"\n',
}
_PANEL = re.compile(r"^boards\[0\]\.panels\[(\d+)\]")


def stand_in_providers(types: Mapping[str, str]) -> str:
    return "".join(
        f"[providers.{_basic(name)}]\ntype = {_basic(kind)}\n{STAND_IN.get(kind, '')}\n"
        for name, kind in types.items()
    )


def verify(board: BoardDraft, types: Mapping[str, str], report: Report) -> None:
    """Make sure the board loads (every query valid for its provider, every variable resolvable)."""
    from srvmon.config import ConfigError, parse_config

    head = stand_in_providers(types)
    if not board.panels:
        return  # nothing to load: the caller says so
    for _attempt in range(len(board.panels) + 1):
        try:
            parse_config(head + board.to_toml(), "<import>")
            report.imported = len(board.panels)
            _link(board, report)
            return
        except ConfigError as exc:
            bad: dict[int, str] = {}
            for issue in exc.issues:
                m = _PANEL.match(issue.key)
                if m and int(m.group(1)) < len(board.panels):
                    bad.setdefault(int(m.group(1)), issue.message)
            if not bad:
                raise DashboardError(
                    "<import>",
                    "the imported board does not load: " + "; ".join(i.message for i in exc.issues[:3]),
                    "report this with the dashboard JSON; meanwhile fix the TOML by hand",
                ) from None
            for index in sorted(bad, reverse=True):
                p = board.panels.pop(index)
                title = str(p.fields.get("title", ""))
                report.add(p.ref or p.source, title, "skipped", f"srvmon check refuses it: {bad[index]}")
                board.skipped.append(f"{p.source}: not imported: {bad[index]}")
            if not board.panels:
                report.imported = 0
                return
    raise DashboardError(
        "<import>", "the imported board does not load", "report this with the dashboard JSON"
    )


def _link(board: BoardDraft, report: Report) -> None:
    """Point every approximation at the srvmon panel it became."""
    from dataclasses import replace

    ids = {p.ref: str(p.fields["id"]) for p in board.panels if p.ref}
    report.diagnostics = [
        replace(d, panel_id=ids[d.source]) if d.level == "approximated" and d.source in ids else d
        for d in report.diagnostics
    ]
