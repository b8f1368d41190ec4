"""Service-map panel body: services (rate, 4xx/5xx/429 %, p99) then the call paths between them, as text,
each marked with the status the core gave it."""

from __future__ import annotations

from collections.abc import Sequence

from rich.console import RenderableType
from rich.text import Text
from textual import events

from srvmon.fmt import STATUS_SYMBOL, ellipsize, fmt_value
from srvmon.model import PanelSeries, Row, ServiceEdge, ServiceNode
from srvmon.widgets.base import PanelBody, clean


def short_type(kind: str) -> str:
    """'AWS::Lambda::Function' -> 'Lambda::Function', 'AWS::DynamoDB::Table' -> 'DynamoDB::Table'."""
    return kind[5:] if kind.startswith("AWS::") else kind


def node_line(row: ServiceNode, name_w: int) -> list[tuple[str, str]]:
    """One service as (text, part) fragments; `part` is 'status', 'name', 'type' or 'figure'."""
    entry = "▸" if row.root else " "
    return [
        (STATUS_SYMBOL.get(row.status, " "), "status"),
        (f"{entry}{ellipsize(clean(row.name), name_w):<{name_w}}", "name"),
        (f" {ellipsize(clean(short_type(row.type)), 18):<18}", "type"),
        (f" {fmt_value(row.requests_per_s, 'req/s'):>11}", "figure"),
        (f"  4xx {fmt_value(row.error_pct, '%'):>5}", "figure"),
        (f"  5xx {fmt_value(row.fault_pct, '%'):>5}", "figure"),
        (f"  429 {fmt_value(row.throttle_pct, '%'):>5}", "figure"),
        (f"  p99 {fmt_value(row.p99_ms, 'ms'):>7}", "figure"),
    ]


def edge_line(row: ServiceEdge, name_w: int) -> list[tuple[str, str]]:
    """One call path as (text, part) fragments."""
    half = max(6, (name_w * 2 - 3) // 2)
    path = f"{ellipsize(clean(row.source), half)} → {ellipsize(clean(row.target), half)}"
    return [
        (STATUS_SYMBOL.get(row.status, " "), "status"),
        (f" {path:<{2 * half + 3}}", "name"),
        (f" {fmt_value(row.requests_per_s, 'req/s'):>11}", "figure"),
        (f"  4xx {fmt_value(row.error_pct, '%'):>5}", "figure"),
        (f"  5xx {fmt_value(row.fault_pct, '%'):>5}", "figure"),
        (f"  p99 {fmt_value(row.p99_ms, 'ms'):>7}", "figure"),
    ]


class ServiceMapView(PanelBody):
    """Services worst first (▸ marks an entry point), then `calls` source → target; j/k select a row."""

    selectable = True

    def items(self) -> Sequence[Row | PanelSeries]:
        rows = tuple(self.panel.rows or ()) if self.panel is not None else ()
        return tuple(r for r in rows if isinstance(r, ServiceNode)) + tuple(
            r for r in rows if isinstance(r, ServiceEdge)
        )

    def on_click(self, event: events.Click) -> None:
        line = event.y - 1
        nodes = sum(1 for r in self.items() if isinstance(r, ServiceNode))
        index = line if line < nodes else line - 1  # the "calls" heading sits between the two lists
        if 0 <= index < self.row_count() and line != nodes:
            self.cursor = index
            self.refresh()

    def render(self) -> RenderableType:
        p = self.panel
        if p is None:
            return Text("")
        items = self.items()
        nodes = [r for r in items if isinstance(r, ServiceNode)]
        edges = [r for r in items if isinstance(r, ServiceEdge)]
        width = max(30, self.size.width)
        name_w = min(32, max(10, width // 4))
        out = Text(no_wrap=True, overflow="ellipsis")
        bad = sum(1 for r in nodes if r.status in ("warn", "crit"))
        out.append(f"{len(nodes)} services, {bad} need attention · 4xx errors, 5xx faults, 429 throttles\n",
                   style=self.muted())  # fmt: skip
        room = max(1, self.size.height - 1)
        lines = 0
        shown: list[ServiceNode | ServiceEdge] = [*nodes, *edges]
        for i, row in enumerate(shown):
            if lines >= room:
                break
            if isinstance(row, ServiceEdge) and row is edges[0]:
                out.append("calls\n", style=self.muted())
                lines += 1
                if lines >= room:
                    break
            parts = node_line(row, name_w) if isinstance(row, ServiceNode) else edge_line(row, name_w)
            line = Text(no_wrap=True, overflow="ellipsis")
            for text, part in parts:
                if part == "status" or (part == "name" and row.status in ("warn", "crit")):
                    line.append(text, style=self.status_style(row.status, bold=part == "name"))
                elif part == "type":
                    line.append(text, style=self.muted())
                else:
                    line.append(text)
            if self.cursor == i:
                line.stylize("reverse")
            out.append_text(line)
            out.append("\n")
            lines += 1
        if not nodes:
            out.append("no traced requests in this window", style=self.muted())
        out.rstrip()
        return out
