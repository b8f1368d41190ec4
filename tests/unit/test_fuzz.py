"""Property-based fuzzing (hypothesis, derandomized): mutated configs and command lines never produce a
traceback. A config either loads or fails with issues that each name a file, a line or key, and a fix; a
command exits 0, 1, 2 or 3, and every exit-2 message names the argument or key at fault."""

from __future__ import annotations

import io
import re
from datetime import UTC, datetime
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from srvmon import kinds
from srvmon.cli import main
from srvmon.config import ConfigError, parse_config
from srvmon.kinds.base import PlanContext
from srvmon.model import TimeWindow

EXAMPLE = (Path(__file__).resolve().parents[2] / "config.example.toml").read_text()
LINES = EXAMPLE.splitlines()
#: Lines of the example that set a value (`key = value`), by index.
SETTINGS = [i for i, line in enumerate(LINES) if re.match(r"^\s*[A-Za-z_][\w.-]*\s*=", line)]

JUNK = [
    "inf", "-inf", "nan", "1e400", "-1", "0", "99999999999999999999", "true", "[]", "{}", '""', '" "',
    '"infs"', '"1e400s"', '"-5m"', '"0s"', '"99999999999999999d"', '"http://"', '"http:// 127.0.0.1"',
    '"http://[::1"', '"mars-north-7"', '"not-a-guid"', '"{{{"', '"a\\r\\nInjected: 1"', '"\\u0000"',
    '"textual-nope"', "[1, 2, 3]", '[""]', "{ row = 20000, col = 0 }", "{ row = 100000000, col = 0 }",
    '"\\u001b]0;pwned\\u0007"', "1.5", "-0.0", '"' + "x" * 5000 + '"', "[[[[[[[[[[1]]]]]]]]]]",
]  # fmt: skip


def _value_of(line: str) -> str:
    return line.split("=", 1)[1]


@st.composite
def mutated(draw: st.DrawFn) -> str:
    lines = list(LINES)
    for _ in range(draw(st.integers(1, 3))):
        i = draw(st.sampled_from(SETTINGS))
        key = lines[i].split("=", 1)[0]
        junk = draw(st.one_of(st.sampled_from(JUNK), st.text(max_size=20).map(lambda t: '"' + t.replace("\\", "")
                                                                              .replace('"', "") + '"')))  # fmt: skip
        lines[i] = f"{key}= {junk}"
    if draw(st.booleans()):  # and sometimes a duplicated or dropped line
        i = draw(st.sampled_from(SETTINGS))
        if draw(st.booleans()):
            lines.insert(i, lines[i])
        else:
            del lines[i]
    return "\n".join(lines) + "\n"


@settings(max_examples=250, derandomize=True, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(mutated())
def test_mutated_configs_load_or_name_the_problem(text: str) -> None:
    try:
        loaded = parse_config(text, "fuzz.toml")
    except ConfigError as exc:
        assert exc.issues
        for issue in exc.issues:
            assert issue.file == "fuzz.toml"
            assert issue.line or issue.key, issue
            assert issue.fix, issue
        return
    # what loads can be planned (no I/O): every panel of every board
    now = datetime(2026, 11, 18, 12, tzinfo=UTC)
    ctx = PlanContext(TimeWindow.ending_at(now, 4 * 3600), now, True, now)
    for board in loaded.boards:
        board.info()
        for cfg in board.panels:
            kinds.get(cfg.kind).plan(cfg, ctx)


ARGS = st.lists(
    st.one_of(
        st.sampled_from(["--range", "--now", "--size", "--format", "-o", "--fail-on", "--board", "--since",
                         "--limit", "--refresh", "--config", "--var", "--no-compare", "--from"]),
        st.sampled_from(["", "4h", "1mo", "nope", "inf", "1e400", "-1", "0", "9999-12-31T23:59:59Z",
                         "0001-01-01T00:00:00Z", "2026-11-18T12:00:00Z", "80x24", "0x0", "99999x99999", "txt",
                         "json", "md", "csv", "/nonexistent/dir/x.json", "/dev/full", ".", "crit", "x=y",
                         "\x1b[2J", "1e400s", "infs", "-5m"]),
    ),
    max_size=6,
)  # fmt: skip


@settings(max_examples=60, derandomize=True, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.sampled_from(["snapshot", "logs", "check", "diff"]), ARGS)
def test_command_lines_exit_cleanly(command: str, args: list[str]) -> None:
    argv = [command, "--demo", *args]
    if command == "snapshot" and "--format" not in args:
        argv += ["--format", "txt"]
    out, err = io.StringIO(), io.StringIO()
    rc = main(argv, out=out, err=err)  # an exception here is the failure this test is about
    assert rc in (0, 1, 2, 3), rc
    if rc == 2:
        said = err.getvalue()
        assert said.strip(), "exit 2 without a word"
        assert re.search(r"--[a-z]|-o\b|argument|usage:|config|\.toml|\.json", said), said


@pytest.mark.parametrize(
    "argv, says",
    [
        (["snapshot", "--demo", "--now", "inf"], "--now"),
        (["snapshot", "--demo", "--now", "0001-01-01T00:00:00Z"], "--now"),
        (["snapshot", "--demo", "--now", "9999-12-31T23:59:59Z"], "--now"),
        (["snapshot", "--demo", "-o", "/nonexistent/dir/x.json"], "-o /nonexistent/dir/x.json"),
        (["snapshot", "--demo", "-o", "/"], "is a directory"),
        (["snapshot", "--demo", "--range", ""], "--range"),
        (["snapshot", "--demo", "--size", "0x0"], "--size"),
        (["snapshot", "--config", ""], "--config"),
        (["logs", "--demo", "--since", "1e400s"], "--since"),
        (["logs", "--demo", "--since", "infs"], "--since"),
    ],
)
def test_bad_arguments_name_the_argument(argv: list[str], says: str) -> None:
    err = io.StringIO()
    assert main(argv, out=io.StringIO(), err=err) == 2
    assert says in err.getvalue(), err.getvalue()


def test_dev_full_is_a_clear_write_error() -> None:
    err = io.StringIO()
    rc = main(["snapshot", "--demo", "--format", "txt", "-o", "/dev/full"], out=io.StringIO(), err=err)
    assert rc == 2 and "cannot write" in err.getvalue() and "/dev/full" in err.getvalue()
