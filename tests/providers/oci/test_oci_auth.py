"""Who signs: config-file API key profiles, and the instance principal's full flow (metadata service ->
x509 federation -> session-token signing, renewed before expiry and after a 401) against the fakes."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from oci_fleet import NOW, TEST_KEY_PEM, instance_identity, options
from ocifake import FINGERPRINT, TENANCY, USER, imds_routes
from tls_fake import serve

from srvmon.model import MetricQuery, TimeWindow
from srvmon.providers.base import ProviderError
from srvmon.providers.oci import OciProvider
from srvmon.providers.oci.auth import from_config_file

W = TimeWindow.ending_at(NOW, 3600, 60)


def _write(tmp_path: Path, text: str) -> str:
    p = tmp_path / "config"
    p.write_text(text)
    return str(p)


def test_profiles_inherit_default(tmp_path: Path) -> None:
    key = tmp_path / "k.pem"
    key.write_bytes(TEST_KEY_PEM)
    cfg = _write(tmp_path, f"[DEFAULT]\ntenancy={TENANCY}\nfingerprint={FINGERPRINT}\nkey_file={key}\n"
                           f"[ops]\nuser={USER}\n")  # fmt: skip
    sk = from_config_file(cfg, "ops", None)
    assert sk.key_id == f"{TENANCY}/{USER}/{FINGERPRINT}" and sk.source.endswith("[ops]")
    with pytest.raises(ProviderError, match=r"\[DEFAULT\] in .* lacks user"):
        from_config_file(cfg, "DEFAULT", None)
    with pytest.raises(ProviderError, match=r"profile \[nope\] is not in .*profiles: DEFAULT, ops"):
        from_config_file(cfg, "nope", None)


def test_encrypted_keys_need_the_pass_phrase(tmp_path: Path, api_key: Any) -> None:
    from cryptography.hazmat.primitives import serialization

    key = tmp_path / "enc.pem"
    key.write_bytes(api_key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                          serialization.BestAvailableEncryption(b"s3cret")))  # fmt: skip
    base = f"[DEFAULT]\nuser={USER}\ntenancy={TENANCY}\nfingerprint={FINGERPRINT}\nkey_file={key}\n"
    with pytest.raises(ProviderError, match="encrypted: add pass_phrase"):
        from_config_file(_write(tmp_path, base), "DEFAULT", None)
    assert (
        from_config_file(_write(tmp_path, base + "pass_phrase=s3cret\n"), "DEFAULT", None).tenancy == TENANCY
    )
    with pytest.raises(ProviderError, match="no OCI config file"):
        from_config_file(str(tmp_path / "missing"), "DEFAULT", None)


def test_instance_principal_end_to_end(oci: Any, ca: Any, tmp_path: Path, clock: Any) -> None:
    cert_pem, key_pem, inter_pem, leaf = instance_identity(tmp_path)
    oci.leaf_cert = leaf
    seen: list[str] = []
    with serve(*ca, tls=False) as imds:
        imds_routes(imds, cert_pem, key_pem, inter_pem, seen)
        wall = {"now": 1_000_000.0}
        p = OciProvider(
            "oci",
            options(oci, "/nonexistent", auth="instance_principal", metadata_url=imds.url + "/opc/v2"),
            clock,
            now_s=lambda: wall["now"],
        )
        try:
            assert p.query([MetricQuery("a", "oci", "FunctionInvocationCount")], W)["a"].error is None
            assert seen == [
                "/opc/v2/identity/cert.pem",
                "/opc/v2/identity/key.pem",
                "/opc/v2/identity/intermediate.pem",
            ]
            (fed,) = oci.federations
            assert set(fed) == {"certificate", "publicKey", "intermediateCertificates"}
            assert "PRIVATE" not in str(fed)  # only public material leaves the host
            auth = oci.server.requests[-1].headers["authorization"]
            assert 'keyId="ST$' in auth
            # within the token's life the token is reused
            p.query([MetricQuery("a", "oci", "FunctionInvocationCount")], W)
            assert len(oci.federations) == 1
            # near expiry it is renewed
            wall["now"] = 10_000_000_000.0
            p.query([MetricQuery("a", "oci", "FunctionInvocationCount")], W)
            assert len(oci.federations) == 2
            # a token the server no longer accepts is renewed once, then the call goes through
            oci.sessions.clear()
            assert p.query([MetricQuery("a", "oci", "FunctionInvocationCount")], W)["a"].error is None
            assert len(oci.federations) == 3
            assert p.check().ok
        finally:
            p.close()


def test_instance_principal_off_oci_says_so(oci: Any, ca: Any, clock: Any) -> None:
    with serve(*ca, tls=False) as imds:  # a metadata service that knows no identity documents
        p = OciProvider("oci", options(oci, "/nonexistent", auth="instance_principal", metadata_url=imds.url + "/opc/v2"),
                        clock)  # fmt: skip
        try:
            h = p.check()
        finally:
            p.close()
    assert not h.ok and "instance principal" in h.message and "OCI compute instance" in h.message
