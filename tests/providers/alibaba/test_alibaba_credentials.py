"""The Alibaba credential chain: environment first, then the aliyun CLI's config.json profiles."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from srvmon.providers.alibaba.credentials import resolve
from srvmon.providers.base import ProviderError

CONFIG = {
    "current": "prod",
    "profiles": [
        {"name": "default", "mode": "AK", "access_key_id": "LTAIdefault", "access_key_secret": "s1", "region_id": "cn-hangzhou"},
        {"name": "prod", "mode": "StsToken", "access_key_id": "STS.prod", "access_key_secret": "s2", "sts_token": "tok"},
        {"name": "role", "mode": "RamRoleArn", "access_key_id": "LTAIx", "access_key_secret": "s3",
         "ram_role_arn": "acs:ram::123:role/srvmon"},
    ],
}  # fmt: skip


@pytest.fixture
def config_file(tmp_path: Path) -> str:
    path = tmp_path / "config.json"
    path.write_text(json.dumps(CONFIG))
    return str(path)


def test_environment_wins(config_file: str) -> None:
    env = {"ALIBABA_CLOUD_ACCESS_KEY_ID": "LTAIenv", "ALIBABA_CLOUD_ACCESS_KEY_SECRET": "sec",
           "ALIBABA_CLOUD_SECURITY_TOKEN": "sts"}  # fmt: skip
    c = resolve(None, config_file, env)
    assert (c.access_key_id, c.access_key_secret, c.security_token, c.source) == (
        "LTAIenv",
        "sec",
        "sts",
        "environment",
    )
    assert "sec" not in repr(c) and "sts" not in repr(c)


def test_half_an_environment_pair_is_an_error(config_file: str) -> None:
    with pytest.raises(ProviderError, match="ALIBABA_CLOUD_ACCESS_KEY_SECRET is not set"):
        resolve(None, config_file, {"ALIBABA_CLOUD_ACCESS_KEY_ID": "LTAIenv"})


def test_config_profiles(config_file: str) -> None:
    current = resolve(None, config_file, {})
    assert (current.access_key_id, current.security_token) == ("STS.prod", "tok")
    assert resolve("default", config_file, {}).access_key_id == "LTAIdefault"
    assert resolve(None, config_file, {"ALIBABA_CLOUD_PROFILE": "default"}).access_key_id == "LTAIdefault"


def test_unsupported_modes_and_missing_profiles_say_what_to_do(config_file: str, tmp_path: Path) -> None:
    with pytest.raises(ProviderError, match="mode RamRoleArn.*AK or StsToken"):
        resolve("role", config_file, {})
    with pytest.raises(ProviderError, match=r"'nope' is not in .*profiles: default, prod, role"):
        resolve("nope", config_file, {})
    with pytest.raises(ProviderError, match="no Alibaba Cloud credentials: set ALIBABA_CLOUD_ACCESS_KEY_ID"):
        resolve(None, str(tmp_path / "missing.json"), {})
    bad = tmp_path / "bad.json"
    bad.write_text("{not json")
    with pytest.raises(ProviderError, match="not valid JSON"):
        resolve(None, str(bad), {})
