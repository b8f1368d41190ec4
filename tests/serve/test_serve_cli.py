"""The command line of serve / attach / status: usage errors that say how, `srvmon status` in text and
JSON with its exit code, and the Prometheus exporter scraped over HTTP from a running `srvmon serve`."""

from __future__ import annotations

import io
import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import httpx
import pytest
from servehelp import free_port, wait_for

from srvmon.cli import main


def _run(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    rc = main(list(argv), out=out, err=err)
    return rc, out.getvalue(), err.getvalue()


@pytest.mark.parametrize(("argv", "says"), [
    (["serve", "--demo", "--ssh", "127.0.0.1:2222"], "--ssh needs --authorized-keys"),
    (["serve", "--demo", "--ssh", "nohost"], "use HOST:PORT"),
    (["serve", "--demo", "--authorized-keys", "k"], "only used with --ssh"),
    (["serve", "--demo", "--lease", "0.1s"], "use 1s to 5m"),
    (["serve", "--demo", "--idle-timeout", "soon"], "not a duration"),
    (["serve", "--demo", "--max-sessions", "0"], "use 1 to 1000"),
    (["serve", "--demo", "--store", "ftp://x"], "sqlite:PATH or redis://"),
    (["attach", "--range", "2d"], "use one of 1h, 4h"),
    (["serve", "--demo", "--now", "2026-11-18T12:00:00Z"], "a clock that moves"),
])  # fmt: skip
def test_usage_errors_say_how(argv: list[str], says: str, tmp_path: Path) -> None:
    rc, _, err = _run(*argv)
    assert rc == 2 and says in err


def test_serve_refuses_unusable_key_files(tmp_path: Path) -> None:
    keys = tmp_path / "keys"
    keys.write_text(
        'from="10.0.0.1" ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIB6mpzmWd3wDUvVNNi8bfsCSOGkxtJ7tvTyb7+Y4QmKl x\n'
    )
    rc, _, err = _run("serve", "--demo", "--store", f"sqlite:{tmp_path / 's.db'}", "--ssh", "127.0.0.1:1",
                      "--authorized-keys", str(keys))  # fmt: skip
    assert rc == 2 and f"{keys}:1: key options are not supported" in err
    keys.write_text("# nobody yet\n")
    rc, _, err = _run("serve", "--demo", "--ssh", "127.0.0.1:1", "--authorized-keys", str(keys))
    assert rc == 2 and "no public keys in it" in err


def test_attach_to_an_empty_store_says_what_to_start(tmp_path: Path) -> None:
    rc, _, err = _run("attach", "--store", f"sqlite:{tmp_path / 's.db'}")
    assert rc == 2 and "nothing has been served" in err and "srvmon serve --store" in err


def test_status_of_an_empty_store_exits_3(tmp_path: Path) -> None:
    rc, out, _ = _run("status", "--store", f"sqlite:{tmp_path / 's.db'}")
    assert rc == 3 and "no poller is running" in out
    rc, out, _ = _run("status", "--store", f"sqlite:{tmp_path / 's.db'}", "--format", "json")
    assert rc == 3 and json.loads(out)["pollers"] == []


def test_status_and_metrics_of_a_running_server(tmp_path: Path) -> None:
    store = f"sqlite:{tmp_path / 's.db'}"
    port = free_port()
    env = {"PATH": os.environ["PATH"], "HOME": str(tmp_path), "LANG": "C.UTF-8"}
    cfg = tmp_path / "c.toml"
    cfg.write_text('[providers.demo]\ntype = "demo"\napi_budget = { calls_per_min = 600 }\n')
    proc = subprocess.Popen([sys.executable, "-m", "srvmon", "serve", "--config", str(cfg), "--store", store,
                             "--metrics", f"127.0.0.1:{port}"], stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL, env=env)  # fmt: skip
    try:

        def scrape() -> str | None:
            try:
                r = httpx.get(f"http://127.0.0.1:{port}/metrics", timeout=2)
            except httpx.HTTPError:
                return None
            return r.text if "srvmon_view_last_poll_timestamp_seconds{" in r.text else None

        text = str(wait_for(scrape, "the exporter with a poll in it", timeout=30))
        for name in ("srvmon_poller_up", "srvmon_lease_held", "srvmon_view_polls_total", "srvmon_budget_calls_last_minute",
                     "srvmon_budget_calls_per_minute", "srvmon_provider_api_calls_total", "srvmon_viewers"):  # fmt: skip
            assert f"\n{name}" in text, name
        assert 'srvmon_lease_held{holder="' in text and 'lease="demo"' in text
        rc, out, _ = _run("status", "--store", store)
        assert rc == 0 and "leases: demo" in out and "view serverless 4h live" in out
        assert "budget demo:" in out and "of 600 calls/min" in out
        rc, out, _ = _run("status", "--store", store, "--format", "json")
        doc = json.loads(out)
        assert doc["leases"]["demo"]["holder"] == doc["pollers"][0]["holder"]
    finally:
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(15) == 0  # a clean stop
    rc, out, _ = _run("status", "--store", store)
    assert rc == 3  # it removed its status and released its lease on the way out
