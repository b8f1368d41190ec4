"""`srvmon serve` wiring: config -> runtime -> serve loop on a thread; the ssh front and the metrics
exporter on the main asyncio loop; SIGINT/SIGTERM stop everything and release the leases."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import signal
import sys
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TextIO

from srvmon.serve.cli import EXIT_OK, EXIT_USAGE, _address

log = logging.getLogger("srvmon.serve")


@dataclass(frozen=True)
class ServeOptions:
    store: str | None
    ssh: tuple[str, int] | None
    authorized_keys: Path | None
    host_key: Path | None
    max_sessions: int
    idle_timeout_s: float | None
    metrics: tuple[str, int] | None
    lease_s: float
    log_file: Path | None

    @classmethod
    def from_args(cls, a: argparse.Namespace) -> ServeOptions:
        from srvmon.model import parse_seconds

        ssh = _address(a.ssh, "--ssh") if a.ssh else None
        if ssh and not a.authorized_keys:
            raise ValueError("--ssh needs --authorized-keys FILE (the public keys allowed to log in)")
        if a.authorized_keys and not ssh:
            raise ValueError("--authorized-keys is only used with --ssh HOST:PORT")
        if not 1 <= a.max_sessions <= 1000:
            raise ValueError(f"--max-sessions {a.max_sessions}: use 1 to 1000")
        try:
            idle = parse_seconds(a.idle_timeout) if a.idle_timeout else None
            lease = parse_seconds(a.lease)
        except ValueError as exc:
            raise ValueError(f"--idle-timeout/--lease: {exc}") from None
        if not 1 <= lease <= 300:
            raise ValueError(f"--lease {a.lease!r}: use 1s to 5m (a standby takes over within one lease)")
        return cls(a.store, ssh, Path(a.authorized_keys) if a.authorized_keys else None,
                   Path(a.host_key) if a.host_key else None, a.max_sessions, idle,
                   _address(a.metrics, "--metrics") if a.metrics else None, lease,
                   Path(a.log) if a.log else None)  # fmt: skip


def _logging(path: Path | None) -> None:
    handler: logging.Handler = logging.FileHandler(path) if path else logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger("srvmon")
    root.addHandler(handler)
    root.setLevel(logging.INFO)
    logging.getLogger("asyncssh").setLevel(logging.WARNING)


def run_serve(args: argparse.Namespace, opts: ServeOptions, out: TextIO, err: TextIO) -> int:
    from srvmon import __version__
    from srvmon.clock import FrozenClock, clock_from_env
    from srvmon.config import ConfigError, load_config
    from srvmon.fetchcache import FetchCache
    from srvmon.serve.cli import _open
    from srvmon.serve.loop import ServeLoop
    from srvmon.store.catalog import catalog_doc

    try:
        loaded = load_config(getattr(args, "config", None), demo=getattr(args, "demo", False))
        clock = clock_from_env(getattr(args, "now", None))
    except (ConfigError, ValueError) as exc:
        print(f"srvmon: {exc}", file=err)
        return EXIT_USAGE
    if isinstance(clock, FrozenClock):
        print("srvmon: serve refreshes on a clock that moves: drop --now / unset $SRVMON_NOW", file=err)
        return EXIT_USAGE
    host_key = None
    if opts.ssh:
        from srvmon.serve.keys import KeyFileError, authorized_keys
        from srvmon.serve.keys import host_key as load_host_key

        try:
            assert opts.authorized_keys is not None
            allowed = authorized_keys(opts.authorized_keys)
            host_key, key_path, created = load_host_key(opts.host_key)
        except KeyFileError as exc:
            print(f"srvmon: {exc}", file=err)
            return EXIT_USAGE
        made = f"generated {key_path}" if created else str(key_path)
        print(f"srvmon serve: ssh host key {host_key.get_fingerprint()} ({made}); {len(allowed)} authorized "
              f"key(s) in {opts.authorized_keys}", file=out, flush=True)  # fmt: skip
    store = _open(opts.store, err)
    if store is None:
        return EXIT_USAGE
    _logging(opts.log_file)
    runtime = loaded.runtime(clock)
    fetch = FetchCache(clock, backing=store)  # settled windows outlive a takeover
    loop = ServeLoop(
        loaded.boards, runtime, store, clock, lease_s=opts.lease_s, fetch=fetch, version=__version__
    )
    settings = {"theme": loaded.settings.theme, "timezone": loaded.settings.timezone}
    store.put_boards(
        {**catalog_doc([b.info() for b in loaded.boards], server=loop.holder), "settings": settings}
    )
    print(f"srvmon serve: {len(loaded.boards)} board(s) to {store.url} as {loop.holder}"
          + (f"; ssh on {opts.ssh[0]}:{opts.ssh[1]}" if opts.ssh else "")
          + (f"; metrics on http://{opts.metrics[0]}:{opts.metrics[1]}/metrics" if opts.metrics else "")
          + (f"\n{loaded.hint}" if loaded.hint else ""), file=out, flush=True)  # fmt: skip
    try:
        return asyncio.run(_main(opts, loop, store, host_key, [b.name for b in loaded.boards], out))
    except OSError as exc:
        print(f"srvmon: {exc}", file=err)
        return EXIT_USAGE
    finally:
        loop.close()
        runtime.close()
        store.close()


async def _main(
    opts: ServeOptions, loop: Any, store: Any, host_key: Any, boards: list[str], out: TextIO
) -> int:
    stop = asyncio.Event()
    aloop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError, RuntimeError):
            aloop.add_signal_handler(sig, stop.set)
    halt = threading.Event()
    worker = threading.Thread(target=loop.run, args=(halt,), name="srvmon-serve", daemon=True)
    worker.start()
    hub = acceptor = exporter = None
    try:
        if opts.metrics:
            from srvmon.serve.metrics import serve_metrics

            exporter = serve_metrics(store, *opts.metrics)
        if opts.ssh:
            from srvmon.serve import ssh

            assert opts.authorized_keys is not None
            hub = ssh.Hub(ssh.SshConfig(opts.store or store.url, boards, opts.authorized_keys, opts.max_sessions,
                                        opts.idle_timeout_s))  # fmt: skip
            acceptor = await ssh.start(hub, opts.ssh[0], opts.ssh[1], host_key)
            listen = f"{opts.ssh[0]}:{opts.ssh[1]}"
            print(f"srvmon serve: listening for ssh on {listen}", file=out, flush=True)
            while not stop.is_set():
                loop.extra_status["ssh"] = {"listen": listen, "max_sessions": opts.max_sessions,
                                            "sessions": hub.status()}  # fmt: skip
                with contextlib.suppress(asyncio.TimeoutError):
                    await asyncio.wait_for(stop.wait(), 1.0)
        else:
            await stop.wait()
    finally:
        halt.set()
        if hub is not None:
            await hub.shutdown()
        if acceptor is not None:
            acceptor.close()
        if exporter is not None:
            exporter.shutdown()
        await aloop.run_in_executor(None, worker.join, 5.0)
    return EXIT_OK
