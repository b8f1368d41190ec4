"""One ssh session's viewer process: take the PTY on stdin as controlling terminal (so resizes arrive as
SIGWINCH and a hang-up as SIGHUP), then run `srvmon attach` with the arguments given.

A hang-up always ends it: SIGHUP and SIGTERM are set back to their default first, because a server started
under `nohup` (or by a shell that ignores them) hands its children the ignored signals, and a viewer whose
terminal is gone would otherwise live on (Textual's input thread spinning on the dead terminal)."""

from __future__ import annotations

import contextlib
import fcntl
import signal
import sys
import termios


def main() -> int:
    for sig in (signal.SIGHUP, signal.SIGTERM):
        signal.signal(sig, signal.SIG_DFL)
    # The server started this process in a new session (it is the session leader): claim the terminal.
    with contextlib.suppress(OSError):
        fcntl.ioctl(0, termios.TIOCSCTTY, 0)
    from srvmon.cli import main as cli_main

    return cli_main(["attach", *sys.argv[1:]])


if __name__ == "__main__":
    sys.exit(main())
