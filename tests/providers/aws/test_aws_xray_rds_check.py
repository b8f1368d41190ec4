"""`srvmon check` probes every X-Ray and RDS call srvmon makes and names each missing permission."""

from __future__ import annotations

from typing import Any

from botocore.stub import Stubber


def test_check_probes_xray_and_rds_against_moto(make_provider: Any) -> None:
    h = make_provider().check()
    assert h.ok and h.missing_permissions == ()
    for action in ("xray:GetServiceGraph", "xray:GetTraceSummaries", "xray:BatchGetTraces",
                   "rds:DescribeDBInstances", "rds:DescribeDBClusters", "rds:DescribeDBProxies"):  # fmt: skip
        assert any(f"{action} ok" in d for d in h.details), action
    # no instance in this account: the probe asks for a default group; "not found" proves the permission
    assert any("rds:DescribeDBParameters ok" in d for d in h.details)


def test_check_names_each_missing_xray_and_rds_permission(make_provider: Any) -> None:
    """Stubber: moto does not enforce IAM; AccessDeniedException / AccessDenied in each service's shape."""
    p = make_provider(max_attempts=1)
    target = p.sessions.targets()[0]
    xray, rds = p.sessions.client("xray", target), p.sessions.client("rds", target)
    with Stubber(xray) as xs, Stubber(rds) as rs:
        xs.add_client_error(
            "get_service_graph", service_error_code="AccessDeniedException", http_status_code=403
        )
        xs.add_response("get_trace_summaries", {"TraceSummaries": [], "TracesProcessedCount": 0})
        xs.add_client_error(
            "batch_get_traces", service_error_code="AccessDeniedException", http_status_code=403
        )
        rs.add_response("describe_db_instances", {"DBInstances": []})
        rs.add_response("describe_db_instances", {"DBInstances": []})  # inside the parameters probe
        rs.add_client_error("describe_db_parameters", service_error_code="AccessDenied", http_status_code=403)
        rs.add_response("describe_db_clusters", {"DBClusters": []})
        rs.add_client_error("describe_db_proxies", service_error_code="AccessDenied", http_status_code=403)
        h = p.check()
    assert not h.ok
    assert h.missing_permissions == (
        "xray:GetServiceGraph", "xray:BatchGetTraces", "rds:DescribeDBParameters", "rds:DescribeDBProxies",
    )  # fmt: skip
    assert h.message.startswith("missing permissions: xray:GetServiceGraph, xray:BatchGetTraces,")
    assert any("xray:GetTraceSummaries ok" in d for d in h.details)


def test_check_skips_what_is_turned_off(make_provider: Any) -> None:
    h = make_provider(xray=False, rds=False).check()
    assert h.ok and not any("xray:" in d or "rds:" in d for d in h.details)
