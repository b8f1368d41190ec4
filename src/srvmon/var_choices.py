"""What a board variable can be set to, for the TUI's `v` (and scripts): its `values`, or its `query`
listed by the provider (a blocking read-only call: run it in a worker), with `*` when All is offered."""

from __future__ import annotations

from collections.abc import Mapping

from srvmon.config import Board
from srvmon.providers.base import Provider
from srvmon.variables import ALL


def variable_choices(board: Board, name: str, providers: Mapping[str, Provider]) -> list[str]:
    """The values `name` may take on `board`, current value first. KeyError for an unknown variable;
    ProviderError/NotSupported from the provider's listing propagate (show them; keep the old value)."""
    cfg = board.variables[name]
    if cfg.query is not None:
        provider = providers[cfg.provider or board.provider or ""]
        values = list(provider.variable_values(cfg.query))
    else:
        values = list(cfg.values)
    if cfg.include_all:
        values = [ALL, *values]
    current = board.values.get(name)
    if current is not None and current in values:
        values.remove(current)
        values.insert(0, current)
    return values
