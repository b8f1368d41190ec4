"""A local X-Ray endpoint for what moto cannot do: moto answers GetServiceGraph and GetTraceGraph with
empty dummies and GetTraceSummaries with a FilterExpression with HTTP 500 ("Not implemented yet"). This
server speaks X-Ray's REST-JSON protocol on 127.0.0.1 and answers with bodies shaped like the X-Ray
developer guide's examples ("Getting data from AWS X-Ray": GetServiceGraph output with a client, an EC2
instance, a DynamoDB table and an SNS topic; GetTraceSummaries output), recording every request."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


def _stats(
    ok: int, errors: int = 0, faults: int = 0, throttles: int = 0, total_s: float = 0.0
) -> dict[str, Any]:
    return {
        "OkCount": ok,
        "ErrorStatistics": {
            "ThrottleCount": throttles,
            "OtherCount": errors - throttles,
            "TotalCount": errors,
        },
        "FaultStatistics": {"OtherCount": faults, "TotalCount": faults},
        "TotalCount": ok + errors + faults,
        "TotalResponseTime": total_s,
    }


def _hist(*pairs: tuple[float, int]) -> list[dict[str, Any]]:
    return [{"Value": v, "Count": c} for v, c in pairs]


#: The developer guide's GetServiceGraph example (values as published; times are the request's).
DEV_GUIDE_SERVICES: list[dict[str, Any]] = [
    {
        "ReferenceId": 0, "Name": "xray-sample.elasticbeanstalk.com", "Names": ["xray-sample.elasticbeanstalk.com"],
        "Type": "client", "State": "unknown",
        "Edges": [{"ReferenceId": 2, "SummaryStatistics": _stats(3, errors=1, total_s=0.273),
                   "ResponseTimeHistogram": _hist((0.005, 1), (0.015, 1), (0.157, 1), (0.096, 1)), "Aliases": []}],
    },
    {
        "ReferenceId": 1, "Name": "awseb-e-dixzws4s9p-stack-StartupSignupsTable-4IMSMHAYX2BA",
        "Names": ["awseb-e-dixzws4s9p-stack-StartupSignupsTable-4IMSMHAYX2BA"], "Type": "AWS::DynamoDB::Table",
        "State": "unknown", "Edges": [], "SummaryStatistics": _stats(2, total_s=0.12),
        "DurationHistogram": _hist((0.076, 1), (0.044, 1)), "ResponseTimeHistogram": _hist((0.076, 1), (0.044, 1)),
    },
    {
        "ReferenceId": 2, "Name": "xray-sample.elasticbeanstalk.com", "Names": ["xray-sample.elasticbeanstalk.com"],
        "Root": True, "Type": "AWS::EC2::Instance", "State": "active",
        "Edges": [
            {"ReferenceId": 1, "SummaryStatistics": _stats(2, total_s=0.12),
             "ResponseTimeHistogram": _hist((0.076, 1), (0.044, 1)), "Aliases": []},
            {"ReferenceId": 3, "SummaryStatistics": _stats(2, total_s=0.125),
             "ResponseTimeHistogram": _hist((0.049, 1), (0.076, 1)), "Aliases": []},
        ],
        "SummaryStatistics": _stats(3, errors=1, total_s=0.273),
        "DurationHistogram": _hist((0.005, 1), (0.015, 1), (0.157, 1), (0.096, 1)),
        "ResponseTimeHistogram": _hist((0.005, 1), (0.015, 1), (0.157, 1), (0.096, 1)),
    },
    {
        "ReferenceId": 3, "Name": "SNS", "Names": ["SNS"], "Type": "AWS::SNS", "State": "unknown", "Edges": [],
        "SummaryStatistics": _stats(2, total_s=0.125),
        "DurationHistogram": _hist((0.049, 1), (0.076, 1)), "ResponseTimeHistogram": _hist((0.049, 1), (0.076, 1)),
    },
]  # fmt: skip

#: A serverless map in the same shape: API Gateway -> a Lambda function -> DynamoDB, with 5xx faults on
#: the function, throttles on the table, and a hostile service name.
HOSTILE = 'evil") OR service("x \x1b[31m\u202e'
SERVERLESS_SERVICES: list[dict[str, Any]] = [
    {
        "ReferenceId": 0, "Name": "clients", "Type": "client",
        "Edges": [{"ReferenceId": 1, "SummaryStatistics": _stats(1000), "ResponseTimeHistogram": _hist((0.1, 1000))}],
    },
    {
        "ReferenceId": 1, "Name": "orders-api/prod", "Root": True, "Type": "AWS::ApiGateway::Stage",
        "SummaryStatistics": _stats(960, errors=10, faults=30, total_s=120.0),
        "ResponseTimeHistogram": _hist((0.05, 500), (0.1, 400), (0.4, 90), (2.0, 10)),
        "Edges": [{"ReferenceId": 2, "SummaryStatistics": _stats(960, faults=40),
                   "ResponseTimeHistogram": _hist((0.04, 500), (0.09, 400), (0.35, 90), (1.9, 10))}],
    },
    {
        "ReferenceId": 2, "Name": "checkout-api", "Type": "AWS::Lambda::Function",
        "SummaryStatistics": _stats(960, faults=40, total_s=110.0),
        "ResponseTimeHistogram": _hist((0.04, 500), (0.09, 400), (0.35, 90), (1.9, 10)),
        "Edges": [{"ReferenceId": 3, "SummaryStatistics": _stats(1900, errors=100, throttles=100),
                   "ResponseTimeHistogram": _hist((0.01, 1990), (0.2, 10))}],
    },
    {
        "ReferenceId": 3, "Name": "orders", "Type": "AWS::DynamoDB::Table",
        "SummaryStatistics": _stats(1900, errors=100, throttles=100),
        "ResponseTimeHistogram": _hist((0.01, 1990), (0.2, 10)), "Edges": [],
    },
    {
        "ReferenceId": 4, "Name": HOSTILE, "Type": "remote", "SummaryStatistics": _stats(5),
        "ResponseTimeHistogram": _hist((0.3, 5)), "Edges": [],
    },
]  # fmt: skip

#: The developer guide's GetTraceSummaries example.
DEV_GUIDE_SUMMARIES: dict[str, Any] = {
    "TraceSummaries": [
        {"HasError": False, "Http": {"HttpStatus": 200, "ClientIp": "205.255.255.183",
         "HttpURL": "http://scorekeep.elasticbeanstalk.com/api/session", "UserAgent": "Mozilla/5.0", "HttpMethod": "POST"},
         "Users": [], "HasFault": False, "Annotations": {}, "ResponseTime": 0.084, "Duration": 0.084,
         "Id": "1-59602606-a43a1ac52fc7ee0eea12a82c", "HasThrottle": False},
        {"HasError": False, "Http": {"HttpStatus": 200, "ClientIp": "205.255.255.183",
         "HttpURL": "http://scorekeep.elasticbeanstalk.com/api/user", "UserAgent": "Mozilla/5.0", "HttpMethod": "POST"},
         "Users": [{"UserName": "5M388M1E"}], "HasFault": False, "Annotations": {}, "ResponseTime": 3.232,
         "Duration": 3.232, "Id": "1-59602603-23fc5b688855d396af79b496", "HasThrottle": False},
    ],
    "ApproximateTime": 1499473304.0,
    "TracesProcessedCount": 2,
}  # fmt: skip


class XRayExamples:
    """The server's state: which services GetServiceGraph answers, and every request received."""

    def __init__(self) -> None:
        self.services: list[dict[str, Any]] = DEV_GUIDE_SERVICES
        self.requests: list[tuple[str, dict[str, Any]]] = []
        self.url = ""
        self.lock = threading.Lock()

    def bodies(self, path: str) -> list[dict[str, Any]]:
        with self.lock:
            return [b for p, b in self.requests if p == path]


@contextmanager
def xray_examples() -> Iterator[XRayExamples]:
    state = XRayExamples()

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: Any) -> None:
            return None

        def do_POST(self) -> None:  # noqa: N802 - the http.server API
            size = int(self.headers.get("content-length") or 0)
            body = json.loads(self.rfile.read(size) or b"{}")
            with state.lock:
                state.requests.append((self.path, body))
            if self.path == "/ServiceGraph":
                answer: dict[str, Any] = {
                    "StartTime": body["StartTime"], "EndTime": body["EndTime"], "Services": state.services,
                    "ContainsOldGroupVersions": False,
                }  # fmt: skip
            elif self.path == "/TraceSummaries":
                answer = DEV_GUIDE_SUMMARIES
            else:
                self.send_response(404)
                self.send_header("content-type", "application/json")
                self.end_headers()
                self.wfile.write(b'{"__type": "UnknownOperationException", "message": "not in the examples"}')
                return
            raw = json.dumps(answer).encode()
            self.send_response(200)
            self.send_header("content-type", "application/json")
            self.send_header("content-length", str(len(raw)))
            self.end_headers()
            self.wfile.write(raw)

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    state.url = f"http://127.0.0.1:{server.server_address[1]}"
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()
