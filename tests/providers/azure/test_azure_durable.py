"""Durable Functions over the Durable Task HTTP API (httpx over HTTPS): paging, counts, oldest, failures."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from srvmon.model import LogQuery, MetricQuery, TimeWindow
from srvmon.providers.base import ProviderError

NOW = datetime(2026, 11, 22, 4, 0, tzinfo=UTC)
W = TimeWindow.ending_at(NOW, 3600)
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
    assert calls[0].query["code"] == ["dk-123"] and calls[0].query["top"] == ["100"]
    assert calls[0].query["runtimeStatus"] == ["Failed,Pending,Running"]
    assert len(durable.calls("listkeys")) == 1


def test_key_from_env_and_missing_apps(make_provider: Any, durable: Any, monkeypatch: Any) -> None:
    monkeypatch.setenv("SRVMON_TEST_DT_KEY", "env-key")
    p = make_provider(durable_apps=["orders-worker"], durable_key_env="SRVMON_TEST_DT_KEY")
    assert p.query([mq("run", "durable:Running")], W)["run"].series[0].values[-1] == 2.0
    assert durable.calls(PATH + "$")[0].query["code"] == ["env-key"] and not durable.calls("listkeys")
    res = make_provider().query([mq("run", "durable:Running")], W)
    assert "durable_apps" in (res["run"].error or "")


def test_failed_instances_drill_down(make_provider: Any, durable: Any) -> None:
    p = make_provider(durable_apps=["orders-worker"])
    res = p.logs(LogQuery("az", W, fields={"source": "durable"}))
    (rec,) = res.records
    assert rec.request_id == "d" and rec.level == "ERROR" and rec.resource == "orders-worker"
    assert rec.message == "ProcessOrder d Failed: Orchestrator function 'X' failed: boom"
    assert [e["EventType"] for e in rec.fields["failedEvents"]] == ["TaskFailed", "ExecutionFailed"]
    assert rec.fields["failedEvents"][0]["Reason"] == "card declined"
    detail = durable.calls(PATH + "/d")[0]
    assert detail.query["showHistory"] == ["true"] and detail.query["showHistoryOutput"] == ["true"]
    listing = durable.calls(PATH + "$")[0]
    assert listing.query["runtimeStatus"] == ["Failed"]
    assert listing.query["createdTimeFrom"] == ["2026-11-22T03:00:00Z"]


def test_durable_throttled_and_errors(make_provider: Any, durable: Any) -> None:
    durable.route("GET", PATH, [], status=429, headers={"Retry-After": "5"})
    p = make_provider(durable_apps=["orders-worker"])
    with pytest.raises(ProviderError) as err:
        p.query([mq("run", "durable:Running")], W)
    assert err.value.throttled and "retry after 5s" in str(err.value)
    durable.route("GET", PATH, {"error": "nope"}, status=401)
    res = p.query([mq("run", "durable:Running")], W)
    assert "HTTP 401" in (res["run"].error or "")
