"""`srvmon diff A B`: what changed between two snapshots, ranked - status changes first, then the largest
value moves, alarms, toplist ranks, cost - and exit 1 with --fail-on worse when any panel got worse."""

from __future__ import annotations

import io
import json
from dataclasses import replace

from srvmon import diff
from srvmon.cli import main
from srvmon.config import parse_config
from srvmon.export import to_json
from srvmon.poll import Poller

from .test_poll import CFG  # noqa: TID252


def pair(scripted, clock):  # type: ignore[no-untyped-def]
    cfg = parse_config(CFG)
    a = Poller(cfg.boards[0], cfg.build_providers(clock), clock).poll()
    stat = a.panel("stat")
    top = a.panel("top")
    alarms = a.panel("alarms")
    b_panels = []
    for p in a.panels:
        if p is stat:
            p = replace(p, status="crit", value=20.0)
        elif p is top:
            p = replace(p, rows=tuple(reversed(top.rows or ())))
        elif p is alarms:
            p = replace(p, rows=tuple(replace(r, state="ALARM") if r.name == "db-errors" else
                                      replace(r, state="OK") if r.name == "api-5xx" else r
                                      for r in alarms.rows or ()))  # fmt: skip
        b_panels.append(p)
    return a, replace(a, panels=tuple(b_panels))


def test_changes_are_ranked(scripted, clock) -> None:
    a, b = pair(scripted, clock)
    d = diff.diff(a, b)
    kinds = [i.change for i in d.items]
    assert kinds[0] == "status" and d.items[0].panel == "stat" and d.items[0].worse
    assert kinds == sorted(kinds, key=lambda k: diff.ORDER[k])
    value = next(i for i in d.items if i.change == "value")
    assert value.panel == "stat" and "↑100%" in "".join(value.text)
    alarms = [("".join(i.text), i.worse) for i in d.items if i.change == "alarm"]
    assert ("now firing: db-errors", True) in alarms and ("cleared: api-5xx", False) in alarms
    assert any(i.change == "rank" for i in d.items)
    assert d.worse


def test_cli_formats_and_fail_on_worse(scripted, clock, tmp_path) -> None:
    a, b = pair(scripted, clock)
    pa, pb = tmp_path / "a.json", tmp_path / "b.json"
    pa.write_text(to_json(a))
    pb.write_text(to_json(b))
    for fmt in ("txt", "md", "json"):
        out = io.StringIO()
        assert main(["diff", str(pa), str(pb), "--format", fmt], out=out, err=io.StringIO()) == 0
        assert "db-errors" in out.getvalue()
    doc = json.loads(out.getvalue())
    assert doc["worse"] is True and doc["changes"][0]["change"] == "status"
    assert main(["diff", str(pa), str(pb), "--fail-on", "worse"], out=io.StringIO(), err=io.StringIO()) == 1
    assert main(["diff", str(pa), str(pa), "--fail-on", "worse"], out=io.StringIO(), err=io.StringIO()) == 0


def test_unreadable_inputs_are_named(tmp_path) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text("{not json")
    err = io.StringIO()
    assert main(["diff", str(bad), str(tmp_path / "missing.json")], out=io.StringIO(), err=err) == 2
    assert "bad.json: not valid JSON" in err.getvalue() and "missing.json: cannot read" in err.getvalue()
