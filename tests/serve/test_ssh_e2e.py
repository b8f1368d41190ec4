"""`srvmon serve --ssh` with the real OpenSSH client in tmux: five concurrent sessions on different boards
and ranges all updated after a poll, refusals (wrong key, password, exec, forwarding, no PTY), one killed
viewer leaving the others running, resize, and the session log."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from servehelp import boards_config, free_port, wait_for

pytestmark = pytest.mark.e2e

#: (login, the board title it shows, the range label)
SESSIONS = [("ops", "Ops board", "[4h]"), ("api", "API board", "[1h]"), ("week", "Week board", "[1d]"),
            ("ops+1d", "Ops board", "[1d]"), ("api+12h", "API board", "[12h]")]  # fmt: skip


@dataclass
class Served:
    port: int
    tmp: Path
    store: str
    key: Path
    known_hosts: Path
    log: Path
    proc: subprocess.Popen[str]

    def ssh_argv(self, user: str, *extra: str, key: Path | None = None) -> list[str]:
        return ["ssh", "-F", "/dev/null", "-p", str(self.port), "-o", "StrictHostKeyChecking=yes",
                "-o", f"UserKnownHostsFile={self.known_hosts}", "-o", "BatchMode=yes", "-o", "IdentitiesOnly=yes",
                "-o", "ConnectTimeout=5", *(["-i", str(key or self.key)]), *extra, f"{user}@127.0.0.1"]  # fmt: skip

    def status(self) -> dict:  # type: ignore[type-arg]
        out = subprocess.run([sys.executable, "-m", "srvmon", "status", "--store", self.store, "--format", "json"],
                             capture_output=True, text=True, timeout=20, env={**os.environ, "HOME": str(self.tmp)})  # fmt: skip
        return json.loads(out.stdout)


def _keygen(path: Path) -> None:
    subprocess.run(
        ["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", path.name, "-f", str(path)], check=True
    )


def start_serve(tmp_path: Path, *extra: str, nohup: bool = False) -> Served:
    for tool in ("ssh", "ssh-keygen", "tmux", *(["nohup"] if nohup else [])):
        if shutil.which(tool) is None:
            pytest.fail(f"{tool} is not installed (apt-get install openssh-client tmux; .ci/run does it)")
    home = tmp_path / "home"
    home.mkdir()
    key = tmp_path / "viewer_key"
    _keygen(key)
    auth = tmp_path / "authorized_keys"
    auth.write_text(Path(f"{key}.pub").read_text())
    port = free_port()
    cfg = boards_config(tmp_path / "c.toml", refresh="4s")
    store = f"sqlite:{tmp_path / 'serve.db'}"
    log = tmp_path / "serve.log"
    env = {
        "PATH": os.environ["PATH"],
        "HOME": str(home),
        "LANG": "C.UTF-8",
        "AWS_SECRET_ACCESS_KEY": "must-not-leak",
    }
    proc = subprocess.Popen([*(["nohup"] if nohup else []), sys.executable, "-m", "srvmon", "serve", "--config", str(cfg), "--store", store,
                             "--ssh", f"127.0.0.1:{port}", "--authorized-keys", str(auth), "--log", str(log), *extra],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env)  # fmt: skip
    lines: list[str] = []
    assert proc.stdout is not None
    deadline = time.monotonic() + 30
    while not any("listening for ssh" in line for line in lines):
        line = proc.stdout.readline()
        if not line or time.monotonic() > deadline:
            proc.kill()
            pytest.fail("srvmon serve did not start:\n" + "".join(lines) + proc.stdout.read())
        lines.append(line)
    assert any("host key SHA256:" in line and "generated" in line for line in lines), (
        lines
    )  # printed on first run
    pub = (home / ".local/state/srvmon/ssh_host_ed25519_key.pub").read_text().split()
    known = tmp_path / "known_hosts"
    known.write_text(f"[127.0.0.1]:{port} {pub[0]} {pub[1]}\n")  # the served key is the one printed
    return Served(port, tmp_path, store, key, known, log, proc)


def stop_serve(served: Served) -> None:
    served.proc.send_signal(signal.SIGTERM)
    try:
        served.proc.wait(15)
    except subprocess.TimeoutExpired:
        served.proc.kill()


@pytest.fixture
def served(tmp_path: Path) -> Iterator[Served]:
    s = start_serve(tmp_path, "--max-sessions", "5")
    yield s
    stop_serve(s)


class Tmux:
    def __init__(self, socket: str) -> None:
        self.socket = socket

    def run(self, *args: str) -> str:
        return subprocess.run(
            ["tmux", "-L", self.socket, *args], capture_output=True, text=True, timeout=10
        ).stdout

    def screen(self, name: str) -> str:
        return self.run("capture-pane", "-p", "-t", name)


@pytest.fixture
def tmux(tmp_path: Path) -> Iterator[Tmux]:
    t = Tmux(f"srvmon-ssh-{os.getpid()}-{tmp_path.name}")
    yield t
    t.run("kill-server")


def test_five_ssh_sessions_refusals_crash_isolation_and_resize(served: Served, tmux: Tmux) -> None:
    # refusals (before the five sessions fill --max-sessions)
    wrong = served.tmp / "wrong_key"
    _keygen(wrong)
    bad = subprocess.run(served.ssh_argv("ops", key=wrong), capture_output=True, text=True, timeout=20)
    assert bad.returncode == 255 and "Permission denied (publickey)" in bad.stderr
    pw = subprocess.run(served.ssh_argv("ops", "-o", "PubkeyAuthentication=no", "-o",
                                        "PreferredAuthentications=password,keyboard-interactive"),
                        capture_output=True, text=True, timeout=20)  # fmt: skip
    assert pw.returncode == 255 and "Permission denied (publickey)" in pw.stderr
    ex = subprocess.run(
        [*served.ssh_argv("ops"), "cat", "/etc/passwd"], capture_output=True, text=True, timeout=20
    )
    assert ex.returncode != 0 and "root:" not in ex.stdout and "exec request failed" in ex.stderr
    notty = subprocess.run(served.ssh_argv("ops", "-T"), capture_output=True, text=True, timeout=20,
                           stdin=subprocess.DEVNULL)  # fmt: skip
    assert notty.returncode == 1 and "connect with a terminal" in notty.stderr
    fwd = subprocess.run(served.ssh_argv("ops", "-N", "-W", "127.0.0.1:22"), capture_output=True, text=True,
                         timeout=20, stdin=subprocess.DEVNULL)  # fmt: skip
    assert fwd.returncode == 255 and "administratively prohibited" in fwd.stderr

    for i, (user, _, _) in enumerate(SESSIONS):
        cmd = " ".join(served.ssh_argv(user)) + "; echo ssh-exit=$?; sleep 60"
        tmux.run("-f", "/dev/null", "new-session", "-d", "-s", f"s{i}", "-x", "100", "-y", "30", cmd)
    for i, (_, title, label) in enumerate(SESSIONS):
        wait_for(lambda i=i, t=title, lb=label: t in tmux.screen(f"s{i}") and lb in tmux.screen(f"s{i}")
                 and "read-only viewer" in tmux.screen(f"s{i}"), f"session {i} showing {title} {label}")  # fmt: skip
    doc = wait_for(lambda: _with(served.status(), lambda d: len(d["viewers"]) == 5
                                 and len(d["pollers"][0]["ssh"]["sessions"]) == 5), "5 viewers and sessions")  # fmt: skip
    ssh = doc["pollers"][0]["ssh"]["sessions"]  # type: ignore[index]
    assert len(ssh) == 5 and {s["key"] for s in ssh} == {_fingerprint(served.key)}

    # all five updated after a poll: each viewer shows a snapshot written after this moment
    head = _head(served)
    wait_for(lambda: all(v["shown_seq"] > head for v in served.status()["viewers"]), "every viewer updated",
             timeout=20)  # fmt: skip

    # the viewer environment holds no credential of the server's
    pid = next(s["pid"] for s in ssh if s["board"] == "week")
    environ = Path(f"/proc/{pid}/environ").read_bytes().split(b"\0")
    assert not any(e.startswith((b"AWS_", b"SRVMON_CONFIG")) for e in environ)
    term = tmux.run("show-options", "-gv", "default-terminal").strip()  # what the ssh client sent
    assert f"TERM={term}".encode() in environ

    # a sixth session is refused: --max-sessions 5
    extra = subprocess.run(served.ssh_argv("ops", "-tt"), capture_output=True, text=True, timeout=20,
                           stdin=subprocess.DEVNULL)  # fmt: skip
    assert (
        extra.returncode == 255
        and "administratively prohibited" in extra.stderr
        and "5 sessions" in extra.stderr
    )

    # killing one viewer's process ends only its session
    os.kill(pid, signal.SIGKILL)
    week = next(i for i, s in enumerate(SESSIONS) if s[0] == "week")
    wait_for(lambda: "ssh-exit=" in tmux.screen(f"s{week}"), "the killed session to end")
    head = _head(served)
    wait_for(lambda: _with(served.status(), lambda d: sum(v["shown_seq"] > head for v in d["viewers"]) >= 4),
             "the four others still updating", timeout=25)  # fmt: skip
    for i in range(len(SESSIONS)):
        if i != week:
            assert "ssh-exit=" not in tmux.screen(f"s{i}")

    # resize: the viewer re-lays out to the new window
    tmux.run("resize-window", "-t", "s1", "-x", "120", "-y", "40")
    wait_for(lambda: (rows := tmux.screen("s1").rstrip("\n").split("\n")) and len(rows) == 40
             and "Quit" in rows[-1] and len(rows[-1].rstrip()) > 100, "the resized board")  # fmt: skip

    # a disconnect ends the viewer: kill one ssh client, its viewer process goes
    gone = next(
        s["pid"] for s in served.status()["pollers"][0]["ssh"]["sessions"] if s["user"] == "api"
    )  # s1, not api+12h
    tmux.run("kill-session", "-t", "s1")
    wait_for(lambda: not Path(f"/proc/{gone}").exists(), "the disconnected viewer to exit", timeout=10)

    # every session logged with its key; the refusals too
    log = served.log.read_text()
    assert (
        log.count("ssh session start") >= 5 and "ssh session end" in log and _fingerprint(served.key) in log
    )
    assert "exec request 'cat /etc/passwd'" in log and "no authorized key" in log


def _sighup_ignored(pid: int) -> bool:
    ignored = next(x for x in Path(f"/proc/{pid}/status").read_text().splitlines() if x.startswith("SigIgn:"))
    return bool(int(ignored.split()[1], 16) & (1 << (signal.SIGHUP - 1)))


def _one_session(doc: dict) -> bool:  # type: ignore[type-arg]
    """The status shows the poller (it may not have written its status yet) with one ssh session."""
    return bool(doc["pollers"]) and len(doc["pollers"][0]["ssh"]["sessions"]) == 1


def _running(pid: int) -> bool:
    """The process exists and is not a zombie waiting to be reaped."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except FileNotFoundError:
        return False


