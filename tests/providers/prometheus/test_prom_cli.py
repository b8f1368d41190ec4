"""`srvmon snapshot` and `srvmon check` on a Prometheus config, through the real CLI entry point."""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import pytest

from srvmon.cli import main


def write_config(tmp_path: Path, url: str, preset: str = "openfaas") -> Path:
    path = tmp_path / "srvmon.toml"
    path.write_text(
        f'[providers.faas]\ntype = "prometheus"\nurl = "{url}"\nmax_scale = 10\n'
        f'[[boards]]\nname = "faas"\npreset = "{preset}"\n'
    )
    return path


def run(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main(list(argv), out=out, err=err)
    return code, out.getvalue(), err.getvalue()


def test_snapshot_json(prom: Any, tmp_path: Path) -> None:
    cfg = write_config(tmp_path, prom.url)
    code, out, err = run("snapshot", "--config", str(cfg), "--now", prom.now.isoformat(), "--format", "json")
    assert code == 0, err
    doc = json.loads(out)
    panels = {p["id"]: p for p in doc["panels"]}
    assert doc["window"]["step_s"] == 60 and doc["compare"] == "1w"
    assert panels["requests"]["value"] == pytest.approx(4.45) and panels["requests"]["compare_value"] == 3.6
    assert panels["requests"]["delta_pct"] == pytest.approx(23.6111, rel=1e-4)
    assert (
        panels["replicas_capacity"]["limit"]["limit"] == 10.0
        and panels["replicas_capacity"]["status"] == "ok"
    )
    assert panels["alerts"]["status"] == "crit"
    (provider,) = doc["providers"]
    assert provider["type"] == "prometheus" and provider["ok"] and provider["api_calls"] > 20


def test_snapshot_fail_on_crit_and_check(prom: Any, tmp_path: Path) -> None:
    cfg = write_config(tmp_path, prom.url)
    code, _, err = run("snapshot", "--config", str(cfg), "--now", prom.now.isoformat(), "--format", "md",
                       "--fail-on", "crit")  # fmt: skip
    assert code == 1 and "alerts" in err  # the always-firing test rule
    code, out, _ = run("check", "--config", str(cfg))
    assert code == 0
    assert "provider faas (prometheus): ok: Prometheus 2." in out and "knative: opentelemetry" in out


def test_unreachable_server_exit_code(tmp_path: Path) -> None:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    cfg = write_config(tmp_path, f"http://127.0.0.1:{port}")
    code, _, err = run(
        "snapshot", "--config", str(cfg), "--now", "2026-11-20T12:00:00Z", "-o", str(tmp_path / "s.json")
    )
    assert code == 3 and "cannot reach" in err
    code, out, _ = run("check", "--config", str(cfg))
    assert code == 3 and "FAILED: cannot reach" in out
