"""Change events and panels: matching a panel's resources, merging one change seen by several sources,
and the plain sentence that ties a level shift to the change before it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

from srvmon.changepoint import Shift
from srvmon.changes import dedupe, events_for, explain, in_window, names_match, normalise
from srvmon.model import ChangeEvent

T = datetime(2026, 11, 22, 11, 25, tzinfo=UTC)


def ev(
    kind: str = "deploy",
    resources: tuple[str, ...] = ("checkout-api",),
    at: datetime = T,
    *,
    source: str = "CloudTrail",
    id: str = "",
    version: str | None = None,
    actor: str | None = None,
    link: str | None = None,
) -> ChangeEvent:
    return ChangeEvent(
        at,
        kind,
        f"{kind} of {resources[0]}",
        resources,
        actor,
        link,
        "aws",
        source,
        id,
        version,  # type: ignore[arg-type]
    )


def shift(at: datetime = T + timedelta(minutes=1), before: float = 120.0, after: float = 374.4) -> Shift:
    pct = (after - before) / abs(before) * 100 if before else None
    return Shift(int(at.timestamp()), before, after, pct, 40.0, 0.98, 200, 35)


# ---- matching -----------------------------------------------------------------------------------


def test_normalise_strips_arns_ids_and_account_prefixes() -> None:
    assert normalise("arn:aws:lambda:us-east-1:123456789012:function:Checkout-API:live") == "checkout-api"
    assert normalise("arn:aws:states:us-east-1:123456789012:stateMachine:order-flow") == "order-flow"
    assert normalise("arn:aws:dynamodb:us-east-1:123456789012:table/orders") == "orders"
    assert (
        normalise("/subscriptions/s/resourceGroups/rg/providers/Microsoft.Web/sites/Orders-Fn") == "orders-fn"
    )
    assert normalise("123456789012/eu-west-1:checkout-api") == "checkout-api"
    assert normalise("  images ") == "images"


def test_names_match_exactly_or_as_a_service_prefix_either_way() -> None:
    assert names_match("checkout-api", "Checkout-API")
    assert names_match("checkout", "checkout-api") and names_match("checkout-api", "checkout")
    assert names_match("hello", "hello-00003") and names_match("orders", "orders.v2")
    assert not names_match("checkout-api", "checkout-create-order")  # siblings are not the same thing
    assert not names_match("check", "checkout-api")  # a prefix must end at a separator
    assert not names_match("", "checkout") and not names_match("orders", "")


def test_events_for_a_panel() -> None:
    deploy = ev(resources=("checkout-api", "checkout"), at=T)
    config = ev("config", ("orders-worker",), T + timedelta(minutes=5))
    alarm = ev("alarm-state", ("checkout-api",), T - timedelta(minutes=5))
    arn = ev("scale", ("arn:aws:lambda:us-east-1:1:function:images",), T - timedelta(hours=1))
    everything = [config, deploy, alarm, arn]
    assert events_for(["checkout"], everything) == [alarm, deploy]
    # the deploy names its service, so it concerns the service's functions; an API-only deploy does not
    assert events_for(["checkout-create-order"], everything) == [deploy]
    api_only = ev(resources=("checkout-api",))
    assert events_for(["checkout-create-order"], [api_only]) == []
    assert events_for(["images", "orders-worker"], everything) == [arn, config]
    assert events_for([], everything) == [arn, alarm, deploy, config]  # a fleet-wide panel: all, in order
    assert events_for(["checkout-api"], everything, kinds=("deploy", "config")) == [deploy]


# ---- dedupe -------------------------------------------------------------------------------------


def test_same_id_from_two_sources_is_one_event_preferring_the_audit_log() -> None:
    listing = ev(source="Lambda versions", id="lambda:checkout-api:v42", at=T + timedelta(seconds=4),
                 version="42", link="https://version")  # fmt: skip
    trail = ev(
        source="CloudTrail", id="lambda:checkout-api:v42", actor="deploy-role/gh-123", link="https://trail"
    )
    out = dedupe([listing, trail], prefer=("CloudTrail", "Lambda versions"))
    assert len(out) == 1
    kept = out[0]
    assert (kept.source, kept.time, kept.actor, kept.link, kept.version) == (
        "CloudTrail", T, "deploy-role/gh-123", "https://trail", "42",
    )  # fmt: skip


def test_near_events_of_one_kind_and_resource_from_other_sources_merge() -> None:
    modified = ev(source="Lambda LastModified", id="lm:1", at=T + timedelta(seconds=30))
    trail = ev(source="CloudTrail", id="ct:1", actor="alice")
    far = ev(source="Lambda LastModified", id="lm:2", at=T + timedelta(minutes=30))
    other_fn = ev(resources=("images",), source="Lambda LastModified", id="lm:3")
    same_source = ev(source="CloudTrail", id="ct:2", at=T + timedelta(seconds=50))
    loose = ("Lambda LastModified",)
    out = dedupe([modified, trail, far, other_fn, same_source], prefer=("CloudTrail",), loose_sources=loose)
    assert [(e.id, e.actor) for e in out] == [
        ("ct:1", "alice"),
        ("lm:3", None),
        ("ct:2", None),
        ("lm:2", None),
    ]
    # a guessed kind merges with the audit log's, whose kind is kept
    guessed = ev("deploy", source="Lambda LastModified", id="lm:9", at=T + timedelta(seconds=5))
    exact = ev("config", source="CloudTrail", id="ct:9", actor="bob")
    assert [(e.id, e.kind) for e in dedupe([guessed, exact], loose_sources=loose)] == [("ct:9", "config")]
    # two sources that know their changes' identities never merge by proximity
    published = ev(source="Lambda versions", id="lambda:f:version:2", version="2")
    moved = ev(source="Lambda aliases", id="lambda:f:alias:live:2", version="2", at=T + timedelta(seconds=60))
    assert len(dedupe([published, moved], loose_sources=loose)) == 2


def test_different_versions_never_merge() -> None:
    a = ev(source="CloudTrail", id="a", version="41")
    b = ev(source="Lambda versions", id="b", version="42", at=T + timedelta(seconds=10))
    assert len(dedupe([a, b])) == 2


def test_in_window_is_half_open() -> None:
    a, b, c = ev(at=T - timedelta(seconds=1)), ev(at=T), ev(at=T + timedelta(hours=1))
    assert in_window([c, b, a], T, T + timedelta(hours=1)) == [b]


# ---- explain ------------------------------------------------------------------------------------


def test_the_sentence() -> None:
    deploy = ev(resources=("checkout-api", "checkout"), version="42")
    assert (
        explain(shift(), [deploy], "ms", label="p99") == "p99 +212% since checkout-api deploy at 11:25 (v42)"
    )


def test_the_time_is_shown_in_the_given_zone_and_named_versions_stay_as_they_are() -> None:
    deploy = ev(version="v2.14.0")
    tokyo = timezone(timedelta(hours=9))
    assert (
        explain(shift(), [deploy], "ms", tokyo, label="p99")
        == "p99 +212% since checkout-api deploy at 20:25 (v2.14.0)"
    )


def test_only_an_event_shortly_before_the_shift_explains_it() -> None:
    s = shift(at=T + timedelta(minutes=1))
    assert explain(s, [ev(at=T - timedelta(minutes=9))], label="p99") is not None
    assert explain(s, [ev(at=T - timedelta(minutes=20))], label="p99") is None  # too long before
    assert (
        explain(s, [ev(at=T + timedelta(minutes=2))], label="p99")
        == "p99 +212% since checkout-api deploy at 11:27"
    )
    assert explain(s, [ev(at=T + timedelta(minutes=3))], label="p99") is None  # after the shift
    assert explain(None, [ev()]) is None
    assert explain(s, []) is None


def test_alarm_transitions_are_effects_not_causes_and_the_latest_cause_wins() -> None:
    s = shift()
    alarm = ev("alarm-state", at=T + timedelta(seconds=30))
    older = ev("config", ("checkout-api",), T - timedelta(minutes=8))
    assert explain(s, [alarm], label="p99") is None
    assert explain(s, [alarm, older], label="p99") == "p99 +212% since checkout-api change at 11:17"
    scale = ev("scale", at=T)
    deploy = ev("deploy", at=T)
    assert explain(s, [scale, deploy], label="p99") == "p99 +212% since checkout-api deploy at 11:25"


def test_levels_when_a_ratio_means_nothing_and_points_for_percentages() -> None:
    e = ev()
    assert explain(shift(before=0.0, after=3.2), [e], "err/s", label="5xx") == (
        "5xx 0 → 3.2 err/s since checkout-api deploy at 11:25"
    )
    assert explain(shift(before=0.001, after=3.0), [e], "err/s", label="5xx") == (
        "5xx 0.001 → 3 err/s since checkout-api deploy at 11:25"
    )
    assert explain(shift(before=40.0, after=82.5), [e], "%", label="utilisation") == (
        "utilisation +42.5 pts since checkout-api deploy at 11:25"
    )
    assert explain(shift(before=200.0, after=80.0), [e]) == "level -60% since checkout-api deploy at 11:25"


def test_untrusted_names_cannot_smuggle_escapes() -> None:
    e = ev(resources=("evil\x1b]8;;http://x\x07fn",), version="1\x1b[2J")
    text = explain(shift(), [e], label="p99\x1b[31m")
    assert text is not None and "\x1b" not in text and "\x07" not in text
    assert text.startswith("p99␛[31m +212% since evil␛]8;;http://x␇fn deploy at 11:25")