@pytest.mark.parametrize("stop", [signal.SIGTERM, signal.SIGKILL], ids=["SIGTERM", "SIGKILL"])
def test_a_server_under_nohup_leaves_no_viewer_behind(tmp_path: Path, tmux: Tmux, stop: int) -> None:
    # `nohup srvmon serve ...` hands its children SIGHUP ignored. Viewers then outlived a stopped server,
    # each spinning at half a core on its dead terminal (three were found still running an hour later).
    served = start_serve(tmp_path, nohup=True)
    viewer = 0
    try:
        assert _sighup_ignored(served.proc.pid)  # the setup is what nohup does
        cmd = " ".join(served.ssh_argv("ops")) + "; sleep 60"
        tmux.run("-f", "/dev/null", "new-session", "-d", "-s", "v", "-x", "100", "-y", "30", cmd)
        wait_for(lambda: "Ops board" in tmux.screen("v"), "the viewer's board")
        doc = wait_for(lambda: _with(served.status(), _one_session), "the session in the status")
        viewer = doc["pollers"][0]["ssh"]["sessions"][0]["pid"]  # type: ignore[index]
        assert _running(viewer) and not _sighup_ignored(viewer)
        served.proc.send_signal(stop)  # SIGTERM: the server hangs up and kills; SIGKILL: the PTY hangs up
        served.proc.wait(15)
        wait_for(lambda: not _running(viewer), "the viewer to end with its server", timeout=10)
    finally:
        if served.proc.poll() is None:
            served.proc.kill()
        if viewer and _running(viewer):  # a failed run leaves no process spinning behind it
            os.kill(viewer, signal.SIGKILL)


