"""The OCI test fleet: what the fake Monitoring holds, the test API key, an instance identity, and the
options pointing a provider at the fake. (A uniquely named module: `conftest` names collide.)

The fleet (NOW = 2026-11-22 04:00 UTC), per minute: checkout is invoked 6 + (minute % 2) times in the
current 4 h and 3 + (minute % 2) the same hours a week earlier; thumbnail 2 (1); notifier 2 (1).
checkout answers one Error every 10 minutes, thumbnail two Throttled every 30 minutes.
"""

from __future__ import annotations

import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).parent))  # --import-mode=importlib: make ocifake importable

from cryptography import x509  # noqa: E402
from cryptography.hazmat.primitives import hashes, serialization  # noqa: E402
from cryptography.hazmat.primitives.asymmetric import rsa  # noqa: E402
from cryptography.x509.oid import NameOID  # noqa: E402
from ocifake import COMPARTMENT, TENANCY, OciFake, Stream  # noqa: E402

from srvmon.providers.oci.options import OciOptions  # noqa: E402

NOW = datetime(2026, 11, 22, 4, 0, tzinfo=UTC)
NOW_S = int(NOW.timestamp())
H4 = 4 * 3600
WEEK = 7 * 86400
FUNCTIONS = {"checkout": 3, "thumbnail": 1, "notifier": 1}
DURATION_MS = {"checkout": 250.0, "thumbnail": 900.0, "notifier": 30.0}

#: An RSA key generated for these tests only (it grants nothing anywhere); test_oci_signing.py pins the
#: signatures the OCI SDK computes with it.
TEST_KEY_PEM = (Path(__file__).parent / "data" / "test_api_key.pem").read_bytes()


def invocations(fn: str, m: int) -> int:
    """Invocations of `fn` in the minute starting at epoch second m."""
    mult = 2 if m >= NOW_S - H4 else 1
    return FUNCTIONS[fn] * mult + ((m // 60) % 2 if fn == "checkout" else 0)


def errors(fn: str, m: int) -> int:
    return 1 if fn == "checkout" and m % 600 == 0 else 0


def throttled(fn: str, m: int) -> int:
    return 2 if fn == "thumbnail" and m % 1800 == 0 else 0


def seed(fake: OciFake) -> None:
    spans = [(NOW_S - H4, NOW_S), (NOW_S - WEEK - H4, NOW_S - WEEK)]
    for fn in FUNCTIONS:
        dims = {"resourceId": f"ocid1.fnfunc.oc1.iad.{fn}", "resourceDisplayName": fn,
                "applicationId": "ocid1.fnapp.oc1.iad.shop", "compartmentId": COMPARTMENT}  # fmt: skip
        inv: dict[int, float] = {}
        dur: dict[int, float] = {}
        resp: dict[str, dict[int, float]] = {"Success": {}, "Error": {}, "Throttled": {}}
        for lo, hi in spans:
            for m in range(lo, hi, 60):
                end = m + 60  # raw points are stamped at the end of their minute
                inv[end] = invocations(fn, m)
                dur[end] = DURATION_MS[fn]
                e, t = errors(fn, m), throttled(fn, m)
                resp["Success"][end] = invocations(fn, m) - e - t
                if e:
                    resp["Error"][end] = e
                if t:
                    resp["Throttled"][end] = t
        for h in range(NOW_S - 31 * 86400, NOW_S - H4, 3600):
            if not any(lo <= h < hi for lo, hi in spans):
                inv[h + 3600] = sum(invocations(fn, h + i * 60) for i in range(60))
        fake.streams.append(Stream("FunctionInvocationCount", dims, inv))
        fake.streams.append(Stream("FunctionExecutionDuration", dims, dur))
        for rtype, pts in resp.items():
            fake.streams.append(Stream("FunctionResponseCount", {**dims, "responseType": rtype}, pts))
    total = {m + 60: 2048.0 + (m // 60 % 4) * 128 for m in range(NOW_S - H4, NOW_S, 60)}
    fake.streams.append(Stream("AllocatedTotalConcurrency", {"compartmentId": COMPARTMENT}, total))
    fake.streams.append(Stream("AllocatedProvisionedConcurrency", {"compartmentId": COMPARTMENT},
                               {m + 60: 512.0 for m in range(NOW_S - H4, NOW_S, 60)}))  # fmt: skip
    fake.alarms[:] = [
        {"id": "ocid1.alarm.oc1.iad.errors", "displayName": "fn-errors", "severity": "CRITICAL",
         "ruleName": "BASE", "timestampTriggered": "2026-11-22T03:40:00.000Z", "alarmSummary": "checkout errors > 0",
         "status": "FIRING", "suppression": None},
        {"id": "ocid1.alarm.oc1.iad.latency", "displayName": "fn-latency", "severity": "WARNING",
         "ruleName": "BASE", "timestampTriggered": None, "alarmSummary": None, "status": "OK", "suppression": None},
        {"id": "ocid1.alarm.oc1.iad.throttles", "displayName": "fn-throttles", "severity": "ERROR",
         "ruleName": "BASE", "timestampTriggered": "2026-11-22T02:00:00.000Z", "alarmSummary": "429s",
         "status": "FIRING", "suppression": {"description": "deploy window", "timeSuppressFrom": "2026-11-22T01:00:00Z",
                                              "timeSuppressUntil": "2026-11-22T06:00:00Z"}},
    ]  # fmt: skip


def options(fake: OciFake, config_file: str, **overrides: Any) -> OciOptions:
    base: dict[str, Any] = {
        "region": "us-ashburn-1",
        "compartment_id": COMPARTMENT,
        "monitoring_endpoint": fake.server.url,
        "auth_endpoint": fake.server.url,
        "ca_bundle": fake.server.ca_path,
        "config_file": config_file,
        "timeout": "5s",
        "total_concurrency_mb": 8192,
        "provisioned_concurrency_mb": 1024,
    }
    base.update(overrides)
    return OciOptions(**base)


def instance_identity(tmp: Path) -> tuple[bytes, bytes, bytes, x509.Certificate]:
    """A leaf certificate naming the tenancy (opc-tenant:...) with its key, and an intermediate certificate."""

    def cert(subject: x509.Name, key: rsa.RSAPrivateKey, issuer_key: rsa.RSAPrivateKey) -> x509.Certificate:
        return (
            x509.CertificateBuilder()
            .subject_name(subject).issuer_name(subject).public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(datetime.now(UTC) - timedelta(days=1))
            .not_valid_after(datetime.now(UTC) + timedelta(days=1))
            .sign(issuer_key, hashes.SHA256())
        )  # fmt: skip

    inter_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    leaf_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    inter = cert(
        x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "PKISVC Identity Intermediate")]),
        inter_key,
        inter_key,
    )
    leaf = cert(
        x509.Name([
            x509.NameAttribute(NameOID.COMMON_NAME, "ocid1.instance.oc1.iad.fake"),
            x509.NameAttribute(NameOID.ORGANIZATIONAL_UNIT_NAME, "opc-certtype:instance"),
            x509.NameAttribute(NameOID.ORGANIZATIONAL_UNIT_NAME, f"opc-tenant:{TENANCY}"),
        ]),
        leaf_key,
        inter_key,
    )  # fmt: skip
    key_pem = leaf_key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                     serialization.NoEncryption())  # fmt: skip
    return (
        leaf.public_bytes(serialization.Encoding.PEM),
        key_pem,
        inter.public_bytes(serialization.Encoding.PEM),
        leaf,
    )
