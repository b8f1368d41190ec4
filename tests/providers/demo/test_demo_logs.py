"""Demo logs: provider-side filters, REPORT lines logmine can parse, timeouts, OOM kills and health."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest

from srvmon.logmine import parse_report
from srvmon.model import LogQuery, TimeWindow
from srvmon.providers.base import ProviderError


def _window(now, minutes: int) -> TimeWindow:
    return TimeWindow(now - timedelta(minutes=minutes), now, 60)


def test_newest_first_limited_and_filtered_by_provider(demo, now):
    res = demo.logs(LogQuery("demo", _window(now, 30), limit=200))
    assert res.filtered_by_provider and not res.partial and len(res.records) == 200
    stamps = [r.timestamp for r in res.records]
    assert stamps == sorted(stamps, reverse=True)
    assert stamps[0] < now.timestamp() and stamps[-1] >= (now - timedelta(minutes=30)).timestamp()
    assert res == demo.logs(LogQuery("demo", _window(now, 30), limit=200))  # deterministic


def test_resources_accept_functions_services_and_apis(demo, now):
    one = demo.logs(LogQuery("demo", _window(now, 20), resources=("auth-login",), limit=500))
    assert one.records and {r.resource for r in one.records} == {"auth-login"}
    service = demo.logs(LogQuery("demo", _window(now, 20), resources=("checkout-api",), limit=5000))
    assert {r.resource.split("-")[0] for r in service.records} == {"checkout"}
    unknown = demo.logs(LogQuery("demo", _window(now, 5), resources=("nope",)))
    assert unknown.records == () and "unknown resource(s) 'nope'" in unknown.warnings[0]


def test_errors_only_follows_the_deploy(demo, now):
    res = demo.logs(LogQuery("demo", _window(now, 60), errors_only=True, limit=5000))
    assert res.records
    assert all(r.level == "ERROR" or (r.status or 0) >= 500 for r in res.records)
    deploy = demo.incidents.deploy_s
    bad = [r for r in res.records if "TypeError: Cannot read properties of undefined" in r.message]
    assert bad and all(r.timestamp >= deploy and r.resource.startswith("checkout-") for r in bad)
    assert all(r.fields["version"] == "v2.14.0" and r.status == 502 for r in bad)
    checkout = [r for r in res.records if r.resource.startswith("checkout-")]
    after = sum(1 for r in checkout if r.timestamp >= deploy)
    assert after > 3 * (len(checkout) - after)  # 35 min after the deploy vs the 25 min before it


def test_status_class_text_regex_and_fields(demo, now):
    w = _window(now, 30)
    client = demo.logs(LogQuery("demo", w, status_class="4xx", limit=1000))
    assert client.records and all(400 <= r.status < 500 for r in client.records)
    assert all(r.level == "WARN" for r in client.records)
    text = demo.logs(LogQuery("demo", w, text="TOKEN EXPIRED", limit=1000))
    assert text.records and all("token expired" in r.message for r in text.records)
    regex = demo.logs(LogQuery("demo", w, text=r"Init Duration: [0-9]+\.[0-9]+ ms", regex=True, limit=1000))
    assert regex.records and all(r.message.startswith("REPORT") for r in regex.records)
    fields = demo.logs(LogQuery("demo", w, fields={"path": "/login"}, limit=1000))
    assert fields.records and all(r.fields["path"] == "/login" for r in fields.records)
    with pytest.raises(ProviderError, match="invalid regular expression"):
        demo.logs(LogQuery("demo", w, text="([", regex=True))


def test_request_id_returns_the_whole_invocation(demo, now):
    error = demo.logs(LogQuery("demo", _window(now, 30), status_class="5xx", limit=1)).records[0]
    lines = demo.logs(LogQuery("demo", _window(now, 1), request_id=error.request_id)).records
    kinds = [r.message.split(" ")[0] for r in reversed(lines)]
    assert kinds[0] == "START" and kinds[-2:] == ["END", "REPORT"] and len(lines) == 4
    assert {r.request_id for r in lines} == {error.request_id} and error in lines
    assert json.loads(error.message)["requestId"] == error.request_id
    forged = error.request_id[:-1] + ("0" if error.request_id[-1] != "0" else "1")
    assert demo.logs(LogQuery("demo", _window(now, 30), request_id=forged)).records == ()


def test_report_lines_parse_with_logmine(demo, now):
    res = demo.logs(LogQuery("demo", _window(now, 60), text="REPORT RequestId", limit=5000))
    reports = [parse_report(r.message) for r in res.records]
    assert reports and all(rep is not None for rep in reports)
    cold = [rep for rep in reports if rep.cold]
    assert cold and all(150 < rep.init_ms < 1100 for rep in cold)
    for rec, rep in zip(res.records, reports, strict=True):
        fn = demo.fleet.by_name[rec.resource]
        assert rep.request_id == rec.request_id and rep.memory_mb == fn.memory_mb
        assert rep.duration_ms <= fn.timeout_s * 1000


def test_one_function_times_out_and_one_runs_out_of_memory(demo, now):
    inc = demo.incidents
    w = _window(now, 240)
    timeouts = demo.logs(
        LogQuery("demo", w, text="Task timed out after", errors_only=True, limit=1000)
    ).records
    assert timeouts and {r.resource for r in timeouts} == {inc.timeout_fn}
    assert all("Task timed out after 6.00 seconds" in r.message for r in timeouts)
    kills = demo.logs(
        LogQuery("demo", w, text="Runtime exited with error: signal: killed", errors_only=True, limit=1000)
    ).records
    assert kills and {r.resource for r in kills} == {inc.oom_fn}
    lines = demo.logs(LogQuery("demo", w, request_id=kills[0].request_id)).records
    report = parse_report(next(r.message for r in lines if r.message.startswith("REPORT")))
    assert report.max_memory_mb == report.memory_mb == demo.fleet.by_name[inc.oom_fn].memory_mb


def test_function_health_mines_the_generated_logs(demo, window4h):
    inc = demo.incidents
    rows = {h.function: h for h in demo.function_health(window4h)}
    assert set(rows) == set(demo.resources())
    assert rows[inc.timeout_fn].timeouts > 0 and rows[inc.timeout_fn].timeout_pct == 100.0
    assert rows[inc.oom_fn].oom > 0 and rows[inc.oom_fn].timeouts == 0
    others = [h for name, h in rows.items() if name not in (inc.timeout_fn, inc.oom_fn)]
    assert all(h.timeouts == 0 and h.oom == 0 for h in others)
    assert sum(h.cold_starts for h in rows.values()) > 20
    assert all(h.invocations > 0 and h.cost_usd > 0 for h in rows.values() if h.invocations)
    only = demo.function_health(window4h, [inc.oom_fn])
    assert [h.function for h in only] == [inc.oom_fn]


@pytest.mark.parametrize("hours", [1, 4, 24])
def test_health_is_what_mining_the_generated_report_lines_gives(demo, now, hours):
    """The demo computes health from its invocations; mining their REPORT/timeout/OOM lines agrees exactly."""
    from srvmon.logmine import FunctionConfig, mine_health
    from srvmon.providers.demo.logsearch import health_records

    window = TimeWindow(now - timedelta(hours=hours), now, 60)
    fns = demo.fleet.functions
    lines = list(health_records(demo.fleet, demo.incidents, fns, window.start_s, window.end_s))
    assert any("REPORT RequestId" in r.message for r in lines)
    assert any("Task timed out" in r.message for r in lines) or hours == 1
    configs = {f.name: FunctionConfig(f.timeout_s, f.memory_mb, f.arch) for f in fns}
    assert demo.function_health(window) == mine_health(lines, configs)


def test_a_search_that_scans_too_much_stops_and_says_so(demo, now, monkeypatch):
    from srvmon.providers.demo import logsearch as demo_logs

    monkeypatch.setattr(demo_logs, "SCAN_BUDGET", 2_000)
    month = TimeWindow(now - timedelta(days=30), now, 7200)
    res = demo.logs(LogQuery("demo", month, text="no such text anywhere"))
    assert res.partial and res.records == () and "stopped after scanning" in res.warnings[-1]


def test_ten_thousand_functions_default_to_the_busiest(make_demo, now):
    demo = make_demo(functions=10_000)
    res = demo.logs(LogQuery("demo", _window(now, 10), limit=100_000))
    names = {r.resource for r in res.records}
    allowed = {fn.name for fn in demo.fleet.by_rank[:50]} | set(demo.incidents.functions())
    assert names and names <= allowed
    assert "50 busiest of 10000 functions" in res.warnings[0]
    busy_tail = demo.fleet.by_rank[60].name  # not among the default 50
    tail = demo.logs(LogQuery("demo", _window(now, 30), resources=(busy_tail,), limit=1))
    assert tail.warnings == () and tail.records
    rid = tail.records[0].request_id
    lookup = demo.logs(LogQuery("demo", _window(now, 30), request_id=rid))
    assert lookup.records and {r.resource for r in lookup.records} == {busy_tail}
