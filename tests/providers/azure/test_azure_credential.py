"""Azure sign-in failures: one srvmon line naming the fix, once per provider, and nothing of the
azure-identity chain report on stderr (the real DefaultAzureCredential, failing for want of any login)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from azure.core.exceptions import ClientAuthenticationError

from srvmon.model import MetricQuery, TimeWindow
from srvmon.providers.azure import AzureProvider
from srvmon.providers.azure.credential import CredentialError, QuietCredential, summary
from srvmon.providers.azure.options import AzureOptions
from srvmon.providers.base import ProviderError

SUB = "12345678-abcd-1234-abcd-123456789abc"
CONFIG = f"""
[providers.az]
type = "azure"
subscription_id = "{SUB}"
arm_endpoint = "https://127.0.0.1:9"
logs_endpoint = "https://127.0.0.1:9"
metrics_endpoint = "https://127.0.0.1:9"
workspace_id = "63613592-b6f7-4c3d-a390-22ba13102111"
durable_apps = ["orders-*"]
cost_cache_dir = "{{cache}}"
"""
FIX = "run `az login`, or set AZURE_TENANT_ID, AZURE_CLIENT_ID and AZURE_CLIENT_SECRET"


def srvmon(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """srvmon in a clean environment: no AZURE_* variables, no az/pwsh/azd on PATH, an empty HOME."""
    cfg = tmp_path / "cfg.toml"
    cfg.write_text(CONFIG.replace("{cache}", str(tmp_path / "cost")))
    env = {"HOME": str(tmp_path), "PATH": str(tmp_path / "no-bin"), "PYTHONPATH": os.pathsep.join(sys.path)}
    return subprocess.run(
        [sys.executable, "-m", "srvmon", *args, "--config", str(cfg)],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
        check=False,
    )


def test_check_says_one_line_with_the_fix_and_nothing_on_stderr(tmp_path: Path) -> None:
    out = srvmon(tmp_path, "check")
    assert out.returncode == 3, out
    assert "DefaultAzureCredential failed" not in out.stderr and out.stderr == ""
    line = next(ln for ln in out.stdout.splitlines() if ln.startswith("provider az"))
    assert line.startswith("provider az (azure): FAILED: Azure sign-in failed (DefaultAzureCredential:")
    assert FIX in line
    # the chain's own reasons stay available, as detail lines
    assert "AzureCliCredential: Azure CLI not found on path" in out.stdout


def test_a_snapshot_asks_the_chain_once_and_prints_no_chain_reports(tmp_path: Path) -> None:
    target = tmp_path / "snap.json"
    out = srvmon(tmp_path, "snapshot", "--format", "json", "-o", str(target), "--now", "2026-11-22T04:00:00Z")
    assert out.returncode == 3, out
    assert "DefaultAzureCredential failed" not in out.stderr and "Attempted credentials" not in out.stderr
    assert all(ln.startswith("srvmon: ") for ln in out.stderr.splitlines())  # only srvmon's own lines
    assert out.stderr.count("Azure sign-in failed") == 1  # once for the provider
    snap = json.loads(target.read_text())
    errors = {p["error"] for p in snap["panels"]}
    (message,) = errors  # every panel shows the same short line
    assert message.startswith("Azure sign-in failed") and FIX in message and "\n" not in message


class Failing:
    """A credential that fails like the chain does (a multi-line ClientAuthenticationError)."""

    def __init__(self) -> None:
        self.calls = 0

    def get_token(self, *scopes: str, **kw: Any) -> Any:
        self.calls += 1
        raise ClientAuthenticationError(
            "AzureCliCredential: ERROR: AADSTS700082: The refresh token has expired due to inactivity.\n"
            "Run 'az login' to setup account."
        )


def test_failures_are_cached_per_provider_and_short(arm_sites: Any, clock: Any, capfd: Any) -> None:
    failing = Failing()
    opts = AzureOptions(
        subscription_id=SUB, arm_endpoint=arm_sites.url, metrics_endpoint=arm_sites.url,
        ca_bundle=arm_sites.ca_path, credential="cli",
    )  # fmt: skip
    p = AzureProvider("az", opts, clock, credential=failing)  # the provider wraps what it is given
    w = TimeWindow.ending_at(p.clock.now(), 3600)
    for _ in range(5):
        with pytest.raises(ProviderError) as err:
            p.query([MetricQuery("r", "az", "Requests")], w)
    assert failing.calls == 1  # one refresh's worth of calls (and more) asked the credential once
    assert isinstance(err.value, CredentialError)
    assert str(err.value) == (
        "Azure sign-in failed (Azure CLI: the sign-in has expired); run `az login` (and `az account set"
        " --subscription <id>`) as the user running srvmon"
    )
    captured = capfd.readouterr()
    assert "AADSTS" not in captured.err and "AADSTS" not in captured.out
    assert not arm_sites.calls("Microsoft.Web")  # no request went out without a token
    p.close()


def test_summary_per_credential_kind() -> None:
    exc = ClientAuthenticationError("ManagedIdentityCredential authentication unavailable. No identity.")
    assert summary("managed_identity", exc).startswith(
        "Azure sign-in failed (managed identity: ManagedIdentityCredential authentication unavailable"
    )
    assert "managed_identity_client_id" in summary("managed_identity", exc)
    assert "AZURE_CLIENT_CERTIFICATE_PATH" in summary("environment", exc)


def test_a_later_success_clears_the_failure() -> None:
    class Flaky:
        ok = False

        def get_token(self, *scopes: str, **kw: Any) -> str:
            if not self.ok:
                raise ClientAuthenticationError("nope")
            return "token"

    inner = Flaky()
    cred = QuietCredential(inner, "cli", ttl_s=0.0)  # no caching: every call asks
    with pytest.raises(CredentialError):
        cred.get_token("scope")
    inner.ok = True
    assert cred.get_token("scope") == "token" and cred.attempts == 2
