"""Fixtures for the Alibaba provider tests: a verifying fake Alibaba Cloud over HTTPS on 127.0.0.1
(alifake.py on tls_fake.py), seeded with the fleet of ali_fleet.py, and a provider factory."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

sys.path.insert(0, str(Path(__file__).parent))  # --import-mode=importlib: make the helpers importable

from ali_fleet import NOW, options, seed  # noqa: E402
from alifake import ACCESS_KEY_ID, ACCESS_KEY_SECRET, AliFake  # noqa: E402
from tls_fake import FakeTime, make_ca, serve  # noqa: E402

from srvmon.clock import FrozenClock  # noqa: E402
from srvmon.providers.alibaba import AlibabaProvider  # noqa: E402


@pytest.fixture(scope="session")
def ca(tmp_path_factory: pytest.TempPathFactory) -> Any:
    return make_ca(str(tmp_path_factory.mktemp("alibaba-ca")))


@pytest.fixture
def ali(ca: Any) -> Iterator[AliFake]:
    with serve(*ca) as server:
        fake = AliFake(server)
        fake.install()
        seed(fake)
        yield fake


@pytest.fixture
def clock() -> FrozenClock:
    return FrozenClock(NOW)


@pytest.fixture
def env_credentials(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("ALIBABA_CLOUD_ACCESS_KEY_ID", ACCESS_KEY_ID)
    monkeypatch.setenv("ALIBABA_CLOUD_ACCESS_KEY_SECRET", ACCESS_KEY_SECRET)
    monkeypatch.delenv("ALIBABA_CLOUD_SECURITY_TOKEN", raising=False)
    monkeypatch.delenv("ALIBABA_CLOUD_PROFILE", raising=False)


@pytest.fixture
def fake_time() -> FakeTime:
    return FakeTime()


@pytest.fixture
def make_provider(
    ali: AliFake, clock: FrozenClock, env_credentials: None, fake_time: FakeTime
) -> Iterator[Callable[..., AlibabaProvider]]:
    made: list[AlibabaProvider] = []

    def make(**overrides: Any) -> AlibabaProvider:
        p = AlibabaProvider("ali", options(ali, **overrides), clock, sleep=fake_time.sleep,
                            monotonic=fake_time.monotonic)  # fmt: skip
        made.append(p)
        return p

    yield make
    for p in made:
        p.close()
