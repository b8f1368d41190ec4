"""Layering of serve: the store, the loop, the fetch cache, budgets, status and metrics are headless (no
Textual); a viewer loads no provider and no cloud SDK (it cannot call a cloud, it only reads the store)."""

from __future__ import annotations

import json
import subprocess
import sys


def _modules_after(code: str) -> set[str]:
    out = subprocess.run([sys.executable, "-c", code + "\nimport sys, json; print(json.dumps(sorted(sys.modules)))"],
                         capture_output=True, text=True, check=True)  # fmt: skip
    return set(json.loads(out.stdout.strip().splitlines()[-1]))


def test_serve_core_is_headless() -> None:
    mods = _modules_after("import srvmon.store, srvmon.store.sqlite_store, srvmon.store.redis_store, "
                          "srvmon.serve.loop, srvmon.fetchcache, srvmon.budget, srvmon.serve.status, "
                          "srvmon.serve.metrics, srvmon.serve.ssh")  # fmt: skip
    assert not {m for m in mods if m == "textual" or m.startswith("textual.")}


def test_a_viewer_loads_no_provider_and_no_cloud_sdk() -> None:
    mods = _modules_after(
        "import srvmon.serve.viewer, srvmon.serve.cli, srvmon.store.catalog, srvmon.store.sqlite_store"
    )
    assert "textual" in mods
    cloud = ("boto3", "botocore", "azure", "google", "httpx", "srvmon.providers.demo", "srvmon.providers.aws")
    assert not {m for m in mods if m.startswith(cloud)}
