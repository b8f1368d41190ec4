"""Change-point detection over a panel's points: did the level shift, when, and by how much (pure, no I/O).

The model is a least-squares fit of a level, a common trend and one step,
``y = a + b*t + c*[t >= tau]``, tried at every split that leaves `min_side` points on each side (prefix
sums make that linear in the number of points). The split with the smallest residual wins, and it is
reported as a step only when all of these hold:

* **significant**: the step's z-value ``c / se(c)`` is at least `z_min`, with the standard error
  inflated for the residuals' lag-1 autocorrelation (real metrics are not white noise, and a slow
  wander would otherwise look significant);
* **abrupt**: across the split, the `min_side` points just after minus those just before (detrended)
  carry at least half of the step, and 80 % of those points sit nearer their own side's level. A
  ramp (gradual rise: capacity creeping up) has no abrupt jump, so **ramps are not reported as
  steps**: the trend line already shows them, and calling a ramp a step would point at a change event
  that did not cause it;
* **lasting**: the last `min_side` points sit nearer the stepped level than the old one (a spike or
  a plateau that came back is not a shift "since" anything);
* **large enough**: at least `min_pct` percent of the old level (when the old level is not ~0).

Gaps (None, NaN, inf) are skipped; timestamps keep their real spacing. Fewer than `min_points` present
points give None.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from srvmon.analysis import level_floor

Point = tuple[int, float | None]

#: Defaults: points needed in all, points on each side of a step, z-value and relative size of a step.
MIN_POINTS = 12
MIN_SIDE = 5
Z_MIN = 6.0
MIN_PCT = 15.0
#: The detrended jump right at the split must carry at least this share of the fitted step.
ABRUPT_SHARE = 0.5
#: Of the min_side points on each side of the split, at least this share must sit nearer their own level.
CLEAN_SHARE = 0.8
#: Lag-1 autocorrelation above this is clamped (the inflation factor stays finite).
MAX_RHO = 0.9


@dataclass(frozen=True, slots=True)
class Shift:
    """A level shift in a series: when it happened and by how much."""

    time: int
    """Epoch seconds of the first point at the new level."""
    before: float
    """The fitted level just before the step."""
    after: float
    """The fitted level just after the step."""
    pct: float | None
    """(after - before) / |before| * 100; None when the old level is ~0 (a percentage means nothing)."""
    z: float
    """The step's z-value (autocorrelation-corrected); at least the detector's `z_min`."""
    confidence: float
    """A monotone score of `z` in [0.5, 1): 0.5 at the detection threshold, 0.875 at twice it."""
    points_before: int
    points_after: int

    @property
    def delta(self) -> float:
        return self.after - self.before


def _present(points: Sequence[Point]) -> list[tuple[int, float]]:
    out = [(int(t), float(v)) for t, v in points if v is not None and math.isfinite(v)]
    out.sort(key=lambda p: p[0])
    return out


def _solve3(m: list[list[float]], rhs: list[float]) -> tuple[list[float], list[list[float]]] | None:
    """Solve a symmetric 3x3 system by Gauss-Jordan with partial pivoting; also return the inverse."""
    a = [row[:] + rhs[i : i + 1] + [1.0 if j == i else 0.0 for j in range(3)] for i, row in enumerate(m)]
    for col in range(3):
        pivot = max(range(col, 3), key=lambda r: abs(a[r][col]))
        if abs(a[pivot][col]) < 1e-12:
            return None
        a[col], a[pivot] = a[pivot], a[col]
        p = a[col][col]
        a[col] = [x / p for x in a[col]]
        for r in range(3):
            if r != col and a[r][col] != 0.0:
                f = a[r][col]
                a[r] = [x - f * y for x, y in zip(a[r], a[col], strict=True)]
    return [a[i][3] for i in range(3)], [a[i][4:7] for i in range(3)]


def detect(
    points: Sequence[Point],
    *,
    min_points: int = MIN_POINTS,
    min_side: int = MIN_SIDE,
    z_min: float = Z_MIN,
    min_pct: float = MIN_PCT,
) -> Shift | None:
    """The most significant lasting, abrupt level shift in `points` ((epoch_s, value|None) pairs), or None."""
    pts = _present(points)
    n = len(pts)
    if n < max(min_points, 2 * min_side, 4):
        return None
    t0 = pts[0][0]
    span = float(pts[-1][0] - t0) or 1.0
    xs = [(t - t0) / span for t, _ in pts]
    ys = [v for _, v in pts]
    scale = max(abs(v) for v in ys) or 1.0
    ys = [v / scale for v in ys]  # numerically tame sums whatever the unit
    sx, sxx, sy, sxy, syy = sum(xs), sum(x * x for x in xs), sum(ys), 0.0, 0.0
    for x, y in zip(xs, ys, strict=True):
        sxy += x * y
        syy += y * y
    # suffix sums over i >= k: count, sum x, sum y
    mx = [0.0] * (n + 1)
    my = [0.0] * (n + 1)
    for i in range(n - 1, -1, -1):
        mx[i] = mx[i + 1] + xs[i]
        my[i] = my[i + 1] + ys[i]
    # Every split k: the least-squares fit y = a + b x + c [i >= k], solved in closed form (Cramer's rule on
    # the symmetric 3x3 normal equations; the inverse is only needed for the best split, below).
    fn = float(n)
    best_k, best_sse = -1, math.inf
    for k in range(min_side, n - min_side + 1):
        m = float(n - k)
        mxk, myk = mx[k], my[k]
        # det([[n, sx, m], [sx, sxx, mxk], [m, mxk, m]])
        c00 = sxx * m - mxk * mxk
        c01 = sx * m - mxk * m
        c02 = sx * mxk - sxx * m
        det = fn * c00 - sx * c01 + m * c02
        if abs(det) < 1e-12:
            continue
        a_ = (sy * c00 - sx * (sxy * m - mxk * myk) + m * (sxy * mxk - sxx * myk)) / det
        b_ = (fn * (sxy * m - mxk * myk) - sy * c01 + m * (sx * myk - sxy * m)) / det
        c_ = (fn * (sxx * myk - sxy * mxk) - sx * (sx * myk - sxy * m) + sy * c02) / det
        sse = syy - (a_ * sy + b_ * sxy + c_ * myk)
        if sse < best_sse:
            best_k, best_sse = k, sse
    if best_k < 0:
        return None
    k = best_k
    m = float(n - k)
    solved = _solve3([[fn, sx, m], [sx, sxx, mx[k]], [m, mx[k], m]], [sy, sxy, my[k]])
    if solved is None:
        return None
    (a, b, c), inv = solved
    resid = [y - (a + b * x + (c if i >= k else 0.0)) for i, (x, y) in enumerate(zip(xs, ys, strict=True))]
    sigma2 = max(sum(r * r for r in resid), 0.0) / (n - 3)
    var_c = sigma2 * inv[2][2]
    if var_c <= 0.0:
        # a noiseless fit: any non-zero step is exact; keep it measurable
        var_c = (1e-9 * max(abs(c), 1e-12)) ** 2
    rho = _lag1(resid)
    inflate = math.sqrt((1.0 + rho) / (1.0 - rho)) if rho > 0 else 1.0
    z = abs(c) / (math.sqrt(var_c) * inflate)
    if z < z_min:
        return None
    # abrupt: the detrended jump across the split, from the min_side points on each side
    w = min_side
    left = [ys[i] - b * xs[i] for i in range(k - w, k)]
    right = [ys[i] - b * xs[i] for i in range(k, k + w)]
    local = sum(right) / w - sum(left) / w
    if local * c <= 0 or abs(local) < ABRUPT_SHARE * abs(c):
        return None
    # clean: most points on each side of the split are nearer their own side's level
    lo, hi = a, a + c  # the detrended levels
    need = math.ceil(CLEAN_SHARE * w)
    if (
        sum(abs(v - lo) < abs(v - hi) for v in left) < need
        or sum(abs(v - hi) < abs(v - lo) for v in right) < need
    ):
        return None
    # lasting: the last min_side points are nearer the stepped fit than the un-stepped one
    tail = range(n - w, n)
    with_step = sum(abs(ys[i] - (a + b * xs[i] + c)) for i in tail)
    without = sum(abs(ys[i] - (a + b * xs[i])) for i in tail)
    if with_step >= without:
        return None
    x_tau = xs[k]
    # The fitted levels either side of the split ("0 → 20.3 req/s", not "-0.247 → 20.3" for throttles).
    floor = level_floor(ys)
    before = max(floor, (a + b * x_tau) * scale)
    after = max(floor, (a + b * x_tau + c) * scale)
    pct: float | None = None
    if abs(before) > 1e-9 * scale:
        pct = (after - before) / abs(before) * 100.0
        if abs(pct) < min_pct:
            return None
    confidence = 1.0 - 0.5 * (z_min / z) ** 2
    return Shift(
        time=pts[k][0],
        before=before,
        after=after,
        pct=pct,
        z=z,
        confidence=confidence,
        points_before=k,
        points_after=n - k,
    )


def _lag1(resid: Sequence[float]) -> float:
    """Lag-1 autocorrelation of residuals, clamped to [0, MAX_RHO] (negative is treated as none)."""
    if len(resid) < 3:
        return 0.0
    mean = sum(resid) / len(resid)
    d = [r - mean for r in resid]
    den = sum(x * x for x in d)
    if den <= 0:
        return 0.0
    num = sum(d[i] * d[i - 1] for i in range(1, len(d)))
    return min(max(num / den, 0.0), MAX_RHO)
