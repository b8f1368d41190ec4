"""README starts with the two commands, and .ci/run runs exactly README's test command."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_readme_starts_with_two_commands():
    text = (ROOT / "README.md").read_text()
    first = re.search(r"```sh\n(.*?)```", text, re.S)
    assert first and text.index(first.group(0)) < 20
    cmds = first.group(1).strip().splitlines()
    assert cmds == [
        "python3 -m venv .venv && .venv/bin/pip install -e . && .venv/bin/srvmon --demo",
        "bash .ci/run",
    ]


def test_ci_runs_the_readme_test_command():
    text = (ROOT / "README.md").read_text()
    blocks = re.findall(r"```sh\n(.*?)```", text, re.S)
    test_cmd = blocks[1].strip()
    assert test_cmd.startswith(".venv/bin/python -m pytest")
    ci = (ROOT / ".ci" / "run").read_text()
    assert any(line.strip() == test_cmd for line in ci.splitlines())
