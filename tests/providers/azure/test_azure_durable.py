"""Durable Functions over the Durable Task HTTP API (bounded httpx over HTTPS): paging, counts, oldest,
failures; the key in a header and only to the app's own host; no history for past windows."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from srvmon.model import LogQuery, MetricQuery, TimeWindow
from srvmon.providers.azure.provider import NO_HISTORY
from srvmon.providers.base import ProviderError

NOW = datetime(2026, 11, 22, 4, 0, tzinfo=UTC)
W = TimeWindow.ending_at(NOW, 3600)
WEEK_AGO = TimeWindow.ending_at(NOW - timedelta(days=7), 3600)
PATH = "/orders-worker/runtime/webhooks/durabletask/instances"


def inst(iid: str, status: str, created: str, name: str = "ProcessOrder", output: Any = None) -> dict:
    return {
        "name": name,
        "instanceId": iid,
        "runtimeStatus": status,
        "input": None,
        "customStatus": None,
        "output": output,
        "createdTime": created,
        "lastUpdatedTime": created,
    }


PAGES = {
    None: (
        [inst("a", "Running", "2026-11-22T03:30:00Z"), inst("b", "Pending", "2026-11-22T03:50:00Z")],
        "t1",
    ),
    "t1": ([], "t2"),  # an empty page that still carries a token
    "t2": (
        [
            inst("c", "Running", "2026-11-22T01:00:00Z"),
            inst("d", "Failed", "2026-11-22T03:40:00Z", output="Orchestrator function 'X' failed"),
        ],
        None,
    ),
}


def instances_handler(req: Any) -> Any:
    token = req.headers.get("x-ms-continuation-token")
    items, nxt = PAGES[token]
    wanted = set(req.query["runtimeStatus"][0].split(","))
    return (
        200,
        ({"x-ms-continuation-token": nxt} if nxt else {}),
        [i for i in items if i["runtimeStatus"] in wanted],
    )


@pytest.fixture
def durable(arm_sites: Any, azd: Any) -> Any:
    arm_sites.route(
        "POST",
        azd.site_id("orders-worker") + "/host/default/listkeys",
        {"masterKey": "m", "functionKeys": {}, "systemKeys": {"durabletask_extension": "dk-123"}},
    )
    arm_sites.route("GET", PATH, instances_handler)
    arm_sites.route(
        "GET",
        PATH + "/d",
        {
            **inst("d", "Failed", "2026-11-22T03:40:00Z", output="Orchestrator function 'X' failed: boom"),
            "historyEvents": [
                {"EventType": "ExecutionStarted", "Timestamp": "2026-11-22T03:40:00Z"},
                {
                    "EventType": "TaskFailed",
                    "FunctionName": "Charge",
                    "Reason": "card declined",
                    "Timestamp": "2026-11-22T03:40:02Z",
                },
                {"EventType": "ExecutionFailed", "Timestamp": "2026-11-22T03:40:03Z"},
            ],
        },
    )
    return arm_sites


def mq(ref: str, query: str, group_by: tuple[str, ...] = ()) -> MetricQuery:
    return MetricQuery(ref, "az", query, None, group_by)


def test_counts_follow_continuation_tokens(make_provider: Any, durable: Any) -> None:
    p = make_provider(durable_apps=["orders-*"])
    res = p.query(
        [
            mq("run", "durable:Running"),
            mq("pend", "durable:Pending", ("app",)),
            mq("fail", "durable:Failed"),
            mq("age", "durable:OldestRunningAge"),
        ],
        W,
    )
    assert res["run"].series[0].values[-1] == 2.0 and res["run"].series[0].values[:-1] == (None,) * 59
    (pend,) = res["pend"].series
    assert pend.labels == {"app": "orders-worker"} and pend.values[-1] == 1.0
    assert res["fail"].series[0].values[-1] == 1.0
    assert res["age"].series[0].values[-1] == 3 * 3600.0  # instance c, created 01:00
    calls = durable.calls(PATH + "$")
    assert [c.headers.get("x-ms-continuation-token") for c in calls] == [None, "t1", "t2"]
    assert all(c.headers["x-functions-key"] == "dk-123" and "code" not in c.query for c in calls)
    assert calls[0].query["top"] == ["100"]
    assert calls[0].query["runtimeStatus"] == ["Failed,Pending,Running"]
    assert len(durable.calls("listkeys")) == 1


def test_key_from_env_and_missing_apps(make_provider: Any, durable: Any, monkeypatch: Any) -> None:
    monkeypatch.setenv("SRVMON_TEST_DT_KEY", "env-key")
    p = make_provider(durable_apps=["orders-worker"], durable_key_env="SRVMON_TEST_DT_KEY")
    assert p.query([mq("run", "durable:Running")], W)["run"].series[0].values[-1] == 2.0
    call = durable.calls(PATH + "$")[0]
    assert call.headers["x-functions-key"] == "env-key" and "code" not in call.query
    assert not durable.calls("listkeys")
    res = make_provider().query([mq("run", "durable:Running")], W)
    assert "durable_apps" in (res["run"].error or "")
    res = make_provider(durable_apps=["nope-*"]).query([mq("run", "durable:Running")], W)
    assert res["run"].error == "none of durable_apps ['nope-*'] is a discovered Function App"


def test_failed_instances_drill_down(make_provider: Any, durable: Any) -> None:
    p = make_provider(durable_apps=["orders-worker"])
    res = p.logs(LogQuery("az", W, fields={"source": "durable"}))
    (rec,) = res.records
    assert rec.request_id == "d" and rec.level == "ERROR" and rec.resource == "orders-worker"
    assert rec.message == "ProcessOrder d Failed: Orchestrator function 'X' failed: boom"
    assert [e["EventType"] for e in rec.fields["failedEvents"]] == ["TaskFailed", "ExecutionFailed"]
    assert rec.fields["failedEvents"][0]["Reason"] == "card declined"
    assert not res.truncated and res.warnings == ()
    detail = durable.calls(PATH + "/d")[0]
    assert detail.query["showHistory"] == ["true"] and detail.query["showHistoryOutput"] == ["true"]
    assert detail.headers["x-functions-key"] == "dk-123" and "code" not in detail.query
    listing = durable.calls(PATH + "$")[0]
    assert listing.query["runtimeStatus"] == ["Failed"]
    assert listing.query["createdTimeFrom"] == ["2026-11-22T03:00:00Z"]


def test_durable_throttled_and_errors(make_provider: Any, durable: Any) -> None:
    durable.route("GET", PATH, [], status=429, headers={"Retry-After": "5"})
    p = make_provider(durable_apps=["orders-worker"])
    with pytest.raises(ProviderError) as err:
        p.query([mq("run", "durable:Running")], W)
    assert err.value.throttled and err.value.retry_after_s == 5.0 and "retry after 5s" in str(err.value)
    durable.route("GET", PATH, {"error": "nope"}, status=401)
    res = make_provider(durable_apps=["orders-worker"]).query([mq("run", "durable:Running")], W)
    assert "refused the credentials (401)" in (res["run"].error or "")
    assert "the durabletask_extension key was refused" in (res["run"].error or "")
    durable.route("GET", PATH, {"value": []})  # a wrong shape: an object, not the array of instances
    res = make_provider(durable_apps=["orders-worker"]).query([mq("run", "durable:Running")], W)
    assert "not a JSON array of instances" in (res["run"].error or "")


def test_a_listkeys_key_is_only_sent_to_the_apps_own_host(
    make_provider: Any, durable: Any, monkeypatch: Any
) -> None:
    # the same local server, reached by a name that is not one of orders-worker's host names
    other = durable.url.replace("127.0.0.1", "localhost") + "/{app}"
    res = make_provider(durable_apps=["orders-worker"], durable_endpoint=other).query(
        [mq("run", "durable:Running")], W
    )
    assert "localhost is not a host of orders-worker" in (res["run"].error or "")
    assert "durable_key_env" in (res["run"].error or "")
    assert not durable.calls("listkeys") and not durable.calls(PATH)  # nothing read, nothing sent
    # a key the operator gives goes where the operator points
    monkeypatch.setenv("SRVMON_TEST_DT_KEY", "operator-key")
    p = make_provider(
        durable_apps=["orders-worker"], durable_endpoint=other, durable_key_env="SRVMON_TEST_DT_KEY"
    )
    assert p.query([mq("run", "durable:Running")], W)["run"].series[0].values[-1] == 2.0
    assert {c.headers["x-functions-key"] for c in durable.calls(PATH)} == {"operator-key"}


def test_past_windows_have_no_history_and_one_walk_per_refresh(make_provider: Any, durable: Any) -> None:
    p = make_provider(durable_apps=["orders-worker"])
    queries = [mq("run", "durable:Running"), mq("age", "durable:OldestRunningAge")]
    past = p.query(queries, WEEK_AGO)
    assert past["run"].series == () and past["run"].warnings == (NO_HISTORY,) and past["run"].error is None
    assert past["age"].series == () and past["age"].warnings == (NO_HISTORY,)
    assert not durable.calls(PATH)  # the compare copy asks nothing
    now = p.query(queries, W)
    assert now["run"].series[0].values[-1] == 2.0
    walked = len(durable.calls(PATH + "$"))
    assert walked == 3  # three pages
    again = p.query([mq("fail", "durable:Running")], W)  # another call at the same clock instant
    assert again["fail"].series[0].values[-1] == 2.0
    assert len(durable.calls(PATH + "$")) == walked  # answered from the same walk


def test_failures_are_the_newest_n_and_say_when_capped(make_provider: Any, durable: Any) -> None:
    many = [inst(f"f{i}", "Failed", f"2026-11-22T03:{i:02d}:00Z", output=f"boom {i}") for i in range(12)]
    durable.route(
        "GET", PATH, lambda req: (200, {}, list(reversed(many[:6])) + many[6:])
    )  # listing order is not time order
    durable.route(
        "GET",
        PATH + "/f[0-9]+",
        lambda req: (
            200,
            {},
            {
                **inst(req.path.rsplit("/", 1)[1], "Failed", "2026-11-22T03:00:00Z"),
                "output": "boom",
                "historyEvents": [],
            },
        ),
    )
    p = make_provider(durable_apps=["orders-worker"])
    res = p.logs(LogQuery("az", W, fields={"source": "durable"}, limit=3))
    assert [r.request_id for r in res.records] == ["f11", "f10", "f9"]
    assert res.truncated and res.warnings == ("newest 3 failed orchestrations shown; more exist",)
    assert len(durable.calls(PATH + "/f")) == 3  # history read only for the three shown
