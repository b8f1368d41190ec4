"""Importers on damaged input: every fixture with values swapped for other JSON types, one key at a time
(seeded, deterministic). Each import either succeeds with a board that loads, or stops with a
DashboardError that names where and how to fix it: never another exception."""

from __future__ import annotations

import copy
import json
import random
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from srvmon.importers.cloudwatch import import_cloudwatch
from srvmon.importers.grafana import import_grafana
from srvmon.importers.jsonin import DashboardError
from srvmon.importers.verify import verify

FIXTURES = Path(__file__).parent / "fixtures"
JUNK: list[Any] = [
    None,
    0,
    -1,
    1.5,
    True,
    "",
    "x",
    "$__all",
    [],
    [1, "a"],
    {},
    {"a": [None]},
    "\x00\ud800",
    "9" * 40,
]


def _paths(value: Any, path: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    yield path
    if isinstance(value, dict):
        for k, v in value.items():
            yield from _paths(v, (*path, k))
    elif isinstance(value, list):
        for i, v in enumerate(value):
            yield from _paths(v, (*path, i))


def _set(doc: Any, path: tuple[Any, ...], junk: Any) -> Any:
    if not path:
        return junk
    out = copy.deepcopy(doc)
    cur = out
    for key in path[:-1]:
        cur = cur[key]
    cur[path[-1]] = junk
    return out


def _run(name: str, doc: Any) -> None:
    try:
        if name.startswith("cloudwatch"):
            board, report = import_cloudwatch(doc, name="d", where=name)
            types = {"aws": "aws"}
        else:
            board, report, types = import_grafana(doc, where=name, values={}, datasources={})
        verify(board, types, report)
        if board.panels:
            board.to_toml()
    except DashboardError as exc:
        assert exc.where and exc.fix


@pytest.mark.parametrize("name", sorted(p.name for p in FIXTURES.glob("*.json")))
def test_damaged_fixtures_never_crash(name: str) -> None:
    doc = json.loads((FIXTURES / name).read_text())
    paths = list(_paths(doc))
    rng = random.Random(name)
    for path in rng.sample(paths, min(len(paths), 150)):
        _run(name, _set(doc, path, rng.choice(JUNK)))
