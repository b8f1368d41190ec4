"""Pictures of a Snapshot (SVG, HTML): the same board screen rendered headlessly, no terminal needed.

The picture is a pure function of the Snapshot, the size, the zone and the theme: a snapshot reopened
from its JSON renders byte-identical SVG."""

from __future__ import annotations

import asyncio
import html
import threading
from datetime import tzinfo

from srvmon.model import Snapshot


async def _render(snapshot: Snapshot, size: tuple[int, int], hint: str | None, tz: tzinfo | None,
                  theme: str | None) -> str:  # fmt: skip
    from srvmon.tui.app import open_saved

    app = open_saved(snapshot, source="", tz=tz, theme=theme, export=True)
    app.hint = hint
    app.export_mode = True
    async with app.run_test(size=size, notifications=False) as pilot:
        await pilot.pause()
        screen = app.board_screen
        if screen is not None:
            await screen.wait_idle()  # the snapshot has been applied
        await pilot.pause()
        return app.export_screenshot(title=f"srvmon {snapshot.title}")


def render_svg(snapshot: Snapshot, size: tuple[int, int] = (160, 48), *, hint: str | None = None,
               tz: tzinfo | None = None, theme: str | None = None) -> str:  # fmt: skip
    """The board for `snapshot` as an SVG of a `size` = (columns, lines) terminal."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(_render(snapshot, size, hint, tz, theme))
    # Called from inside an event loop: render on a private loop in a helper thread.
    out: list[str] = []
    errors: list[BaseException] = []

    def run() -> None:
        try:
            out.append(asyncio.run(_render(snapshot, size, hint, tz, theme)))
        except BaseException as exc:
            errors.append(exc)

    thread = threading.Thread(target=run)
    thread.start()
    thread.join()
    if errors:
        raise errors[0]
    return out[0]


def render_html(snapshot: Snapshot, size: tuple[int, int] = (160, 48), *, hint: str | None = None,
                tz: tzinfo | None = None, theme: str | None = None) -> str:  # fmt: skip
    """A standalone HTML page with the board SVG inline."""
    svg = render_svg(snapshot, size, hint=hint, tz=tz, theme=theme)
    title = html.escape(f"srvmon — {snapshot.title} — {snapshot.generated_at.isoformat()}")
    return (
        '<!doctype html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        f"<title>{title}</title>\n</head>\n<body>\n{svg}\n</body>\n</html>\n"
    )
