"""The change-point detector on synthetic series: steps are found where they are, with their size; noise
(white, autocorrelated, heavy-tailed), ramps, daily waves, spikes and plateaus that come back are not
steps; gaps are skipped. Every series is seeded, so the figures are the same on every run."""

from __future__ import annotations

import math
import random

import pytest

from srvmon.changepoint import Shift, detect

N = 240  # a 4 h window at 60 s
STEP = 60
T0 = 1_700_000_000


def pts(values: list[float | None]) -> list[tuple[int, float | None]]:
    return [(T0 + i * STEP, v) for i, v in enumerate(values)]


def noisy(rng: random.Random, level: float = 100.0, sd: float = 5.0) -> list[float | None]:
    return [level + rng.gauss(0, sd) for _ in range(N)]


def ar1(rng: random.Random, rho: float, sd: float = 5.0) -> list[float | None]:
    x, out = 0.0, []
    for _ in range(N):
        x = rho * x + rng.gauss(0, sd)
        out.append(100.0 + x)
    return out


def test_a_late_tripling_is_found_at_its_minute_with_its_size() -> None:
    """The demo's shape: p99 triples 35 minutes before the end of a 4 h window."""
    rng = random.Random(7)
    values = [100.0 * (3.0 if i >= 205 else 1.0) * (1 + 0.07 * rng.gauss(0, 1)) for i in range(N)]
    shift = detect(pts(values))
    assert isinstance(shift, Shift)
    assert shift.time == T0 + 205 * STEP
    assert shift.before == pytest.approx(100.0, rel=0.05)
    assert shift.after == pytest.approx(300.0, rel=0.05)
    assert shift.pct == pytest.approx(200.0, abs=12)
    assert (shift.points_before, shift.points_after) == (205, 35)
    assert 0.5 <= shift.confidence < 1.0 and shift.z >= 6


@pytest.mark.parametrize(("at", "factor"), [(60, 1.5), (120, 0.6), (200, 1.3), (35, 2.0)])
def test_steps_anywhere_up_or_down(at: int, factor: float) -> None:
    rng = random.Random(at)
    values = [100.0 * (factor if i >= at else 1.0) + rng.gauss(0, 4) for i in range(N)]
    shift = detect(pts(values))
    assert shift is not None
    assert abs(shift.time - (T0 + at * STEP)) <= STEP  # within one bucket
    assert shift.pct == pytest.approx((factor - 1) * 100, abs=5)


def test_a_step_from_zero_has_no_percentage() -> None:
    """Errors going from none to some: a ratio means nothing, the levels are kept."""
    values = [0.0] * 180 + [3.0] * 60
    shift = detect(pts(values))
    assert shift is not None and shift.pct is None
    assert (round(shift.before, 6), round(shift.after, 6)) == (0.0, 3.0)
    assert shift.time == T0 + 180 * STEP


def test_a_never_negative_series_has_no_level_below_zero() -> None:
    """Throttles easing off to none, then a burst: the fitted slope put the level before at -0.71 (shown as
    "-0.71 → 20.3 req/s", +2953%); a series that is never negative has none below zero, so no ratio."""
    rng = random.Random(5)
    values = [
        max(0.0, 3.0 - 0.025 * i + rng.gauss(0, 0.3)) if i < 200 else 20 + rng.gauss(0, 1) for i in range(N)
    ]
    shift = detect(pts(values))
    assert shift is not None and shift.time == T0 + 200 * STEP
    assert shift.before == 0.0 and shift.pct is None
    assert shift.after == pytest.approx(20.0, abs=1)
    # The same series backwards, a burst then none: the level after was -0.69 (-103%); now 0 (-100%).
    down = detect(pts(values[::-1]))
    assert down is not None and down.after == 0.0 and down.pct == pytest.approx(-100.0)


def test_a_step_on_top_of_a_trend_is_found() -> None:
    rng = random.Random(3)
    values = [50 + 0.3 * i + (60 if i >= 150 else 0) + rng.gauss(0, 5) for i in range(N)]
    shift = detect(pts(values))
    assert shift is not None and abs(shift.time - (T0 + 150 * STEP)) <= STEP
    assert shift.delta == pytest.approx(60, abs=6)


