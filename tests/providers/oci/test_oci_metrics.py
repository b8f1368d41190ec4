"""OCI Monitoring metrics against the verifying fake: MQL and request shape, values bucket by bucket (the
timestamp closes the interval), week over week at 5-minute resolution, coarser windows, retention,
per-query MQL errors, 429 backoff (with Retry-After), the TPS pacing, deadlines and rejected keys."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest
from oci_fleet import NOW, NOW_S, errors, invocations, options
from ocifake import COMPARTMENT, FINGERPRINT, TENANCY, USER
from tls_fake import FakeTime

from srvmon.model import MetricQuery, TimeWindow
from srvmon.providers.base import ProviderError
from srvmon.providers.oci import OciProvider

W4H = TimeWindow.ending_at(NOW, 4 * 3600, 60)
STAMPS = list(W4H.timestamps())


def q(query: Any, ref: str = "a", stat: str | None = None, group_by: tuple[str, ...] = ()) -> MetricQuery:
    return MetricQuery(ref, "oci", query, stat, group_by)


def by_function(result: Any) -> dict[str, tuple[float | None, ...]]:
    assert result.error is None, result.error
    return {s.labels["function"]: s.values for s in result.series}


def test_invocations_bucket_by_bucket(make_provider: Any, oci: Any) -> None:
    res = make_provider().query([q("FunctionInvocationCount", group_by=("function",))], W4H)["a"]
    vals = by_function(res)
    assert vals["checkout"] == tuple(float(6 + (t // 60) % 2) for t in STAMPS)
    assert vals["thumbnail"] == (2.0,) * 240 and vals["notifier"] == (2.0,) * 240
    (body,) = oci.queries
    assert body == {
        "namespace": "oci_faas",
        "query": "FunctionInvocationCount[1m].groupBy(resourceDisplayName).sum()",
        "startTime": "2026-11-22T00:00:00Z",
        "endTime": "2026-11-22T04:01:00Z",  # one interval past the window: its last point closes at 04:00
        "resolution": "1m",
    }
    req = oci.server.requests[-1]
    assert req.params == {"compartmentId": COMPARTMENT}
    assert (
        'headers="date (request-target) host content-length content-type x-content-sha256"'
        in req.headers["authorization"]
    )
    assert f'keyId="{TENANCY}/{USER}/{FINGERPRINT}"' in req.headers["authorization"]


def test_week_over_week_comes_at_5_minutes_and_is_spread(make_provider: Any, oci: Any) -> None:
    res = make_provider().query([q("FunctionInvocationCount", group_by=("function",))], W4H.shifted(7))["a"]
    assert oci.queries[-1]["resolution"] == "5m" and "[5m]" in oci.queries[-1]["query"]
    vals = by_function(res)
    old = [t - 7 * 86400 for t in STAMPS]
    expected = [sum(invocations("checkout", t - t % 300 + i * 60) for i in range(5)) / 5 for t in old]
    assert vals["checkout"] == pytest.approx(expected)
    assert vals["thumbnail"] == (1.0,) * 240
    assert res.warnings and "OCI returns 1-minute data for the last 7 days only" in res.warnings[0]


def test_grouped_into_one_series_and_aliases(make_provider: Any, oci: Any) -> None:
    res = make_provider().query(
        [q("FunctionInvocationCount", "all"), q("Errors", "err"), q("Throttled", "thr")], W4H
    )
    assert res["all"].series[0].labels == {} and res["all"].series[0].values == tuple(
        float(10 + (t // 60) % 2) for t in STAMPS
    )
    assert sum(v or 0 for v in res["err"].series[0].values) == 24
    assert sum(v or 0 for v in res["thr"].series[0].values) == 16
    assert [b["query"] for b in oci.queries][1:] == [
        'FunctionResponseCount[1m]{responseType = "Error"}.grouping().sum()',
        'FunctionResponseCount[1m]{responseType = "Throttled"}.grouping().sum()',
    ]
    t = STAMPS[0]
    assert res["err"].series[0].values[0] == errors("checkout", t)


def test_statistics_and_function_filter(make_provider: Any, oci: Any) -> None:
    p = make_provider(functions=["check*", "notif*"])
    res = p.query(
        [q("FunctionExecutionDuration", "avg"), q("FunctionExecutionDuration", "p99", stat="p99"),
         q("FunctionExecutionDuration", "max", stat="max", group_by=("function",))],
        W4H,
    )  # fmt: skip
    assert res["avg"].series[0].values == (140.0,) * 240  # mean of checkout 250 and notifier 30
    assert res["p99"].series[0].values == (250.0,) * 240
    assert set(by_function(res["max"])) == {"checkout", "notifier"}
    assert oci.queries[1]["query"] == (
        'FunctionExecutionDuration[1m]{resourceDisplayName =~ "check*|notif*"}.grouping().percentile(0.99)'
    )


def test_coarser_windows_sum_intervals_into_buckets(make_provider: Any, oci: Any) -> None:
    p = make_provider()
    week = TimeWindow.ending_at(NOW, 7 * 86400, 1800)
    res = p.query([q("FunctionInvocationCount", group_by=("function",))], week)["a"]
    assert oci.queries[-1]["resolution"] == "5m"
    vals = dict(zip(week.timestamps(), by_function(res)["checkout"], strict=True))
    t = NOW_S - 1800
    assert vals[t] == sum(invocations("checkout", t + i * 60) for i in range(30))
    month = TimeWindow.ending_at(NOW, 30 * 86400)
    res = p.query([q("FunctionInvocationCount", "m")], month)["m"]
    assert oci.queries[-1]["resolution"] == "1h"
    last = res.series[0].values[-1]
    assert last == sum(
        invocations(fn, NOW_S - 7200 + i * 60)
        for fn in ("checkout", "thumbnail", "notifier")
        for i in range(120)
    )
    cmp = p.query([q("FunctionInvocationCount", "c")], month.shifted(28))["c"]
    assert (
        cmp.error is None and oci.queries[-1]["resolution"] == "1h"
    )  # 58 days back: hourly data still there


def test_beyond_90_days_is_a_per_query_error(make_provider: Any, oci: Any) -> None:
    month = TimeWindow.ending_at(NOW, 30 * 86400)
    res = make_provider().query([q("FunctionInvocationCount")], month.shifted(70))["a"]
    assert res.error and "at most 90 days" in res.error and oci.queries == []


def test_bad_mql_fails_its_panel_only(make_provider: Any) -> None:
    res = make_provider().query(
        [
            q({"mql": "FunctionInvocationCount[$interval].bogus()"}, "bad"),
            q("FunctionInvocationCount", "good"),
        ],
        W4H,
    )
    assert (
        "InvalidParameter" in (res["bad"].error or "")
        and "[MQL: FunctionInvocationCount[1m].bogus()]" in res["bad"].error
    )
    assert res["good"].error is None


def test_429_is_retried_with_backoff_and_retry_after(
    make_provider: Any, oci: Any, fake_time: FakeTime
) -> None:
    oci.throttle = 2
    assert make_provider().query([q("FunctionInvocationCount")], W4H)["a"].error is None
    assert fake_time.sleeps == [0.5, 1.0]
    oci.throttle, oci.retry_after = 1, "3"
    fake_time.sleeps.clear()
    assert make_provider().query([q("FunctionInvocationCount")], W4H)["a"].error is None
    assert fake_time.sleeps == [3.0]


def test_429_that_persists_is_a_throttled_provider_error(make_provider: Any, oci: Any) -> None:
    oci.throttle = 10
    with pytest.raises(ProviderError) as ei:
        make_provider().query([q("FunctionInvocationCount")], W4H)
    assert ei.value.throttled and "TooManyRequests" in str(ei.value)


def test_tps_pacing(make_provider: Any, fake_time: FakeTime) -> None:
    qs = [q("FunctionInvocationCount", f"r{i}", group_by=(("function",) if i % 2 else ())) for i in range(6)]
    make_provider(max_tps=2).query(qs, W4H)
    assert fake_time.sleeps == [0.5] * 4  # a burst of 2, then one call every half second


def test_stalled_server_fails_within_the_timeout(oci: Any, config_file: str, clock: Any) -> None:
    oci.stall = True
    p = OciProvider("oci", options(oci, config_file, timeout="1s", retries=0), clock)
    started = time.monotonic()
    try:
        with pytest.raises(ProviderError, match="timed out"):
            p.query([q("FunctionInvocationCount")], W4H)
    finally:
        p.close()
    assert time.monotonic() - started < 3


def test_an_unknown_key_is_not_authenticated(oci: Any, tmp_path: Path, clock: Any) -> None:
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    other = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    key = tmp_path / "other.pem"
    key.write_bytes(other.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                        serialization.NoEncryption()))  # fmt: skip
    cfg = tmp_path / "config"
    cfg.write_text(f"[DEFAULT]\nuser={USER}\nfingerprint={FINGERPRINT}\ntenancy={TENANCY}\nkey_file={key}\n")
    p = OciProvider("oci", options(oci, str(cfg)), clock)
    try:
        with pytest.raises(ProviderError, match="401 NotAuthenticated.*check the API key"):
            p.query([q("FunctionInvocationCount")], W4H)
    finally:
        p.close()


def test_limits(make_provider: Any) -> None:
    limits = {lim.name: lim for lim in make_provider().limits()}
    total = limits["total_concurrency"]
    assert (total.used, total.limit, total.unit) == (2048.0 + ((NOW_S - 60) // 60 % 4) * 128, 8192.0, "MB")
    assert (limits["provisioned_concurrency"].used, limits["provisioned_concurrency"].limit) == (
        512.0,
        1024.0,
    )
    bare = make_provider(total_concurrency_mb=None, provisioned_concurrency_mb=None)
    assert "limits" not in bare.capabilities and "total_concurrency_mb" in bare.unavailable()["limits"]
    with pytest.raises(ProviderError, match="total_concurrency_mb"):
        bare.limits()
