"""A fake OCI for provider tests: Monitoring (SummarizeMetricsData with a subset of MQL, ListAlarmsStatus),
the identity federation endpoint (/v1/x509) and the instance metadata service (plain HTTP).

Every Monitoring and federation request is verified as OCI does, independently of srvmon's signing code:
the Authorization header's keyId is looked up (an API key's public key, a federation leaf certificate, or
a session key registered by /v1/x509), the signing string is rebuilt from the request as received
((request-target) from the raw request line), the required headers, body hash, length and date skew are
checked, and the RSA-SHA256 signature is verified. Failures answer 401 NotAuthenticated like OCI.

Metric data are raw 1-minute datapoints stamped at the end of their minute; queries aggregate them into
intervals whose timestamp closes the interval, and only return what OCI would: 1-minute data for the last
7 days, 5-minute for 30, hourly for 90.
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
import time
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from fnmatch import fnmatchcase
from typing import Any

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from tls_fake import STALL, Answer, FakeServer, Req

TENANCY = "ocid1.tenancy.oc1..aaaaaaaatenancyfortests"
USER = "ocid1.user.oc1..aaaaaaaauserfortests"
COMPARTMENT = "ocid1.compartment.oc1..aaaaaaaacompartmentfortests"
FINGERPRINT = "20:3b:97:13:55:1c:5b:0d:d3:37:d8:50:4e:c5:3a:34"
GET_REQUIRED = ["date", "(request-target)", "host"]
BODY_REQUIRED = ["content-length", "content-type", "x-content-sha256"]
_INTERVAL = re.compile(r"^(\d+)([mhd])$")
_MQL = re.compile(
    r"^(?P<metric>\w+)\[(?P<interval>\d+[mhd])\](?P<filters>\{[^}]*\})?\."
    r"(?P<grouping>grouping\(\)|groupBy\((?P<by>[\w, ]+)\))\."
    r"(?P<stat>sum|mean|max|min|count|rate|percentile)\((?P<arg>[0-9.]*)\)$"
)
#: how far back each resolution is served, seconds
AVAILABLE = {60: 7 * 86400, 300: 30 * 86400, 3600: 90 * 86400, 86400: 90 * 86400}


def _unauth(message: str) -> Answer:
    return 401, {"opc-request-id": "fake"}, {"code": "NotAuthenticated", "message": message}


def _secs(text: str) -> int:
    m = _INTERVAL.fullmatch(text)
    assert m, text
    return int(m.group(1)) * {"m": 60, "h": 3600, "d": 86400}[m.group(2)]


def _ts(text: str) -> int:
    return int(datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp())


def _iso(ts: int) -> str:
    return datetime.fromtimestamp(ts, UTC).strftime("%Y-%m-%dT%H:%M:%S.000Z")


def _jwt(payload: dict[str, Any]) -> str:
    def b64(d: dict[str, Any]) -> str:
        return base64.urlsafe_b64encode(json.dumps(d).encode()).rstrip(b"=").decode()

    return f"{b64({'alg': 'RS256', 'typ': 'JWT'})}.{b64(payload)}.c2ln"


@dataclass
class Stream:
    metric: str
    dims: dict[str, str]
    points: dict[int, float]  # minute end (epoch s) -> raw value


@dataclass
class OciFake:
    server: FakeServer
    now_s: int
    api_key: rsa.RSAPublicKey
    leaf_cert: x509.Certificate | None = None
    streams: list[Stream] = field(default_factory=list)
    alarms: list[dict[str, Any]] = field(default_factory=list)
    throttle: int = 0
    retry_after: str | None = None
    deny: set[str] = field(default_factory=set)  # operations answered 404 NotAuthorizedOrNotFound
    stall: bool = False
    sessions: dict[str, rsa.RSAPublicKey] = field(default_factory=dict)
    token_ttl_s: int = 3600
    queries: list[dict[str, Any]] = field(default_factory=list)
    federations: list[dict[str, Any]] = field(default_factory=list)

    def install(self) -> None:
        self.server.gate = self.gate
        self.server.route("POST", r"/20180401/metrics/actions/summarizeMetricsData", self.summarize)
        self.server.route("GET", r"/20180401/alarms/status", self.list_alarms)
        self.server.route("POST", r"/v1/x509", self.federate)

    # -- signature verification ------------------------------------------------------------------------
    def gate(self, req: Req) -> Answer | None:
        if req.path == "/__ready":
            return 200, {}, {}
        auth = req.headers.get("authorization", "")
        if not auth.startswith("Signature "):
            return _unauth("The required information to complete authentication was not provided.")
        params = dict(re.findall(r'(\w+)="([^"]*)"', auth))
        if params.get("version") != "1" or params.get("algorithm") != "rsa-sha256":
            return _unauth("unsupported signature version or algorithm")
        names = params.get("headers", "").split(" ")
        fed = req.path == "/v1/x509"
        required = [h for h in GET_REQUIRED if not (fed and h == "host")]
        if req.method in ("POST", "PUT", "PATCH"):
            required += BODY_REQUIRED
            if (
                req.headers.get("x-content-sha256")
                != base64.b64encode(hashlib.sha256(req.body).digest()).decode()
            ):
                return _unauth("x-content-sha256 does not match the body")
            if req.headers.get("content-length") != str(len(req.body)):
                return _unauth("content-length does not match the body")
        if not set(required) <= set(names):
            return _unauth(f"the signature must cover {required}; it covers {names}")
        try:
            date = parsedate_to_datetime(req.headers["date"])
        except (KeyError, TypeError, ValueError):
            return _unauth("the date header is missing or malformed")
        if abs(date.timestamp() - time.time()) > 300:
            return _unauth("The client's clock is skewed more than 5 minutes")
        key = self._key_for(params.get("keyId", ""), fed)
        if key is None:
            return _unauth(f"unknown keyId {params.get('keyId', '')[:60]!r}")
        target = req.path + (f"?{req.raw_query}" if req.raw_query else "")
        lines = []
        for n in names:
            if n == "(request-target)":
                lines.append(f"(request-target): {req.method.lower()} {target}")
            elif n not in req.headers:
                return _unauth(f"signed header {n} is missing")
            else:
                lines.append(f"{n}: {req.headers[n]}")
        try:
            key.verify(base64.b64decode(params.get("signature", "")), "\n".join(lines).encode(),
                       padding.PKCS1v15(), hashes.SHA256())  # fmt: skip
        except (InvalidSignature, ValueError):
            return _unauth(
                "The required information to complete authentication was not provided or was incorrect."
            )
        return None

    def _key_for(self, key_id: str, fed: bool) -> rsa.RSAPublicKey | None:
        if fed:
            if self.leaf_cert is None:
                return None
            fp = ":".join(f"{b:02X}" for b in self.leaf_cert.fingerprint(hashes.SHA1()))
            pub = self.leaf_cert.public_key()
            return pub if key_id == f"{TENANCY}/fed-x509/{fp}" and isinstance(pub, rsa.RSAPublicKey) else None
        if key_id == f"{TENANCY}/{USER}/{FINGERPRINT}":
            return self.api_key
        if key_id.startswith("ST$"):
            return self.sessions.get(key_id[3:])
        return None

    # -- identity federation -------------------------------------------------------------------------------
    def federate(self, req: Req) -> Answer:
        body = req.json()
        self.federations.append(body)
        assert self.leaf_cert is not None
        leaf = "".join(
            line for line in self.leaf_cert.public_bytes(serialization.Encoding.PEM).decode().splitlines()
            if not line.startswith("-----")
        )  # fmt: skip
        if body.get("certificate") != leaf or not body.get("intermediateCertificates"):
            return 400, {}, {"code": "InvalidParameter", "message": "certificate chain mismatch"}
        pem = "-----BEGIN PUBLIC KEY-----\n" + body["publicKey"] + "\n-----END PUBLIC KEY-----\n"
        session = serialization.load_pem_public_key(pem.encode())
        assert isinstance(session, rsa.RSAPublicKey)
        token = _jwt({"sub": "ocid1.instance.oc1..fake", "iat": int(time.time()),
                      "exp": int(time.time()) + self.token_ttl_s, "n": len(self.sessions)})  # fmt: skip
        self.sessions[token] = session
        return 200, {}, {"token": token}

    # -- Monitoring ----------------------------------------------------------------------------------------
    def _refuse(self, operation: str, req: Req) -> Answer | object | None:
        if self.stall:
            return STALL
        if self.throttle > 0:
            self.throttle -= 1
            headers = {"Retry-After": self.retry_after} if self.retry_after else {}
            return 429, headers, {"code": "TooManyRequests", "message": "Tenant rate limit exceeded"}
        if operation in self.deny or req.params.get("compartmentId") != COMPARTMENT:
            return (
                404,
                {},
                {
                    "code": "NotAuthorizedOrNotFound",
                    "message": "Authorization failed or requested resource not found.",
                },
            )
        return None

    def summarize(self, req: Req) -> Answer | object:
        refused = self._refuse("SummarizeMetricsData", req)
        if refused is not None:
            return refused
        body = req.json()
        self.queries.append(body)
        m = _MQL.fullmatch(body.get("query", ""))
        if not m or body.get("namespace") != "oci_faas":
            return 400, {}, {"code": "InvalidParameter", "message": f"Invalid query {body.get('query')!r}"}
        interval = _secs(m.group("interval"))
        if body.get("resolution") and _secs(body["resolution"]) != interval:
            return 400, {}, {"code": "InvalidParameter", "message": "this fake wants resolution = interval"}
        start, end = _ts(body["startTime"]), _ts(body["endTime"])
        oldest = self.now_s - AVAILABLE[interval]
        filters = re.findall(r'(\w+)\s*(=~|=)\s*"([^"]*)"', m.group("filters") or "")

        def selected(s: Stream) -> bool:
            for dim, op, value in filters:
                have = s.dims.get(dim, "")
                if op == "=" and have != value:
                    return False
                if op == "=~" and not any(fnmatchcase(have, alt) for alt in value.split("|")):
                    return False
            return s.metric == m.group("metric")

        by = [d.strip() for d in (m.group("by") or "").split(",") if d.strip()]
        groups: dict[tuple[str, ...], list[Stream]] = defaultdict(list)
        for s in self.streams:
            if selected(s):
                groups[tuple(s.dims.get(d, "") for d in by)].append(s)
        out = []
        for key, members in sorted(groups.items()):
            points = []
            first = (start // interval + 1) * interval
            for t_end in range(first, end + 1, interval):
                if t_end - interval < oldest or t_end > self.now_s + interval:
                    continue
                raw = [v for s in members for t, v in s.points.items() if t_end - interval < t <= t_end]
                if raw:
                    points.append(
                        {
                            "timestamp": _iso(t_end),
                            "value": _stat(m.group("stat"), m.group("arg"), raw, interval),
                        }
                    )
            dims = dict(zip(by, key, strict=True))
            out.append({"namespace": "oci_faas", "compartmentId": COMPARTMENT, "name": m.group("metric"),
                        "dimensions": dims, "metadata": {"displayName": m.group("metric")},
                        "resolution": m.group("interval"), "aggregatedDatapoints": points})  # fmt: skip
        return 200, {"opc-request-id": "fake-req"}, out

    def list_alarms(self, req: Req) -> Answer | object:
        refused = self._refuse("ListAlarmsStatus", req)
        if refused is not None:
            return refused
        limit = int(req.params.get("limit", "1000"))
        offset = int(req.params.get("page", "0"))
        page = self.alarms[offset : offset + limit]
        headers = {"opc-next-page": str(offset + limit)} if offset + limit < len(self.alarms) else {}
        return 200, headers, page


def _stat(stat: str, arg: str, raw: list[float], interval: int) -> float:
    if stat == "sum":
        return float(sum(raw))
    if stat == "mean":
        return sum(raw) / len(raw)
    if stat == "max":
        return float(max(raw))
    if stat == "min":
        return float(min(raw))
    if stat == "count":
        return float(len(raw))
    if stat == "rate":
        return sum(raw) / interval
    ordered = sorted(raw)
    rank = max(1, -(-int(float(arg) * 1000) * len(ordered) // 1000))
    return float(ordered[min(len(ordered), rank) - 1])


def imds_routes(
    server: FakeServer, cert_pem: bytes, key_pem: bytes, inter_pem: bytes, seen: list[str]
) -> None:
    """The instance metadata service (plain HTTP): the identity documents, behind 'Bearer Oracle'."""

    def doc(data: bytes) -> Any:
        def handler(req: Req) -> Answer:
            seen.append(req.path)
            if req.headers.get("authorization") != "Bearer Oracle":
                return (
                    401,
                    {},
                    {"code": "NotAuthenticated", "message": "missing Authorization: Bearer Oracle"},
                )
            return 200, {"Content-Type": "application/x-pem-file"}, data

        return handler

    server.route("GET", r"/opc/v2/identity/cert\.pem", doc(cert_pem))
    server.route("GET", r"/opc/v2/identity/key\.pem", doc(key_pem))
    server.route("GET", r"/opc/v2/identity/intermediate\.pem", doc(inter_pem))
