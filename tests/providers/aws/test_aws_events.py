"""AWS change events: Lambda versions, aliases and LastModified against a moto server (moto implements
ListFunctions, ListVersionsByFunction and ListAliases); CloudTrail LookupEvents and CloudWatch
DescribeAlarmHistory with botocore's Stubber, because moto 5.2.5 implements neither (its CloudTrail
backend has no lookup_events, its CloudWatch backend no describe_alarm_history): the stubbed answers
are shaped like the API reference's, and Stubber checks every request against botocore's model."""

from __future__ import annotations

import io
import json
import sys
import zipfile
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from botocore.stub import ANY, Stubber

sys.path.insert(0, str(Path(__file__).parent))

from moto_process import moto_process  # noqa: E402

from srvmon.clock import FrozenClock  # noqa: E402
from srvmon.model import TimeWindow  # noqa: E402
from srvmon.providers.aws import AwsOptions, AwsProvider  # noqa: E402
from srvmon.providers.aws.events import EventsReader, parse_last_modified  # noqa: E402
from srvmon.providers.aws.trail import EVENT_NAMES, actor_of, from_lookup  # noqa: E402
from srvmon.providers.base import ProviderError  # noqa: E402

REGION = "us-east-1"
ACCOUNT = "123456789012"
POLICY = Path(__file__).parents[3] / "docs" / "aws-iam-policy.json"


class Mono:
    """An injected monotonic clock (and a sleep that only records) so pacing is checked without waiting."""

    def __init__(self) -> None:
        self.t = 1000.0
        self.slept: list[float] = []

    def __call__(self) -> float:
        return self.t

    def sleep(self, s: float) -> None:
        self.slept.append(s)


def _zip(body: str) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("index.py", f"def handler(event, context):\n    return {body}\n")
    return buf.getvalue()


@pytest.fixture(scope="module")
def lambda_account(fleet: Any) -> Iterator[dict[str, Any]]:
    """A fresh moto account: checkout-api with versions 1 and 2 and alias live -> 1; orders-worker
    never published. Depends on `fleet` for the fake credentials."""
    import boto3

    with moto_process() as url:
        kw = {"endpoint_url": url, "region_name": REGION}
        role = boto3.client("iam", **kw).create_role(RoleName="r", AssumeRolePolicyDocument="{}")["Role"][
            "Arn"
        ]
        lam = boto3.client("lambda", **kw)
        common = {"Runtime": "python3.12", "Role": role, "Handler": "index.handler"}
        lam.create_function(FunctionName="checkout-api", Code={"ZipFile": _zip("1")}, **common)
        v1 = lam.publish_version(FunctionName="checkout-api", Description="release 41")
        lam.update_function_code(FunctionName="checkout-api", ZipFile=_zip("2"))
        v2 = lam.publish_version(FunctionName="checkout-api", Description="release 42")
        lam.create_alias(FunctionName="checkout-api", Name="live", FunctionVersion="1")
        lam.create_function(FunctionName="orders-worker", Code={"ZipFile": _zip("3")}, **common)
        latest = lam.get_function(FunctionName="orders-worker")["Configuration"]["LastModified"]
        yield {"url": url, "v1": v1, "v2": v2, "orders_latest": latest, "lambda": lam}


def _provider(url: str, clock: FrozenClock, tmp_path: Path, **opts: Any) -> tuple[AwsProvider, Mono]:
    opts.setdefault("regions", [REGION])
    options = AwsOptions(endpoint_url=url, max_attempts=1, **opts)
    p = AwsProvider("prod", options, clock, cache_dir=tmp_path / "cache")
    mono = Mono()
    p.events_reader = EventsReader(
        p.sessions, p.counter, options, p.discovery.inventory, monotonic=mono, sleep=mono.sleep
    )
    return p, mono


