"""Numbers an operator can trust (issue 18): each rule of docs/rules.md that the core decides, one test each."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

import pytest

from srvmon.clock import FrozenClock
from srvmon.config import parse_config
from srvmon.model import CostItem, LogRecord, LogResult, MetricQuery, QueryResult, Series, TimeWindow
from srvmon.poll import Poller
from srvmon.providers.aws.limits import LimitList
from srvmon.providers.base import Provider, ProviderOptions, register_provider

DEMO = '[providers.demo]\ntype = "demo"\n[[boards]]\nname = "s"\npreset = "serverless"\n'


@register_provider
class Rules(Provider):
    """Flat, known figures: 10 per bucket now, 8 a week ago; a DLQ of 5 now; cost 10/day; one limit unreadable."""

    type_name = "rules-test"
    history = True

    def query(self, queries: Sequence[MetricQuery], window: TimeWindow) -> dict[str, QueryResult]:
        out = {}
        past = (self.clock.now() - window.end).total_seconds() > 86400
        for q in queries:
            if q.query == "present-only" and past:
                out[q.ref_id] = QueryResult(
                    q.ref_id, warnings=("no history: this source reports only the present",)
                )
                continue
            ts = tuple(window.timestamps())
            if q.query == "huge":  # two series whose sum overflows a float
                out[q.ref_id] = QueryResult(
                    q.ref_id, tuple(Series({"s": s}, ts, (1e308,) * len(ts)) for s in "ab")
                )
                continue
            level = 8.0 if past else 10.0
            if q.query == "depth":  # a "now" value that grows a unit a minute, the same in any window
                vals = tuple(float((t // 60) % 1000) for t in ts)
            else:
                vals = tuple(level for _ in ts)
            out[q.ref_id] = QueryResult(q.ref_id, (Series({}, ts, vals),))
        return out

    def cost(self, window: TimeWindow) -> list[CostItem]:
        out = []
        now = self.clock.now()
        d = window.start.date()
        while d < window.end.date():
            # today billed so far, as Cost Explorer reports a partial day
            so_far = (now - datetime(d.year, d.month, d.day, tzinfo=UTC)).total_seconds() / 86400
            out.append(CostItem("lambda", d, 10.0 * min(1.0, max(0.0, so_far))))
            d = d.fromordinal(d.toordinal() + 1)
        return out

    def limits(self) -> LimitList:
        return LimitList(
            [], {"account_concurrency": "GetAccountSettings failed: AccessDeniedException: denied"}
        )

    def logs(self, query):  # type: ignore[no-untyped-def]
        return LogResult((LogRecord(self.clock.now().timestamp() - 5, "checkout",
                                    '{"level":"error","message":"payment declined","order":42}', "ERROR", 502),))  # fmt: skip


def board(now: datetime, panels: str) -> Poller:
    cfg = parse_config(f'[providers.r]\ntype = "rules-test"\n[[boards]]\nname = "b"\nrange = "4h"\n{panels}')
    clock = FrozenClock(now)
    return Poller(cfg.boards[0], cfg.build_providers(clock), clock)


NOW = datetime(2026, 11, 18, 12, 0, tzinfo=UTC)
ON_CHANGE = """
[[boards.panels]]
id = "x"
title = "X"
kind = "stat"
query = "flat"
threshold_on = "delta_pct"
thresholds = { warn = 10, crit = 20 }
"""


def test_compare_off_keeps_the_value_and_says_the_status_needs_it() -> None:
    on = board(NOW, ON_CHANGE).poll()
    assert on.panel("x").status == "crit" and on.panel("x").delta_pct == 25.0  # 10 vs 8
    off = board(NOW, ON_CHANGE).poll(compare=False)
    p = off.panel("x")
    assert off.compare is None and p.compare is None
    assert p.value == 10.0 and p.status == "nodata"
    assert "status needs the comparison" in p.notes[0]


def test_a_source_without_history_carries_no_compare() -> None:
    snap = board(
        NOW, '[[boards.panels]]\nid = "d"\ntitle = "Durable"\nkind = "stat"\nquery = "present-only"\n'
    ).poll()
    p = snap.panel("d")
    assert p.value == 10.0 and p.compare is None and p.compare_value is None and p.delta_pct is None


def test_now_values_are_the_same_at_every_range() -> None:
    panels = '[[boards.panels]]\nid = "q"\ntitle = "Queue"\nkind = "stat"\nquery = "depth"\nreduce = "last"\n'
    values = {r: board(NOW, panels).poll(range_s=s).panel("q").value for r, s in
              (("4h", 4 * 3600), ("1d", 86400), ("1w", 7 * 86400), ("1mo", 30 * 86400))}  # fmt: skip
    # the latest 1-minute point of the last 15 minutes, whatever the chart's step
    assert len(set(values.values())) == 1 and values["4h"] == float(((NOW.timestamp() - 60) // 60) % 1000), (
        values
    )


def test_the_first_of_the_month_is_never_critical_for_being_early() -> None:
    panels = ('[[boards.panels]]\nid = "c"\ntitle = "Cost"\nkind = "cost"\nthreshold_on = "delta_pct"\n'
              "thresholds = { warn = 10, crit = 30 }\n")  # fmt: skip
    first = board(datetime(2026, 12, 1, 0, 30, tzinfo=UTC), panels).poll().panel("c")
    assert first.value == pytest.approx(
        10.0 * 0.5 / 24, abs=0.005
    )  # today (half an hour of it) counts, in cents
    assert first.status == "nodata" and first.cost is not None and first.cost.forecast is None
    assert "first day of the month" in " ".join(first.notes)
    second = board(datetime(2026, 12, 2, 12, 0, tzinfo=UTC), panels).poll().panel("c")
    assert second.status == "ok" and second.cost is not None and second.cost.forecast == pytest.approx(310.0)


def test_an_unreadable_limit_names_the_call_and_why() -> None:
    panels = ('[[boards.panels]]\nid = "g"\ntitle = "Concurrency"\nkind = "gauge"\nquery = "flat"\n'
              'limit = "account_concurrency"\n')  # fmt: skip
    g = board(NOW, panels).poll().panel("g")
    assert g.status == "error" and "GetAccountSettings failed: AccessDeniedException" in (g.error or "")


def test_recent_errors_show_the_extracted_message() -> None:
    panels = '[[boards.panels]]\nid = "e"\ntitle = "Recent errors"\nkind = "logs"\n'
    [row] = board(NOW, panels).poll().panel("e").rows or ()
    assert row.message == "payment declined"  # type: ignore[union-attr]


def test_the_status_names_only_the_boards_own_providers_with_their_state() -> None:
    cfg = parse_config(DEMO + '[providers.r]\ntype = "rules-test"\n[[boards]]\nname = "mine"\nprovider = "r"\n'
                       '[[boards.panels]]\nid = "x"\ntitle = "X"\nkind = "stat"\nquery = "flat"\n')  # fmt: skip
    clock = FrozenClock(NOW)
    providers = cfg.build_providers(clock)
    mine = Poller(cfg.board("mine"), providers, clock).poll()
    assert [p.name for p in mine.providers] == ["r"] and not mine.demo  # no DEMO badge on this board
    demo = Poller(cfg.board("s"), providers, clock).poll()
    assert [p.name for p in demo.providers] == ["demo"] and demo.demo


def test_partial_provider_state_is_said() -> None:
    from srvmon.model import ProviderStatus

    p = ProviderStatus("aws", "aws", False, "AccessDenied: ce:GetCostAndUsage", calls=5, failed=1)
    assert p.partial and p.state == "partial: 1 of 5 calls failed: AccessDenied: ce:GetCostAndUsage"
    down = ProviderStatus("aws", "aws", False, "timed out after 20s", calls=5, failed=5)
    assert not down.partial and down.state == "error: timed out after 20s"


def test_provider_options_type_is_plain() -> None:
    assert Rules.Options is ProviderOptions


@pytest.mark.parametrize("kind", ["stat", "timeseries"])
def test_an_overflowing_sum_says_so_instead_of_looking_empty(kind: str) -> None:
    """Two series of 1e308 summed: no NaN/Infinity in the JSON, and the panel says why it has no value."""
    import json

    from srvmon.export import to_json
    from srvmon.kinds.metric import OVERFLOW_NOTE

    snap = board(NOW, f'[[boards.panels]]\nid = "h"\ntitle = "Huge"\nkind = "{kind}"\nquery = "huge"\n'
                      'thresholds = { warn = 1, crit = 2 }\n').poll()  # fmt: skip
    p = snap.panel("h")
    assert p.value is None and p.status == "nodata" and OVERFLOW_NOTE in p.notes
    doc = json.loads(to_json(snap), parse_constant=lambda c: pytest.fail(f"{c} in the JSON"))
    assert doc["panels"][0]["value"] is None
