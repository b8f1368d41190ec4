"""Who signs OCI requests: an API key from an OCI config-file profile, or the instance principal.

Config file (~/.oci/config, INI): the profile's user, fingerprint, tenancy, key_file (and pass_phrase);
missing keys fall back to [DEFAULT], as in the OCI SDKs. keyId = "<tenancy>/<user>/<fingerprint>".

Instance principal (as the OCI SDKs do it): read the instance's leaf certificate, its private key and the
intermediate certificate from the metadata service (GET {metadata_url}/identity/cert.pem, key.pem,
intermediate.pem with "Authorization: Bearer Oracle"); the tenancy is the certificate subject's
"opc-tenant:<ocid>"; POST {auth}/v1/x509 {"certificate", "publicKey" (a fresh in-memory RSA session key),
"intermediateCertificates"} signed with keyId "<tenancy>/fed-x509/<SHA-1 fingerprint of the leaf>" answers
{"token": <JWT>}; requests are then signed with keyId "ST$<token>" and the session key, and the token is
renewed before it expires (or after a 401). Nothing read from the metadata service leaves the host except
the public certificate; the token only goes to the configured OCI endpoints.
"""

from __future__ import annotations

import base64
import configparser
import json
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from srvmon.providers.base import ProviderError
from srvmon.providers.httpio import BoundedHttp, HttpError

from .signing import sign

#: Renew an instance-principal token this long before it expires.
TOKEN_MARGIN_S = 300.0
MAX_CONFIG_BYTES = 1024 * 1024


@dataclass(frozen=True)
class SigningKey:
    """What signs one request: the keyId and the RSA key."""

    key_id: str
    key: rsa.RSAPrivateKey
    tenancy: str
    source: str


def load_key(path: Path, passphrase: str | None) -> rsa.RSAPrivateKey:
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise ProviderError(f"cannot read the OCI API key {path}: {exc.strerror or exc}") from None
    try:
        key = serialization.load_pem_private_key(data, passphrase.encode() if passphrase else None)
    except TypeError:
        raise ProviderError(f"{path} is encrypted: add pass_phrase to the profile") from None
    except ValueError:
        raise ProviderError(f"{path} is not a PEM private key (or the pass_phrase is wrong)") from None
    if not isinstance(key, rsa.RSAPrivateKey):
        raise ProviderError(f"{path} is not an RSA key; OCI API keys are RSA")
    return key


def from_config_file(config_file: str, profile: str, tenancy: str | None) -> SigningKey:
    path = Path(config_file).expanduser()
    if not path.is_file():
        raise ProviderError(
            f'no OCI config file at {path}: create one with `oci setup config`, or set auth = "instance_principal"'
        )
    if path.stat().st_size > MAX_CONFIG_BYTES:
        raise ProviderError(f"{path} is larger than 1 MiB; it is not an OCI config file")
    parser = configparser.ConfigParser(interpolation=None)
    try:
        parser.read(path, encoding="utf-8")
    except configparser.Error as exc:
        raise ProviderError(f"{path} is not a valid OCI config file: {exc.message}") from None
    if profile != "DEFAULT" and not parser.has_section(profile):
        known = ", ".join(["DEFAULT", *parser.sections()])
        raise ProviderError(f"profile [{profile}] is not in {path} (profiles: {known})")
    section = parser[profile] if profile != "DEFAULT" else parser.defaults()
    missing = [k for k in ("user", "fingerprint", "key_file", "tenancy") if not section.get(k)]
    if "security_token_file" in section and missing:
        raise ProviderError(
            f"profile [{profile}] uses session tokens, which srvmon does not support; use an API key"
        )
    if missing:
        raise ProviderError(f"profile [{profile}] in {path} lacks {', '.join(missing)}")
    key = load_key(Path(section["key_file"]).expanduser(), section.get("pass_phrase"))
    tenant = tenancy or section["tenancy"]
    key_id = f"{tenant}/{section['user']}/{section['fingerprint']}"
    return SigningKey(key_id, key, tenant, f"{path} [{profile}]")


def _sanitize(pem: bytes) -> str:
    """PEM body without the armour lines and newlines (the federation API's format)."""
    return "".join(line for line in pem.decode().splitlines() if line and not line.startswith("-----"))