def _record(p: AwsProvider, *clients: Any) -> list[tuple[str, str]]:
    """Every (service, operation) the provider sends from now on (new clients, and `clients` already made)."""
    calls: list[tuple[str, str]] = []

    def hook(**kw: Any) -> None:
        calls.append((kw["model"].service_model.service_name, kw["model"].name))

    p.sessions.hooks.append(("before-call.*.*", hook))
    for client in clients:
        client.meta.events.register("before-call.*.*", hook)
    return calls


def _allowed() -> set[str]:
    policy = json.loads(POLICY.read_text())
    out: set[str] = set()
    for st in policy["Statement"]:
        out.update(st["Action"] if isinstance(st["Action"], list) else [st["Action"]])
    return out


def _assert_in_policy(calls: list[tuple[str, str]]) -> None:
    prefix = {"cloudwatch": "cloudwatch", "stepfunctions": "states", "resourcegroupstaggingapi": "tag"}
    allowed = _allowed()
    assert calls, "no AWS call was recorded"
    for service, op in set(calls):
        action = (
            "apigateway:GET" if service.startswith("apigateway") else f"{prefix.get(service, service)}:{op}"
        )
        assert action in allowed, f"{action} is not in docs/aws-iam-policy.json"


def _live_clock() -> FrozenClock:
    return FrozenClock(datetime.now(UTC) + timedelta(seconds=60))


# ---- Lambda listings against moto ----------------------------------------------------------------


def test_published_versions_and_unpublished_changes(lambda_account: Any, tmp_path: Path) -> None:
    clock = _live_clock()
    p, _ = _provider(lambda_account["url"], clock, tmp_path, events_sources=["lambda"])
    calls = _record(p)
    window = TimeWindow.ending_at(clock.now(), 3600, 60)
    events = p.events(window)
    by_id = {e.id: e for e in events}
    v1, v2 = by_id["lambda:checkout-api:version:1"], by_id["lambda:checkout-api:version:2"]
    assert (v1.kind, v1.version, v1.source, v1.provider) == ("deploy", "1", "Lambda versions", "prod")
    assert v1.summary == "published version 1: release 41 (alias live)"
    assert v2.summary == "published version 2: release 42"
    assert v1.time == parse_last_modified(lambda_account["v1"]["LastModified"])
    assert v1.link == (
        f"https://{REGION}.console.aws.amazon.com/lambda/home?region={REGION}#/functions/checkout-api/versions/1"
    )
    # checkout-api's $LATEST was published as v2 right after, so it is no separate event; orders-worker
    # was never published: on first sight srvmon cannot tell code from configuration
    latest = [e for e in events if e.source == "Lambda LastModified"]
    assert [(e.resources, e.kind, e.summary) for e in latest] == [
        (("orders-worker",), "deploy", "code or configuration updated")
    ]
    assert latest[0].time == parse_last_modified(lambda_account["orders_latest"])
    assert [e.time for e in events] == sorted(e.time for e in events)
    ops = p.usage().by_operation
    assert ops["ListVersionsByFunction"] == 2 and ops["ListAliases"] == 2 and ops["ListFunctions"] >= 1
    assert [e.resources[0] for e in p.events(window, ["orders-worker"])] == ["orders-worker"]
    _assert_in_policy(calls)
    p.close()


def test_an_alias_move_is_seen_between_two_listings(lambda_account: Any, tmp_path: Path) -> None:
    clock = _live_clock()
    p, mono = _provider(lambda_account["url"], clock, tmp_path, events_sources=["lambda"])
    window = TimeWindow.ending_at(clock.now(), 3600, 60)
    listed_at = clock.now()
    first = p.events(window)
    assert not [e for e in first if e.source == "Lambda aliases"]
    lambda_account["lambda"].update_alias(FunctionName="checkout-api", Name="live", FunctionVersion="2")
    try:
        again = p.events(window)  # listings are fresh (discovery_ttl 5m): nothing re-read, nothing new
        assert not [e for e in again if e.source == "Lambda aliases"]
        mono.t += 301
        clock.advance(301)
        window = TimeWindow.ending_at(clock.now(), 3600, 60)
        moved = [e for e in p.events(window) if e.source == "Lambda aliases"]
        assert len(moved) == 1
        m = moved[0]
        # dated at the listing before, the earliest it can have happened; the summary says between when
        assert (m.kind, m.version, m.resources, m.time) == ("deploy", "2", ("checkout-api",), listed_at)
        span = f"{listed_at:%H:%M}-{clock.now():%H:%M} UTC"
        assert m.summary == f"alias live → v2 (was v1; moved {span})"
        assert m.id == "lambda:checkout-api:alias:live:2"
    finally:
        lambda_account["lambda"].update_alias(FunctionName="checkout-api", Name="live", FunctionVersion="1")
    p.close()


