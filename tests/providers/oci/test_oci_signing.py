"""OCI HTTP signature vectors. The expected signatures were computed once, offline, by the OCI Python SDK
(oci 2.189.0, `oci.signer.Signer` on a requests.PreparedRequest) for the same key, date and request; the
SDK is not a dependency. RSA PKCS#1 v1.5 is deterministic, so the values are stable."""

from __future__ import annotations

import base64
import hashlib
import json
from datetime import UTC, datetime
from typing import Any

from srvmon.providers.oci.signing import sign

WHEN = datetime(2026, 11, 22, 3, 59, 30, tzinfo=UTC)
KEY_ID = (
    "ocid1.tenancy.oc1..aaaatest/ocid1.user.oc1..aaaauser/20:3b:97:13:55:1c:5b:0d:d3:37:d8:50:4e:c5:3a:34"
)
HOST = "telemetry.us-ashburn-1.oraclecloud.com"
BODY = json.dumps(
    {"namespace": "oci_faas", "query": "FunctionInvocationCount[1m].grouping().sum()",
     "startTime": "2026-11-22T00:00:00Z", "endTime": "2026-11-22T04:00:00Z", "resolution": "1m"}
).encode()  # fmt: skip
POST_SIG = (
    "j8K8KaI1UpuSILHaymltUcPaZLjIpuzWnWwZcKKs18swYWRa9cJW8hNhRoW1Uw1qf3nNaXHbJ3cXnLOuLpqZL2VEzx4B0g1BfVdIaW1q"
    "rZqiHoUu3kVcoZBZPAsci0E6IlDOeHHZnUH/0t376mlR87rOeaPC7+Eitp6HWa+qZD/dfjAkWgM/kKCPcFmgkYsCmBrmMLkOc5kfb2gS"
    "mGri4cPvCkaxAaKXrp/L76P7lOgLWpe5OKZzbUpwxyOh2jN7/FQ8KyRTqw5wuXkrD5BnElCjDdmwRkHymUbjssavW2O38OrdecS+t63Y"
    "gpRz3TP3asqcg4H0alli2wcVik809w=="
)
GET_SIG = (
    "x5qg0YiWtYyT4Igxp9bobxYVfRSq2dSYq6TZXpuIAPvCyVEP8i4Zc85YUiKm/GiimUGp3KgMSdYyu74Ng3bQ3LxUdl2+bCoeMjSh2J1h"
    "yYLmC3j96PbU9jy/2Md3c5YHmzrUCjdLbP+KSo4kHj98hQ+pYe5xm+s34UMbPiUMUc0qf98LHkV0PFMv4GnSsyLdrMOVMKNWxDdvpPJz"
    "ELI/IxqcFocqZ8QOECYhxbDfkPBPeCYGFUvIAMchFCJwsk2T1nvP/q0TRNS6p0eSSMcIb0P7VK+eBdgGjZK7ZP2OAa7kEXpzmW7lCwFv"
    "p0yPTzUIrcKbQLKsNqmbCJGwv9MJoA=="
)


def test_post_vector_matches_the_oci_sdk(api_key: Any) -> None:
    target = "/20180401/metrics/actions/summarizeMetricsData?compartmentId=ocid1.compartment.oc1..aaaatest"
    h = sign(method="POST", target=target, host=HOST, body=BODY, key_id=KEY_ID, key=api_key, when=WHEN)
    assert h["authorization"] == (
        f'Signature version="1",keyId="{KEY_ID}",algorithm="rsa-sha256",'
        f'headers="date (request-target) host content-length content-type x-content-sha256",signature="{POST_SIG}"'
    )
    assert h["date"] == "Sun, 22 Nov 2026 03:59:30 GMT" and h["content-length"] == str(len(BODY))
    assert h["x-content-sha256"] == base64.b64encode(hashlib.sha256(BODY).digest()).decode()


def test_get_vector_matches_the_oci_sdk(api_key: Any) -> None:
    target = "/20180401/alarms/status?compartmentId=ocid1.compartment.oc1..aaaatest&limit=1000"
    h = sign(method="GET", target=target, host=HOST, body=None, key_id=KEY_ID, key=api_key, when=WHEN)
    assert 'headers="date (request-target) host"' in h["authorization"]
    assert h["authorization"].endswith(f'signature="{GET_SIG}"')
    assert "content-length" not in h and "x-content-sha256" not in h
