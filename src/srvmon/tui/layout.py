"""Grid placement from panel positions (12 columns), and the one-column reflow for narrow terminals."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from srvmon.model import PanelHead as PanelSpec

COLUMNS = 12
#: Below this many terminal columns the board reflows to one scrolling column.
MIN_GRID_WIDTH = 100
#: Minimum lines per grid row unit (a stat panel: border + big digits + delta).
MIN_ROW_HEIGHT = 7
#: Lines a panel gets in the one-column layout, by kind.
NARROW_HEIGHT = {
    "stat": 8,
    "gauge": 7,
    "timeseries": 14,
    "toplist": 12,
    "alarms": 8,
    "cost": 14,
    "health": 12,
    "logs": 10,
}


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


def row_height(available_lines: int, rows: int) -> int:
    """Lines per grid row: fill the screen when it is tall enough, else MIN_ROW_HEIGHT and scroll."""
    if rows <= 0:
        return MIN_ROW_HEIGHT
    return max(MIN_ROW_HEIGHT, available_lines // rows)


def narrow(width: int) -> bool:
    return width < MIN_GRID_WIDTH


def narrow_height(spec: PanelSpec) -> int:
    base = NARROW_HEIGHT.get(spec.kind, 8)
    if spec.position is not None and spec.position.height > 1 and spec.kind not in ("stat", "gauge"):
        base += 4 * (spec.position.height - 1)
    return base
