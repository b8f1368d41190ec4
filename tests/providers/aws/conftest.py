"""Fixtures for the AWS provider tests: a moto server on 127.0.0.1 (free port, started here) seeded by
aws_seed.py, a frozen clock at the seeded hour, and a factory of providers pointed at the server."""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

sys.path.insert(0, str(Path(__file__).parent))  # --import-mode=importlib: make aws_seed importable

from aws_seed import NOW, REGION, Fleet, _seed  # noqa: E402
from moto_process import moto_process  # noqa: E402

from srvmon.clock import FrozenClock  # noqa: E402


@pytest.fixture(scope="session")
def fleet() -> Iterator[Fleet]:
    """The seeded moto server; if it cannot start, every test using it fails (never skips)."""
    from moto.server import ThreadedMotoServer

    saved = {
        k: os.environ.get(k)
        for k in (
            "AWS_ACCESS_KEY_ID",
            "AWS_SECRET_ACCESS_KEY",
            "AWS_SESSION_TOKEN",
            "AWS_DEFAULT_REGION",
            "AWS_CONFIG_FILE",
            "AWS_SHARED_CREDENTIALS_FILE",
            "AWS_PROFILE",
        )
    }
    os.environ.update(
        {
            "AWS_ACCESS_KEY_ID": "testing",
            "AWS_SECRET_ACCESS_KEY": "testing",
            "AWS_DEFAULT_REGION": REGION,
            "AWS_CONFIG_FILE": os.devnull,
            "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
        }
    )
    os.environ.pop("AWS_SESSION_TOKEN", None)
    os.environ.pop("AWS_PROFILE", None)
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    url = f"http://{host}:{port}"
    try:
        yield _seed(url)
    finally:
        server.stop()
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


@pytest.fixture
def clock() -> FrozenClock:
    return FrozenClock(NOW)


@pytest.fixture
def make_provider(fleet: Fleet, clock: FrozenClock, tmp_path: Path) -> Iterator[Callable[..., Any]]:
    """AwsProvider against the moto server; keyword arguments become AwsOptions."""
    from srvmon.providers.aws import AwsOptions, AwsProvider

    built: list[Any] = []

    def make(**opts: Any) -> Any:
        opts.setdefault("regions", [REGION])
        # moto answers GetCostForecast with HTTP 500 (not implemented); retrying it would only sleep
        opts.setdefault("max_attempts", 1)
        options = AwsOptions(endpoint_url=fleet.url, **opts)
        provider = AwsProvider("aws", options, clock, cache_dir=tmp_path / "cache")
        built.append(provider)
        return provider

    yield make
    for p in built:
        p.close()


@pytest.fixture
def empty_moto(fleet: Fleet) -> Iterator[str]:
    """A second, empty moto server in its own process (in-process servers share moto's state, and moto
    scans every stored datum per query period, so load tests of 1,000+ MetricStats need an empty one).
    Depends on `fleet` for the fake credentials; fails loudly if the server does not come up."""
    with moto_process() as url:
        yield url