def test_the_listing_budget_is_honoured_and_said(lambda_account: Any, tmp_path: Path) -> None:
    clock = _live_clock()
    p, _ = _provider(lambda_account["url"], clock, tmp_path, events_sources=["lambda"], events_max_calls=2)
    window = TimeWindow.ending_at(clock.now(), 3600, 60)
    events = p.events(window)
    ops = p.usage().by_operation
    assert ops.get("ListFunctions", 0) + ops.get("ListVersionsByFunction", 0) + ops.get("ListAliases", 0) == 2
    assert any("events_max_calls" in w for w in p.events_reader.warnings)
    assert {e.source for e in events} <= {"Lambda LastModified", "Lambda versions"}
    p.close()


def test_cloudtrail_and_the_listing_are_one_event(lambda_account: Any, tmp_path: Path) -> None:
    """The same PublishVersion seen by ListVersionsByFunction and by CloudTrail (stubbed: moto has no
    LookupEvents) is one event: CloudTrail's time and actor, the version kept."""
    clock = _live_clock()
    p, _ = _provider(lambda_account["url"], clock, tmp_path, events_sources=["lambda", "cloudtrail"])
    v2_at = parse_last_modified(lambda_account["v2"]["LastModified"])
    assert v2_at is not None
    record = trail_item(
        "PublishVersion20150331",
        v2_at - timedelta(seconds=1),
        {"functionName": "checkout-api"},
        {"version": "2", "description": "release 42", "functionName": "checkout-api"},
        event_id="e-v2",
    )
    target = p._targets()[0]
    client = p.sessions.client("cloudtrail", target)
    with Stubber(client) as stub:
        for name in EVENT_NAMES:
            stub.add_response(
                "lookup_events", {"Events": [record] if name == "PublishVersion20150331" else []}
            )
        window = TimeWindow.ending_at(clock.now(), 3600, 60)
        events = p.events(window)
        stub.assert_no_pending_responses()
    v2 = [e for e in events if e.version == "2"]
    assert len(v2) == 1
    assert (v2[0].source, v2[0].actor, v2[0].id) == (
        "CloudTrail",
        "deploy-role/gh-actions-4242",
        "lambda:checkout-api:version:2",
    )
    assert v2[0].time == v2_at - timedelta(seconds=1)
    assert (
        v2[0].link
        == f"https://{REGION}.console.aws.amazon.com/cloudtrailv2/home?region={REGION}#/events/e-v2"
    )
    p.close()


# ---- CloudTrail (Stubber: moto has no LookupEvents) ------------------------------------------------

NOW = datetime(2026, 11, 22, 12, 7, tzinfo=UTC)


