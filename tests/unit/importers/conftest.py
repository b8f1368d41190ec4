"""Servers the imported boards are snapshotted against, each speaking its targets' protocol: a moto server
in its own process seeded like the AWS provider tests (aws_seed.py), a real backfilled Prometheus (the
Prometheus tests' history), and the local HTTPS server answering Azure's REST shapes. Each is started
here; if one cannot start, the tests using it fail (never skip)."""

from __future__ import annotations

import importlib.util
import os
import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from tls_fake import threaded_server

TESTS = Path(__file__).resolve().parents[2]
FIXTURES = Path(__file__).parent / "fixtures"


def _module(path: Path, name: str) -> ModuleType:
    """Load a helper module of another test package under its own name (no conftest side effects)."""
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


def aws_seed() -> ModuleType:
    return _module(TESTS / "providers" / "aws" / "aws_seed.py", "srvmon_importers_aws_seed")


def prom_helpers() -> ModuleType:
    return _module(TESTS / "providers" / "prometheus" / "conftest.py", "srvmon_importers_prom_helpers")


def azure_helpers() -> ModuleType:
    return _module(TESTS / "providers" / "azure" / "conftest.py", "srvmon_importers_azure_helpers")


def moto_helpers() -> ModuleType:
    return _module(TESTS / "providers" / "aws" / "moto_process.py", "srvmon_importers_moto_process")


def azure_data() -> ModuleType:
    return _module(TESTS / "providers" / "azure" / "azdata.py", "srvmon_importers_azdata")


@pytest.fixture(scope="session")
def cw_moto() -> Iterator[Any]:
    """A moto server in its own process (in-process servers share moto's global state with the AWS
    provider tests), seeded by aws_seed._seed: (url, seed module)."""
    seed = aws_seed()
    moto_process = moto_helpers().moto_process
    env = {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing", "AWS_DEFAULT_REGION": seed.REGION,
           "AWS_CONFIG_FILE": os.devnull, "AWS_SHARED_CREDENTIALS_FILE": os.devnull}  # fmt: skip
    saved = {k: os.environ.get(k) for k in [*env, "AWS_SESSION_TOKEN", "AWS_PROFILE"]}
    os.environ.update(env)
    os.environ.pop("AWS_SESSION_TOKEN", None)
    os.environ.pop("AWS_PROFILE", None)
    try:
        with moto_process(deadline_s=30) as url:
            fleet = seed._seed(url)
            yield fleet, seed
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


@pytest.fixture(scope="session")
def prom_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    """The Prometheus tests' backfilled Prometheus (their history, their helpers), a process of its own."""
    h = prom_helpers()
    yield from h._prometheus(tmp_path_factory.mktemp("import-prom"), h.COUNTERS, h.GAUGES, h.HISTOGRAMS)


@pytest.fixture
def azure(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    """The Azure tests' local HTTPS server (trustme CA, routes answering the REST shapes)."""
    import trustme

    h = azure_helpers()
    ca = trustme.CA()
    ca_path = tmp_path_factory.mktemp("import-ca") / "ca.pem"
    ca.cert_pem.write_to_path(str(ca_path))
    with threaded_server(h._Handler, lambda url: h.FakeAzure(url=url, ca_path=str(ca_path)), ca, str(ca_path),
                         ready_path="/ready", what="fake Azure server") as fake:  # fmt: skip
        yield fake


# ---- canned CloudWatch answers for what moto fakes -------------------------------------------------------


def _canned_hooks(answers: dict[str, Any], seen: list[str]) -> list[tuple[str, Any]]:
    """botocore event handlers: remember GetMetricData's parameters, and answer the expressions moto
    fakes (returning a response from before-call skips the HTTP request); everything else goes to moto."""
    from botocore.awsrequest import AWSResponse

    def remember(params: dict[str, Any], context: dict[str, Any], **_: Any) -> None:
        context["srvmon_params"] = params

    def answer(context: dict[str, Any], **_: Any) -> Any:
        params = context.get("srvmon_params") or {}
        results: list[dict[str, Any]] = []
        for q in params.get("MetricDataQueries", []):
            if q.get("Expression") in answers:
                seen.append(q["Expression"])
                results += answers[q["Expression"]](q["Id"], params["StartTime"], params["EndTime"])
        if not results:
            return None
        return AWSResponse("https://monitoring.amazonaws.com/", 200, {}, None), {
            "MetricDataResults": results,
            "Messages": [],
        }

    return [
        ("before-parameter-build.cloudwatch.GetMetricData", remember),
        ("before-call.cloudwatch.GetMetricData", answer),
    ]


@pytest.fixture(scope="session")
def canned_hooks() -> Any:
    """`(answers, seen) -> botocore hooks`: answers[Expression](id, start, end) -> MetricDataResults."""
    return _canned_hooks


@pytest.fixture(scope="session")
def azd() -> ModuleType:
    """The Azure tests' canned REST answer builders (azdata.py)."""
    return azure_data()


@pytest.fixture(scope="session")
def azure_mod() -> ModuleType:
    """The Azure tests' conftest helpers (FakeCredential, NOW)."""
    return azure_helpers()
