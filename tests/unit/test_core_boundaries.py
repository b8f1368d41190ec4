"""The headless core never imports Textual; the CLI imports no cloud SDK until a command needs one."""

from __future__ import annotations

import json
import subprocess
import sys


def _core_modules() -> list[str]:
    """Every module of the package outside the TUI layer (srvmon.tui, srvmon.widgets) and the CLI."""
    import pkgutil

    import srvmon

    out = []
    for info in pkgutil.walk_packages(srvmon.__path__, "srvmon."):
        # the TUI layer, and the entry points that start it (the CLI, `srvmon attach`'s viewer)
        if info.name.startswith(("srvmon.tui", "srvmon.widgets", "srvmon.serve.viewer")) or info.name in (
            "srvmon.cli",
            "srvmon.__main__",
        ):
            continue
        out.append(info.name)
    return out


CORE = _core_modules()


def _modules_after(code: str) -> set[str]:
    out = subprocess.run(
        [sys.executable, "-c", code + "\nimport sys, json; print(json.dumps(sorted(sys.modules)))"],
        capture_output=True,
        text=True,
        check=True,
    )
    return set(json.loads(out.stdout.strip().splitlines()[-1]))


def test_core_never_imports_textual():
    mods = _modules_after("\n".join(f"import {m}" for m in CORE))
    assert not {m for m in mods if m == "textual" or m.startswith("textual.")}
    assert "textual_plotext" not in mods and "plotext" not in mods


def test_snapshot_of_demo_without_textual():
    code = (
        "from srvmon.cli import main; import io; buf = io.StringIO(); "
        "rc = main(['snapshot', '--demo', '--now', '2026-11-18T12:00:00Z', '--format', 'json'], out=buf)\n"
        "assert rc == 0, rc"
    )
    mods = _modules_after(code)
    assert not any(m == "textual" or m.startswith("textual.") for m in mods)
    assert not any(m.startswith(("boto3", "botocore", "azure", "httpx")) for m in mods)


def test_cli_import_is_cheap():
    mods = _modules_after("import srvmon.cli")
    heavy = {"textual", "boto3", "botocore", "azure", "httpx", "pydantic", "rich"}
    assert not {m.split(".")[0] for m in mods} & heavy
