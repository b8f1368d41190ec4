"""API budgets: the config key (read by the runtime, never passed to the provider), the meter, the
runtime's refusal when a window is spent, and the serve loop that stretches refreshes to stay within it
and says so to every viewer."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from servehelp import boards_config

from srvmon.budget import ApiBudget, BudgetMeter
from srvmon.clock import FrozenClock
from srvmon.config import ConfigError, load_config, parse_config
from srvmon.fetchcache import FetchCache
from srvmon.model import RANGES
from srvmon.serve.loop import ServeLoop
from srvmon.serve.viewer import Viewer, hint_text
from srvmon.store import POLLER, ViewKey
from srvmon.store.sqlite_store import SqliteStore

START = datetime(2026, 11, 18, 12, 0, 5, tzinfo=UTC)


def test_api_budget_is_taken_out_of_the_provider_options() -> None:
    cfg = parse_config(
        '[providers.demo]\ntype = "demo"\napi_budget = { calls_per_min = 30, usd_per_day = 2.5 }\n'
    )
    spec = cfg.providers["demo"]
    assert spec.budget == ApiBudget(calls_per_min=30, usd_per_day=2.5)
    assert "api_budget" not in spec.options.model_dump()
    runtime = cfg.runtime(FrozenClock(START))
    assert runtime.meter.budgets == {"demo": spec.budget}
    runtime.close()


@pytest.mark.parametrize(("budget", "key", "says"), [
    ("{ calls_per_minute = 5 }", "providers.demo.api_budget.calls_per_minute", "did you mean `calls_per_min`"),
    ("{ calls_per_min = 0 }", "providers.demo.api_budget.calls_per_min", "greater than or equal to 1"),
    ("{ usd_per_day = -1.0 }", "providers.demo.api_budget.usd_per_day", "greater than 0"),
    ("5", "providers.demo.api_budget", "valid dictionary"),
])  # fmt: skip
def test_bad_budgets_name_the_key(budget: str, key: str, says: str) -> None:
    with pytest.raises(ConfigError) as err:
        parse_config(f'[providers.demo]\ntype = "demo"\napi_budget = {budget}\n', "c.toml")
    text = str(err.value)
    assert key in text and says in text and "c.toml:3" in text


def test_meter_waits_until_the_oldest_calls_leave_the_window() -> None:
    meter = BudgetMeter({"p": ApiBudget(calls_per_min=10)})
    meter.start("p", 0, 0.0)
    assert meter.record("p", 100.0, 6, 0.0) == (6, 0.0)
    assert meter.record("p", 130.0, 9, 0.0) == (3, 0.0)
    assert meter.wait_s("p", 131.0, 1) == 0.0
    assert meter.wait_s("p", 131.0, 4) == pytest.approx(29.0)  # the 6 calls of t=100 leave at t=160
    assert meter.wait_s("p", 131.0, 11) == pytest.approx(59.0)  # more than the budget: an empty window
    assert meter.exhausted("p", 131.0) is None
    meter.record("p", 140.0, 10, 0.0)
    assert "1 calls in the last minute" not in (meter.exhausted("p", 141.0) or "x")
    assert "10 calls in the last minute" in (meter.exhausted("p", 141.0) or "")
    assert meter.exhausted("p", 200.0) is None


def test_runtime_makes_no_call_when_the_window_is_spent() -> None:
    cfg = parse_config('[providers.demo]\ntype = "demo"\napi_budget = { calls_per_min = 5 }\n')
    clock = FrozenClock(START)
    runtime = cfg.runtime(clock)
    from srvmon.poll import Poller

    poller = Poller(cfg.boards[0], runtime, clock)
    poller.poll()  # the first refresh alone costs more than the budget: it is the only one this minute
    spent = runtime.get("demo").usage().api_calls  # type: ignore[union-attr]
    clock.advance(30)
    snap = poller.poll()
    assert runtime.get("demo").usage().api_calls == spent  # type: ignore[union-attr]
    assert all(
        p.stale and "API budget of 'demo' spent" in (p.error or "") for p in snap.panels if p.kind != "text"
    )
    runtime.close()


def test_serve_loop_stays_within_the_budget_and_says_so(tmp_path: Path) -> None:
    cfg = boards_config(tmp_path / "c.toml", budget="api_budget = { calls_per_min = 20 }")
    loaded = load_config(cfg)
    clock = FrozenClock(START)
    store = SqliteStore(tmp_path / "s.db")
    loop = ServeLoop(loaded.boards, loaded.runtime(clock), store, clock, holder="h", fetch=FetchCache(clock))
    provider = loop.runtime.get("demo")
    assert provider is not None
    spent: list[tuple[float, int]] = []
    day = ViewKey("ops", RANGES["1d"], None, True)
    for _ in range(60):  # five minutes in 5 s ticks, a viewer asking for one more view
        store.demand(day, "viewer", clock.now().timestamp())
        before = provider.usage().api_calls
        loop.tick()
        spent.append((clock.now().timestamp(), provider.usage().api_calls - before))
        clock.advance(5)
    windows = [sum(c for t, c in spent if start <= t < start + 60) for start, _ in spent]
    first = spent[0][1]
    assert first > 0 and max(windows[1:]) <= max(20, first) and sum(c for _, c in spent) > 40
    assert max(w for (t, _), w in zip(spent, windows, strict=True) if t >= START.timestamp() + 60) <= 20
    doc = store.statuses(POLLER, clock.now().timestamp())[0]
    assert doc["budgets"]["demo"]["calls_per_min"] == 20
    held = [v for v in doc["views"] if v["held_by"] == "demo"]
    assert held, "with 4 views of ~8 calls each, 20 calls/min must hold some"
    viewer = Viewer(store, clock)
    viewer.current = ViewKey(held[0]["board"], RANGES[held[0]["range"]], None, True)
    assert (
        "API budget of demo (20 calls/min): refreshes wait"
        in hint_text(viewer, [doc], clock.now().timestamp()).plain
    )
    loop.close()
    store.close()
