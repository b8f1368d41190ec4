"""The ssh front of `srvmon serve` (asyncssh): public-key logins only; each session is its own `srvmon
attach` process on its own PTY (one crashed viewer never hurts another). No shell, no commands, no
subsystems, no forwarding of ports, agents or X11; a PTY is required; window changes resize the viewer;
a disconnect ends its process. The login name picks the board (`ssh BOARD@host`, `ssh BOARD+1d@host`)."""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import logging
import os
import re
import signal
import struct
import subprocess
import sys
import termios
import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import asyncssh

from srvmon.model import RANGES
from srvmon.serve.keys import AuthorizedKey, KeyFileError, authorized_keys

log = logging.getLogger("srvmon.serve.ssh")

#: Bytes read from a viewer's PTY at once.
CHUNK = 65536
#: What TERM a session gets when the client sends none (or one that is not a plain name): 16 colours.
FALLBACK_TERM = "xterm"
_TERM_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._+-]{0,63}")
_LOCALE_RE = re.compile(r"[A-Za-z0-9_.@-]{1,64}")
#: Seconds a viewer gets to exit after a hang-up before it is killed.
GRACE_S = 2.0


@dataclass
class SshConfig:
    store_url: str
    boards: Sequence[str]
    authorized_keys: Path
    max_sessions: int = 20
    idle_timeout_s: float | None = None
    #: The viewer command (the child module with the interpreter running this server).
    python: str = sys.executable
    extra_env: dict[str, str] = field(default_factory=dict)


def viewer_env(
    term: str | None, client_env: dict[str, str], origin: str, extra: dict[str, str]
) -> dict[str, str]:
    """The viewer's whole environment, built from an allowlist: nothing of the server's own (no cloud
    credential, no config path) reaches it; TERM and COLORTERM come from the client, checked."""
    env = {
        "PATH": os.environ.get("PATH", "/usr/local/bin:/usr/bin:/bin"),
        "HOME": os.environ.get("HOME", "/"),
    }
    env["TERM"] = (
        term if term and _TERM_RE.fullmatch(term) and term not in ("dumb", "unknown") else FALLBACK_TERM
    )
    colorterm = client_env.get("COLORTERM", "")
    if colorterm in ("truecolor", "24bit"):
        env["COLORTERM"] = colorterm
    for name in ("LANG", "LC_ALL", "LC_CTYPE"):
        value = client_env.get(name) or os.environ.get(name)
        if value and _LOCALE_RE.fullmatch(value):
            env[name] = value
    env.setdefault("LANG", "C.UTF-8")
    for name in ("TZ", "SRVMON_NOW"):
        if os.environ.get(name):
            env[name] = os.environ[name]
    env["SRVMON_VIEWER_ORIGIN"] = origin
    env.update(extra)
    return env


def board_for(username: str, boards: Sequence[str]) -> tuple[str | None, str | None]:
    """`BOARD` or `BOARD+RANGE` -> (board or None for the default, range or None)."""
    name, _, rng = username.partition("+")
    return (name if name in boards else None), (rng if rng in RANGES else None)


class Hub:
    """Server-wide state: configuration and the open sessions."""

    def __init__(self, cfg: SshConfig) -> None:
        self.cfg = cfg
        self.sessions: dict[str, ViewerSession] = {}
        self._idle_task: asyncio.Task[None] | None = None

    def start_idle_watch(self) -> None:
        if self.cfg.idle_timeout_s:
            self._idle_task = asyncio.get_running_loop().create_task(
                self._idle_watch(self.cfg.idle_timeout_s)
            )

    async def _idle_watch(self, timeout_s: float) -> None:
        while True:
            await asyncio.sleep(min(30.0, timeout_s / 4))
            now = time.monotonic()
            for s in list(self.sessions.values()):
                if now - s.last_input >= timeout_s:
                    s.close_idle(timeout_s)

    def status(self) -> list[dict[str, Any]]:
        return [s.info() for s in self.sessions.values()]

    def close(self) -> None:
        if self._idle_task is not None:
            self._idle_task.cancel()
        for s in list(self.sessions.values()):
            s.hang_up()

    async def shutdown(self) -> None:
        """Hang up every session and wait for its viewer to go before the server exits (`hang_up` SIGKILLs
        one still there after GRACE_S): the server never leaves a viewer behind it."""
        procs = [s.proc for s in self.sessions.values() if s.proc is not None]
        self.close()
        deadline = time.monotonic() + GRACE_S + 1.0
        while any(p.poll() is None for p in procs) and time.monotonic() < deadline:
            await asyncio.sleep(0.05)


