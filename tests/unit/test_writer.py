"""Atomic exports: readers never see half a file, permissions are respected, temp files never outlive a writer."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from srvmon.writer import WriteError, check_target, sweep_stale, write_atomic


def test_replaces_atomically_and_keeps_the_mode(tmp_path: Path) -> None:
    target = tmp_path / "out.json"
    target.write_text("old")
    target.chmod(0o640)
    write_atomic(target, "new")
    assert target.read_text() == "new" and (target.stat().st_mode & 0o777) == 0o640
    assert os.listdir(tmp_path) == ["out.json"]


def test_a_read_only_target_is_refused_like_a_shell_redirect(tmp_path: Path) -> None:
    target = tmp_path / "mine.json"
    target.write_text("keep me")
    target.chmod(0o444)  # read-only by its mode: refused even for root, who could write it anyway
    with pytest.raises(WriteError, match="read-only"):
        write_atomic(target, "overwritten?")
    assert target.read_text() == "keep me"


def test_targets_that_cannot_be_written_are_named(tmp_path: Path) -> None:
    with pytest.raises(WriteError, match="is a directory"):
        check_target(tmp_path)
    with pytest.raises(WriteError, match="does not exist"):
        check_target(tmp_path / "missing" / "x.json")


def test_stale_temp_files_of_dead_writers_are_swept(tmp_path: Path) -> None:
    dead = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True
    )
    pid = int(dead.stdout)
    stale = tmp_path / f".out.json.srvmon-{pid}-abc.tmp"
    stale.write_text("half")
    mine = tmp_path / f".out.json.srvmon-{os.getpid()}-def.tmp"
    mine.write_text("in progress")
    other = tmp_path / ".notes.txt.srvmon-1-x.tmp"
    other.write_text("another file's")
    assert sweep_stale(tmp_path, "out.json") == 1
    assert not stale.exists() and mine.exists() and other.exists()


def test_sigterm_mid_write_leaves_no_temp_file(tmp_path: Path) -> None:
    """A writer killed by SIGTERM (the CLI's handler unwinds like Ctrl-C) removes its temp file."""
    target = tmp_path / "big.txt"
    code = (
        "import sys, time; from srvmon.cli import _exit_on_sigterm; from srvmon import writer\n"
        "_exit_on_sigterm()\n"
        "class Slow(str):\n"
        "    pass\n"
        "orig = writer.os.fsync\n"
        "def slow_fsync(fd):\n"
        "    print('writing', flush=True); time.sleep(30)\n"
        "writer.os.fsync = slow_fsync\n"
        f"writer.write_atomic({str(target)!r}, 'x' * 1000)\n"
    )
    proc = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True)
    assert proc.stdout is not None and proc.stdout.readline().strip() == "writing"
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(timeout=10) == 128 + signal.SIGTERM
    assert os.listdir(tmp_path) == [], os.listdir(tmp_path)
