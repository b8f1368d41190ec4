"""Demo query syntax: metric names, where filters, group_by, stats, top-N hints and their errors."""

from __future__ import annotations

import pytest

from srvmon.model import MetricQuery
from srvmon.providers.demo import DemoProvider
from srvmon.providers.demo.catalog import CATALOG


def test_unknown_metric_is_an_error_naming_it_and_the_catalog(demo, window4h, run):
    res = run(demo, window4h, "api.requestz")
    assert not res.ok and res.series == ()
    assert "unknown demo metric 'api.requestz'" in res.error and "api.requests" in res.error
    assert DemoProvider.validate_query("lambda.nope", None).startswith("unknown demo metric 'lambda.nope'")
    assert DemoProvider.validate_query({"metric": "sqs.visibel"}, None).startswith("unknown demo metric")


@pytest.mark.parametrize(
    ("query", "stat", "message"),
    [
        ("api.requests", "p99", "does not support stat 'p99'"),
        ("api.latency", "median", "does not support stat 'median'"),
        ({"metric": "api.latency", "where": {"table": "orders"}}, None, "has no dimension 'table'"),
        ({"metric": "api.latency", "filter": {}}, None, "unknown demo query key(s) 'filter'"),
        ({"where": {"api": "x"}}, None, "needs metric ="),
        (42, None, "a demo query is a metric name"),
        ({"metric": "api.latency", "where": {"api": {"x": 1}}}, None, "where.api must be a string"),
    ],
)
def test_bad_queries_are_explained(query, stat, message):
    error = DemoProvider.validate_query(query, stat)
    assert error is not None and message in error


def test_every_catalog_metric_answers_with_every_stat_and_dimension(demo, window4h):
    queries = []
    for name, spec in CATALOG.items():
        assert DemoProvider.validate_query(name, None) is None
        for stat in spec.stats:
            queries.append(MetricQuery(f"{name}/{stat}", "demo", name, stat))
        for dim in spec.dims:
            queries.append(MetricQuery(f"{name}/by/{dim}", "demo", name, None, (dim,)))
    results = demo.query(queries, window4h)
    assert set(results) == {q.ref_id for q in queries}
    for ref, res in results.items():
        assert res.ok, (ref, res.error)
        assert res.series, ref
        for s in res.series:
            assert all(v is not None and v >= 0 for v in s.values), ref
    assert results["dynamodb.provisioned_wcu/avg"].series[0].values[0] == sum(
        t.prov_wcu for t in demo.fleet.tables
    )


def test_unknown_group_by_is_an_error(demo, window4h, run):
    res = run(demo, window4h, "lambda.invocations", "sum", ("table",))
    assert not res.ok and "cannot be grouped by 'table'" in res.error


def test_labels_are_the_group_by_values(demo, window4h, run):
    by_api = run(demo, window4h, "api.requests", "sum", ("api",))
    assert sorted(s.labels["api"] for s in by_api.series) == [
        "auth-api",
        "catalog-api",
        "checkout-api",
        "notify-api",
    ]
    assert all(set(s.labels) == {"api"} for s in by_api.series)
    both = run(demo, window4h, "lambda.invocations", "sum", ("service", "function"))
    assert len(both.series) == 40
    for s in both.series:
        assert list(s.labels) == ["service", "function"]
        assert s.labels["function"].startswith(s.labels["service"] + "-")
    queues = run(demo, window4h, "sqs.sent", "sum", ("queue",))
    assert all(set(s.labels) == {"queue", "dlq"} for s in queues.series)
    assert run(demo, window4h, "api.requests", "sum").series[0].labels == {}


def test_where_filters_entities(demo, window4h, run):
    res = run(
        demo,
        window4h,
        {"metric": "lambda.invocations", "where": {"service": "checkout"}},
        "sum",
        ("function",),
    )
    names = [s.labels["function"] for s in res.series]
    assert len(names) == 10 and all(n.startswith("checkout-") for n in names)
    two = ["checkout-create-order", "auth-login"]
    res = run(
        demo, window4h, {"metric": "lambda.invocations", "where": {"function": two}}, "sum", ("function",)
    )
    assert sorted(s.labels["function"] for s in res.series) == sorted(two)
    none = run(demo, window4h, {"metric": "api.requests", "where": {"service": "nope"}}, "sum")
    assert none.ok and none.series == ()


