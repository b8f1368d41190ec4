"""Pure PromQL helpers: quoting, regex escaping, window variables, alignment, detection of metric names."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest

from srvmon.model import TimeWindow
from srvmon.providers.prometheus import detect
from srvmon.providers.prometheus.promql import align, expand, matcher, quote, range_params, rank, regex_escape

WINDOW = TimeWindow.ending_at(datetime(2026, 11, 20, 12, 0, tzinfo=UTC), 4 * 3600)


def test_quote_escapes_go_style() -> None:
    assert quote('a"b\\c\nd\te\x01') == '"a\\"b\\\\c\\nd\\te\\x01"'
    assert quote("日本 ok") == '"日本 ok"'


def test_regex_escape_is_literal_for_python_re_too() -> None:
    for text in ["a.b", "x|y", "(1+2)*[3]{4}^$?", "back\\slash", "plain-name_1"]:
        assert re.fullmatch(regex_escape(text), text)
        assert not re.fullmatch(regex_escape(text), text + "z")
    assert regex_escape("a-b c") == "a-b c"  # RE2 rejects needless escapes; only metacharacters change


def test_matcher() -> None:
    assert matcher("function_name", ["checkout"]) == 'function_name="checkout"'
    assert matcher("function_name", ["a.b", "c"]) == 'function_name=~"a\\\\.b|c"'
    with pytest.raises(ValueError, match="label name"):
        matcher('x="1"} or up{y', ["v"])


def test_window_variables() -> None:
    expr = "rate(x[$__rate_interval]) * $__interval_s / ${__range_s} + increase(y[$__interval]) + z[$__range]"
    assert expand(expr, WINDOW, 60) == "rate(x[240s]) * 60 / 14400 + increase(y[60s]) + z[14400s]"
    week = TimeWindow.ending_at(WINDOW.end, 7 * 86400)
    assert expand("rate(x[$__rate_interval])", week, 60) == "rate(x[1860s])"
    assert expand("$__intervalx $other", WINDOW, 60) == "$__intervalx $other"
    assert range_params(WINDOW) == {"start": str(WINDOW.start_s + 60), "end": str(WINDOW.end_s), "step": "60"}


def test_align_maps_bucket_ends_to_starts_and_fills_gaps() -> None:
    w = TimeWindow.ending_at(WINDOW.end, 600)
    t = list(w.timestamps())
    result = [{"metric": {"__name__": "x", "fn": "a", "pod": "1"}, "values": [[t[0] + 60, "1"], [t[2] + 60, "3"]]},
              {"metric": {"fn": "a", "pod": "2"}, "values": [[t[0] + 60, "10"], [t[1] + 60, "20"]]},
              {"metric": {"fn": "b"}, "values": [[t[9] + 60, "5"], [t[9] + 120, "6"]]}]  # fmt: skip
    series, warnings = align(result, w, ("fn",))
    assert [s.labels for s in series] == [{"fn": "a"}, {"fn": "b"}]
    assert series[0].values[:4] == (11.0, 20.0, 3.0, None)
    assert series[1].values == (None,) * 9 + (5.0,)  # the point past the window end is dropped
    assert warnings and "summed" in warnings[0]
    ungrouped, _ = align(result[:1], w, ())
    assert ungrouped[0].labels == {"fn": "a", "pod": "1"}


def test_rank() -> None:
    w = TimeWindow.ending_at(WINDOW.end, 180)
    series, _ = align([{"metric": {"n": str(i)}, "values": [[t + 60, str(i)] for t in w.timestamps()]}
                       for i in (2, 5, 1)], w, ("n",))  # fmt: skip
    assert [s.labels["n"] for s in rank(series, 2)] == ["5", "2"]
    assert [s.labels["n"] for s in rank(series, 1, "asc")] == ["1"]
    assert rank(series, None) == series


@pytest.mark.parametrize(
    ("promql", "names"),
    [
        (
            'sum(rate(gateway_function_invocation_total{code=~"5.."}[5m]))',
            {"gateway_function_invocation_total"},
        ),
        (
            "histogram_quantile(0.99, sum by (le, function_name) (rate(a_bucket[$__rate_interval])))",
            {"a_bucket"},
        ),
        ("sum(a) / ignoring(code) group_left sum(b offset 1w)", {"a", "b"}),
        (
            'label_replace(sum by (kn_service_name) (x), "service_name", "$1", "kn_service_name", "(.*)")',
            {"x"},
        ),
        ('{__name__="foo", job="j"} or {__name__=\'bar\'}', {"foo", "bar"}),
        ("topk(5, max without (pod) (up)) > bool 1", {"up"}),
        ("vector(0) or sum(job:requests:rate5m)", {"job:requests:rate5m"}),
        ('count(x{a="sum(y)"}) # comment z', {"x"}),
    ],
)
def test_referenced_metrics(promql: str, names: set[str]) -> None:
    assert detect.referenced_metrics(promql) == names


def test_choose_and_validate() -> None:
    opts = ["sum(revision_request_count)", "sum(kn_serving_invocation_duration_seconds_count)"]
    assert detect.choose(opts, {"kn_serving_invocation_duration_seconds_count"}) == opts[1]
    assert (
        detect.choose(opts, {"revision_request_count", "kn_serving_invocation_duration_seconds_count"})
        == opts[0]
    )
    assert detect.choose(opts, set()) == opts[0]
    assert detect.choose(opts, None) == opts[0]
    assert detect.candidates({"promql": "a", "fallback": "b"}) == ["a", "b"]
    assert detect.candidates({"promql": "a", "fallback": ["b", "", "c"]}) == ["a", "b", "c"]
    assert detect.validate("up") is None
    assert detect.validate({"promql": "up", "fallback": ["x"]}) is None
    assert "unknown query key" in (detect.validate({"promql": "up", "metric": "x"}) or "")
    assert "non-empty" in (detect.validate({"fallback": "x"}) or "")
    assert "list" in (detect.validate({"promql": "up", "fallback": 3}) or "")
    assert "empty" in (detect.validate("  ") or "")
    assert detect.generation({"revision_request_count", "fn_calls"}) == {
        "openfaas": None, "knative": "opencensus (revision_request_*)", "fn": "fn_*",
    }  # fmt: skip


def test_presets_validate() -> None:
    from srvmon.presets import load_preset
    from srvmon.providers.prometheus import PrometheusProvider

    for name in ("openfaas", "knative", "fn"):
        preset = load_preset(name)
        assert preset.provider_type == "prometheus"
        ids = [p.id for p in preset.panels]
        assert len(ids) == len(set(ids))
        cells: dict[tuple[int, int], str] = {}
        for panel in preset.panels:
            pos = panel.position
            assert pos is not None, (name, panel.id)
            for r in range(pos.row, pos.row + pos.height):
                for c in range(pos.col, pos.col + pos.width):
                    assert (r, c) not in cells, f"{name}: {panel.id} overlaps {cells[(r, c)]}"
                    cells[(r, c)] = panel.id
            if panel.query is not None:
                assert PrometheusProvider.validate_query(panel.query, panel.stat) is None, (name, panel.id)
        kinds = {p.kind for p in preset.panels}
        assert {"stat", "timeseries", "toplist", "alarms"} <= kinds


@pytest.mark.parametrize(
    ("promql", "problem"),
    [
        ("sum(rate(x[5m])", "'(' at character 4 is never closed"),
        ("sum(x))", "unexpected ')' at character 7"),
        ('x{a="b}', "unterminated string starting at character 5"),
        ("x{a=~'b\\'c'}[5m]", None),
        ('x{a="(["}  # a comment with ( in it', None),
        ("`raw\\`", None),
        ("rate(x[5m)]", "unexpected ')' at character 10"),
    ],
)
def test_balance(promql: str, problem: str | None) -> None:
    assert detect.balance(promql) == problem


def test_validate_names_the_broken_candidate() -> None:
    assert detect.validate("sum(x") == "PromQL: '(' at character 4 is never closed"
    bad = {"promql": "sum(x)", "fallback": ["sum(y)", "sum(z]"]}
    assert detect.validate(bad) == "query.fallback[1]: unexpected ']' at character 6"
