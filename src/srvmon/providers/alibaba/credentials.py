"""Alibaba Cloud credentials from the standard chain: environment variables, then ~/.aliyun/config.json.

Order (as the Alibaba Cloud SDKs' default chain): ALIBABA_CLOUD_ACCESS_KEY_ID +
ALIBABA_CLOUD_ACCESS_KEY_SECRET (+ ALIBABA_CLOUD_SECURITY_TOKEN for STS); then the aliyun CLI's
config.json profile named by the `profile` option, $ALIBABA_CLOUD_PROFILE, or the file's `current`.
Profiles in AK and StsToken mode are used; other modes (RamRoleArn, EcsRamRole, ...) are refused with
what to do instead. Secrets are never read from the srvmon config and never appear in messages.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from srvmon.providers.base import ProviderError

ENV_ID = "ALIBABA_CLOUD_ACCESS_KEY_ID"
ENV_SECRET = "ALIBABA_CLOUD_ACCESS_KEY_SECRET"
ENV_TOKEN = "ALIBABA_CLOUD_SECURITY_TOKEN"
ENV_PROFILE = "ALIBABA_CLOUD_PROFILE"
#: The largest config.json srvmon reads (it is a small JSON file).
MAX_CONFIG_BYTES = 1024 * 1024


@dataclass(frozen=True)
class AliCredentials:
    """An AccessKey pair (plus an STS token), and where it came from (for `srvmon check`)."""

    access_key_id: str
    access_key_secret: str = field(repr=False)
    security_token: str | None = field(default=None, repr=False)
    source: str = ""


def resolve(
    profile: str | None, credentials_file: str, env: Mapping[str, str] | None = None
) -> AliCredentials:
    """The first credentials of the chain; ProviderError saying what to set when there are none."""
    env = os.environ if env is None else env
    key_id, secret = env.get(ENV_ID, "").strip(), env.get(ENV_SECRET, "").strip()
    if key_id or secret:
        if not (key_id and secret):
            missing = ENV_SECRET if key_id else ENV_ID
            raise ProviderError(f"Alibaba credentials: {missing} is not set (the other half of the pair is)")
        token = env.get(ENV_TOKEN, "").strip() or None
        return AliCredentials(key_id, secret, token, source="environment")
    path = Path(credentials_file).expanduser()
    wanted = profile or env.get(ENV_PROFILE, "").strip() or None
    if not path.is_file():
        raise ProviderError(
            f"no Alibaba Cloud credentials: set {ENV_ID} and {ENV_SECRET} (and {ENV_TOKEN} for STS), "
            f"or configure a profile with `aliyun configure` ({path} does not exist)"
        )
    return _from_config(path, wanted)


def _from_config(path: Path, wanted: str | None) -> AliCredentials:
    try:
        raw = path.read_bytes()[: MAX_CONFIG_BYTES + 1]
        if len(raw) > MAX_CONFIG_BYTES:
            raise ProviderError(f"{path} is larger than 1 MiB; it is not an aliyun CLI config")
        data = json.loads(raw)
    except OSError as exc:
        raise ProviderError(f"cannot read {path}: {exc.strerror or exc}") from None
    except ValueError:
        raise ProviderError(f"{path} is not valid JSON; run `aliyun configure` to rewrite it") from None
    profiles = data.get("profiles") if isinstance(data, dict) else None
    if not isinstance(profiles, list):
        raise ProviderError(f"{path} has no `profiles` list; run `aliyun configure`")
    name = wanted or (data.get("current") if isinstance(data.get("current"), str) else None) or "default"
    chosen = next((p for p in profiles if isinstance(p, dict) and p.get("name") == name), None)
    if chosen is None:
        names = ", ".join(str(p.get("name")) for p in profiles if isinstance(p, dict)) or "(none)"
        raise ProviderError(f"profile {name!r} is not in {path} (profiles: {names})")
    mode = str(chosen.get("mode") or "AK")
    key_id = str(chosen.get("access_key_id") or "").strip()
    secret = str(chosen.get("access_key_secret") or "").strip()
    if mode not in ("AK", "StsToken"):
        raise ProviderError(
            f"profile {name!r} in {path} uses mode {mode}, which srvmon does not support; use an AK or "
            f"StsToken profile, or export {ENV_ID}/{ENV_SECRET}/{ENV_TOKEN} (e.g. from `aliyun sts AssumeRole`)"
        )
    if not key_id or not secret:
        raise ProviderError(f"profile {name!r} in {path} has no access_key_id/access_key_secret")
    token = str(chosen.get("sts_token") or "").strip() or None
    if mode == "StsToken" and not token:
        raise ProviderError(f"profile {name!r} in {path} is in StsToken mode but has no sts_token")
    return AliCredentials(key_id, secret, token, source=f"{path} profile {name!r}")