def test_a_step_in_autocorrelated_noise_is_still_found() -> None:
    rng = random.Random(11)
    values = [v + (80 if i >= 150 else 0) for i, v in enumerate(ar1(rng, 0.8))]  # type: ignore[operator]
    shift = detect(pts(values))
    assert shift is not None and abs(shift.time - (T0 + 150 * STEP)) <= 2 * STEP


@pytest.mark.parametrize(
    ("name", "make"),
    [
        ("white noise", lambda r: noisy(r)),
        ("AR(1) 0.5", lambda r: ar1(r, 0.5)),
        ("AR(1) 0.8", lambda r: ar1(r, 0.8)),
        ("log-normal", lambda r: [100 * math.exp(r.gauss(0, 0.3)) for _ in range(N)]),
        ("counts", lambda r: [float(sum(r.random() < 0.05 for _ in range(20))) for _ in range(N)]),
    ],
)
def test_no_false_alarm_on_noise(name: str, make) -> None:  # type: ignore[no-untyped-def]
    """200 seeded series of each kind of noise: none is reported as a shift."""
    alarms = [seed for seed in range(200) if detect(pts(make(random.Random(seed)))) is not None]
    assert alarms == [], f"{name}: false shifts for seeds {alarms}"


@pytest.mark.parametrize(
    ("name", "make"),
    [
        ("linear ramp", lambda r: [50 + 0.5 * i + r.gauss(0, 5) for i in range(N)]),
        ("flat then climbing", lambda r: [100 + max(0, i - 120) * 1.0 + r.gauss(0, 5) for i in range(N)]),
        ("late steep climb", lambda r: [100 + max(0, i - 200) * 5.0 + r.gauss(0, 5) for i in range(N)]),
        ("climb then flat", lambda r: [100 + min(i, 120) * 1.0 + r.gauss(0, 5) for i in range(N)]),
        (
            "a day's wave",
            lambda r: [100 + 40 * math.sin(2 * math.pi * i / N) + r.gauss(0, 5) for i in range(N)],
        ),
    ],
)
def test_ramps_are_not_reported_as_steps(name: str, make) -> None:  # type: ignore[no-untyped-def]
    """Decision: a gradual change is a trend, not a step (the trend line shows it), so no Shift."""
    found = [seed for seed in range(50) if detect(pts(make(random.Random(seed)))) is not None]
    assert found == [], f"{name}: reported as a step for seeds {found}"


def test_spikes_and_plateaus_that_come_back_are_not_shifts() -> None:
    rng = random.Random(5)
    spike = [100 + (200 if 100 <= i < 103 else 0) + rng.gauss(0, 5) for i in range(N)]
    plateau = [100 + (100 if 100 <= i < 140 else 0) + rng.gauss(0, 5) for i in range(N)]
    last_points = [100 + (300 if i >= N - 3 else 0) + rng.gauss(0, 5) for i in range(N)]
    assert detect(pts(spike)) is None
    assert detect(pts(plateau)) is None
    assert detect(pts(last_points)) is None  # fewer than min_side points at the new level: not yet


def test_small_shifts_are_below_the_minimum() -> None:
    rng = random.Random(9)
    values = [100 * (1.08 if i >= 120 else 1.0) + rng.gauss(0, 1) for i in range(N)]
    assert detect(pts(values)) is None  # +8% is significant but below min_pct (15%)
    assert detect(pts(values), min_pct=5) is not None


def test_gaps_are_skipped_and_real_spacing_kept() -> None:
    rng = random.Random(2)
    values: list[float | None] = [
        None if i % 7 == 0 else 100.0 * (2 if i >= 150 else 1) + rng.gauss(0, 3) for i in range(N)
    ]
    values[150:160] = [None] * 10  # a hole right where the step happens
    values[3] = float("nan")
    shift = detect(pts(values))
    assert shift is not None
    assert shift.time == T0 + 160 * STEP  # the first present point at the new level
    assert shift.pct == pytest.approx(100, abs=8)


def test_too_few_points_or_all_gaps_give_none() -> None:
    assert detect([]) is None
    assert detect(pts([None] * N)) is None
    assert detect(pts([1.0] * 5 + [9.0] * 5)) is None  # 10 points < min_points
    assert detect(pts([1.0] * 8 + [9.0] * 8)) is not None  # a clean step on 16 points


def test_flat_series_are_not_shifts() -> None:
    assert detect(pts([5.0] * N)) is None
    assert detect(pts([0.0] * N)) is None
