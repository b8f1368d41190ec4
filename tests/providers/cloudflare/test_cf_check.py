"""`srvmon check` for Cloudflare: token set/valid/active, account, and each missing permission by name."""

from __future__ import annotations

from typing import Any

import pytest


def test_everything_ok(make_provider: Any, cf_server: Any) -> None:
    h = make_provider().check()
    assert h.ok, h
    assert "token: active" in " ".join(h.details) and "workers: 4 scripts listed" in h.details
    assert any("GraphQL budget" in d for d in h.details)
    assert cf_server.calls(r"/user/tokens/verify$")


def test_token_env_unset(make_provider: Any, monkeypatch: pytest.MonkeyPatch, token_env: str) -> None:
    monkeypatch.delenv(token_env)
    h = make_provider().check()
    assert not h.ok and f"environment variable {token_env} is not set" in h.message


def test_token_refused(make_provider: Any, monkeypatch: pytest.MonkeyPatch, token_env: str) -> None:
    monkeypatch.setenv(token_env, "not-the-token")
    h = make_provider().check()
    assert not h.ok and "refused the API token" in h.message and "Invalid API Token" in h.message


def test_account_owned_token_is_verified_on_the_account(make_provider: Any, cf_server: Any) -> None:
    cf_server.account_owned_token = True
    assert make_provider().check().ok
    assert cf_server.calls(r"/accounts/[0-9a-f]{32}/tokens/verify$")


@pytest.mark.parametrize(
    ("knob", "permission"),
    [
        ("analytics_allowed", "Account Analytics Read"),
        ("scripts_allowed", "Workers Scripts Read"),
        ("observability_allowed", "Workers Observability Read"),
    ],
)
def test_missing_permission_is_named(make_provider: Any, cf_server: Any, knob: str, permission: str) -> None:
    target = cf_server.gql if knob == "analytics_allowed" else cf_server
    setattr(target, knob, False)
    h = make_provider().check()
    assert not h.ok and h.missing_permissions == (permission,)
    assert permission in h.message and "edit the token's permissions" in h.message


def test_wrong_account(make_provider: Any) -> None:
    h = make_provider(account_id="ffffffffffffffffffffffffffffffff").check()
    assert not h.ok and "not visible to this token" in h.message
