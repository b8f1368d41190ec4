"""OCI request signatures (OCI "Request Signatures", version 1, based on draft-cavage-http-signatures-08).

    signing string = one "name: value" line per signed header, joined by "\\n", where
        (request-target) = "<lowercase method> <path>?<query>"
        GET/DELETE sign:       date (request-target) host
        POST/PUT/PATCH add:    content-length content-type x-content-sha256 (base64 SHA-256 of the body)
    signature = base64(RSA-SHA256 PKCS#1 v1.5 with the private key)
    Authorization: Signature version="1",keyId="<tenancy>/<user>/<fingerprint>" (API key)
                   or "ST$<token>" (instance principal session),algorithm="rsa-sha256",headers="...",signature="..."

Pure functions over `cryptography` keys; the caller supplies the date.
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Mapping
from datetime import UTC, datetime
from email.utils import format_datetime

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa

GET_HEADERS = ("date", "(request-target)", "host")
BODY_HEADERS = ("content-length", "content-type", "x-content-sha256")


def http_date(when: datetime) -> str:
    return format_datetime(when.astimezone(UTC), usegmt=True)


def body_sha256(body: bytes) -> str:
    return base64.b64encode(hashlib.sha256(body).digest()).decode()


def signing_string(names: tuple[str, ...], method: str, target: str, headers: Mapping[str, str]) -> str:
    lines = []
    for name in names:
        if name == "(request-target)":
            lines.append(f"(request-target): {method.lower()} {target}")
        else:
            lines.append(f"{name}: {headers[name]}")
    return "\n".join(lines)


def sign(
    *,
    method: str,
    target: str,
    host: str | None,
    body: bytes | None,
    key_id: str,
    key: rsa.RSAPrivateKey,
    when: datetime,
    content_type: str = "application/json",
) -> dict[str, str]:
    """Headers of a signed request: date, host, (body headers), authorization. `target` = path?query.
    `host=None` leaves host out of the signature (the identity federation request signs without it)."""
    headers = {"date": http_date(when)}
    names: tuple[str, ...] = ("date", "(request-target)")
    if host is not None:
        headers["host"] = host
        names += ("host",)
    if method.upper() in ("POST", "PUT", "PATCH"):
        data = body or b""
        headers["content-length"] = str(len(data))
        headers["content-type"] = content_type
        headers["x-content-sha256"] = body_sha256(data)
        names += BODY_HEADERS
    text = signing_string(names, method, target, headers)
    signature = base64.b64encode(key.sign(text.encode(), padding.PKCS1v15(), hashes.SHA256())).decode()
    headers["authorization"] = (
        f'Signature version="1",keyId="{key_id}",algorithm="rsa-sha256",'
        f'headers="{" ".join(names)}",signature="{signature}"'
    )
    return headers