class Front(asyncssh.SSHServer):
    """One client connection: public-key authentication against the authorized keys, then sessions."""

    def __init__(self, hub: Hub) -> None:
        self.hub = hub
        self.conn: asyncssh.SSHServerConnection | None = None
        self.peer = "?"
        self.username = ""
        self.key: AuthorizedKey | None = None
        self.tried: list[str] = []
        self._keys: dict[bytes, AuthorizedKey] = {}

    def connection_made(self, conn: asyncssh.SSHServerConnection) -> None:
        self.conn = conn
        peer = conn.get_extra_info("peername")
        self.peer = f"{peer[0]}:{peer[1]}" if peer else "?"

    def connection_lost(self, exc: Exception | None) -> None:
        if self.key is None:
            log.info("ssh refused: peer=%s user=%r no authorized key (offered: %s)", self.peer, self.username,
                     ", ".join(self.tried) or "none")  # fmt: skip

    def begin_auth(self, username: str) -> bool:
        self.username = username
        try:
            self._keys = authorized_keys(self.hub.cfg.authorized_keys)
        except KeyFileError as exc:
            log.error("ssh: %s; refusing every login until it is fixed", exc)
            self._keys = {}
        return True

    def password_auth_supported(self) -> bool:
        return False

    def kbdint_auth_supported(self) -> bool:
        return False

    def host_based_auth_supported(self) -> bool:
        return False

    def public_key_auth_supported(self) -> bool:
        return True

    def validate_public_key(self, username: str, key: asyncssh.SSHKey) -> bool:
        found = self._keys.get(key.public_data)
        if found is None:
            self.tried.append(key.get_fingerprint())
            return False
        self.key = found
        return True

    def session_requested(self) -> ViewerSession:
        if len(self.hub.sessions) >= self.hub.cfg.max_sessions:
            log.warning("ssh refused: peer=%s key=%s: %d sessions already open", self.peer,
                        self.key.fingerprint if self.key else "?", len(self.hub.sessions))  # fmt: skip
            raise asyncssh.ChannelOpenError(asyncssh.OPEN_ADMINISTRATIVELY_PROHIBITED,
                                            f"srvmon: {self.hub.cfg.max_sessions} sessions are open; try later")  # fmt: skip
        return ViewerSession(self.hub, self)

    # no forwarding of any kind: refused with a reason the client prints
    def connection_requested(self, *args: Any) -> bool:
        return self._refuse("port forwarding")

    def server_requested(self, *args: Any) -> bool:
        return self._refuse("remote port forwarding")

    def unix_connection_requested(self, *args: Any) -> bool:
        return self._refuse("socket forwarding")

    def unix_server_requested(self, *args: Any) -> bool:
        return self._refuse("remote socket forwarding")

    def tun_requested(self, *args: Any) -> bool:
        return self._refuse("tunnelling")

    def tap_requested(self, *args: Any) -> bool:
        return self._refuse("tunnelling")

    def _refuse(self, what: str) -> bool:
        log.warning(
            "ssh refused: peer=%s key=%s %s", self.peer, self.key.fingerprint if self.key else "?", what
        )
        raise asyncssh.ChannelOpenError(
            asyncssh.OPEN_ADMINISTRATIVELY_PROHIBITED, f"srvmon: {what} is disabled"
        )


