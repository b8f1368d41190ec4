"""PrometheusProvider methods against the real backfilled Prometheus: alignment, grouping, escaping, errors."""

from __future__ import annotations

from typing import Any

import pytest

from srvmon.clock import FrozenClock
from srvmon.model import MetricQuery, TimeWindow
from srvmon.providers.base import load_provider_class
from srvmon.providers.prometheus import PrometheusProvider
from srvmon.providers.prometheus.options import PrometheusOptions
from srvmon.providers.prometheus.promql import matcher, quote


def provider(prom: Any, **opts: Any) -> PrometheusProvider:
    return PrometheusProvider("prom", PrometheusOptions(url=prom.url, **opts), FrozenClock(prom.now))


def q(ref: str, query: Any, group_by: tuple[str, ...] = (), **kw: Any) -> MetricQuery:
    return MetricQuery(ref, "prom", query, group_by=group_by, **kw)


def test_registered_as_builtin() -> None:
    assert load_provider_class("prometheus") is PrometheusProvider


def test_series_are_aligned_to_bucket_starts(prom: Any) -> None:
    p = provider(prom)
    window = TimeWindow.ending_at(prom.now, 3600)
    res = p.query([q("a", "sum by (function_name) (rate(gateway_function_invocation_total[$__rate_interval]))",
                     ("function_name",))], window)["a"]  # fmt: skip
    assert res.ok and res.warnings == ()
    by_fn = {s.labels["function_name"]: s for s in res.series}
    assert set(by_fn) == {"checkout", "images"}
    assert all(set(s.labels) == {"function_name"} for s in res.series)
    for s in res.series:
        assert s.timestamps == tuple(window.timestamps())
        assert len(s.values) == 60
    assert by_fn["checkout"].values == pytest.approx([3.2] * 60)
    assert by_fn["images"].values == pytest.approx([1.25] * 60)


def test_increase_over_interval_counts_each_bucket(prom: Any) -> None:
    """Evaluated at each bucket's end, increase over $__interval is exactly that bucket's count."""
    window = TimeWindow.ending_at(prom.now, 3600, 300)
    expr = 'sum(increase(gateway_function_invocation_total{function_name="checkout"}[$__interval]))'
    res = provider(prom).query([q("a", expr)], window)["a"]
    assert res.series[0].labels == {}
    assert res.series[0].values == pytest.approx([3.2 * 300] * 12, rel=1e-3)


def test_compare_is_the_shifted_window_not_offset(prom: Any) -> None:
    window = TimeWindow.ending_at(prom.now, 4 * 3600)
    p = provider(prom)
    expr = "sum(rate(gateway_function_invocation_total[$__rate_interval]))"
    now = p.query([q("a", expr)], window)["a"].series[0]
    week_ago = p.query([q("a", expr)], window.shifted(7))["a"].series[0]
    assert week_ago.timestamps[0] == now.timestamps[0] - 7 * 86400
    assert now.values == pytest.approx([4.45] * 240) and week_ago.values == pytest.approx([3.6] * 240)


def test_gaps_before_the_history_are_none(prom: Any) -> None:
    window = TimeWindow.ending_at(prom.now, 4 * 3600).shifted(8)  # straddles the start of the backfill
    res = provider(prom).query([q("a", "max(gateway_service_count)")], window)["a"]
    values = res.series[0].values
    first = next(i for i, v in enumerate(values) if v is not None)
    assert 0 < first < len(values) and all(v is None for v in values[:first]) and values[-1] == 4.0


def test_group_by_missing_label_and_ungrouped_labels(prom: Any) -> None:
    window = TimeWindow.ending_at(prom.now, 3600)
    res = provider(prom).query([
        q("g", "max by (function_name) (gateway_service_count)", ("function_name", "namespace")),
        q("u", "gateway_service_count"),
    ], window)  # fmt: skip
    assert sorted(tuple(s.labels.items()) for s in res["g"].series) == [
        (("function_name", "checkout"), ("namespace", "")), (("function_name", "images"), ("namespace", "")),
    ]  # fmt: skip
    assert {s.labels["function_name"] for s in res["u"].series} == {"checkout", "images"}
    assert all("__name__" not in s.labels for s in res["u"].series)


def test_series_sharing_group_labels_are_summed_with_a_warning(prom: Any) -> None:
    window = TimeWindow.ending_at(prom.now, 3600)
    res = provider(prom).query([q("a", "rate(gateway_function_invocation_total[$__rate_interval])",
                                  ("function_name",))], window)["a"]  # fmt: skip
    by_fn = {s.labels["function_name"]: s.values[0] for s in res.series}
    assert by_fn == {"checkout": pytest.approx(3.2), "images": pytest.approx(1.25)}
    assert len(res.warnings) == 1 and "summed" in res.warnings[0]


def test_top_n_hint_ranks_by_window_total(prom: Any) -> None:
    window = TimeWindow.ending_at(prom.now, 3600)
    expr = "sum by (function_name, code) (rate(gateway_function_invocation_total[$__rate_interval]))"
    p = provider(prom)
    top = p.query([q("a", expr, ("function_name", "code"), limit=2)], window)["a"]
    assert [(s.labels["function_name"], s.labels["code"]) for s in top.series] == [
        ("checkout", "200"), ("images", "200"),
    ]  # fmt: skip
    bottom = p.query([q("a", expr, ("function_name", "code"), limit=1, order="asc")], window)["a"]
    assert [s.labels["code"] for s in bottom.series] == ["500"]


