"""The board catalog in the store: every board's layout (BoardInfo) as plain JSON, so a viewer can lay a
board out without the config, the providers or any credential."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from srvmon.model import BoardInfo, PanelHead, PanelPosition

CATALOG_VERSION = 1


def catalog_doc(infos: Sequence[BoardInfo], *, server: str) -> dict[str, Any]:
    return {
        "version": CATALOG_VERSION,
        "server": server,
        "boards": [
            {
                "name": b.name,
                "title": b.title,
                "range": b.range,
                "refresh_s": b.refresh_s,
                "panels": [
                    {
                        "id": p.id,
                        "title": p.title,
                        "kind": p.kind,
                        "position": None
                        if p.position is None
                        else [p.position.row, p.position.col, p.position.width, p.position.height],
                        "description": p.description,
                        "provider": p.provider,
                    }
                    for p in b.panels
                ],
            }
            for b in infos
        ],
    }


def boards_from(doc: Mapping[str, Any]) -> list[BoardInfo]:
    """The BoardInfos of a catalog; ValueError when it is not one this version reads."""
    if doc.get("version") != CATALOG_VERSION:
        raise ValueError(f"board catalog version {doc.get('version')!r}; this srvmon reads {CATALOG_VERSION}")
    out = []
    for b in doc.get("boards") or ():
        heads = []
        for p in b.get("panels") or ():
            pos = p.get("position")
            heads.append(PanelHead(str(p["id"]), str(p["title"]), str(p["kind"]),
                                   None if pos is None else PanelPosition(*(int(x) for x in pos)),
                                   str(p.get("description") or ""), str(p.get("provider") or "")))  # fmt: skip
        out.append(
            BoardInfo(str(b["name"]), str(b["title"]), str(b["range"]), float(b["refresh_s"]), tuple(heads))
        )
    return out
