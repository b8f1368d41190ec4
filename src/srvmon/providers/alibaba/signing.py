"""Alibaba Cloud request signatures: ACS3-HMAC-SHA256 (OpenAPI V3, for CMS and BSS RPC calls) and the Log
Service (SLS) v1 HMAC-SHA1 signature. Pure functions: the caller supplies time and nonce.

ACS3-HMAC-SHA256 (Alibaba Cloud SDK "V3 request syntax and signature method"):

    CanonicalRequest = METHOD \\n CanonicalURI \\n CanonicalQueryString \\n CanonicalHeaders \\n
                       SignedHeaders \\n HexEncode(SHA256(body))
    CanonicalQueryString = k=v pairs sorted by k, both percent-encoded (RFC 3986: only A-Z a-z 0-9 - _ . ~
                           stay; space is %20), joined by '&'
    CanonicalHeaders     = "name:value\\n" per signed header, names lowercased and sorted, values trimmed
    SignedHeaders        = those names joined by ';' (host, x-acs-*, content-type)
    StringToSign = "ACS3-HMAC-SHA256\\n" + HexEncode(SHA256(CanonicalRequest))
    Authorization: ACS3-HMAC-SHA256 Credential=<AccessKeyId>,SignedHeaders=<...>,Signature=<hex HMAC-SHA256>

SLS v1 ("Request signatures", Simple Log Service API):

    SignString = VERB \\n CONTENT-MD5 \\n CONTENT-TYPE \\n DATE \\n CanonicalizedLOGHeaders CanonicalizedResource
    CanonicalizedLOGHeaders = "name:value\\n" for every x-log-* and x-acs-* header, sorted by name
    CanonicalizedResource   = path [ "?" + k=v pairs sorted by k, values not encoded, joined by '&' ]
    Authorization: LOG <AccessKeyId>:<base64 HMAC-SHA1(secret, SignString)>
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Mapping
from datetime import UTC, datetime
from email.utils import format_datetime
from urllib.parse import quote

ACS3 = "ACS3-HMAC-SHA256"
SLS_API_VERSION = "0.6.0"


def percent_encode(value: str) -> str:
    """RFC 3986 encoding as Alibaba signs it: unreserved characters stay, everything else is %XX (UTF-8)."""
    return quote(value, safe="~", encoding="utf-8")


def canonical_query(params: Mapping[str, str]) -> str:
    return "&".join(f"{percent_encode(k)}={percent_encode(v)}" for k, v in sorted(params.items()))


def acs_date(when: datetime) -> str:
    """x-acs-date: ISO 8601 UTC to the second, e.g. 2023-10-26T09:01:01Z."""
    return when.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def acs3_sign(
    *,
    method: str,
    host: str,
    path: str,
    params: Mapping[str, str],
    body: bytes,
    action: str,
    version: str,
    access_key_id: str,
    access_key_secret: str,
    security_token: str | None,
    when: datetime,
    nonce: str,
    content_type: str | None = None,
) -> dict[str, str]:
    """The headers of an ACS3-HMAC-SHA256-signed request (Authorization included)."""
    headers = {
        "host": host,
        "x-acs-action": action,
        "x-acs-version": version,
        "x-acs-date": acs_date(when),
        "x-acs-signature-nonce": nonce,
        "x-acs-content-sha256": hashlib.sha256(body).hexdigest(),
    }
    if security_token:
        headers["x-acs-security-token"] = security_token
    if content_type:
        headers["content-type"] = content_type
    names = sorted(headers)
    canonical_headers = "".join(f"{n}:{headers[n].strip()}\n" for n in names)
    signed = ";".join(names)
    canonical_request = "\n".join(
        [
            method.upper(),
            path or "/",
            canonical_query(params),
            canonical_headers,
            signed,
            headers["x-acs-content-sha256"],
        ]
    )
    string_to_sign = f"{ACS3}\n{hashlib.sha256(canonical_request.encode()).hexdigest()}"
    signature = hmac.new(access_key_secret.encode(), string_to_sign.encode(), hashlib.sha256).hexdigest()
    headers["authorization"] = (
        f"{ACS3} Credential={access_key_id},SignedHeaders={signed},Signature={signature}"
    )
    return headers


def http_date(when: datetime) -> str:
    """RFC 1123 date in GMT, e.g. 'Mon, 03 Jan 2010 08:33:47 GMT'."""
    return format_datetime(when.astimezone(UTC), usegmt=True)


def sls_sign(
    *,
    method: str,
    resource: str,
    params: Mapping[str, str],
    access_key_id: str,
    access_key_secret: str,
    security_token: str | None,
    when: datetime,
    body: bytes = b"",
    content_type: str | None = None,
) -> dict[str, str]:
    """The headers of an SLS v1-signed request (Date, x-log-*, Authorization)."""
    date = http_date(when)
    headers = {
        "date": date,
        "x-log-apiversion": SLS_API_VERSION,
        "x-log-signaturemethod": "hmac-sha1",
        "x-log-bodyrawsize": str(len(body)),
    }
    md5 = ""
    if body:
        md5 = hashlib.md5(body).hexdigest().upper()
        headers["content-md5"] = md5
    if content_type:
        headers["content-type"] = content_type
    if security_token:
        headers["x-acs-security-token"] = security_token
    log_headers = "".join(
        f"{k}:{headers[k]}\n" for k in sorted(headers) if k.startswith(("x-log-", "x-acs-"))
    )
    canonical_resource = resource
    if params:
        canonical_resource += "?" + "&".join(f"{k}={v}" for k, v in sorted(params.items()))
    sign_string = f"{method.upper()}\n{md5}\n{content_type or ''}\n{date}\n{log_headers}{canonical_resource}"
    digest = hmac.new(access_key_secret.encode(), sign_string.encode(), hashlib.sha1).digest()
    headers["authorization"] = f"LOG {access_key_id}:{base64.b64encode(digest).decode()}"
    return headers
