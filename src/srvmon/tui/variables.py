"""`v`: pick a board variable's value. The values are listed on a daemon thread (a provider query runs
through the provider's pool and deadline), offered in the command palette, and the board is re-resolved
with srvmon.config.resolve_variables and shown with a fresh source."""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual.command import CommandListItem, SimpleCommand

from srvmon.sanitize import clean
from srvmon.tui.refresher import in_background

if TYPE_CHECKING:
    from srvmon.config import Board
    from srvmon.tui.app import SrvmonApp


class VariablePicker:
    """One `v` interaction on one board."""

    def __init__(self, app: SrvmonApp, board: Board) -> None:
        self.app = app
        self.board = board

    def start(self) -> None:
        names = list(self.board.variables)
        if len(names) == 1:
            self.choose_value(names[0])
            return
        commands: list[CommandListItem] = [
            SimpleCommand(
                f"${n} = {clean(self.board.values.get(n, ''))}",
                (lambda n=n: self.choose_value(n)),
                clean(self.board.variables[n].label or self.board.variables[n].description or n),
            )
            for n in names
        ]
        self.app.search_commands(commands, placeholder="Board variable…")

    def choose_value(self, name: str) -> None:
        """List the values of `name` off the UI thread, then offer them."""
        from srvmon.var_choices import variable_choices

        board, app = self.board, self.app
        runtime = app.runtime
        cfg = board.variables[name]
        provider = cfg.provider or board.provider or ""

        def work() -> list[str]:
            if cfg.query is None or runtime is None:
                return variable_choices(board, name, runtime.providers if runtime is not None else {})
            got: list[str] = runtime.call(provider, lambda: variable_choices(board, name, runtime.providers),
                                          "variable values")  # fmt: skip
            return got

        def done(values: list[str] | None, error: BaseException | None) -> None:
            app.call_from_thread(self._offer, name, values or [], error)

        app.notify(f"listing values of ${name}…", timeout=2)
        in_background("variables", work, done)

    def _offer(self, name: str, values: list[str], error: BaseException | None) -> None:
        if error is not None:
            self.app.notify(f"cannot list values of ${name}: {clean(str(error))}; keeping "
                            f"{clean(self.board.values.get(name, ''))!r}", severity="error", timeout=8)  # fmt: skip
            return
        if not values:
            self.app.notify(f"${name} has no values to pick from", severity="warning", timeout=4)
            return
        current = self.board.values.get(name)
        commands: list[CommandListItem] = [
            SimpleCommand(
                f"{clean(v)}{'  (current)' if v == current else ''}",
                (lambda v=v: self.app.set_variable(self.board.name, name, v)),
                f"${name} = {clean(v)}",
            )
            for v in values
        ]
        label = clean(self.board.variables[name].label or name)
        self.app.search_commands(commands, placeholder=f"{label} = …")