def test_grouped_series_add_up_to_the_closed_form_total(demo, window4h, run, labelled):
    total = sum(run(demo, window4h, "lambda.invocations", "sum").series[0].values)
    by_service = labelled(run(demo, window4h, "lambda.invocations", "sum", ("service",)), "service")
    by_function = labelled(run(demo, window4h, "lambda.invocations", "sum", ("function",)), "function")
    assert sum(map(sum, by_service.values())) == pytest.approx(total, rel=0.01)
    assert sum(map(sum, by_function.values())) == pytest.approx(total, rel=0.01)
    api_total = sum(run(demo, window4h, "api.requests", "sum").series[0].values)
    api_by = labelled(run(demo, window4h, "api.requests", "sum", ("service",)), "service")
    assert sum(map(sum, api_by.values())) == pytest.approx(api_total, abs=len(window4h.timestamps()) * 4)


@pytest.mark.parametrize("order", ["desc", "asc"])
def test_top_n_hint_returns_the_ranked_series(demo, window4h, run, labelled, order):
    everything = labelled(run(demo, window4h, "lambda.invocations", "sum", ("function",)), "function")
    expected = sorted(everything, key=lambda n: sum(everything[n]), reverse=order == "desc")[:5]
    top = run(demo, window4h, "lambda.invocations", "sum", ("function",), limit=5, order=order)
    assert [s.labels["function"] for s in top.series] == expected
    worst = run(demo, window4h, "lambda.duration", "p99", ("function",), limit=3)
    assert worst.series[0].labels["function"] == demo.incidents.timeout_fn
    assert set(worst.series[0].values) == {6000.0}  # p99 pinned at the 6 s timeout


def test_ungrouped_utilisation_is_the_top_table(demo, window4h, run, labelled):
    tables = labelled(run(demo, window4h, "dynamodb.utilization", "max", ("table",)), "table")
    top = run(demo, window4h, "dynamodb.utilization", "max").series[0].values
    assert list(top) == [max(col) for col in zip(*tables.values(), strict=True)]


def test_usage_counts_calls_and_is_free(demo, window4h):
    demo.query([MetricQuery("a", "demo", "api.requests"), MetricQuery("b", "demo", "api.5xx")], window4h)
    demo.alarms()
    usage = demo.usage()
    assert usage.api_calls == 2 and usage.metrics_requested == 2 and usage.estimated_cost_usd == 0.0
    assert usage.by_operation == {"query": 1, "alarms": 1}


def test_provider_metadata(demo):
    assert (
        DemoProvider.type_name == "demo"
        and DemoProvider.is_demo
        and DemoProvider.default_preset == "serverless"
    )
    assert DemoProvider.implemented() == {"metrics", "logs", "alarms", "cost", "limits", "health", "events"}
    health = demo.check()
    assert health.ok and "40 functions" in health.message
    assert len(demo.resources()) == 40 and len(set(demo.resources())) == 40


def test_options_are_validated():
    from pydantic import ValidationError

    from srvmon.providers.demo import DemoOptions

    with pytest.raises(ValidationError):
        DemoOptions(functions=0)
    with pytest.raises(ValidationError):
        DemoOptions(functions=10_001)
    with pytest.raises(ValidationError):
        DemoOptions(services=["Checkout"])
    with pytest.raises(ValidationError):
        DemoOptions(colour="red")


def test_custom_services_and_small_fleets_work(make_demo, window4h, run):
    demo = make_demo(functions=3, services=["billing", "search"], account_concurrency=50)
    res = run(demo, window4h, "lambda.invocations", "sum", ("function",))
    assert len(res.series) == 3
    assert {s.labels["function"].split("-")[0] for s in res.series} == {"billing", "search"}
    assert run(demo, window4h, "api.latency", "p99", ("api",)).ok
    assert len(demo.alarms()) >= 2
    assert {lim.name: lim.limit for lim in demo.limits()}["account_concurrency"] == 50
