"""The stat kind: one big value with its change vs the compare window, a sparkline, optional trend."""

from __future__ import annotations

from srvmon.kinds.timeseries import TimeseriesKind


class StatKind(TimeseriesKind):
    """Assembled like a one-line chart (the series feeds the sparkline and the maximised chart)."""

    name = "stat"
    lines = (3, 8)
    multi_series = False
    summary = "one value (reduce over the window, or the latest point), its change, a sparkline"
    fields = TimeseriesKind.fields - {"top"}
    body = "srvmon.widgets.stat:StatView"
