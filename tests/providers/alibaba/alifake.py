"""A fake Alibaba Cloud for provider tests: CloudMonitor (CMS 2019-01-01), BSS OpenAPI (2017-12-14) and
Log Service GetLogs, answering with bodies shaped like the documented examples.

Every request is verified first, as the real gateways do: the ACS3-HMAC-SHA256 signature (or the SLS v1
signature) is recomputed here from the request as received and the test's AccessKey secret, the signed
header set, body hash, date skew and nonce reuse are checked, and the action/version must be a known
read-only one. A mismatch answers SignatureDoesNotMatch like Alibaba does. This verifier is written from
the specification independently of srvmon's signing module.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import re
import time
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any
from urllib.parse import quote, unquote

from tls_fake import STALL, Answer, FakeServer, Req

ACCESS_KEY_ID = "LTAI5tFakeKeyForTests"
ACCESS_KEY_SECRET = "fake+secret/for=tests~"
REGION = "cn-hangzhou"
READ_ONLY = {
    ("2019-01-01", "DescribeMetricList"),
    ("2019-01-01", "DescribeMetricRuleList"),
    ("2019-01-01", "DescribeAlertHistoryList"),
    ("2017-12-14", "QueryAccountBill"),
}


def _enc(s: str) -> str:
    """RFC 3986 per the V3 spec: A-Z a-z 0-9 - _ . ~ unreserved, the rest %XX (space -> %20)."""
    return quote(s, safe="-_.~")


def _err(status: int, code: str, message: str) -> Answer:
    return (
        status,
        {},
        {"RequestId": "FAKE-REQ-0001", "HostId": "fake.aliyuncs.com", "Code": code, "Message": message},
    )


@dataclass
class AliFake:
    server: FakeServer
    secret: str = ACCESS_KEY_SECRET
    token: str | None = None
    #: metric name -> raw 60-second datapoints (dicts with timestamp ms, dimensions and value fields)
    data: dict[str, list[dict[str, Any]]] = field(default_factory=lambda: defaultdict(list))
    rules: list[dict[str, Any]] = field(default_factory=list)
    history: list[dict[str, Any]] = field(default_factory=list)
    bills: dict[str, list[dict[str, Any]]] = field(default_factory=dict)  # BillingDate -> items
    logs: list[dict[str, Any]] = field(default_factory=list)
    #: action -> how many more calls are throttled (Throttling.User)
    throttle: dict[str, int] = field(default_factory=dict)
    #: action -> an error Answer every call gets (permission tests)
    deny: dict[str, Answer] = field(default_factory=dict)
    stall: set[str] = field(default_factory=set)
    page_length_cap: int = 1440
    nonces: set[str] = field(default_factory=set)
    calls: list[tuple[str, dict[str, str]]] = field(default_factory=list)
    sls_calls: list[dict[str, str]] = field(default_factory=list)

    def install(self) -> None:
        self.server.gate = self.gate
        self.server.route("GET", r"/", self.rpc)
        self.server.route("GET", r"/logstores/[a-z0-9_-]+", self.get_logs)

    # -- verification ---------------------------------------------------------------------------------
    def gate(self, req: Req) -> Answer | None:
        if req.path.startswith("/logstores/"):
            return self._verify_sls(req)
        return self._verify_acs3(req)

    def _verify_acs3(self, req: Req) -> Answer | None:
        auth = req.headers.get("authorization", "")
        m = re.fullmatch(
            r"ACS3-HMAC-SHA256 Credential=([^,]+),SignedHeaders=([^,]+),Signature=([0-9a-f]{64})", auth
        )
        if not m:
            return _err(
                400, "IncompleteSignature", "The request signature does not conform to Aliyun standards."
            )
        key_id, signed, signature = m.groups()
        if key_id != ACCESS_KEY_ID:
            return _err(404, "InvalidAccessKeyId.NotFound", "Specified access key is not found.")
        names = signed.split(";")
        required = {
            "host",
            "x-acs-action",
            "x-acs-version",
            "x-acs-date",
            "x-acs-signature-nonce",
            "x-acs-content-sha256",
        }
        if self.token:
            required.add("x-acs-security-token")
            if req.headers.get("x-acs-security-token") != self.token:
                return _err(
                    400, "InvalidSecurityToken.Malformed", "The security token you provided is invalid."
                )
        if not required <= set(names) or names != sorted(names):
            return _err(
                400, "IncompleteSignature", f"signed headers {signed!r} miss {sorted(required - set(names))}"
            )
        if req.headers.get("x-acs-content-sha256") != hashlib.sha256(req.body).hexdigest():
            return _err(400, "SignatureDoesNotMatch", "x-acs-content-sha256 does not match the body")
        try:
            when = datetime.strptime(req.headers["x-acs-date"], "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)
        except (KeyError, ValueError):
            return _err(400, "InvalidTimeStamp.Format", "x-acs-date is not yyyy-MM-ddTHH:mm:ssZ")
        if abs(when.timestamp() - time.time()) > 900:
            return _err(400, "InvalidTimeStamp.Expired", "Specified time stamp or date value is expired.")
        nonce = req.headers.get("x-acs-signature-nonce", "")
        if nonce in self.nonces:
            return _err(400, "SignatureNonceUsed", "Specified signature nonce was used already.")
        self.nonces.add(nonce)
        query = "&".join(
            f"{_enc(k)}={_enc(v)}" for k, v in sorted((unquote(a), unquote(b)) for a, b in
                                                       (p.split("=", 1) for p in req.raw_query.split("&") if p))
        )  # fmt: skip
        headers = "".join(f"{n}:{req.headers.get(n, '').strip()}\n" for n in names)
        canonical = (
            f"{req.method}\n{req.path}\n{query}\n{headers}\n{signed}\n{hashlib.sha256(req.body).hexdigest()}"
        )
        to_sign = "ACS3-HMAC-SHA256\n" + hashlib.sha256(canonical.encode()).hexdigest()
        expected = hmac.new(self.secret.encode(), to_sign.encode(), hashlib.sha256).hexdigest()
        if not hmac.compare_digest(expected, signature):
            return _err(
                400, "SignatureDoesNotMatch", "Specified signature is not matched with our calculation."
            )
        version, action = req.headers.get("x-acs-version", ""), req.headers.get("x-acs-action", "")
        if (version, action) not in READ_ONLY:
            return _err(400, "InvalidAction.NotFound", f"{action} {version} is not served by this fake")
        return None

    def _verify_sls(self, req: Req) -> Answer | None:
        m = re.fullmatch(r"LOG ([^:]+):(.+)", req.headers.get("authorization", ""))
        if not m or m.group(1) != ACCESS_KEY_ID:
            return 401, {}, {"errorCode": "Unauthorized", "errorMessage": "AccessKeyId not found"}
        for h, v in (("x-log-apiversion", "0.6.0"), ("x-log-signaturemethod", "hmac-sha1")):
            if req.headers.get(h) != v:
                return 400, {}, {"errorCode": "InvalidParameter", "errorMessage": f"{h} must be {v}"}
        date = parsedate_to_datetime(req.headers.get("date", "Thu, 01 Jan 1970 00:00:00 GMT"))
        if abs(date.timestamp() - time.time()) > 900:
            return 400, {}, {"errorCode": "RequestTimeExpired", "errorMessage": "Date is too far from now"}
        log_headers = "".join(
            f"{k}:{v}\n" for k, v in sorted(req.headers.items()) if k.startswith(("x-log-", "x-acs-"))
        )
        params = sorted(req.params.items())
        resource = req.path + ("?" + "&".join(f"{k}={v}" for k, v in params) if params else "")
        md5 = req.headers.get("content-md5", "")
        text = f"{req.method}\n{md5}\n{req.headers.get('content-type', '')}\n{req.headers['date']}\n{log_headers}{resource}"
        expected = base64.b64encode(
            hmac.new(self.secret.encode(), text.encode(), hashlib.sha1).digest()
        ).decode()
        if not hmac.compare_digest(expected, m.group(2)):
            return 403, {}, {"errorCode": "SignatureNotMatch", "errorMessage": "signature is not matched"}
        if self.token and req.headers.get("x-acs-security-token") != self.token:
            return 401, {}, {"errorCode": "Unauthorized", "errorMessage": "security token invalid"}
        return None

    # -- RPC ------------------------------------------------------------------------------------------
    def rpc(self, req: Req) -> Answer | Any:
        action = req.headers["x-acs-action"]
        self.calls.append((action, dict(req.params)))
        if action in self.stall:
            return STALL
        if action in self.deny:
            return self.deny[action]
        if self.throttle.get(action, 0) > 0:
            self.throttle[action] -= 1
            return _err(400, "Throttling.User", "Request was denied due to user flow control.")
        return getattr(self, "_" + action)(req.params)

    def _DescribeMetricList(self, p: dict[str, str]) -> Answer:  # noqa: N802
        for key in ("Namespace", "MetricName", "StartTime", "EndTime", "Period"):
            if key not in p:
                return _err(400, "InvalidParameter", f"{key} is mandatory for this action.")
        if p["Namespace"] != "acs_fc":
            return _err(400, "InvalidParameter", "unknown namespace")
        start, end, period = int(p["StartTime"]), int(p["EndTime"]), int(p["Period"])
        if period not in (60, 300, 900, 3600):
            return _err(400, "InvalidParameter", "Period must be 60, 300, 900 or 3600")
        if end - start > 31 * 86_400_000:
            return _err(400, "InvalidParameter", "the time range must not exceed 31 days")
        dims = json.loads(p.get("Dimensions") or "[]")
        if not isinstance(dims, list) or len(dims) > 50:
            return _err(400, "InvalidParameter", "Dimensions must be a JSON list of at most 50 maps")

        def wanted(point: dict[str, Any]) -> bool:
            return any(all(point.get(k, "") == v for k, v in d.items()) for d in dims) if dims else True

        raw = [x for x in self.data.get(p["MetricName"], []) if start < x["timestamp"] <= end and wanted(x)]
        points = _aggregate(raw, period)
        length = min(int(p.get("Length") or 1000), self.page_length_cap)
        offset = int(p["NextToken"].removeprefix("page-")) if p.get("NextToken") else 0
        page = points[offset : offset + length]
        body: dict[str, Any] = {
            "RequestId": "3121AE7D-4AFF-4C25-8F1D-C8226EBB1F42",
            "Success": True,
            "Code": "200",
            "Period": str(period),
            "Datapoints": json.dumps(page),
        }
        if offset + length < len(points):
            body["NextToken"] = f"page-{offset + length}"
        return 200, {}, body

    def _DescribeMetricRuleList(self, p: dict[str, str]) -> Answer:  # noqa: N802
        page, size = int(p.get("Page", "1")), int(p.get("PageSize", "10"))
        rules = [r for r in self.rules if r.get("Namespace") == p.get("Namespace", r.get("Namespace"))]
        chunk = rules[(page - 1) * size : page * size]
        return (
            200,
            {},
            {"RequestId": "R", "Success": True, "Code": 200, "Total": len(rules), "Alarms": {"Alarm": chunk}},
        )

    def _DescribeAlertHistoryList(self, p: dict[str, str]) -> Answer:  # noqa: N802
        start, end = int(p["StartTime"]), int(p["EndTime"])
        rows = [
            h
            for h in self.history
            if start <= h["AlertTime"] <= end and h.get("State", "ALARM") == p.get("State", "ALARM")
        ]
        rows.sort(key=lambda h: h["AlertTime"], reverse=p.get("Ascending") != "true")
        return 200, {}, {"RequestId": "H", "Success": True, "Code": "200", "Total": len(rows),
                         "AlarmHistoryList": {"AlarmHistory": rows[: int(p.get("PageSize", "10"))]}}  # fmt: skip

    def _QueryAccountBill(self, p: dict[str, str]) -> Answer:  # noqa: N802
        if p.get("Granularity") != "DAILY" or "BillingDate" not in p:
            return _err(400, "InvalidParameter", "BillingDate is required when Granularity is DAILY")
        if not p["BillingDate"].startswith(p["BillingCycle"]):
            return _err(400, "InvalidParameter", "BillingDate must fall in BillingCycle")
        items = self.bills.get(p["BillingDate"], [])
        size, num = int(p.get("PageSize", "20")), int(p.get("PageNum", "1"))
        return 200, {}, {
            "Code": "Success", "Message": "Successful!", "RequestId": "B", "Success": True,
            "Data": {"BillingCycle": p["BillingCycle"], "AccountID": "1234567890", "AccountName": "test",
                     "TotalCount": len(items), "PageNum": num, "PageSize": size,
                     "Items": {"Item": items[(num - 1) * size : num * size]}},
        }  # fmt: skip

    # -- Log Service ------------------------------------------------------------------------------------
    def get_logs(self, req: Req) -> Answer:
        p = req.params
        self.sls_calls.append(dict(p))
        if p.get("type") != "log":
            return 400, {}, {"errorCode": "ParameterInvalid", "errorMessage": "type must be log"}
        frm, to = int(p["from"]), int(p["to"])
        rows = [r for r in self.logs if frm <= int(r["__time__"]) < to and _sls_match(r, p.get("query", "*"))]
        rows.sort(key=lambda r: int(r["__time__"]), reverse=p.get("reverse") == "true")
        off, line = int(p.get("offset", "0")), min(100, int(p.get("line", "100")))
        page = rows[off : off + line]
        return 200, {"x-log-progress": "Complete", "x-log-count": str(len(page))}, page


def _aggregate(points: list[dict[str, Any]], period: int) -> list[dict[str, Any]]:
    """CloudMonitor-style re-aggregation of 60 s points into `period` buckets (period-start stamps)."""
    if period == 60:
        return sorted(
            points, key=lambda x: (x["timestamp"], x.get("serviceName", ""), x.get("functionName", ""))
        )
    groups: dict[tuple[Any, ...], list[dict[str, Any]]] = defaultdict(list)
    for x in points:
        dims = tuple(sorted((k, v) for k, v in x.items() if isinstance(v, str)))
        groups[(x["timestamp"] // (period * 1000) * period * 1000, dims)].append(x)
    out = []
    for (ts, dims), xs in sorted(groups.items()):
        row: dict[str, Any] = {"timestamp": ts, **dict(dims)}
        for f, fn in (("Value", sum), ("Sum", sum), ("Maximum", max), ("Minimum", min)):
            vals = [x[f] for x in xs if f in x]
            if vals:
                row[f] = fn(vals)
        avgs = [x["Average"] for x in xs if "Average" in x]
        if avgs:
            row["Average"] = sum(avgs) / len(avgs)
        out.append(row)
    return out


def _sls_match(row: dict[str, Any], query: str) -> bool:
    """Enough of the SLS search syntax for srvmon's queries: `field: "v" or ...` groups and phrases, and-ed."""
    if query.strip() == "*":
        return True
    text = json.dumps(row).lower()
    for part in query.split(" and "):
        part = part.strip().strip("()")
        alts = [a.strip() for a in part.split(" or ")]
        ok = False
        for alt in alts:
            fm = re.fullmatch(r'(\w+): "(.*)"', alt)
            if fm:
                ok |= str(row.get(fm.group(1), "")) == fm.group(2).replace('\\"', '"').replace("\\\\", "\\")
            else:
                ok |= alt.strip('"').lower() in text
        if not ok:
            return False
    return True