def _jwt_exp(token: str) -> float | None:
    parts = token.split(".")
    if len(parts) < 2:
        return None
    try:
        payload = json.loads(base64.urlsafe_b64decode(parts[1] + "=" * (-len(parts[1]) % 4)))
    except (ValueError, UnicodeDecodeError):
        return None
    exp = payload.get("exp") if isinstance(payload, dict) else None
    return float(exp) if isinstance(exp, int | float) else None


class InstancePrincipal:
    """Session tokens for the instance principal, renewed before expiry; thread-safe."""

    def __init__(
        self,
        http: BoundedHttp,
        metadata_url: str,
        auth_url: str,
        *,
        wall: Callable[[], datetime] = lambda: datetime.now(UTC),
        now_s: Callable[[], float] = time.time,
        count: Callable[[str], None] = lambda op: None,
    ) -> None:
        self.http = http
        self.metadata_url = metadata_url.rstrip("/")
        self.auth_url = auth_url
        self._wall = wall
        self._now_s = now_s
        self._count = count
        self._session = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self._token: str | None = None
        self._expires = 0.0
        self._tenancy = ""
        self._lock = threading.Lock()

    def _imds(self, path: str) -> bytes:
        self._count("imds:" + path.rsplit("/", 1)[-1])
        try:
            resp = self.http.request("GET", f"{self.metadata_url}{path}", headers={"Authorization": "Bearer Oracle"},
                                     what="the OCI instance metadata service")  # fmt: skip
        except HttpError as exc:
            raise ProviderError(
                f"instance principal: {exc} (is srvmon running on an OCI compute instance?)"
            ) from exc
        return resp.content

    def invalidate(self) -> None:
        with self._lock:
            self._token = None

    def signing_key(self) -> SigningKey:
        with self._lock:
            if self._token is None or self._now_s() > self._expires - TOKEN_MARGIN_S:
                self._refresh()
            assert self._token is not None
            return SigningKey(f"ST${self._token}", self._session, self._tenancy, "instance principal")

    def _refresh(self) -> None:
        leaf_pem = self._imds("/identity/cert.pem")
        key_pem = self._imds("/identity/key.pem")
        inter_pem = self._imds("/identity/intermediate.pem")
        try:
            leaf = x509.load_pem_x509_certificate(leaf_pem)
            leaf_key = serialization.load_pem_private_key(key_pem, None)
        except ValueError as exc:
            raise ProviderError(
                f"instance principal: the metadata service sent an unreadable certificate ({exc})"
            ) from None
        if not isinstance(leaf_key, rsa.RSAPrivateKey):
            raise ProviderError("instance principal: the instance key is not an RSA key")
        tenancy = ""
        for attr in leaf.subject:
            value = attr.value if isinstance(attr.value, str) else ""
            for prefix in ("opc-tenant:", "opc-identity:"):
                if value.startswith(prefix):
                    tenancy = value[len(prefix) :]
        if not tenancy:
            raise ProviderError("instance principal: the instance certificate names no tenancy (opc-tenant:)")
        fingerprint = ":".join(f"{b:02X}" for b in leaf.fingerprint(hashes.SHA1()))  # noqa: S303 (the API's id)
        public = self._session.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )
        body = json.dumps(
            {"certificate": _sanitize(leaf_pem), "publicKey": _sanitize(public),
             "intermediateCertificates": [_sanitize(inter_pem)]}
        ).encode()  # fmt: skip
        from urllib.parse import urlsplit

        target = urlsplit(self.auth_url).path or "/"
        headers = sign(method="POST", target=target, host=None, body=body, key_id=f"{tenancy}/fed-x509/{fingerprint}",
                       key=leaf_key, when=self._wall())  # fmt: skip
        self._count("auth:x509")
        try:
            resp = self.http.request(
                "POST", self.auth_url, content=body, headers=headers, what="OCI identity federation"
            )
        except HttpError as exc:
            raise ProviderError(f"instance principal: the token request was refused: {exc}") from exc
        answer: Any = resp.json()
        token = answer.get("token") if isinstance(answer, dict) else None
        if not isinstance(token, str) or not token:
            raise ProviderError("instance principal: the federation endpoint answered no token")
        exp = _jwt_exp(token)
        self._token = token
        self._expires = exp if exp is not None else self._now_s() + 600
        self._tenancy = tenancy
