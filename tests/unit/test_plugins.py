"""Provider plugins via the `srvmon.providers` entry-point group; a broken one is reported, others work."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

PLUGIN = '''
"""A third-party provider."""
from srvmon.model import QueryResult
from srvmon.providers.base import Provider


class EchoProvider(Provider):
    type_name = "echo"
    description = "echo plugin for tests"

    def query(self, queries, window):
        return {q.ref_id: QueryResult(q.ref_id) for q in queries}
'''


def _install_fake_dist(root: Path) -> None:
    (root / "echo_plugin.py").write_text(PLUGIN)
    (root / "broken_plugin.py").write_text("raise RuntimeError('plugin exploded on import')\n")
    dist = root / "srvmon_echo-1.0.dist-info"
    dist.mkdir()
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: srvmon-echo\nVersion: 1.0\n")
    (dist / "entry_points.txt").write_text(
        textwrap.dedent("""
        [srvmon.providers]
        echo = echo_plugin:EchoProvider
        broken = broken_plugin:Nope
    """)
    )


def run_srvmon(root: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(root)}
    return subprocess.run(
        [sys.executable, "-m", "srvmon", *args], capture_output=True, text=True, env=env, timeout=60
    )


def test_plugins_listed_and_broken_one_reported(tmp_path):
    _install_fake_dist(tmp_path)
    res = run_srvmon(tmp_path, "providers")
    assert res.returncode == 0, res.stderr
    lines = {line.split()[0]: line for line in res.stdout.splitlines()}
    assert "plugin" in lines["echo"] and "echo plugin for tests" in lines["echo"]
    assert "BROKEN" in lines["broken"] and "plugin exploded on import" in lines["broken"]
    assert "built-in" in lines["demo"] and "BROKEN" not in lines["demo"]


def test_plugin_usable_from_config(tmp_path):
    _install_fake_dist(tmp_path)
    cfg = tmp_path / "c.toml"
    cfg.write_text(
        '[providers.e]\ntype = "echo"\n[[boards]]\nname = "x"\n[[boards.panels]]\nid = "a"\n'
        'title = "A"\nkind = "stat"\nquery = "anything"\n'
    )
    res = run_srvmon(tmp_path, "snapshot", "--config", str(cfg), "--format", "txt")
    assert res.returncode == 0, res.stderr
    assert "∅ nodata" in res.stdout and "provider e (echo): ok" in res.stdout
    bad = tmp_path / "b.toml"
    bad.write_text('[providers.b]\ntype = "broken"\n')
    res = run_srvmon(tmp_path, "check", "--config", str(bad))
    assert res.returncode == 2 and "plugin exploded on import" in res.stderr and "b.toml:2" in res.stderr


def test_capabilities_are_derived_from_the_methods_a_provider_implements() -> None:
    from srvmon.model import Alarm
    from srvmon.providers.base import Provider, ProviderOptions

    class MetricsOnly(Provider):
        type_name = "metrics-only"

        def query(self, queries, window):  # type: ignore[no-untyped-def]
            return {}

    class WithAlarms(MetricsOnly):
        type_name = "with-alarms"

        def alarms(self) -> list[Alarm]:
            return []

        def unavailable(self) -> dict[str, str]:
            return {"alarms": "switched off"} if self.name == "off" else {}

    assert MetricsOnly.implemented() == {"metrics"}
    assert WithAlarms.implemented() == {"metrics", "alarms"}
    assert WithAlarms("on", ProviderOptions()).capabilities == {"metrics", "alarms"}
    assert WithAlarms("off", ProviderOptions()).capabilities == {"metrics"}
