"""`srvmon check` for Alibaba: every API probed, refusals name the RAM policy, bad credentials fail."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from ali_fleet import options

from srvmon.cli import main
from srvmon.providers.alibaba import AlibabaProvider

DENIED = (403, {}, {"Code": "Forbidden.RAM", "Message": "User not authorized to operate on the specified resource.",
                    "RequestId": "D-1"})  # fmt: skip


def test_check_ok(make_provider: Any, ali: Any) -> None:
    h = make_provider().check()
    assert h.ok, h
    assert any("from environment" in d for d in h.details)
    assert {a for a, _ in ali.calls} == {"DescribeMetricList", "DescribeMetricRuleList", "QueryAccountBill"}
    assert len(ali.sls_calls) == 1


def test_check_names_missing_policies(make_provider: Any, ali: Any) -> None:
    ali.deny["DescribeMetricList"] = DENIED
    ali.deny["QueryAccountBill"] = DENIED
    h = make_provider().check()
    assert not h.ok
    assert h.missing_permissions == (
        "AliyunCloudMonitorReadOnlyAccess (CloudMonitor DescribeMetricList at " + ali.server.url + ")",
        "AliyunBSSReadOnlyAccess (BSS QueryAccountBill (cost) at " + ali.server.url + ")",
    )


def test_check_fails_without_credentials(ali: Any, clock: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    for k in ("ALIBABA_CLOUD_ACCESS_KEY_ID", "ALIBABA_CLOUD_ACCESS_KEY_SECRET", "ALIBABA_CLOUD_PROFILE"):
        monkeypatch.delenv(k, raising=False)
    h = AlibabaProvider("ali", options(ali), clock).check()
    assert not h.ok and "no Alibaba Cloud credentials" in h.message
    assert ali.calls == []


def test_check_fails_on_an_unknown_key(
    ali: Any, clock: Any, env_credentials: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ALIBABA_CLOUD_ACCESS_KEY_ID", "LTAIunknown")
    h = AlibabaProvider("ali", options(ali), clock).check()
    assert not h.ok and "InvalidAccessKeyId.NotFound" in h.message
    assert len(ali.server.requests) == 1  # no point probing the rest with a key that does not exist


def test_srvmon_check_cli(ali: Any, env_credentials: None, tmp_path: Path, capsys: Any) -> None:
    ali.deny["DescribeMetricRuleList"] = DENIED
    cfg = tmp_path / "srvmon.toml"
    cfg.write_text(f'''
[providers.fc]
type = "alibaba"
region = "cn-hangzhou"
cms_endpoint = "{ali.server.url}"
bss_endpoint = "{ali.server.url}"
ca_bundle = "{ali.server.ca_path}"
credentials_file = "/nonexistent.json"
''')
    code = main(["check", "--config", str(cfg)])
    out = capsys.readouterr().out
    assert code == 3
    assert "provider fc (alibaba): FAILED" in out
    assert (
        "missing permissions: AliyunCloudMonitorReadOnlyAccess (CloudMonitor DescribeMetricRuleList (alarms))"
        in out
    )
    assert "logs: not configured" in out
