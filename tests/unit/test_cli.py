"""`srvmon` command line: snapshot formats and exit codes, check, providers, usage errors."""

from __future__ import annotations

import io
import json
import subprocess
import sys

import pytest

from srvmon.cli import main

from .test_poll import CFG  # noqa: TID252

NOW = "2026-11-18T12:00:00Z"
#: The poll test board without its deliberately broken panel (a panel in error makes the exit code 3).
CFG_OK = CFG[: CFG.index('[[boards.panels]]\nid = "broken"')]


def run(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    rc = main(list(argv), out=out, err=err)
    return rc, out.getvalue(), err.getvalue()


@pytest.fixture
def cfg_file(tmp_path, scripted):
    p = tmp_path / "srvmon.toml"
    p.write_text(CFG_OK)
    return p


def test_a_panel_in_error_exits_3_and_says_which(tmp_path, scripted):
    p = tmp_path / "broken.toml"
    p.write_text(CFG)
    rc, out, err = run("snapshot", "--config", str(p), "--now", NOW, "--format", "txt")
    assert rc == 3 and "1 panel(s) in error or stale: broken" in err and "ERROR: no such metric" in out


def test_version():
    res = subprocess.run([sys.executable, "-m", "srvmon", "--version"], capture_output=True, text=True)
    assert res.returncode == 0 and res.stdout.startswith("srvmon ")


def test_open_never_imports_the_config_schema_or_the_providers():
    # `srvmon open SAVED.json` shows a snapshot: building the CLI parser once imported pydantic (through
    # --layout's choices and the logs options), ~70 ms of its start-up.
    code = (
        "import sys; from srvmon.cli import build_parser; build_parser(); import srvmon.tui.app; "
        "print(sorted(m for m in ('pydantic', 'srvmon.schema', 'srvmon.config', 'srvmon.providers.base') "
        "if m in sys.modules))"
    )
    res = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert res.returncode == 0, res.stderr
    assert res.stdout.strip() == "[]"


def test_snapshot_json_to_stdout(cfg_file):
    rc, out, err = run("snapshot", "--config", str(cfg_file), "--now", NOW)
    assert rc == 0, err
    d = json.loads(out)
    assert d["board"] == "b" and d["generated_at"] == "2026-11-18T12:00:00Z"


def test_global_flags_before_subcommand(cfg_file):
    rc, out, _ = run("--config", str(cfg_file), "--now", NOW, "snapshot", "--format", "txt")
    assert rc == 0 and "provider t (scripted): ok" in out


def test_snapshot_file_is_written(cfg_file, tmp_path):
    target = tmp_path / "snap.md"
    rc, out, _ = run("snapshot", "--config", str(cfg_file), "--now", NOW, "--format", "md", "-o", str(target))
    assert rc == 0 and out == "" and "| ▲ warn | Stat |" in target.read_text()


def test_fail_on(cfg_file):
    assert (
        run("snapshot", "--config", str(cfg_file), "--now", NOW, "--fail-on", "crit")[0] == 1
    )  # alarms panel
    rc, _, err = run("snapshot", "--config", str(cfg_file), "--now", NOW, "--fail-on", "warn")
    assert rc == 1 and "stat" in err and "alarms" in err


def test_provider_failure_exit_3_but_snapshot_written(cfg_file, scripted):
    scripted.fail = "ExpiredToken: credentials expired"
    rc, out, err = run("snapshot", "--config", str(cfg_file), "--now", NOW)
    assert rc == 3 and "ExpiredToken" in err
    assert json.loads(out)["providers"][0]["ok"] is False


@pytest.mark.parametrize(
    "argv,needle",
    [
        (["snapshot", "--range", "2h"], "--range '2h'"),
        (["snapshot", "--size", "big"], "WIDTHxHEIGHT"),
        (["snapshot", "--now", "yesterday"], "RFC 3339"),
        (["snapshot", "--board", "nope"], "no board named 'nope'"),
        (["--refresh", "often"], "--refresh"),
    ],
)
def test_usage_errors_exit_2(cfg_file, argv, needle):
    rc, _, err = run(*argv, "--config", str(cfg_file))
    assert rc == 2 and needle in err


def test_config_error_exit_2(tmp_path):
    bad = tmp_path / "bad.toml"
    bad.write_text("[settings]\nrange = 4\n")
    rc, _, err = run("snapshot", "--config", str(bad))
    assert rc == 2 and "bad.toml:2: settings.range" in err and "fix:" in err


def test_unknown_subcommand_option_exit_2():
    assert run("snapshot", "--frmat", "json")[0] == 2


def test_check(cfg_file):
    rc, out, _ = run("check", "--config", str(cfg_file))
    assert rc == 0 and "config:" in out and "provider t (scripted): ok" in out


def test_now_from_env(cfg_file, monkeypatch):
    monkeypatch.setenv("SRVMON_NOW", "2026-11-18T12:00:00Z")
    rc, out, _ = run("snapshot", "--config", str(cfg_file))
    assert rc == 0 and json.loads(out)["generated_at"] == "2026-11-18T12:00:00Z"


@pytest.mark.parametrize("rng", ["1d", "1w"])
def test_snapshot_svg_shows_the_range_it_was_asked_for(tmp_path, rng):
    """Issue 18 item 6: `snapshot --range 1d --format svg` drew a [4h] header over 4-hour axes."""
    import re

    from srvmon.tui.svg import svg_lines

    out = tmp_path / "board.svg"
    rc, _, err = run("snapshot", "--demo", "--now", "2026-11-18T12:00:00Z", "--range", rng, "--format", "svg",
                     "-o", str(out), "--size", "200x60")  # fmt: skip
    assert rc == 0, err
    lines = svg_lines(out.read_text(), (200, 60))
    assert f"[{rng}]" in lines[0] and "[4h]" not in lines[0], lines[0]
    start = "Tue 17 Nov 12:00" if rng == "1d" else "Wed 11 Nov 12:00"
    assert start in lines[0] and "Wed 18 Nov 12:00" in lines[0], lines[0]
    # the charts that follow the board's range label both ends with their day (the "last 4 h" panel
    # keeps its own 4-hour axis by design)
    text = "\n".join(lines)
    first, last = ("Tue 12:00", "Wed 11:5") if rng == "1d" else ("11 Nov", "18 Nov")
    assert re.search(rf"{first}.*{last}", text), text


def test_the_collector_is_off_only_while_a_board_starts(monkeypatch):
    """A board starts with the garbage collector off (its app turns it on after the first frame); every other
    command runs with it on; leaving main() turns it on whatever happened."""
    import gc

    from srvmon import cli

    seen: dict[str, bool] = {}

    def board(args, out, err):
        seen["board"] = gc.isenabled()
        raise KeyboardInterrupt

    def snapshot(args, out, err):
        seen["snapshot"] = gc.isenabled()
        return 0

    monkeypatch.setattr(cli, "cmd_board", board)
    monkeypatch.setitem(cli.COMMANDS, "snapshot", snapshot)
    assert run("--demo")[0] == 130
    assert seen == {"board": False} and gc.isenabled()
    assert run("snapshot", "--demo")[0] == 0
    assert seen == {"board": False, "snapshot": True} and gc.isenabled()
