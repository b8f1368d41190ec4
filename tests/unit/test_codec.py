"""The snapshot JSON: schema-valid, exact round trip, inert text, clear errors for documents that are not one."""

from __future__ import annotations

import json
from dataclasses import replace

import pytest
from contract import assert_round_trip, validate_json

from srvmon.codec import SnapshotFormatError, loads
from srvmon.config import parse_config
from srvmon.export import to_json
from srvmon.poll import Poller

from .test_poll import CFG  # noqa: TID252

HOSTILE = ["\x9b31m", "\x1b]0;pwned\x07", "a\u202eb", "del\x7f", "[x](http://evil.invalid)", "<script>x</script>",
           "line\nbreak", "tab\tkept", "\u2028sep"]  # fmt: skip


@pytest.fixture
def snap(scripted, clock):
    cfg = parse_config(CFG)
    return Poller(cfg.boards[0], cfg.build_providers(clock), clock).poll()


def test_round_trip_is_exact_and_schema_valid(snap) -> None:
    assert_round_trip(snap, svg=False)


def test_demo_board_round_trips_with_byte_identical_svg(clock) -> None:
    cfg = parse_config('[providers.demo]\ntype = "demo"\n[[boards]]\nname = "s"\npreset = "serverless"\n')
    snap = Poller(cfg.boards[0], cfg.build_providers(clock), clock).poll()
    assert_round_trip(snap, svg=True, size=(200, 60))


def test_untrusted_text_is_escaped_but_read_back_exactly(snap) -> None:
    alarms = snap.panel("alarms")
    rows = tuple(replace(r, name=h, reason=h) for r, h in zip(alarms.rows, HOSTILE, strict=False))
    evil = replace(snap, panels=tuple(replace(p, rows=rows) if p.id == "alarms" else p for p in snap.panels),
                   title=HOSTILE[0] + HOSTILE[2])  # fmt: skip
    text = to_json(evil)
    bad = [c for c in text if 0x7F <= ord(c) < 0xA0 or ord(c) in (0x202E, 0x2028)]
    assert not bad, f"raw control characters in the JSON: {bad!r}"
    assert "\\u009b" in text and "\\u202e" in text
    assert loads(text) == evil


def test_non_finite_numbers_become_null(snap) -> None:
    stat = snap.panel("stat")
    odd = replace(snap, panels=tuple(replace(p, value=float("nan"), compare_value=float("inf")) if p is stat else p
                                     for p in snap.panels))  # fmt: skip
    doc = validate_json(to_json(odd))
    panel = next(p for p in doc["panels"] if p["id"] == "stat")
    assert panel["value"] is None and panel["compare_value"] is None


@pytest.mark.parametrize(
    "text, says",
    [
        ("[]", "not a JSON object"),
        ('{"schema": 2}', "schema 2 is not supported"),
        ('{"schema": 1, "panels": 3}', "panels: expected a list"),
        ("{" * 50_000, "not valid JSON"),
        (
            '{"schema": 1, "panels": [{"id": "a", "kind": "stat"}], "generated_at": "yesterday"}',
            "generated_at",
        ),
    ],
)
def test_documents_that_are_not_snapshots_are_named(text: str, says: str) -> None:
    with pytest.raises(SnapshotFormatError, match=says):
        loads(text)


def test_health_rows_keep_the_old_key_as_an_alias(clock) -> None:
    cfg = parse_config('[providers.demo]\ntype = "demo"\n[[boards]]\nname = "s"\npreset = "serverless"\n')
    doc = json.loads(to_json(Poller(cfg.boards[0], cfg.build_providers(clock), clock).poll()))
    health = next(p for p in doc["panels"] if p["kind"] == "health")
    row = health["rows"][0]
    assert row["timeout_pct"] == row["p99_timeout_pct"]