def _with(doc: dict, ok: object) -> dict | None:  # type: ignore[type-arg]
    return doc if ok(doc) else None  # type: ignore[operator]


def _fingerprint(key: Path) -> str:
    out = subprocess.run(["ssh-keygen", "-l", "-f", f"{key}.pub"], capture_output=True, text=True, check=True)
    return out.stdout.split()[1]


def _head(served: Served) -> int:
    from srvmon.store import open_store

    store = open_store(served.store)
    try:
        return store.head()
    finally:
        store.close()


def test_idle_sessions_are_closed(tmp_path: Path) -> None:
    served = start_serve(tmp_path, "--idle-timeout", "2s")
    try:
        t0 = time.monotonic()
        # stdin stays open and silent (an EOF would end the session at once)
        out = tmp_path / "client.out"
        with out.open("w") as sink:
            client = subprocess.Popen(
                served.ssh_argv("ops", "-tt"), stdin=subprocess.PIPE, stdout=sink, stderr=sink
            )
            try:
                client.wait(30)
            finally:
                client.kill()
        text = out.read_text(errors="replace")
        assert "idle timeout" in text
        assert 2 <= time.monotonic() - t0 < 20
        assert "idle for 2s: closing" in served.log.read_text()
    finally:
        stop_serve(served)
