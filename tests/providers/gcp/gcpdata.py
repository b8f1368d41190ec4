"""Canned Google API answers in the documented shapes (Cloud Run Admin v2 Service, Cloud Functions v2
Function, Monitoring v3 AlertPolicy, Logging v2 LogEntry, Google error bodies, Prometheus-API JSON)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

NOW = datetime(2026, 11, 22, 4, 0, 0, tzinfo=UTC)
PROJECT = "shop-prod-123456"
OTHER = "shop-edge-654321"
TOKEN = "ya29.test-access-token"
SA_EMAIL = "srvmon-reader@shop-prod-123456.iam.gserviceaccount.com"


def error(code: int, message: str, status: str, reason: str | None = None) -> dict[str, Any]:
    """google.rpc.Status as the REST APIs return it (with an ErrorInfo when `reason` is given)."""
    err: dict[str, Any] = {"code": code, "message": message, "status": status}
    if reason:
        err["details"] = [{"@type": "type.googleapis.com/google.rpc.ErrorInfo", "reason": reason,
                           "domain": "googleapis.com", "metadata": {"service": "run.googleapis.com"}}]  # fmt: skip
    return {"error": err}


def service(project: str, region: str, name: str, cpu: str = "1", memory: str = "512Mi",
            max_instances: int | None = 20) -> dict[str, Any]:  # fmt: skip
    """A google.cloud.run.v2.Service (services.list item)."""
    scaling: dict[str, Any] = {"minInstanceCount": 0}
    if max_instances is not None:
        scaling["maxInstanceCount"] = max_instances
    return {
        "name": f"projects/{project}/locations/{region}/services/{name}",
        "uid": "8b7b8a4c-1b0c-4f3e-9d55-0c2d1e6c8f10",
        "generation": "4",
        "createTime": "2026-10-01T09:00:00.000000Z",
        "updateTime": "2026-11-20T10:11:12.123456Z",
        "creator": "deploy@shop.example",
        "lastModifier": "deploy@shop.example",
        "ingress": "INGRESS_TRAFFIC_ALL",
        "launchStage": "GA",
        "template": {
            "scaling": scaling,
            "timeout": "300s",
            "serviceAccount": "run-sa@example.iam.gserviceaccount.com",
            "containers": [
                {
                    "image": f"europe-docker.pkg.dev/{project}/app/{name}:v4",
                    "resources": {"limits": {"cpu": cpu, "memory": memory}, "cpuIdle": True},
                    "ports": [{"name": "http1", "containerPort": 8080}],
                }
            ],  # fmt: skip
            "maxInstanceRequestConcurrency": 80,
            "executionEnvironment": "EXECUTION_ENVIRONMENT_GEN2",
        },
        "traffic": [{"type": "TRAFFIC_TARGET_ALLOCATION_TYPE_LATEST", "percent": 100}],
        "observedGeneration": "4",
        "terminalCondition": {"type": "Ready", "state": "CONDITION_SUCCEEDED"},
        "latestReadyRevision": f"projects/{project}/locations/{region}/revisions/{name}-00004-abc",
        "uri": f"https://{name}-abcdefghij-ew.a.run.app",
        "etag": '"CLDk9bgGEJC-lZ8C/cHJvamVjdHM"',
    }


def function(project: str, region: str, name: str, gen: str = "GEN_2", memory: str = "256M",
             max_instances: int | None = 10) -> dict[str, Any]:  # fmt: skip
    """A google.cloud.functions.v2.Function (functions.list item); gen1 ones carry environment GEN_1."""
    cfg: dict[str, Any] = {"timeoutSeconds": 60, "availableMemory": memory, "ingressSettings": "ALLOW_ALL",
                           "serviceAccountEmail": f"{project}@appspot.gserviceaccount.com"}  # fmt: skip
    if max_instances is not None:
        cfg["maxInstanceCount"] = max_instances
    if gen == "GEN_2":
        cfg.update(service=f"projects/{project}/locations/{region}/services/{name.lower()}", availableCpu="0.1666",
                   maxInstanceRequestConcurrency=1, uri=f"https://{name.lower()}-abcdefghij-ew.a.run.app")  # fmt: skip
    return {
        "name": f"projects/{project}/locations/{region}/functions/{name}",
        "buildConfig": {"runtime": "python312", "entryPoint": "main"},
        "serviceConfig": cfg,
        "state": "ACTIVE",
        "updateTime": "2026-11-19T08:00:00.000Z",
        "environment": gen,
        "url": f"https://{region}-{project}.cloudfunctions.net/{name}",
    }


def alert_policy(pid: str, name: str, conditions: list[dict[str, Any]], enabled: bool = True,
                 combiner: str = "OR", severity: str | None = "CRITICAL") -> dict[str, Any]:  # fmt: skip
    """A google.monitoring.v3.AlertPolicy (alertPolicies.list item)."""
    out: dict[str, Any] = {
        "name": f"projects/shop-prod-123456/alertPolicies/{pid}",
        "displayName": name,
        "documentation": {"content": "See the runbook.", "mimeType": "text/markdown", "subject": name},
        "userLabels": {"team": "shop"},
        "conditions": conditions,
        "combiner": combiner,
        "enabled": enabled,
        "notificationChannels": ["projects/shop-prod-123456/notificationChannels/123"],
        "creationRecord": {"mutateTime": "2026-10-01T09:00:00.123Z", "mutatedBy": "ops@shop.example"},
        "mutationRecord": {"mutateTime": "2026-11-01T09:00:00.123Z", "mutatedBy": "ops@shop.example"},
    }
    if severity:
        out["severity"] = severity
    return out


def threshold_condition(name: str, flt: str, aligner: str, reducer: str, threshold: float,
                        comparison: str = "COMPARISON_GT", group_by: list[str] | None = None) -> dict[str, Any]:  # fmt: skip
    return {
        "name": f"projects/shop-prod-123456/alertPolicies/1/conditions/{abs(hash(name)) % 1000}",
        "displayName": name,
        "conditionThreshold": {
            "filter": flt,
            "aggregations": [
                {
                    "alignmentPeriod": "300s",
                    "perSeriesAligner": aligner,
                    "crossSeriesReducer": reducer,
                    "groupByFields": group_by or [],
                }
            ],  # fmt: skip
            "comparison": comparison,
            "thresholdValue": threshold,
            "duration": "60s",
            "trigger": {"count": 1},
        },
    }


def promql_condition(name: str, query: str) -> dict[str, Any]:
    return {"displayName": name,
            "conditionPrometheusQueryLanguage": {"query": query, "duration": "60s", "evaluationInterval": "30s"}}  # fmt: skip


def log_entry(ts: str, severity: str, service_name: str, text: str | None = None, status: int | None = None,
              latency: str | None = None, json_payload: dict[str, Any] | None = None, insert_id: str = "a1",
              trace: str | None = None, function_name: str | None = None) -> dict[str, Any]:  # fmt: skip
    """A google.logging.v2.LogEntry as entries:list returns it."""
    if function_name:
        resource = {"type": "cloud_function", "labels": {"project_id": "shop-prod-123456", "region": "europe-west1",
                                                         "function_name": function_name}}  # fmt: skip
        log_name = "projects/shop-prod-123456/logs/cloudfunctions.googleapis.com%2Fcloud-functions"
    else:
        resource = {"type": "cloud_run_revision", "labels": {
            "project_id": "shop-prod-123456", "location": "europe-west1", "service_name": service_name,
            "revision_name": f"{service_name}-00004-abc", "configuration_name": service_name}}  # fmt: skip
        log_name = "projects/shop-prod-123456/logs/run.googleapis.com%2Frequests"
    entry: dict[str, Any] = {"insertId": insert_id, "logName": log_name, "resource": resource, "timestamp": ts,
                             "receiveTimestamp": ts, "severity": severity}  # fmt: skip
    if text is not None:
        entry["textPayload"] = text
    if json_payload is not None:
        entry["jsonPayload"] = json_payload
    if status is not None:
        entry["httpRequest"] = {"requestMethod": "POST", "requestUrl": "https://checkout.example/api/pay",
                                "status": status, "responseSize": "123", "userAgent": "curl/8.5",
                                "remoteIp": "203.0.113.9", "latency": latency or "0.1s", "protocol": "HTTP/1.1"}  # fmt: skip
    if trace:
        entry["trace"] = f"projects/shop-prod-123456/traces/{trace}"
        entry["spanId"] = "000000000000004a"
    if function_name:
        entry["labels"] = {"execution_id": f"exec-{insert_id}"}
    return entry


def matrix(series: list[tuple[dict[str, str], list[tuple[int, float]]]]) -> dict[str, Any]:
    """A Prometheus-API query_range answer (resultType matrix), as Cloud Monitoring's PromQL API returns."""
    return {"status": "success", "data": {"resultType": "matrix", "result": [
        {"metric": labels, "values": [[t, f"{v:g}"] for t, v in points]} for labels, points in series]}}  # fmt: skip


def vector(samples: list[tuple[dict[str, str], float]], at: float) -> dict[str, Any]:
    return {"status": "success", "data": {"resultType": "vector", "result": [
        {"metric": labels, "value": [at, f"{v:g}"]} for labels, v in samples]}}  # fmt: skip


def options(google: Any, **overrides: Any) -> Any:
    """GcpOptions pointing every endpoint at the local HTTPS server (`google`: a FakeGoogle)."""
    from srvmon.providers.gcp.options import GcpOptions

    opts: dict[str, Any] = {
        "projects": [PROJECT],
        "monitoring_endpoint": google.url,
        "run_endpoint": google.url,
        "functions_endpoint": google.url,
        "logging_endpoint": google.url,
        "ca_bundle": google.ca_path,
        "timeout": "10s",
    }
    opts.update(overrides)
    return GcpOptions(**opts)
