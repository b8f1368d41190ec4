"""Signature vectors. The expected values were computed once, offline, with the vendors' own code for the
same inputs: alibabacloud-tea-openapi 0.4.6 `Utils.get_authorization` (ACS3-HMAC-SHA256) and
aliyun-log-python-sdk 0.9.52 `Util.canonicalized_log_headers/canonicalized_resource/hmac_sha1` (SLS v1).
Neither package is a dependency; the vectors pin srvmon's implementation to theirs."""

from __future__ import annotations

from datetime import UTC, datetime

from srvmon.providers.alibaba.signing import acs3_sign, canonical_query, percent_encode, sls_sign

WHEN = datetime(2026, 11, 22, 3, 59, 30, tzinfo=UTC)
PARAMS = {
    "Namespace": "acs_fc",
    "MetricName": "FunctionTotalInvocations",
    "Period": "60",
    "StartTime": "1763783999999",
    "EndTime": "1763798399999",
    "Dimensions": '[{"region":"cn-hangzhou","functionName":"orders api*"}]',
    "Length": "1440",
}


def test_acs3_vector_matches_the_alibaba_sdk() -> None:
    h = acs3_sign(
        method="POST", host="metrics.cn-hangzhou.aliyuncs.com", path="/", params=PARAMS, body=b"",
        action="DescribeMetricList", version="2019-01-01", access_key_id="LTAI5tTestKeyId",
        access_key_secret="TestSecret~*+ /", security_token="tok/en+==", when=WHEN, nonce="3f2b9c1d",
    )  # fmt: skip
    assert h["authorization"] == (
        "ACS3-HMAC-SHA256 Credential=LTAI5tTestKeyId,SignedHeaders=host;x-acs-action;x-acs-content-sha256;"
        "x-acs-date;x-acs-security-token;x-acs-signature-nonce;x-acs-version,"
        "Signature=f359eb717375f93b3b9f7e3cc2478d00fd16aa12fb85622697a441d9e23b074f"
    )
    assert h["x-acs-date"] == "2026-11-22T03:59:30Z"
    assert h["x-acs-content-sha256"] == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"


def test_sls_vector_matches_the_log_service_sdk() -> None:
    params = {"type": "log", "from": "1763769600", "to": "1763784000", "line": "50", "offset": "0",
              "reverse": "true", "query": 'functionName: "orders-api" and level: ERROR'}  # fmt: skip
    h = sls_sign(method="GET", resource="/logstores/fc-logs", params=params, access_key_id="LTAI5tTestKeyId",
                 access_key_secret="TestSecret~*+ /", security_token="tok/en+==", when=WHEN)  # fmt: skip
    assert h["authorization"] == "LOG LTAI5tTestKeyId:biYXoXOKLuoENLiXxRp50Pa/2D8="
    assert h["date"] == "Sun, 22 Nov 2026 03:59:30 GMT"
    assert h["x-log-apiversion"] == "0.6.0" and h["x-log-signaturemethod"] == "hmac-sha1"


def test_percent_encoding_follows_rfc3986_as_alibaba_signs() -> None:
    assert percent_encode("a b*c~d/e+f=") == "a%20b%2Ac~d%2Fe%2Bf%3D"
    assert percent_encode("函数") == "%E5%87%BD%E6%95%B0"
    assert canonical_query({"b": "2", "a": "x y", "A": "1"}) == "A=1&a=x%20y&b=2"
