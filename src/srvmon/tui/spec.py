"""What a board screen lays out: board and panel specs built from config Boards or from a Snapshot."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from srvmon.model import PanelPosition, Snapshot


@dataclass(frozen=True)
class PanelSpec:
    """One panel's identity and place on the grid."""

    id: str
    title: str
    kind: str
    position: PanelPosition | None = None
    description: str = ""
    #: "value" or "delta_pct": thresholds on a % change are not drawn as lines on the value axis.
    threshold_on: str = "value"


@dataclass(frozen=True)
class BoardSpec:
    """A board: name, title, refresh interval, default range and its panels (config kept for drill-down)."""

    name: str
    title: str
    refresh_s: float = 60.0
    range: str = "4h"
    provider: str | None = None
    panels: tuple[PanelSpec, ...] = ()
    #: panel id -> PanelCfg (drill-down settings), when built from config.
    configs: Mapping[str, Any] = field(default_factory=dict)


def _position(cfg: Any) -> PanelPosition | None:
    pos = getattr(cfg, "position", None)
    if pos is None:
        return None
    return PanelPosition(pos.row, pos.col, pos.width, pos.height)


def from_board(board: Any) -> BoardSpec:
    """From a srvmon.config.Board (name, title, provider, refresh_s, range, panels of PanelCfg)."""
    panels = tuple(
        PanelSpec(
            p.id,
            p.title,
            p.kind,
            _position(p),
            getattr(p, "description", "") or "",
            getattr(p, "threshold_on", "value") or "value",
        )
        for p in board.panels
    )
    return BoardSpec(
        name=board.name,
        title=board.title or board.name,
        refresh_s=float(getattr(board, "refresh_s", 60) or 60),
        range=getattr(board, "range", None) or "4h",
        provider=getattr(board, "provider", None),
        panels=panels,
        configs={p.id: p for p in board.panels},
    )


def from_snapshot(snapshot: Snapshot) -> BoardSpec:
    """From a Snapshot alone (headless export): positions come from the panel snapshots."""
    panels = tuple(PanelSpec(p.id, p.title, p.kind, p.position, p.description) for p in snapshot.panels)
    return BoardSpec(name=snapshot.board, title=snapshot.title, panels=panels)
