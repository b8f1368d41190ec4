"""Fixtures: the local HTTPS Cloudflare API (cfserver.py), a frozen clock, the token env var, providers."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import trustme

sys.path.insert(0, str(Path(__file__).parent))  # --import-mode=importlib: make cfdata/cfserver importable

from cfdata import ACCOUNT, NOW, TOKEN  # noqa: E402
from cfserver import FakeCloudflare, start_server  # noqa: E402

from srvmon.clock import FrozenClock  # noqa: E402
from srvmon.providers.cloudflare import CloudflareProvider  # noqa: E402
from srvmon.providers.cloudflare.options import CloudflareOptions  # noqa: E402


@pytest.fixture(scope="session")
def tls(tmp_path_factory: pytest.TempPathFactory) -> tuple[trustme.CA, str]:
    ca = trustme.CA()
    path = tmp_path_factory.mktemp("cf-ca") / "ca.pem"
    ca.cert_pem.write_to_path(str(path))
    return ca, str(path)


@pytest.fixture
def cf_server(tls: tuple[trustme.CA, str]) -> Iterator[FakeCloudflare]:
    fake, stop = start_server(tls)
    yield fake
    stop()


@pytest.fixture
def clock() -> FrozenClock:
    return FrozenClock(NOW)


@pytest.fixture
def token_env(monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setenv("SRVMON_TEST_CF_TOKEN", TOKEN)
    return "SRVMON_TEST_CF_TOKEN"


@pytest.fixture
def make_provider(
    cf_server: FakeCloudflare, clock: FrozenClock, token_env: str
) -> Iterator[Callable[..., CloudflareProvider]]:
    made: list[CloudflareProvider] = []

    def make(**overrides: Any) -> CloudflareProvider:
        opts: dict[str, Any] = {
            "account_id": ACCOUNT,
            "api_token_env": token_env,
            "endpoint": cf_server.endpoint,
            "ca_file": cf_server.ca_path,
            "timeout": "5s",
        }
        opts.update(overrides)
        p = CloudflareProvider("cf", CloudflareOptions(**opts), clock)
        made.append(p)
        return p

    yield make
    for p in made:
        p.close()
