"""Fixtures for the OCI provider tests: a verifying fake OCI over HTTPS on 127.0.0.1 (ocifake.py on
tls_fake.py) seeded with the fleet of oci_fleet.py, an OCI config file with the test API key, and a
provider factory."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

sys.path.insert(0, str(Path(__file__).parent))  # --import-mode=importlib: make the helpers importable

from cryptography.hazmat.primitives import serialization  # noqa: E402
from cryptography.hazmat.primitives.asymmetric import rsa  # noqa: E402
from oci_fleet import NOW, NOW_S, TEST_KEY_PEM, options, seed  # noqa: E402
from ocifake import FINGERPRINT, TENANCY, USER, OciFake  # noqa: E402
from tls_fake import FakeTime, make_ca, serve  # noqa: E402

from srvmon.clock import FrozenClock  # noqa: E402
from srvmon.providers.oci import OciProvider  # noqa: E402


@pytest.fixture(scope="session")
def ca(tmp_path_factory: pytest.TempPathFactory) -> Any:
    return make_ca(str(tmp_path_factory.mktemp("oci-ca")))


@pytest.fixture(scope="session")
def api_key() -> rsa.RSAPrivateKey:
    key = serialization.load_pem_private_key(TEST_KEY_PEM, None)
    assert isinstance(key, rsa.RSAPrivateKey)
    return key


@pytest.fixture
def oci(ca: Any, api_key: rsa.RSAPrivateKey) -> Iterator[OciFake]:
    with serve(*ca) as server:
        fake = OciFake(server, NOW_S, api_key.public_key())
        fake.install()
        seed(fake)
        yield fake


@pytest.fixture
def config_file(tmp_path: Path) -> str:
    key = tmp_path / "oci_api_key.pem"
    key.write_bytes(TEST_KEY_PEM)
    cfg = tmp_path / "config"
    cfg.write_text(f"[DEFAULT]\nuser={USER}\nfingerprint={FINGERPRINT}\ntenancy={TENANCY}\nregion=us-ashburn-1\n"
                   f"key_file={key}\n")  # fmt: skip
    return str(cfg)


@pytest.fixture
def clock() -> FrozenClock:
    return FrozenClock(NOW)


@pytest.fixture
def fake_time() -> FakeTime:
    return FakeTime()


@pytest.fixture
def make_provider(
    oci: OciFake, config_file: str, clock: FrozenClock, fake_time: FakeTime
) -> Iterator[Callable[..., OciProvider]]:
    made: list[OciProvider] = []

    def make(**overrides: Any) -> OciProvider:
        p = OciProvider("oci", options(oci, config_file, **overrides), clock, sleep=fake_time.sleep,
                        monotonic=fake_time.monotonic)  # fmt: skip
        made.append(p)
        return p

    yield make
    for p in made:
        p.close()
