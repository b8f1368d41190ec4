"""Pictures of a Snapshot (SVG, HTML): the same board screen rendered headlessly, no terminal needed
(srvmon.tui.svg makes them self-contained and librsvg-safe).

The picture is a pure function of the Snapshot, the size, the zone and the theme: a snapshot reopened
from its JSON renders byte-identical SVG."""

from __future__ import annotations

import asyncio
import threading
from datetime import tzinfo

from srvmon.model import Snapshot
from srvmon.tui.svg import fix_svg, svg_to_html


async def _render(snapshot: Snapshot, size: tuple[int, int], hint: str | None, tz: tzinfo | None,
                  theme: str | None, layout: str = "auto") -> str:  # fmt: skip
    from srvmon.tui.app import open_saved

    app = open_saved(snapshot, source="", tz=tz, theme=theme, export=True, layout=layout)
    app.hint = hint
    app.export_mode = True
    async with app.run_test(size=size, notifications=False) as pilot:
        await pilot.pause()
        screen = app.board_screen
        if screen is not None:
            await screen.wait_idle()  # the snapshot has been applied
        await pilot.pause()
        return fix_svg(app.export_screenshot(title=f"srvmon {snapshot.title}"))


def render_svg(snapshot: Snapshot, size: tuple[int, int] = (160, 48), *, hint: str | None = None,
               tz: tzinfo | None = None, theme: str | None = None, layout: str = "auto") -> str:  # fmt: skip
    """The board for `snapshot` as an SVG of a `size` = (columns, lines) terminal."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(_render(snapshot, size, hint, tz, theme, layout))
    # Called from inside an event loop: render on a private loop in a helper thread.
    out: list[str] = []
    errors: list[BaseException] = []

    def run() -> None:
        try:
            out.append(asyncio.run(_render(snapshot, size, hint, tz, theme, layout)))
        except BaseException as exc:
            errors.append(exc)

    thread = threading.Thread(target=run)
    thread.start()
    thread.join()
    if errors:
        raise errors[0]
    return out[0]


def render_html(snapshot: Snapshot, size: tuple[int, int] = (160, 48), *, hint: str | None = None,
                tz: tzinfo | None = None, theme: str | None = None, layout: str = "auto") -> str:  # fmt: skip
    """A standalone HTML page of the board: selectable text in a <pre>, styled inline, nothing fetched."""
    svg = render_svg(snapshot, size, hint=hint, tz=tz, theme=theme, layout=layout)
    title = f"srvmon — {snapshot.title} — {snapshot.generated_at.isoformat()}"
    return svg_to_html(svg, size, title=title)
