"""One truth: for the demo board (and, in their own tests, every provider preset), what the TUI shows is
what the JSON says, and the board renders byte-identical from its JSON."""

from __future__ import annotations

from contract import assert_round_trip
from onetruth import assert_screen_matches_json

from srvmon.clock import FrozenClock
from srvmon.config import parse_config
from srvmon.poll import Poller

from tui_fakes import NOW, real_snapshot  # isort: skip

DEMO = '[providers.demo]\ntype = "demo"\n[[boards]]\nname = "s"\npreset = "serverless"\n'


def demo_snapshot(range_s: int | None = None, compare: bool = True):  # type: ignore[no-untyped-def]
    clock = FrozenClock(NOW)
    cfg = parse_config(DEMO)
    return Poller(cfg.boards[0], cfg.build_providers(clock), clock).poll(range_s=range_s, compare=compare)


def test_demo_board_screen_matches_its_json() -> None:
    for size in ((200, 60), (120, 40)):
        assert_screen_matches_json(demo_snapshot(), size)


def test_demo_month_and_compare_off_match_their_json() -> None:
    month = demo_snapshot(range_s=30 * 86400)
    assert month.compare == "4w"
    assert_screen_matches_json(month)
    assert_screen_matches_json(demo_snapshot(compare=False))


def test_fake_board_screen_matches_and_round_trips() -> None:
    snap = real_snapshot()
    assert_screen_matches_json(snap)
    assert_round_trip(snap, size=(120, 40))
