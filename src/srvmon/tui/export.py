"""Headless SVG/HTML export: the same board widgets rendered from a Snapshot, no terminal needed."""

from __future__ import annotations

import asyncio
import html
import threading
from datetime import tzinfo

from srvmon.clock import FrozenClock
from srvmon.model import Snapshot


async def _render(
    snapshot: Snapshot, size: tuple[int, int], hint: str | None, tz: tzinfo | None, theme: str | None
) -> str:
    from srvmon.tui.app import SrvmonApp
    from srvmon.tui.refresher import StaticSource
    from srvmon.tui.spec import from_snapshot

    source = StaticSource(snapshot)
    app = SrvmonApp(
        [from_snapshot(snapshot)],
        lambda spec: source,
        clock=FrozenClock(snapshot.generated_at),
        hint=hint,
        tz=tz,
        theme=theme,
        live_refresh=False,
    )
    app.export_mode = True
    async with app.run_test(size=size, notifications=False) as pilot:
        await pilot.pause()
        await app.workers.wait_for_complete()
        await pilot.pause()
        await pilot.pause()
        return app.export_screenshot(title=f"srvmon {snapshot.title}")


def render_svg(
    snapshot: Snapshot,
    size: tuple[int, int] = (160, 48),
    *,
    hint: str | None = None,
    tz: tzinfo | None = None,
    theme: str | None = None,
) -> str:
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


def render_html(
    snapshot: Snapshot,
    size: tuple[int, int] = (160, 48),
    *,
    hint: str | None = None,
    tz: tzinfo | None = None,
    theme: str | None = None,
) -> str:
    """A standalone HTML page with the board SVG inline."""
    svg = render_svg(snapshot, size, hint=hint, tz=tz, theme=theme)
    title = html.escape(f"srvmon — {snapshot.title} — {snapshot.generated_at.isoformat()}")
    return (
        '<!doctype html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        f"<title>{title}</title>\n</head>\n<body>\n{svg}\n</body>\n</html>\n"
    )
