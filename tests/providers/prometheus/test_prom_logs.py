"""Loki drill-down: the LogQL sent (user text escaped) and the records parsed, against a Loki-shaped stub
server (no Loki binary is installed; responses follow Loki's documented query_range `streams` JSON)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from srvmon.clock import FrozenClock
from srvmon.model import LogQuery, TimeWindow
from srvmon.providers.base import NotSupported, ProviderError
from srvmon.providers.prometheus import PrometheusProvider
from srvmon.providers.prometheus.loki import ERROR_PATTERN, logql
from srvmon.providers.prometheus.options import PrometheusOptions
from srvmon.providers.prometheus.promql import quote

NOW = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)
WINDOW = TimeWindow.ending_at(NOW, 3600)
NS = 1_000_000_000


def provider(loki_url: str | None, **opts: Any) -> PrometheusProvider:
    return PrometheusProvider("prom", PrometheusOptions(url="http://127.0.0.1:1", loki_url=loki_url, **opts),
                              FrozenClock(NOW))  # fmt: skip


STREAMS = {"status": "success", "data": {"resultType": "streams", "result": [
    {"stream": {"function": "checkout", "namespace": "openfaas-fn", "level": "ERROR"},
     "values": [[str(WINDOW.end_s * NS - 5 * NS), "payment failed: status=502 \x1b[31mred\x1b[0m"],
                [str(WINDOW.end_s * NS - 60 * NS), "retrying"]]},
    {"stream": {"function": "images", "namespace": "openfaas-fn"},
     "values": [[str(WINDOW.end_s * NS - 30 * NS), '{"level":"WARN","msg":"slow resize"}'], ["bad", "x"]]},
]}}  # fmt: skip


def test_records_newest_first_with_levels_and_verbatim_lines(stub_server: Any) -> None:
    stub_server.routes["/loki/api/v1/query_range"] = (200, STREAMS)
    p = provider(stub_server.url, loki_selector='{namespace="openfaas-fn"}')
    res = p.logs(LogQuery("prom", WINDOW, resources=("checkout", "images"), limit=10))
    assert [(r.resource, r.level, r.timestamp) for r in res.records] == [
        ("checkout", "error", WINDOW.end_s - 5.0),
        ("images", "warn", WINDOW.end_s - 30.0),
        ("checkout", "error", WINDOW.end_s - 60.0),
    ]
    assert res.records[0].message == "payment failed: status=502 \x1b[31mred\x1b[0m"  # untouched: data
    assert res.records[0].fields["namespace"] == "openfaas-fn"
    assert res.filtered_by_provider and not res.partial and not res.truncated and res.warnings == ()
    path, params, _ = stub_server.requests[-1]
    assert path == "/loki/api/v1/query_range"
    assert params["query"] == ['{namespace="openfaas-fn", function=~"checkout|images"}']
    assert params["start"] == [str(WINDOW.start_s * NS)] and params["end"] == [str(WINDOW.end_s * NS)]
    assert params["limit"] == ["11"] and params["direction"] == ["backward"]  # one more tells a cap


def test_user_text_is_escaped_into_logql() -> None:
    nasty = 'x" |= "" or {job=~".+"} \\'
    q = LogQuery("prom", WINDOW, resources=("a.b", 'c"d'), text=nasty, errors_only=True, status_class="5xx",
                 request_id="req-1", fields={"method": 'P"OST'})  # fmt: skip
    expr = logql(q, '{namespace="fn"}', "function")
    assert expr == (
        '{namespace="fn", function=~"a\\\\.b|c\\"d"} '
        '|= "x\\" |= \\"\\" or {job=~\\".+\\"} \\\\" '
        '|= "req-1" '
        f"|~ {quote(ERROR_PATTERN)} "
        '|~ "\\\\b5\\\\d\\\\d\\\\b" '
        '| json | method="P\\"OST"'
    )
    regex = logql(LogQuery("prom", WINDOW, resources=("one",), text="time(d)? out", regex=True), "{}", "app")
    assert regex == '{app="one"} |~ "time(d)? out"'
    with pytest.raises(ValueError, match="not a valid Prometheus label name"):
        logql(LogQuery("prom", WINDOW, fields={"bad key": "v"}), "{}", "app")


def test_loki_errors_and_missing_loki(stub_server: Any) -> None:
    stub_server.routes["/loki/api/v1/query_range"] = (400, "parse error at line 1, col 3: syntax error\n")
    with pytest.raises(ProviderError, match="Loki refused .*parse error at line 1"):
        provider(stub_server.url).logs(LogQuery("prom", WINDOW))
    with pytest.raises(NotSupported, match="no loki_url"):
        provider(None).logs(LogQuery("prom", WINDOW))
    assert provider(None).resources() == []


def test_truncated_when_more_lines_than_the_limit_and_resources(stub_server: Any) -> None:
    stub_server.routes["/loki/api/v1/query_range"] = (200, STREAMS)
    stub_server.routes["/loki/api/v1/label/function/values"] = (200, {"status": "success",
                                                                     "data": ["images", "checkout"]})  # fmt: skip
    p = provider(stub_server.url)
    res = p.logs(LogQuery("prom", WINDOW, limit=2))
    assert [r.timestamp for r in res.records] == [WINDOW.end_s - 5.0, WINDOW.end_s - 30.0]  # the newest two
    assert res.truncated and not res.partial  # complete answer, capped: said so
    assert res.warnings == ("newest 2 lines shown; more matched: narrow the query or the range",)
    exact = p.logs(LogQuery("prom", WINDOW, limit=3))  # exactly as many as exist: not capped
    assert len(exact.records) == 3 and not exact.truncated
    huge = p.logs(LogQuery("prom", WINDOW, limit=100_000))
    assert huge.truncated and "at most 5,000 per query" in huge.warnings[0]
    assert stub_server.requests[-1][1]["limit"] == ["5001"]
    assert stub_server.requests[-1][1]["query"] == ['{job=~".+"}']
    assert p.resources() == ["checkout", "images"]


def test_logs_panel_through_the_poller(stub_server: Any) -> None:
    """A board's logs panel: the poller's LogQuery (errors only, one function) becomes escaped LogQL."""
    from srvmon.config import parse_config
    from srvmon.poll import Poller

    stub_server.routes["/loki/api/v1/query_range"] = (200, STREAMS)
    cfg = parse_config(
        f'[providers.faas]\ntype = "prometheus"\nurl = "http://127.0.0.1:1"\nloki_url = "{stub_server.url}"\n'
        '[[boards]]\nname = "b"\nprovider = "faas"\n[[boards.panels]]\nid = "errs"\ntitle = "Errors"\nkind = "logs"\n'
        'drilldown = { resources = ["check\\"out"], errors_only = true }\n'
    )
    clock = FrozenClock(NOW)
    poller = Poller(cfg.board(None), cfg.build_providers(clock), clock)
    try:
        panel = poller.poll().panel("errs")
    finally:
        poller.close()
    assert panel.error is None and panel.value == 3.0
    assert [r.resource for r in panel.rows or ()] == ["checkout", "images", "checkout"]
    query = stub_server.requests[-1][1]["query"][0]
    assert query.startswith('{job=~".+", function="check\\"out"} |~ ')