class ViewerSession(asyncssh.SSHServerSession):  # type: ignore[type-arg]
    """A shell request runs the viewer on a PTY; anything else is refused."""

    def __init__(self, hub: Hub, front: Front) -> None:
        self.hub = hub
        self.front = front
        self.id = uuid.uuid4().hex[:8]
        self.chan: Any = None
        self.term: str | None = None
        self.size = (80, 24, 0, 0)
        self.master: int | None = None
        self.proc: subprocess.Popen[bytes] | None = None
        self.started = time.time()
        self.last_input = time.monotonic()
        self.board: str | None = None
        self._reading = False
        self._ended = False
        self._hung = False

    # -- requests ---------------------------------------------------------------------------------
    def connection_made(self, chan: Any) -> None:
        self.chan = chan

    def pty_requested(self, term_type: str, term_size: tuple[int, int, int, int], term_modes: Any) -> bool:
        self.term = term_type
        self.size = term_size
        return True

    def shell_requested(self) -> bool:
        return True

    def exec_requested(self, command: str) -> bool:
        log.warning("ssh refused: peer=%s key=%s exec request %r: this server runs no commands",
                    self.front.peer, self._fp(), command[:60])  # fmt: skip
        return False

    def subsystem_requested(self, subsystem: str) -> bool:
        log.warning("ssh refused: peer=%s key=%s subsystem %r", self.front.peer, self._fp(), subsystem[:40])
        return False

    def session_started(self) -> None:
        if self.term is None:
            self.chan.write_stderr(b"srvmon: this server shows a terminal board; connect with a terminal "
                                   b"(ssh -t, without -T)\r\n")  # fmt: skip
            self.chan.exit(1)
            return
        self.hub.sessions[self.id] = self
        try:
            self._spawn()
        except OSError as exc:
            log.error("ssh session %s: cannot start the viewer: %s", self.id, exc)
            self.chan.write_stderr(b"srvmon: the viewer could not start; see the serve log\r\n")
            self._end(1)

    def _fp(self) -> str:
        return self.front.key.fingerprint if self.front.key else "?"

    # -- the viewer process -----------------------------------------------------------------------
    def _spawn(self) -> None:
        cfg = self.hub.cfg
        board, rng = board_for(self.front.username, cfg.boards)
        self.board = board or (cfg.boards[0] if cfg.boards else None)
        argv = [cfg.python, "-m", "srvmon.serve.child"]  # the store URL goes in the environment, not in ps
        if board:
            argv += ["--board", board]
        if rng:
            argv += ["--range", rng]
        master, slave = os.openpty()
        try:
            _set_size(slave, self.size)
            env = viewer_env(self.term, dict(self.chan.get_environment()), f"ssh {self._fp()}",
                             {**cfg.extra_env, "SRVMON_STORE": cfg.store_url})  # fmt: skip
            self.proc = subprocess.Popen(argv, stdin=slave, stdout=slave, stderr=slave, env=env, close_fds=True,
                                         start_new_session=True, cwd=env["HOME"])  # fmt: skip
        except BaseException:
            os.close(master)
            raise
        finally:
            os.close(slave)
        self.master = master
        os.set_blocking(master, False)
        self._resume()
        log.info("ssh session start id=%s peer=%s user=%r key=%s (%s) board=%s term=%s size=%dx%d pid=%d",
                 self.id, self.front.peer, self.front.username, self._fp(),
                 self.front.key.comment if self.front.key else "", self.board, env["TERM"],
                 self.size[0], self.size[1], self.proc.pid)  # fmt: skip

    def _resume(self) -> None:
        if self.master is not None and not self._reading:
            asyncio.get_running_loop().add_reader(self.master, self._on_output)
            self._reading = True

    def _pause(self) -> None:
        if self.master is not None and self._reading:
            asyncio.get_running_loop().remove_reader(self.master)
            self._reading = False

    def _on_output(self) -> None:
        assert self.master is not None
        try:
            data = os.read(self.master, CHUNK)
        except BlockingIOError:
            return
        except OSError:  # EIO: the viewer closed its terminal (it exited)
            data = b""
        if not data:
            self._pause()
            asyncio.get_running_loop().create_task(self._reap())
            return
        with contextlib.suppress(OSError, asyncssh.Error):  # the client is gone: the reaper ends the session
            self.chan.write(data)

    async def _reap(self) -> None:
        if self._ended:
            return
        code = 1
        if self.proc is not None:
            try:
                code = await asyncio.get_running_loop().run_in_executor(None, self.proc.wait, 5.0)
            except subprocess.TimeoutExpired:
                self._signal(signal.SIGKILL)
        self._end(code if code >= 0 else 128 - code)

    def _signal(self, sig: int) -> None:
        if self.proc is not None and self.proc.poll() is None:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(self.proc.pid, sig)

    def _end(self, code: int) -> None:
        if self._ended:
            return
        self._ended = True
        self.hub.sessions.pop(self.id, None)
        self._pause()
        if self.master is not None:
            with contextlib.suppress(OSError):
                os.close(self.master)
            self.master = None
        with contextlib.suppress(OSError, asyncssh.Error):
            self.chan.exit(max(0, min(255, code)))
        log.info("ssh session end id=%s peer=%s key=%s board=%s after %.0fs exit=%s", self.id, self.front.peer,
                 self._fp(), self.board, time.time() - self.started, code)  # fmt: skip

    def hang_up(self) -> None:
        """Disconnect (or shutdown): SIGHUP the viewer, SIGKILL it if it has not gone after GRACE_S, and
        reap it either way (the PTY may be paused or closed, so its EOF cannot be relied on)."""
        if self._hung:
            return
        self._hung = True
        self._signal(signal.SIGHUP)
        if self.proc is not None:
            loop = asyncio.get_event_loop()

            def settle() -> None:
                self._signal(signal.SIGKILL)  # a no-op once it exited
                loop.create_task(self._reap())

            loop.call_later(GRACE_S, settle)

    def close_idle(self, timeout_s: float) -> None:
        log.info("ssh session %s idle for %.0fs: closing", self.id, timeout_s)
        with contextlib.suppress(OSError, asyncssh.Error):
            self.chan.write_stderr(b"\r\nsrvmon: idle timeout, closing\r\n")
        self.hang_up()

    # -- data -------------------------------------------------------------------------------------
    def data_received(self, data: bytes, datatype: Any) -> None:
        self.last_input = time.monotonic()
        if self.master is None:
            return
        view = memoryview(data)
        while view:  # keystrokes are small; a full PTY input buffer drops the rest rather than block the loop
            try:
                n = os.write(self.master, view)
            except (BlockingIOError, OSError):
                return
            view = view[n:]

    def terminal_size_changed(self, width: int, height: int, pixwidth: int, pixheight: int) -> None:
        self.size = (width, height, pixwidth, pixheight)
        if self.master is not None:
            with contextlib.suppress(OSError):
                _set_size(self.master, self.size)  # the kernel sends the viewer SIGWINCH

    def pause_writing(self) -> None:
        self._pause()  # a slow client: stop reading the PTY; the viewer blocks instead of memory growing

    def resume_writing(self) -> None:
        self._resume()

    def eof_received(self) -> bool:
        self.hang_up()
        return True

    def connection_lost(self, exc: Exception | None) -> None:
        self.hang_up()
        if self.proc is None:
            self.hub.sessions.pop(self.id, None)

    def info(self) -> dict[str, Any]:
        return {"id": self.id, "peer": self.front.peer, "user": self.front.username, "key": self._fp(),
                "board": self.board, "started_at": self.started,
                "pid": self.proc.pid if self.proc else None}  # fmt: skip


def _set_size(fd: int, size: tuple[int, int, int, int]) -> None:
    width, height, pw, ph = size
    fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", max(1, height), max(1, width), pw, ph))


async def start(hub: Hub, host: str, port: int, host_key: Any) -> asyncssh.SSHAcceptor:
    """Listen; every option that could open more than the board is off."""
    try:
        authorized_keys(hub.cfg.authorized_keys)  # fail at start, not at the first login
    except KeyFileError:
        raise
    acceptor = await asyncssh.create_server(
        lambda: Front(hub), host, port, server_host_keys=[host_key], public_key_auth=True, password_auth=False,
        kbdint_auth=False, host_based_auth=False, gss_host=None, allow_pty=True, line_editor=False,
        x11_forwarding=False, agent_forwarding=False, allow_scp=False, sftp_factory=None, encoding=None,
        login_timeout=30, keepalive_interval=30, keepalive_count_max=4,
    )  # fmt: skip
    hub.start_idle_watch()
    return acceptor
