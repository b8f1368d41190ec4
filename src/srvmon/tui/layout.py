"""Board layouts: grid placement from panel positions (12 columns) with row heights fitted to the screen,
the choice between grid and compact (one line per panel), and the attention order compact and wall use."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from srvmon import kinds
from srvmon.model import PanelHead as PanelSpec
from srvmon.model import PanelSnapshot

COLUMNS = 12
#: Below this many terminal columns the board shows the compact layout (auto mode).
MIN_GRID_WIDTH = 100
#: Attention rank of a panel state: critical first, then warnings, failures, no data, healthy, loading.
ATTENTION = {"crit": 0, "warn": 1, "error": 2, "stale": 2, "nodata": 3, "ok": 4, "loading": 5}


@dataclass(frozen=True)
class Cell:
    """One grid child in row-major order: a panel (with spans) or an empty 1x1 spacer."""

    panel: PanelSpec | None
    col: int
    row: int
    width: int = 1
    height: int = 1


def place(panels: Sequence[PanelSpec]) -> tuple[list[Cell], int]:
    """Cells in the order Textual's grid auto-placement needs to reproduce the positions, and row count.

    Panels without a position, or overlapping an earlier one, are placed after the others (4 wide) so
    nothing is dropped silently.
    """
    taken: dict[tuple[int, int], str] = {}
    placed: list[Cell] = []
    leftovers: list[PanelSpec] = []
    for spec in sorted(
        panels,
        key=lambda s: (
            s.position is None,
            s.position.row if s.position else 0,
            s.position.col if s.position else 0,
        ),
    ):
        pos = spec.position
        if pos is None:
            leftovers.append(spec)
            continue
        width = max(1, min(pos.width, COLUMNS - min(pos.col, COLUMNS - 1)))
        cells = {(pos.col + c, pos.row + r) for c in range(width) for r in range(max(1, pos.height))}
        if any(cell in taken for cell in cells):
            leftovers.append(spec)
            continue
        for cell in cells:
            taken[cell] = spec.id
        placed.append(Cell(spec, min(pos.col, COLUMNS - 1), pos.row, width, max(1, pos.height)))
    row = max((c.row + c.height for c in placed), default=0)
    col, line_h = 0, 1
    for spec in leftovers:
        width = min(COLUMNS, spec.position.width if spec.position else 4)
        height = spec.position.height if spec.position else 1
        if col + width > COLUMNS:
            row, col, line_h = row + line_h, 0, 1
        for c in range(width):
            for r in range(height):
                taken[(col + c, row + r)] = spec.id
        placed.append(Cell(spec, col, row, width, height))
        col, line_h = col + width, max(line_h, height)
    total_rows = max((c.row + c.height for c in placed), default=0)
    starts = {(c.col, c.row): c for c in placed}
    ordered: list[Cell] = []
    for r in range(total_rows):
        for c in range(COLUMNS):
            if (c, r) in starts:
                ordered.append(starts[(c, r)])
            elif (c, r) not in taken:
                ordered.append(Cell(None, c, r))
    return ordered, total_rows


def row_needs(cells: Sequence[Cell], rows: int) -> tuple[list[int], list[int]]:
    """(minimum, wanted) lines per grid row: the largest share of any panel covering that row."""
    low = [2] * rows
    want = [2] * rows
    for cell in cells:
        if cell.panel is None:
            continue
        lo, hi = kinds.traits(cell.panel.kind).lines  # one grid row's need; a taller panel spreads it
        per_lo = -(-lo // cell.height)
        per_hi = -(-hi // cell.height)
        for r in range(cell.row, min(rows, cell.row + cell.height)):
            low[r] = max(low[r], per_lo)
            want[r] = max(want[r], per_hi)
    return low, want


def fit_rows(cells: Sequence[Cell], rows: int, available: int) -> list[int] | None:
    """Lines for each grid row so the whole board fills `available` lines; None when even the minimum
    heights do not fit (the caller shows the compact layout, or scrolls a forced grid).

    Every row gets its minimum; the lines left go first to the rows furthest below what they want (in
    proportion), then evenly, so a wall screen is filled and a laptop screen shows everything."""
    if rows <= 0:
        return []
    low, want = row_needs(cells, rows)
    if sum(low) > available:
        return None
    heights = list(low)
    spare = available - sum(heights)
    deficit = [w - h for w, h in zip(want, heights, strict=True)]
    total = sum(deficit)
    if total > 0 and spare > 0:
        give = min(spare, total)
        shares = [give * d / total for d in deficit]
        floors = [int(s) for s in shares]
        for i, f in enumerate(floors):
            heights[i] += f
        left = give - sum(floors)
        for i in sorted(range(rows), key=lambda i: shares[i] - floors[i], reverse=True)[:left]:
            heights[i] += 1
        spare -= give
    for i in range(spare):
        heights[i % rows] += 1
    return heights


def min_heights(cells: Sequence[Cell], rows: int) -> list[int]:
    """The minimum line count of each row (a forced grid that does not fit scrolls at these)."""
    return row_needs(cells, rows)[0]


def choose(layout: str, width: int, height: int, cells: Sequence[Cell], rows: int) -> str:
    """'grid' or 'compact' for `layout` ('auto' decides: compact when narrower than MIN_GRID_WIDTH or when
    the grid's minimum heights do not fit `height` lines)."""
    if layout in ("grid", "compact"):
        return layout
    if width < MIN_GRID_WIDTH:
        return "compact"
    return "grid" if fit_rows(cells, rows, height) is not None else "compact"


def state_of(panel: PanelSnapshot | None) -> str:
    """The attention state of a panel: loading, stale, or its status."""
    if panel is None:
        return "loading"
    if panel.stale:
        return "stale"
    return panel.status


def by_attention(heads: Sequence[PanelSpec], panels: dict[str, PanelSnapshot]) -> list[PanelSpec]:
    """Panels in attention order (critical, warning, failing, no data, healthy), board order within each."""
    order = {h.id: i for i, h in enumerate(heads)}
    return sorted(heads, key=lambda h: (ATTENTION.get(state_of(panels.get(h.id)), 5), order[h.id]))