def trail_item(
    name: str,
    at: datetime,
    request: dict[str, Any],
    response: dict[str, Any] | None = None,
    *,
    event_id: str = "",
    identity: dict[str, Any] | None = None,
    error: str | None = None,
    source: str = "lambda.amazonaws.com",
) -> dict[str, Any]:
    """One LookupEvents Events[] item as the API reference shows it (CloudTrailEvent is a JSON string)."""
    identity = identity or {
        "type": "AssumedRole",
        "principalId": "AROAEXAMPLE:gh-actions-4242",
        "arn": f"arn:aws:sts::{ACCOUNT}:assumed-role/deploy-role/gh-actions-4242",
        "accountId": ACCOUNT,
        "sessionContext": {"sessionIssuer": {"type": "Role", "userName": "deploy-role"}},
    }
    detail: dict[str, Any] = {
        "eventVersion": "1.08",
        "userIdentity": identity,
        "eventTime": at.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "eventSource": source,
        "eventName": name,
        "awsRegion": REGION,
        "sourceIPAddress": "203.0.113.7",
        "userAgent": "aws-cli/2.15",
        "requestParameters": request,
        "responseElements": response,
        "requestID": f"req-{event_id}",
        "eventID": event_id or f"id-{name}",
        "readOnly": False,
        "eventType": "AwsApiCall",
        "managementEvent": True,
        "recipientAccountId": ACCOUNT,
    }
    if error:
        detail["errorCode"] = error
        detail["errorMessage"] = "not authorized"
    return {
        "EventId": event_id or f"id-{name}",
        "EventName": name,
        "ReadOnly": "false",
        "AccessKeyId": "ASIAEXAMPLE",
        "EventTime": at,
        "EventSource": source,
        "Username": "gh-actions-4242",
        "Resources": [],
        "CloudTrailEvent": json.dumps(detail),
    }


