"""`check()` tells the truth: rejected, expired or missing credentials and unknown regions, each with the
cause and the fix. Rejected credentials come from a moto server with IAM authentication on
(INITIAL_NO_AUTH_ACTION_COUNT: the first actions create a user and its key, every later request is
verified); moto cannot expire a token, so ExpiredToken is canned with botocore's Stubber (said there)."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.stub import Stubber

from srvmon.providers.aws import AwsOptions, AwsProvider


@pytest.fixture(scope="module")
def auth_moto(fleet: Any) -> Iterator[tuple[str, str, str]]:
    """(url, access key id, secret) of a moto server that authenticates every request after the two
    that create the IAM user and its access key. Fails loudly if the server does not start."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = {**os.environ, "INITIAL_NO_AUTH_ACTION_COUNT": "2"}
    proc = subprocess.Popen(
        [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                urllib.request.urlopen(f"{url}/moto-api/", timeout=1).close()
                break
            except OSError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"moto_server with auth on port {port} did not start") from None
                time.sleep(0.05)
        iam = boto3.client("iam", endpoint_url=url, region_name="us-east-1")
        iam.create_user(UserName="srvmon")
        key = iam.create_access_key(UserName="srvmon")["AccessKey"]
        yield url, key["AccessKeyId"], key["SecretAccessKey"]
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def provider(url: str, clock: Any, tmp_path: Path, **opts: Any) -> AwsProvider:
    opts.setdefault("regions", ["us-east-1"])
    return AwsProvider(
        "prod", AwsOptions(endpoint_url=url, max_attempts=1, **opts), clock, cache_dir=tmp_path
    )


def test_a_wrong_secret_fails_check(auth_moto: Any, clock: Any, tmp_path: Path, monkeypatch: Any) -> None:
    url, key_id, _ = auth_moto
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", key_id)
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "not-the-secret")
    h = provider(url, clock, tmp_path).check()
    assert not h.ok
    assert h.message == (
        "default/us-east-1: credentials rejected: the secret key does not match the access key"
        " (SignatureDoesNotMatch: The request signature we calculated does not match the signature you"
        " provided. Check your AWS Secret Access Key and signing method. Consult the service documentation"
        " for details.); fix: fix the secret key"
    )


def test_an_unknown_access_key_fails_check(
    auth_moto: Any, clock: Any, tmp_path: Path, monkeypatch: Any
) -> None:
    url, _, _ = auth_moto
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIAIOSFODNN7EXAMPLE")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY")
    h = provider(url, clock, tmp_path).check()
    assert not h.ok
    assert "credentials rejected: the access key id is not valid (InvalidClientTokenId:" in h.message
    assert h.message.endswith("fix: use a valid access key")
    assert "probe(s) failed for other reasons" not in h.message


def test_an_expired_token_fails_check(make_provider: Any) -> None:
    """Stubber: moto never expires a session token; the error is in STS's documented shape."""
    p = make_provider()
    sts = p.sessions.client("sts", p.sessions.targets()[0])
    with Stubber(sts) as stub:
        stub.add_client_error(
            "get_caller_identity",
            service_error_code="ExpiredToken",
            service_message="The security token included in the request is expired",
            http_status_code=400,
        )
        h = p.check()
    assert not h.ok
    assert h.message == (
        "default/us-east-1: credentials rejected: the session token has expired (ExpiredToken: The"
        " security token included in the request is expired); fix: refresh the credentials"
    )


def test_no_credentials_fails_check(make_provider: Any, monkeypatch: Any) -> None:
    for var in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")  # no instance-metadata lookup
    h = make_provider().check()
    assert not h.ok
    assert "credentials rejected: no AWS credentials found (NoCredentialsError: Unable to locate" in h.message
    assert "fix: set `profile`, run `aws configure`" in h.message


def test_unknown_region_only_warns(make_provider: Any) -> None:
    h = make_provider(regions=["mars-north-7"]).check()
    assert h.ok, h.message
    assert "warning: region 'mars-north-7' is not one botocore" in h.message
    assert h.details[0].startswith("warning: region 'mars-north-7'")
    assert not any("region" in d for d in make_provider(regions=["eu-west-1"]).check().details)


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"regions": ["Mars"]}, "'Mars' is not an AWS region name; write e.g. 'eu-west-1'"),
        ({"regions": [""]}, "'' is not an AWS region name"),
        ({"profile": ""}, "must not be empty"),
        ({"role_arn": "arn:aws:iam::12:role/x"}, "is not an IAM role ARN"),
        ({"accounts": ["123456789012"]}, "is not an IAM role ARN"),
        ({"lambda_price_per_gb_s": float("nan")}, "must be a finite number, zero or more"),
        ({"lambda_price_per_gb_s": -1.0}, "must be a finite number, zero or more"),
        ({"timeout": "infs"}, "must be a positive, finite duration"),
        ({"endpoint_url": "http:// 127.0.0.1"}, "contains spaces or control characters"),
        ({"max_response_mb": 0}, "greater than or equal to 1"),
    ],
)
def test_options_are_checked_for_shape(options: dict[str, Any], message: str) -> None:
    from pydantic import ValidationError

    with pytest.raises(ValidationError) as err:
        AwsOptions(**options)
    assert message in str(err.value)


def test_empty_stat_is_rejected() -> None:
    assert "empty stat" in (AwsProvider.validate_query("lambda:Duration", "") or "")
    assert AwsProvider.validate_query("lambda:Duration", None) is None


def test_an_unknown_profile_fails_check(make_provider: Any) -> None:
    h = make_provider(profile="nope").check()
    assert not h.ok
    assert "The config profile (nope) could not be found" in h.message
    assert "fix: set `profile` to one in ~/.aws/config" in h.message


def test_the_bounded_transport_keeps_signatures_valid(
    auth_moto: Any, clock: Any, tmp_path: Path, monkeypatch: Any
) -> None:
    """The same server verifies SigV4: a right key and secret sent through srvmon's httpx transport pass
    (moto verifies signatures of query-protocol calls such as STS; its JSON APIs reject every signature
    in this mode, with plain boto3 too, so they are not used here)."""
    url, key_id, secret = auth_moto
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", key_id)
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", secret)
    p = provider(url, clock, tmp_path)
    sts = p.sessions.client("sts", p.sessions.targets()[0])
    assert sts.get_caller_identity()["Arn"].endswith(":user/srvmon")
