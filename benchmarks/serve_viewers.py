"""Print the figures of a shared ops screen under load: `srvmon serve --demo --ssh` with 1, then 20 real
OpenSSH sessions in tmux (each its own `srvmon attach` process on a PTY), 10 s refresh:
- the serve process's CPU (% of one core) and RSS, with 1 and with 20 viewers;
- each viewer's RSS and CPU;
- the time from a poll finishing (its snapshot written) to every viewer having it on screen;
- provider API calls per poll with 1 viewer and with 20 (the goal: equal).

Run: .venv/bin/python benchmarks/serve_viewers.py [viewers] [polls] [WxH]   (defaults 20, 4, 120x40)
The ssh clients and tmux run on the same machine and share its cores with the viewers: their CPU is
printed too ("clients")."""

from __future__ import annotations

import json
import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

TICK = os.sysconf("SC_CLK_TCK")
CONFIG = '[settings]\nrefresh = "10s"\n\n[providers.demo]\ntype = "demo"\n'


def _port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def cpu_s(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICK


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


class Bench:
    def __init__(self, tmp: Path) -> None:
        self.tmp = tmp
        self.store = f"sqlite:{tmp / 's.db'}"
        self.key = tmp / "key"
        subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(self.key)], check=True)
        (tmp / "auth").write_text(Path(f"{self.key}.pub").read_text())
        (tmp / "c.toml").write_text(CONFIG)
        self.port = _port()
        env = {"PATH": os.environ["PATH"], "HOME": str(tmp), "LANG": "C.UTF-8"}
        self.proc = subprocess.Popen([sys.executable, "-m", "srvmon", "serve", "--config", str(tmp / "c.toml"),
                                      "--store", self.store, "--ssh", f"127.0.0.1:{self.port}", "--authorized-keys",
                                      str(tmp / "auth"), "--log", str(tmp / "serve.log"), "--max-sessions", "50"],
                                     stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env)  # fmt: skip
        assert self.proc.stdout is not None
        while "listening for ssh" not in (line := self.proc.stdout.readline()):
            if not line:
                raise SystemExit("srvmon serve did not start")
        self.tmux = f"srvmon-bench-{os.getpid()}"
        self.sessions = 0
        self.size = ("120", "40")

    def status(self) -> dict[str, Any]:
        out = subprocess.run([sys.executable, "-m", "srvmon", "status", "--store", self.store, "--format", "json"],
                             capture_output=True, text=True, timeout=30)  # fmt: skip
        return json.loads(out.stdout)

    def open_sessions(self, n: int) -> None:
        ssh = (f"ssh -F /dev/null -p {self.port} -i {self.key} -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null "
               "-o IdentitiesOnly=yes -o BatchMode=yes 127.0.0.1")  # fmt: skip
        for _ in range(n):
            subprocess.run(["tmux", "-L", self.tmux, "-f", "/dev/null", "new-session", "-d", "-s", f"v{self.sessions}",
                            "-x", self.size[0], "-y", self.size[1], ssh], check=True)  # fmt: skip
            self.sessions += 1
        self.wait(
            lambda d: len(d["viewers"]) == self.sessions and d["viewers"], f"{self.sessions} viewers", 120
        )

    def wait(self, ok: Any, what: str, timeout: float = 60) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            d = self.status()
            if d["pollers"] and ok(d):
                return d
            time.sleep(0.5)
        raise SystemExit(f"timed out waiting for {what}")

    def measure(self, polls: int) -> dict[str, Any]:
        """Over `polls` polls of the board view: calls per poll, serve CPU, and per-poll viewer latency."""
        d = self.status()
        view = d["pollers"][0]["views"][0]
        calls0, polls0 = d["pollers"][0]["providers"]["demo"]["api_calls"], view["polls"]
        cpu0, t0 = cpu_s(self.proc.pid), time.monotonic()
        viewers_cpu0 = {v["pid"]: cpu_s(v["pid"]) for v in d["pollers"][0]["ssh"]["sessions"]}
        clients = self.client_pids()
        clients_cpu0 = sum(cpu_s(p) for p in clients)
        latencies: list[float] = []
        seen = view["last_seq"]
        for _ in range(polls):
            d = self.wait(
                lambda d, seen=seen: d["pollers"][0]["views"][0]["last_seq"] != seen, "the next poll", 30
            )
            v = d["pollers"][0]["views"][0]
            seen, finished = v["last_seq"], v["finished_at"]
            d = self.wait(
                lambda d, seen=seen: all(x["shown_seq"] >= seen for x in d["viewers"]),
                "every viewer to show it",
                30,
            )
            latencies.append(max(x["shown_at"] - finished for x in d["viewers"] if x["shown_seq"] == seen))
        d = self.status()
        elapsed = time.monotonic() - t0
        p = d["pollers"][0]
        n_polls = p["views"][0]["polls"] - polls0
        sessions = p["ssh"]["sessions"]
        return {
            "calls_per_poll": (p["providers"]["demo"]["api_calls"] - calls0) / max(1, n_polls),
            "serve_cpu_pct": 100 * (cpu_s(self.proc.pid) - cpu0) / elapsed,
            "serve_rss_mb": rss_mb(self.proc.pid),
            "viewer_rss_mb": [rss_mb(s["pid"]) for s in sessions],
            "viewer_cpu_pct": [
                100 * (cpu_s(s["pid"]) - viewers_cpu0.get(s["pid"], 0)) / elapsed for s in sessions
            ],
            "latency_s": latencies,
            "views": len(p["views"]),
            "clients_cpu_pct": 100 * (sum(cpu_s(p) for p in clients) - clients_cpu0) / elapsed,
        }

    def client_pids(self) -> list[int]:
        """The tmux server and the ssh clients (the viewers' terminals, here on the same machine)."""
        out = subprocess.run(["pgrep", "-f", f"tmux -L {self.tmux}|ssh -F /dev/null -p {self.port}"],
                             capture_output=True, text=True)  # fmt: skip
        return [int(p) for p in out.stdout.split()]

    def close(self) -> None:
        subprocess.run(["tmux", "-L", self.tmux, "kill-server"], capture_output=True)
        self.proc.send_signal(signal.SIGTERM)
        self.proc.wait(20)