def _records() -> dict[str, list[dict[str, Any]]]:
    t = NOW.replace(hour=11, minute=25)
    return {
        "UpdateFunctionCode20150331v2": [
            trail_item("UpdateFunctionCode20150331v2", t - timedelta(minutes=5),
                       {"functionName": f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:checkout-api", "publish": False},
                       {"codeSha256": "mt/TOJW6qpnVzaFUknQyqVvl", "functionName": "checkout-api"}, event_id="c1"),
            trail_item("UpdateFunctionCode20150331v2", t - timedelta(minutes=6), {"functionName": "images"},
                       None, event_id="denied", error="AccessDeniedException"),
        ],
        "UpdateFunctionConfiguration20150331v2": [
            trail_item("UpdateFunctionConfiguration20150331v2", t - timedelta(hours=2),
                       {"functionName": "orders-worker", "memorySize": 1024, "timeout": 30,
                        "environment": {"variables": "HIDDEN_DUE_TO_SECURITY_REASONS"}},
                       identity={"type": "IAMUser", "userName": "alice", "arn": f"arn:aws:iam::{ACCOUNT}:user/alice"},
                       event_id="c2"),
        ],
        "PublishVersion20150331": [
            trail_item("PublishVersion20150331", t, {"functionName": "checkout-api"},
                       {"version": "42", "description": "release 42"}, event_id="c3"),
        ],
        "UpdateAlias20150331": [
            trail_item("UpdateAlias20150331", t + timedelta(minutes=1),
                       {"functionName": "checkout-api", "name": "live", "functionVersion": "42",
                        "routingConfig": {"additionalVersionWeights": {"43": 0.1}}}, event_id="c4"),
        ],
        "PutFunctionConcurrency20171031": [
            trail_item("PutFunctionConcurrency20171031", t - timedelta(hours=3),
                       {"functionName": "orders-worker", "reservedConcurrentExecutions": 5},
                       identity={"type": "Root", "arn": f"arn:aws:iam::{ACCOUNT}:root"}, event_id="c5"),
        ],
        "CreateDeployment": [
            trail_item("CreateDeployment", t - timedelta(minutes=30), {"restApiId": "a1b2c3", "stageName": "prod",
                       "description": "v42"}, {"id": "dep9"}, event_id="c6", source="apigateway.amazonaws.com"),
        ],
        "UpdateStage": [
            trail_item("UpdateStage", t - timedelta(minutes=40), {"restApiId": "a1b2c3", "stageName": "prod",
                       "patchOperations": [{"op": "replace", "path": "/*/*/throttling/rateLimit", "value": "100"}]},
                       event_id="c7", source="apigateway.amazonaws.com"),
        ],
        "UpdateTable": [
            trail_item("UpdateTable", t - timedelta(minutes=50), {"tableName": "orders",
                       "provisionedThroughput": {"readCapacityUnits": 200, "writeCapacityUnits": 100}},
                       event_id="c8", source="dynamodb.amazonaws.com",
                       identity={"type": "AWSService", "invokedBy": "dynamodb.application-autoscaling.amazonaws.com"}),
        ],
        "UpdateStateMachine": [
            trail_item("UpdateStateMachine", t - timedelta(minutes=55),
                       {"stateMachineArn": f"arn:aws:states:{REGION}:{ACCOUNT}:stateMachine:order-flow",
                        "definition": "HIDDEN_DUE_TO_SECURITY_REASONS"}, event_id="c9", source="states.amazonaws.com"),
        ],
    }  # fmt: skip


def _trail_provider(tmp_path: Path, clock: FrozenClock, **opts: Any) -> tuple[AwsProvider, Mono, Any]:
    """A provider whose inventory is empty and whose CloudTrail client is stubbed (no endpoint needed)."""
    p, mono = _provider("http://127.0.0.1:9", clock, tmp_path, events_sources=["cloudtrail"], **opts)
    from srvmon.providers.aws.discovery import Inventory, Resource

    target = p._targets()[0]
    inventory = Inventory((Resource("rest_api", "shop-api", target, id="a1b2c3"),))
    p.events_reader = EventsReader(
        p.sessions, p.counter, p.opts, lambda: inventory, monotonic=mono, sleep=mono.sleep
    )
    return p, mono, p.sessions.client("cloudtrail", target)


def _expect(stub: Stubber, name: str, start: datetime, end: datetime, events: list[Any], token: str | None = None,
            next_token: str | None = None) -> None:  # fmt: skip
    params: dict[str, Any] = {
        "LookupAttributes": [{"AttributeKey": "EventName", "AttributeValue": name}],
        "StartTime": start,
        "EndTime": end,
        "MaxResults": 50,
    }
    if token:
        params["NextToken"] = token
    body: dict[str, Any] = {"Events": events}
    if next_token:
        body["NextToken"] = next_token
    stub.add_response("lookup_events", body, params)


def test_cloudtrail_writes_become_events_with_actor_link_and_kind(tmp_path: Path) -> None:
    clock = FrozenClock(NOW)
    p, mono, client = _trail_provider(tmp_path, clock)
    calls = _record(p, client)
    window = TimeWindow.ending_at(NOW, 4 * 3600, 60)  # [08:07, 12:07)
    records = _records()
    start, end = NOW.replace(hour=8, minute=0), NOW  # settled hours are fetched whole
    with Stubber(client) as stub:
        for name in EVENT_NAMES:
            items = records[name]
            if name == "UpdateFunctionCode20150331v2":  # two pages
                _expect(stub, name, start, end, items[:1], next_token="page2")
                _expect(stub, name, start, end, items[1:], token="page2")
            else:
                _expect(stub, name, start, end, items)
        events = p.events(window)
        stub.assert_no_pending_responses()
    got = {e.id: e for e in events}
    assert "ct:denied" not in got  # a failed call changed nothing
    code = got["ct:c1"]
    assert (code.kind, code.resources, code.summary, code.actor) == (
        "deploy", ("checkout-api",), "code updated (sha256 mt/TOJW6)", "deploy-role/gh-actions-4242",
    )  # fmt: skip
    assert (
        code.link == f"https://{REGION}.console.aws.amazon.com/cloudtrailv2/home?region={REGION}#/events/c1"
    )
    config = got["ct:c2"]
    assert (config.kind, config.summary, config.actor) == (
        "config", "configuration changed: environment, memorySize=1024, timeout=30", "alice",
    )  # fmt: skip
    assert "HIDDEN" not in config.summary
    publish = got["lambda:checkout-api:version:42"]
    assert (publish.kind, publish.version, publish.summary) == (
        "deploy",
        "42",
        "published version 42: release 42",
    )
    alias = got["lambda:checkout-api:alias:live:42"]
    assert alias.summary == "alias live → v42 (10% on v43)" and alias.version == "42"
    assert (got["ct:c5"].kind, got["ct:c5"].summary, got["ct:c5"].actor) == (
        "config", "reserved concurrency set to 5", "root",
    )  # fmt: skip
    deployment = got["ct:c6"]
    assert (deployment.kind, deployment.resources, deployment.summary, deployment.version) == (
        "deploy", ("shop-api", "a1b2c3"), "API deployment to stage prod: v42", "dep9",
    )  # fmt: skip
    assert (got["ct:c7"].kind, got["ct:c7"].summary) == (
        "config",
        "stage prod updated: /*/*/throttling/rateLimit",
    )
    table = got["ct:c8"]
    assert (table.kind, table.summary, table.actor) == (
        "scale", "capacity set to 200 RCU / 100 WCU", "dynamodb.application-autoscaling.amazonaws.com",
    )  # fmt: skip
    assert (got["ct:c9"].kind, got["ct:c9"].resources, got["ct:c9"].summary) == (
        "deploy", ("order-flow",), "definition updated",
    )  # fmt: skip
    # the window starts at 08:07: the settled 08:00 hour was fetched whole but nothing before 08:07 shows
    assert all(window.start <= e.time < window.end for e in events)
    assert p.usage().by_operation["LookupEvents"] == len(EVENT_NAMES) + 1
    assert p.usage().estimated_cost_usd == 0.0  # LookupEvents on management events is free
    # LookupEvents allows 2 requests/s: every call after the first waited its 0.5 s turn
    assert mono.slept == [pytest.approx(0.5 * i) for i in range(1, len(EVENT_NAMES) + 1)]
    _assert_in_policy(calls)
    p.close()


def test_settled_hours_are_never_asked_again_and_the_tail_is_reused_briefly(tmp_path: Path) -> None:
    clock = FrozenClock(NOW)
    p, mono, client = _trail_provider(tmp_path, clock)
    window = TimeWindow.ending_at(NOW, 4 * 3600, 60)
    records = _records()
    with Stubber(client) as stub:
        for name in EVENT_NAMES:
            _expect(stub, name, NOW.replace(hour=8, minute=0), NOW, records[name][:1])
        first = p.events(window)
        # 30 s later: the unsettled tail is still fresh -> no call at all (Stubber would fail on one)
        clock.advance(30)
        mono.t += 30
        assert p.events(window) == first
        stub.assert_no_pending_responses()
        # 2 min later: only the tail, from the first unsettled hour (11:00), is asked again
        clock.advance(90)
        mono.t += 90
        later = TimeWindow.ending_at(clock.now(), 4 * 3600, 60)  # [08:09, 12:09)
        for name in EVENT_NAMES:
            _expect(stub, name, NOW.replace(hour=11, minute=0), later.end, [])
        again = p.events(later)
        stub.assert_no_pending_responses()
    # 11:xx events were in the old tail; the new tail answer (empty) replaces it, settled hours stay
    assert {e.id for e in again} == {e.id for e in first if e.time.hour < 11}
    p.close()


def test_the_lookup_budget_spreads_a_long_window_over_refreshes(tmp_path: Path) -> None:
    clock = FrozenClock(NOW)
    p, mono, client = _trail_provider(tmp_path, clock, cloudtrail_max_calls=3)
    window = TimeWindow.ending_at(NOW, 4 * 3600, 60)
    with Stubber(client) as stub:
        for name in EVENT_NAMES[:3]:
            _expect(stub, name, NOW.replace(hour=8, minute=0), NOW, [])
        p.events(window)
        stub.assert_no_pending_responses()
        assert any("cloudtrail_max_calls" in w for w in p.events_reader.warnings)
        clock.advance(5)
        mono.t += 5
        for name in EVENT_NAMES[3:6]:  # the next refresh goes on with the names not yet asked
            _expect(stub, name, NOW.replace(hour=8, minute=0), clock.now().replace(second=0), [])
        p.events(TimeWindow.ending_at(clock.now(), 4 * 3600, 60))
        stub.assert_no_pending_responses()
    assert p.usage().by_operation["LookupEvents"] == 6
    p.close()


def test_denied_cloudtrail_is_a_warning_when_another_source_answers(tmp_path: Path) -> None:
    clock = FrozenClock(NOW)
    p, mono, client = _trail_provider(tmp_path, clock)
    window = TimeWindow.ending_at(NOW, 3600, 60)
    with Stubber(client) as stub:
        stub.add_client_error(
            "lookup_events", "AccessDeniedException", "not authorized to cloudtrail:LookupEvents"
        )
        with pytest.raises(ProviderError, match="AccessDeniedException"):
            p.events(window)  # the only source failed: the panel says why
    p.close()


def test_actor_of_every_identity_type() -> None:
    assert actor_of({"userIdentity": {"type": "IAMUser", "userName": "bob"}}) == "bob"
    assert (
        actor_of({"userIdentity": {"type": "AssumedRole", "arn": "arn:aws:sts::1:assumed-role/r/s"}}) == "r/s"
    )
    assert actor_of({"userIdentity": {"type": "Root", "arn": "arn:aws:iam::1:root"}}) == "root"
    assert (
        actor_of({"userIdentity": {"type": "AWSService", "invokedBy": "x.amazonaws.com"}})
        == "x.amazonaws.com"
    )
    assert (
        actor_of({"userIdentity": {"type": "FederatedUser", "arn": "arn:aws:sts::1:federated-user/f"}}) == "f"
    )
    assert actor_of({}, "fallback-user") == "fallback-user" and actor_of({}) is None


def test_unreadable_records_are_skipped() -> None:
    item = trail_item("PublishVersion20150331", NOW, {"functionName": "f"}, {"version": "3"})
    assert (
        from_lookup({**item, "CloudTrailEvent": "{not json"}, REGION) is not None
    )  # the name and time suffice
    assert from_lookup({**item, "EventName": "DeleteFunction20150331"}, REGION) is None
    assert from_lookup({**item, "EventTime": "garbage"}, REGION) is None


# ---- alarm history (Stubber: moto has no DescribeAlarmHistory) -------------------------------------


def _history_item(name: str, at: datetime, old: str, new: str, reason: str) -> dict[str, Any]:
    data = {
        "version": "1.0",
        "oldState": {"stateValue": old, "stateReason": "previous"},
        "newState": {"stateValue": new, "stateReason": reason},
    }
    return {
        "AlarmName": name,
        "AlarmType": "MetricAlarm",
        "Timestamp": at,
        "HistoryItemType": "StateUpdate",
        "HistorySummary": f"Alarm updated from {old} to {new}",
        "HistoryData": json.dumps(data),
    }


def test_alarm_transitions_land_on_the_alarms_dimensions(tmp_path: Path) -> None:
    clock = FrozenClock(NOW)
    p, _ = _provider("http://127.0.0.1:9", clock, tmp_path, events_sources=["alarms"])
    from srvmon.providers.aws.discovery import Inventory

    mono = Mono()
    p.events_reader = EventsReader(p.sessions, p.counter, p.opts, Inventory, monotonic=mono, sleep=mono.sleep)
    client = p.sessions.client("cloudwatch", p._targets()[0])
    calls = _record(p, client)
    window = TimeWindow.ending_at(NOW, 3600, 60)  # [11:07, 12:07); history settles after 5 min
    fired = _history_item("checkout-errors", NOW.replace(hour=11, minute=29), "OK", "ALARM",
                          "Threshold Crossed: 1 datapoint [4.0 (22/11/26 11:28:00)] was greater than the threshold (1.0).")  # fmt: skip
    calmed = _history_item(
        "checkout-errors", NOW.replace(hour=11, minute=58), "ALARM", "OK", "Threshold Crossed: no datapoints"
    )
    with Stubber(client) as stub:
        stub.add_response(
            "describe_alarm_history",
            {"AlarmHistoryItems": [calmed], "NextToken": "n2"},
            {"AlarmTypes": ["MetricAlarm", "CompositeAlarm"], "HistoryItemType": "StateUpdate",
             "StartDate": NOW.replace(hour=11, minute=0), "EndDate": NOW, "MaxRecords": 100,
             "ScanBy": "TimestampDescending"},
        )  # fmt: skip
        stub.add_response("describe_alarm_history", {"AlarmHistoryItems": [fired]}, {
            "AlarmTypes": ANY, "HistoryItemType": "StateUpdate", "StartDate": ANY, "EndDate": ANY,
            "MaxRecords": 100, "ScanBy": "TimestampDescending", "NextToken": "n2"})  # fmt: skip
        stub.add_response(
            "describe_alarms",
            {"MetricAlarms": [{"AlarmName": "checkout-errors", "Namespace": "AWS/Lambda", "MetricName": "Errors",
                               "Dimensions": [{"Name": "FunctionName", "Value": "checkout-api"}]}]},
            {"AlarmNames": ["checkout-errors"], "AlarmTypes": ["MetricAlarm", "CompositeAlarm"], "MaxRecords": 100},
        )  # fmt: skip
        events = p.events(window)
        stub.assert_no_pending_responses()
    assert [(e.kind, e.resources, e.summary[:35]) for e in events] == [
        ("alarm-state", ("checkout-api", "checkout-errors"), "checkout-errors OK → ALARM: Thresho"),
        ("alarm-state", ("checkout-api", "checkout-errors"), "checkout-errors ALARM → OK: Thresho"),
    ]
    assert events[0].link == (
        f"https://{REGION}.console.aws.amazon.com/cloudwatch/home?region={REGION}#alarmsV2:alarm/checkout-errors"
    )
    ops = p.usage().by_operation
    assert (ops["DescribeAlarmHistory"], ops["DescribeAlarms"]) == (2, 1)
    _assert_in_policy(calls)
    p.close()


def test_regions_are_read_in_parallel_each_with_its_own_pace(tmp_path: Path) -> None:
    clock = FrozenClock(NOW)
    p, mono = _provider("http://127.0.0.1:9", clock, tmp_path, events_sources=["cloudtrail"],
                        regions=[REGION, "eu-west-1"])  # fmt: skip
    from srvmon.providers.aws.discovery import Inventory

    p.events_reader = EventsReader(p.sessions, p.counter, p.opts, Inventory, monotonic=mono, sleep=mono.sleep)
    window = TimeWindow.ending_at(NOW, 3600, 60)
    targets = p._targets()
    assert [t.region for t in targets] == [REGION, "eu-west-1"]
    stubs = [Stubber(p.sessions.client("cloudtrail", t)) for t in targets]
    publish = trail_item("PublishVersion20150331", NOW - timedelta(minutes=20), {"functionName": "eu-fn"},
                         {"version": "3"}, event_id="eu-1")  # fmt: skip
    for stub, target in zip(stubs, targets, strict=True):
        for name in EVENT_NAMES:
            events = [publish] if target.region == "eu-west-1" and name.startswith("PublishVersion") else []
            stub.add_response("lookup_events", {"Events": events})
        stub.activate()
    try:
        events = p.events(window)
        for stub in stubs:
            stub.assert_no_pending_responses()
    finally:
        for stub in stubs:
            stub.deactivate()
    assert [(e.resources, e.version) for e in events] == [(("eu-fn",), "3")]
    assert (
        events[0].link
        == "https://eu-west-1.console.aws.amazon.com/cloudtrailv2/home?region=eu-west-1#/events/eu-1"
    )
    assert p.usage().by_operation["LookupEvents"] == 2 * len(EVENT_NAMES)
    # two limiters: each region's calls were spaced on their own (8 waits each), not one queue of 17
    assert len(mono.slept) == 2 * (len(EVENT_NAMES) - 1) and max(mono.slept) == pytest.approx(
        0.5 * (len(EVENT_NAMES) - 1)
    )
    p.close()