def test_quoted_user_text_reaches_the_server_intact(prom: Any) -> None:
    """quote() output is valid PromQL that the server decodes back to exactly the original text."""
    nasty = 'we"ird\\ name\nwith\ttabs {} | .* $1'
    window = TimeWindow.ending_at(prom.now, 600)
    expr = f"absent(srvmon_no_such_metric{{x={quote(nasty)}}})"  # absent() echoes equality matchers
    res = provider(prom).query([q("a", expr)], window)["a"]
    assert res.ok, res.error
    assert res.series[0].labels == {"x": nasty}


def test_regex_matcher_matches_literally(prom: Any) -> None:
    window = TimeWindow.ending_at(prom.now, 600)
    p = provider(prom)
    literal = matcher("function_name", ["checkout", "im.ges"])  # '.' must not match 'a'
    res = p.query([q("a", f"gateway_service_count{{{literal}}}", ("function_name",))], window)["a"]
    assert [s.labels["function_name"] for s in res.series] == ["checkout"]
    injected = matcher("function_name", ['checkout"} or vector(1) or x{a="'])
    res = p.query([q("b", f"gateway_service_count{{{injected}}}")], window)["b"]
    assert res.ok and res.series == ()


def test_bad_promql_keeps_prometheus_message_on_that_query_only(prom: Any) -> None:
    window = TimeWindow.ending_at(prom.now, 600)
    res = provider(prom).query([q("bad", "sum(rate(gateway_function_invocation_total[5m])) +"),
                                q("good", "max(gateway_service_count)")], window)  # fmt: skip
    assert res["bad"].error is not None
    assert res["bad"].error.startswith("bad_data:") and "parse error" in res["bad"].error
    assert res["good"].ok and res["good"].series[0].values[-1] == 6.0
    wrong_type = provider(prom).query([q("t", "rate(gateway_service_count)")], window)["t"]
    assert wrong_type.error is not None and "range vector" in wrong_type.error


def test_candidates_resolve_against_metric_names(prom: Any) -> None:
    p = provider(prom)
    new = {
        "promql": "sum(revision_request_count)",
        "fallback": ["sum(nope_total)", "sum(kn_revision_pods_count)"],
    }
    assert p.resolve(new) == "sum(kn_revision_pods_count)"
    assert (
        p.resolve({"promql": "sum(gateway_service_count)", "fallback": "sum(x)"})
        == "sum(gateway_service_count)"
    )
    assert p.resolve({"promql": "sum(a_missing)", "fallback": "sum(b_missing)"}) == "sum(a_missing)"
    assert p.present({"gateway_function_invocation_total", "fn_api_calls", "nope"}) == {
        "gateway_function_invocation_total", "fn_api_calls",
    }  # fmt: skip
    op = "label_values"
    assert p.usage().by_operation[op] == 4  # one per call that met names not seen before
    p.resolve(new)
    p.present({"nope"})
    assert p.usage().by_operation[op] == 4  # every answer cached
    p.clock.advance(301)  # type: ignore[attr-defined]
    p.resolve(new)
    assert p.usage().by_operation[op] == 5
    off = provider(prom, detect=False)
    assert off.resolve(new) == "sum(revision_request_count)"


def test_limits_and_check(prom: Any) -> None:
    p = provider(prom, max_scale=8)
    (limit,) = p.limits()
    assert (limit.name, limit.used, limit.limit, limit.resource, limit.unit) == (
        "max_scale", 6.0, 8.0, "checkout", "replicas",
    )  # fmt: skip
    custom = provider(prom, replicas_query="max by (kn_service_name) (kn_revision_pods_count)").limits()
    assert [(x.used, x.resource) for x in custom] == [(5.0, "hello")]
    health = p.check()
    assert health.ok and "Prometheus 2." in health.message
    assert (
        "openfaas: gateway_*" in health.details and "knative: opentelemetry (kn_serving_*)" in health.details
    )
    assert "fn: fn_api_*" in health.details


def test_capabilities_follow_loki(prom: Any) -> None:
    assert "logs" not in provider(prom).capabilities
    assert "logs" in provider(prom, loki_url="http://127.0.0.1:1").capabilities


def test_import_is_cheap() -> None:
    import subprocess
    import sys

    code = ("import sys, srvmon.providers.prometheus; "
            "print(sorted(m for m in ('httpx', 'textual', 'boto3') if m in sys.modules))")  # fmt: skip
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


def test_max_scale_limit_exists_without_replica_metrics(prom: Any) -> None:
    """The ceiling is configuration: with no replica series (or a refused query) used is 0."""
    (limit,) = provider(prom, replicas_query="max(no_such_metric)").limits()
    assert (limit.name, limit.used, limit.limit, limit.resource) == ("max_scale", 0.0, 20.0, "")
    (limit,) = provider(prom, replicas_query="max(rate(gateway_service_count))").limits()
    assert (limit.used, limit.limit) == (0.0, 20.0)