def main(viewers: int, polls: int, size: str) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        b = Bench(Path(tmp))
        b.size = tuple(size.split("x"))  # type: ignore[assignment]
        try:
            b.open_sessions(1)
            one = b.measure(polls)
            b.open_sessions(viewers - 1)
            time.sleep(5)  # let the new viewers settle after their first paint
            many = b.measure(polls)
        finally:
            b.close()
    for label, r in (("1 viewer", one), (f"{viewers} viewers", many)):
        rss = r["viewer_rss_mb"]
        print(f"{label:>11}: API calls/poll {r['calls_per_poll']:.1f} ({r['views']} view polled); serve CPU {r['serve_cpu_pct']:.1f}% of a core, "
              f"RSS {r['serve_rss_mb']:.0f} MB; viewer RSS mean {statistics.mean(rss):.0f} MB (max {max(rss):.0f}), "
              f"viewer CPU mean {statistics.mean(r['viewer_cpu_pct']):.1f}%, clients {r['clients_cpu_pct']:.1f}%; "
              f"poll finished -> every viewer showing it: "
              f"max {max(r['latency_s']):.2f} s over {len(r['latency_s'])} polls "
              f"(median {statistics.median(r['latency_s']):.2f} s)")  # fmt: skip


if __name__ == "__main__":
    args = sys.argv[1:]
    main(
        int(args[0]) if args else 20,
        int(args[1]) if len(args) > 1 else 4,
        args[2] if len(args) > 2 else "120x40",
    )
