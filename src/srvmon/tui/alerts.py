"""`--on-crit`: when a panel newly turns critical, ring the terminal bell or run the operator's command
(in a daemon thread, with a deadline; the panel is passed in environment variables, never in a shell)."""

from __future__ import annotations

import contextlib
import os
import shlex
import subprocess
import threading
from collections.abc import Callable
from typing import Any

from srvmon.model import Snapshot

#: Seconds an --on-crit command may run before it is killed.
COMMAND_TIMEOUT_S = 30.0


def newly_critical(previous: Snapshot | None, snapshot: Snapshot) -> list[str]:
    """Ids of panels critical in `snapshot` that were not in `previous` (none for the first snapshot:
    starting srvmon is not a transition)."""
    if previous is None:
        return []
    before = {p.id: p.status for p in previous.panels}
    return [p.id for p in snapshot.panels if p.status == "crit" and before.get(p.id, "crit") != "crit"]


class CritWatch:
    """Rings (or runs `command`) once per panel transition to critical."""

    def __init__(self, command: str | None, *, bell: bool,
                 runner: Callable[[list[str], dict[str, str], Callable[[str], None]], Any] | None = None) -> None:  # fmt: skip
        self.argv = shlex.split(command) if command else None
        self.bell = bell
        self.runner = runner or _run_detached
        self.fired: list[str] = []
        #: The hook threads started (tests join them).
        self.threads: list[threading.Thread] = []

    def check(self, app: Any, previous: Snapshot | None, snapshot: Snapshot) -> None:
        ids = newly_critical(previous, snapshot)
        if not ids:
            return
        self.fired.extend(ids)
        titles = {p.id: p.title for p in snapshot.panels}
        if self.argv is None:
            if self.bell:
                app.bell()
            return
        for pid in ids:
            env = {
                **os.environ,
                "SRVMON_BOARD": snapshot.board,
                "SRVMON_PANEL": pid,
                "SRVMON_TITLE": titles.get(pid, pid),
                "SRVMON_STATUS": "crit",
                "SRVMON_TIME": snapshot.generated_at.isoformat(),
            }
            started = self.runner(list(self.argv), env, lambda why: _report(app, why))
            if isinstance(started, threading.Thread):
                self.threads = [t for t in self.threads if t.is_alive()] + [started]


def _report(app: Any, why: str) -> None:
    with contextlib.suppress(Exception):  # the app is gone (quitting): nothing left to tell
        app.call_from_thread(app.notify, f"--on-crit: {why}", severity="error", timeout=8)


def _run_detached(argv: list[str], env: dict[str, str], report: Callable[[str], None]) -> threading.Thread:
    """Run the hook on a daemon thread; a failure is reported on screen, never raised into the board."""

    def run() -> None:
        try:
            done = subprocess.run(argv, env=env, timeout=COMMAND_TIMEOUT_S, check=False,  # noqa: S603
                                  stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                  stderr=subprocess.DEVNULL)  # fmt: skip
        except subprocess.TimeoutExpired:
            report(f"{argv[0]} ran longer than {COMMAND_TIMEOUT_S:.0f}s and was stopped")
        except OSError as exc:
            report(f"cannot run {argv[0]}: {exc.strerror or exc}")
        else:
            if done.returncode:
                report(f"{argv[0]} exited {done.returncode}")

    thread = threading.Thread(target=run, name="srvmon-on-crit", daemon=True)
    thread.start()
    return thread
