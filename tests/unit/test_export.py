"""Snapshot export: the schema-1 JSON contract, CSV, Markdown, text; atomic files."""

from __future__ import annotations

import csv
import io
import json
import os
from datetime import UTC, datetime

import pytest

from srvmon.config import parse_config
from srvmon.export import render, to_csv, to_json, to_md, to_txt, write_atomic
from srvmon.poll import Poller

from .test_poll import CFG  # noqa: TID252

PANEL_KEYS = {
    "id",
    "title",
    "kind",
    "status",
    "unit",
    "value",
    "compare_value",
    "delta_pct",
    "trend",
    "series",
    "rows",
    "limit",
    "error",
    "fetched_at",
    "stale",
}


@pytest.fixture
def snap(scripted, clock):
    cfg = parse_config(CFG)
    return Poller(cfg.boards[0], cfg.build_providers(clock), clock).poll()


def test_json_contract(snap):
    d = json.loads(to_json(snap))
    assert d["schema"] == 1 and d["board"] == "b" and d["compare"] == "1w"
    assert d["generated_at"] == "2026-11-18T12:00:00Z"
    assert d["window"] == {"start": "2026-11-18T11:00:00Z", "end": "2026-11-18T12:00:00Z", "step_s": 60}
    for p in d["panels"]:
        assert set(p) >= PANEL_KEYS
    stat = next(p for p in d["panels"] if p["id"] == "stat")
    assert stat["value"] == 10.0 and stat["delta_pct"] == 25.0 and stat["status"] == "warn"
    assert stat["series"][0]["points"][0] == [int(datetime(2026, 11, 18, 11, tzinfo=UTC).timestamp()), 10.0]
    gauge = next(p for p in d["panels"] if p["id"] == "gauge")
    assert gauge["limit"] == {"used": 10.0, "limit": 1000, "time_to_limit_s": None, "resource": ""}
    assert (
        d["providers"][0].items()
        >= {
            "name": "t",
            "type": "scripted",
            "ok": True,
            "error": None,
            "api_calls": 2,
            "metrics_requested": 6,
            "estimated_cost_usd": 6e-05,
            "partial": False,
            "state": "ok",
        }.items()
    )


def test_csv_one_row_per_point(snap):
    rows = list(csv.DictReader(io.StringIO(to_csv(snap))))
    stat = [r for r in rows if r["panel"] == "stat"]
    assert len(stat) == 120 and {r["which"] for r in stat} == {"current", "compare"}
    assert stat[0]["timestamp"] == "2026-11-18T11:00:00Z" and stat[0]["value"] == "10"
    alarms = [r for r in rows if r["panel"] == "alarms"]
    assert alarms == [
        {
            "board": "b",
            "panel": "alarms",
            "kind": "alarms",
            "series": "",
            "which": "value",
            "timestamp": "2026-11-18T12:00:00Z",
            "value": "1",
            "status": "crit",
            "unit": "",
            "detail": "",
        }
    ]


def test_md_and_txt_digest(snap):
    md = to_md(snap)
    assert "| ▲ warn | Stat | 10 | ↑25% |" in md and "ALARM: `api-5xx`" in md and "`no such metric`" in md
    txt = to_txt(snap)
    assert "✖ crit" in txt and "ALARM: api-5xx" in txt and "provider t (scripted): ok" in txt


def test_untrusted_text_is_neutralised_in_text_formats(snap):
    from dataclasses import replace

    evil = replace(
        snap,
        panels=tuple(
            replace(p, title="\x1b]0;pwned\x07[bold]x") if p.id == "stat" else p for p in snap.panels
        ),
    )
    md, txt = to_md(evil), to_txt(evil)
    for out in (md, txt):
        assert "\x1b" not in out and "\x07" not in out
    assert "[bold]x" in txt and "\\[bold\\]x" in md  # literal text; brackets escaped in Markdown


def test_unknown_format(snap):
    with pytest.raises(ValueError, match="unknown text format"):
        render(snap, "pdf")


def test_write_atomic(tmp_path):
    target = tmp_path / "out.json"
    target.write_text("old")
    write_atomic(target, "new")
    assert target.read_text() == "new" and os.listdir(tmp_path) == ["out.json"]

    class Boom(str):
        pass

    with pytest.raises(TypeError):
        write_atomic(target, 12345)  # type: ignore[arg-type]
    assert target.read_text() == "new" and os.listdir(tmp_path) == ["out.json"]


def test_write_atomic_to_a_fifo_writes_in_place(tmp_path):
    """Special files (/dev/null, pipes) are written, never replaced by a renamed regular file."""
    import stat
    import threading

    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    got: list[str] = []
    reader = threading.Thread(target=lambda: got.append(fifo.read_text()))
    reader.start()
    write_atomic(fifo, "through the pipe")
    reader.join(5)
    assert got == ["through the pipe"] and stat.S_ISFIFO(os.stat(fifo).st_mode)
    assert sorted(os.listdir(tmp_path)) == ["pipe"]


def test_write_atomic_keeps_normal_permissions(tmp_path):
    new = tmp_path / "new.txt"
    old_umask = os.umask(0o022)
    try:
        write_atomic(new, "x")
    finally:
        os.umask(old_umask)
    assert new.stat().st_mode & 0o777 == 0o644
    existing = tmp_path / "shared.txt"
    existing.write_text("old")
    existing.chmod(0o664)
    write_atomic(existing, "new")
    assert existing.stat().st_mode & 0o777 == 0o664 and existing.read_text() == "new"
