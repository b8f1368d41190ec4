"""The wall (kiosk/TV) body: panels needing attention large at the top, critical first; healthy ones
shrunk to one-line sparkline rows below. No focus ring; the slideshow maximises each unhealthy panel."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, tzinfo

from textual.app import ComposeResult
from textual.containers import Grid, Vertical

from srvmon.model import PanelHead, PanelSnapshot
from srvmon.tui import layout
from srvmon.widgets.compact import CompactList
from srvmon.widgets.panel import PanelFrame

#: States shown large on the wall.
HOT = frozenset({"crit", "warn", "error", "stale"})
#: At most this share of the wall goes to the one-line healthy rows.
CALM_SHARE = 0.4


def columns_for(count: int) -> int:
    """Grid columns for `count` large panels (1, 2, 3 or 4)."""
    return 1 if count <= 1 else 2 if count <= 4 else 3 if count <= 9 else 4


class Wall(Vertical):
    """Large frames for the hot panels (attention order), a CompactList for the calm ones."""

    DEFAULT_CSS = """
    Wall { height: 1fr; }
    Wall > #wall-hot { height: 1fr; grid-gutter: 0 0; }
    Wall > #wall-calm { height: auto; border-top: solid $foreground 30%; }
    Wall PanelFrame { border: round $foreground 50%; }
    Wall PanelFrame.-warn { border: heavy $warning; }
    Wall PanelFrame.-crit, Wall PanelFrame.-error { border: heavy $error; }
    """

    def __init__(
        self, heads: Sequence[PanelHead], *, tz: tzinfo | None = None, id: str | None = None
    ) -> None:
        super().__init__(id=id)
        self.heads = list(heads)
        self.tz = tz
        self.hot: list[str] = []
        self.calm: list[str] = []
        self._available = 0

    def compose(self) -> ComposeResult:
        frames = []
        for head in self.heads:
            frame = PanelFrame(head, tz=self.tz)
            frame.can_focus = False  # no focus ring on a wall
            frames.append(frame)
        yield Grid(*frames, id="wall-hot")
        yield CompactList(tz=self.tz, selectable=False, id="wall-calm")

    def frames(self) -> dict[str, PanelFrame]:
        return {f.panel_id: f for f in self.query(PanelFrame)}

    def show_panels(self, panels: dict[str, PanelSnapshot], now: datetime | None) -> None:
        """Split the panels into hot (large, critical first) and calm (one line each) for this snapshot."""
        ordered = layout.by_attention(self.heads, panels)
        hot = [h.id for h in ordered if layout.state_of(panels.get(h.id)) in HOT]
        calm = [h for h in ordered if h.id not in hot]
        grid = self.query_one("#wall-hot", Grid)
        frames = self.frames()
        if hot != self.hot:
            for pid, frame in frames.items():
                frame.display = pid in hot
            for pid in reversed(hot):  # each to the front: the hot ones end up first, in attention order
                if grid.children and grid.children[0] is not frames[pid]:
                    grid.move_child(frames[pid], before=0)
            self.hot = hot
        self.calm = [h.id for h in calm]
        self.query_one("#wall-calm", CompactList).show(calm, panels, now)
        self.fit_lines(self._available)

    def fit_lines(self, available: int) -> None:
        """Give the calm rows their lines (up to CALM_SHARE of the wall) and the hot grid the rest."""
        self._available = available
        if available <= 0:
            return
        calm_lines = min(len(self.calm), int(available * CALM_SHARE)) if self.hot else len(self.calm)
        calm_box = self.query_one("#wall-calm", CompactList)
        calm_box.styles.max_height = calm_lines + 1 if calm_lines else 0
        calm_box.display = bool(self.calm)
        grid = self.query_one("#wall-hot", Grid)
        grid.display = bool(self.hot)
        if not self.hot:
            return
        cols = columns_for(len(self.hot))
        rows = -(-len(self.hot) // cols)
        frames = self.frames()
        short = len(self.hot) % cols
        for i, pid in enumerate(self.hot):
            # the last row's panels share its whole width (no empty cells on a wall)
            last_row = short and i >= len(self.hot) - short
            span = cols // short + (1 if i - (len(self.hot) - short) < cols % short else 0) if last_row else 1
            frames[pid].styles.column_span = span
        grid.styles.grid_size_columns = cols
        grid.styles.grid_size_rows = rows
        grid.styles.grid_rows = "1fr"
