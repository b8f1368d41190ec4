"""Dashboard grids -> srvmon's 12-column grid: x/width halved from 24 columns, heights in grid rows
(`row_unit` source units per srvmon row), overlaps pushed down, unplaced items flowed after the rest."""

from __future__ import annotations

from collections.abc import Sequence

Box = tuple[int, int, int, int]  # x, y, w, h in source units
Pos = tuple[int, int, int, int]  # row, col, width, height on srvmon's grid

COLUMNS = 12
MAX_HEIGHT = 6


def _edge(v: float) -> int:
    return int(v + 0.5)


def _to_grid(box: Box, row_unit: float, source_columns: int) -> Pos:
    """Both edges of a box are mapped (so neighbours stay neighbours): 24 -> 12 columns, `row_unit`
    source units per srvmon row; at least one column/row, at most MAX_HEIGHT rows."""
    x, y, w, h = (max(0, int(v)) for v in box)
    scale = COLUMNS / source_columns
    col = min(COLUMNS - 1, _edge(x * scale))
    width = max(1, min(COLUMNS - col, _edge((x + max(1, w)) * scale) - col))
    row = _edge(y / row_unit)
    height = max(1, min(MAX_HEIGHT, _edge((y + max(1, h)) / row_unit) - row))
    return row, col, width, height


def _overlaps(a: Pos, b: Pos) -> bool:
    ar, ac, aw, ah = a
    br, bc, bw, bh = b
    return ar < br + bh and br < ar + ah and ac < bc + bw and bc < ac + aw


def place(boxes: Sequence[Box | None], row_unit: float, source_columns: int = 24) -> list[Pos]:
    """srvmon positions for `boxes` (None = no position in the source: flowed left to right after the
    placed ones). Order and relative placement are kept; nothing overlaps."""
    wanted: list[tuple[int, Pos | None]] = [
        (i, _to_grid(b, row_unit, source_columns) if b is not None else None) for i, b in enumerate(boxes)
    ]
    placed: dict[int, Pos] = {}
    taken: list[Pos] = []
    for i, pos in sorted((w for w in wanted if w[1] is not None), key=lambda w: (w[1][0], w[1][1], w[0])):  # type: ignore[index]
        assert pos is not None
        row, col, width, height = pos
        while any(_overlaps((row, col, width, height), t) for t in taken):
            row += 1
        placed[i] = (row, col, width, height)
        taken.append(placed[i])
    flow_row = max((r + h for r, _, _, h in taken), default=0)
    flow_col = 0
    for i, pos in wanted:
        if pos is not None:
            continue
        width = 4
        if flow_col + width > COLUMNS:
            flow_row, flow_col = flow_row + 1, 0
        placed[i] = (flow_row, flow_col, width, 1)
        flow_col += width
    return [placed[i] for i in range(len(boxes))]
