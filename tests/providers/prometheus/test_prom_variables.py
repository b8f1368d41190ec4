"""Board variables against the real backfilled Prometheus: label_values / label_names / metrics listings
through the label values API, and a hostile variable value that stays a label value on the wire."""

from __future__ import annotations

from typing import Any

import pytest

from srvmon.clock import FrozenClock
from srvmon.model import MetricQuery, TimeWindow
from srvmon.providers.base import ProviderError
from srvmon.providers.prometheus import PrometheusProvider
from srvmon.providers.prometheus.options import PrometheusOptions
from srvmon.providers.prometheus.promql import variable_query
from srvmon.variables import substitute_query


def provider(prom: Any) -> PrometheusProvider:
    return PrometheusProvider("prom", PrometheusOptions(url=prom.url), FrozenClock(prom.now))


def test_label_values_with_and_without_a_selector(prom: Any) -> None:
    p = provider(prom)
    assert p.variable_values("label_values(gateway_function_invocation_total, function_name)") == [
        "checkout",
        "images",
    ]
    assert p.variable_values(
        'label_values(gateway_function_invocation_total{code="404"}, function_name)'
    ) == ["images"]
    assert p.variable_values("label_values(kn_service_name)") == ["greeter", "hello"]
    assert p.variable_values({"query": "label_values(gateway_function_invocation_total, code)"}) == [
        "200",
        "404",
        "500",
    ]
    assert p.usage().by_operation["label_values"] == 4


def test_label_names_and_metrics(prom: Any) -> None:
    p = provider(prom)
    assert {"function_name", "code", "__name__"} <= set(p.variable_values("label_names()"))
    assert p.variable_values("metrics(^gateway_function_)") == ["gateway_function_invocation_total"]


def test_unsupported_variable_queries_say_what_works(prom: Any) -> None:
    with pytest.raises(ProviderError, match=r"use label_values\(label\)"):
        provider(prom).variable_values("query_result(up)")
    with pytest.raises(ValueError, match="not a valid Prometheus label name"):
        variable_query('label_values(x, "a")')
    assert variable_query('label_values(sum(x{a="b,c"}) by (d), d)') == (
        "label_values",
        'sum(x{a="b,c"}) by (d)',
        "d",
    )


def test_hostile_value_is_only_a_label_value(prom: Any) -> None:
    """`a"}) or vector(1)` escaped into the matcher selects nothing; unescaped it would return 1."""
    p = provider(prom)
    window = TimeWindow.ending_at(prom.now, 3600)
    template = 'sum(rate(gateway_function_invocation_total{function_name="$fn"}[5m]))'
    expr = substitute_query(template, {"fn": 'a"}) or vector(1)'}, p.escape_variable)
    res = p.query([MetricQuery("a", "prom", expr)], window)["a"]
    assert res.ok and res.series == ()
    ok = substitute_query(template, {"fn": "checkout"}, p.escape_variable)
    res = p.query([MetricQuery("b", "prom", ok)], window)["b"]
    assert res.series[0].values == pytest.approx([3.2] * 60)
