"""Atomic file writes for exports: readers never see half a file, the target's permissions are respected,
and temp files never outlive their writer (removed on errors and signals, stale ones swept next time)."""

from __future__ import annotations

import contextlib
import os
import re
import tempfile
import time
from pathlib import Path

#: A temp file older than this with a dead writer is removed by the next write to the same directory.
STALE_AFTER_S = 600.0


class WriteError(OSError):
    """Why a target cannot be written, in words an operator can act on."""


def _temp_prefix(target: Path) -> str:
    return f".{target.name}.srvmon-{os.getpid()}-"


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def sweep_stale(directory: Path, name: str) -> int:
    """Remove temp files of earlier writes of `name` whose writer is gone; returns how many."""
    pattern = re.compile(rf"^\.{re.escape(name)}\.srvmon-(\d+)-.*\.tmp$")
    removed = 0
    with contextlib.suppress(OSError):
        for entry in os.scandir(directory):
            m = pattern.match(entry.name)
            if not m or int(m.group(1)) == os.getpid():
                continue
            with contextlib.suppress(OSError):
                old = time.time() - entry.stat(follow_symlinks=False).st_mtime > STALE_AFTER_S
                if not _alive(int(m.group(1))) or old:
                    os.unlink(entry.path)
                    removed += 1
    return removed


def check_target(path: str | os.PathLike[str]) -> Path:
    """The target as a Path, or WriteError saying why it cannot be written (before any work is done)."""
    target = Path(path)
    if target.is_dir():
        raise WriteError(f"{target} is a directory; give a file name, e.g. {target / 'board.json'}")
    parent = target.parent if str(target.parent) else Path(".")
    if not parent.is_dir():
        raise WriteError(f"{parent} does not exist; create it first or choose another path")
    # read-only by its mode (no write bit for anyone: also for root, who could write it anyway) or to us
    if (
        target.exists()
        and target.is_file()
        and (target.stat().st_mode & 0o222 == 0 or not os.access(target, os.W_OK))
    ):
        raise WriteError(f"{target} is read-only; srvmon does not replace files you cannot write")
    if not target.exists() and not os.access(parent, os.W_OK | os.X_OK):
        raise WriteError(f"cannot create files in {parent} (permission denied)")
    return target


def write_atomic(path: str | os.PathLike[str], text: str) -> None:
    """Write via a temp file in the same directory and rename, so readers never see half a file.

    Targets that exist but are not regular files (/dev/null, /dev/stdout, a FIFO) are written in
    place: renaming over them would replace the device or pipe with a plain file. A read-only
    target is refused, like a shell redirect would.
    """
    target = check_target(path)
    if target.exists() and not target.is_file():
        with open(target, "w", encoding="utf-8", newline="") as f:
            f.write(text)
        return
    directory = target.parent if str(target.parent) else Path(".")
    sweep_stale(directory, target.name)
    fd, tmp = tempfile.mkstemp(prefix=_temp_prefix(target), suffix=".tmp", dir=directory)
    try:
        # mkstemp makes 0600 files: keep the target's mode, or what a plain open() would give (umask)
        if target.exists():
            mode = target.stat().st_mode & 0o7777
        else:
            umask = os.umask(0)
            os.umask(umask)
            mode = 0o666 & ~umask
        os.chmod(tmp, mode)
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as f:
            f.write(text)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, target)
    except BaseException:  # errors, KeyboardInterrupt, SystemExit from SIGTERM: never leave the temp file
        Path(tmp).unlink(missing_ok=True)
        raise
