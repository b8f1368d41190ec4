"""`srvmon check` for GCP: credentials, each endpoint reachable, and each read permission, per project."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

from srvmon.clock import Clock
from srvmon.model import Health
from srvmon.providers.base import ProviderError
from srvmon.providers.prometheus.client import QueryError

from .auth import GoogleApi, error_reason
from .logs import lq
from .options import GcpOptions

#: The API each permission belongs to (named when the API is not enabled in a project).
APIS = {
    "monitoring.timeSeries.list": "monitoring.googleapis.com",
    "run.services.list": "run.googleapis.com",
    "cloudfunctions.functions.list": "cloudfunctions.googleapis.com",
    "logging.logEntries.list": "logging.googleapis.com",
    "monitoring.alertPolicies.list": "monitoring.googleapis.com",
}


def _probes(
    api: GoogleApi, opts: GcpOptions, project: str, clock: Clock
) -> list[tuple[str, Callable[[], object]]]:
    loc = opts.regions[0] if opts.regions else "-"
    since = (clock.now() - timedelta(minutes=5)).strftime("%Y-%m-%dT%H:%M:%SZ")
    one = {"pageSize": "1"}
    probes: list[tuple[str, Callable[[], object]]] = []
    if not opts.metrics_scope_project:
        probes.append(
            (
                "monitoring.timeSeries.list",
                lambda: api.prom_get(
                    project,
                    "/api/v1/query",
                    {"query": "vector(1)", "time": str(clock.now().timestamp())},
                    "check_promql",
                ),
            )
        )
    probes += [
        ("run.services.list", lambda: api.request(
            "GET", f"{opts.run_endpoint}/v2/projects/{project}/locations/{loc}/services", "check_services", params=one)),
        ("cloudfunctions.functions.list", lambda: api.request(
            "GET", f"{opts.functions_endpoint}/v2/projects/{project}/locations/{loc}/functions", "check_functions",
            params=one)),
        ("logging.logEntries.list", lambda: api.request(
            "POST", f"{opts.logging_endpoint}/v2/entries:list", "check_logs",
            json_body={"resourceNames": [f"projects/{project}"], "pageSize": 1, "filter": f"timestamp>={lq(since)}"})),
        ("monitoring.alertPolicies.list", lambda: api.request(
            "GET", f"{opts.monitoring_endpoint}/v3/projects/{project}/alertPolicies", "check_alert_policies",
            params=one)),
    ]  # fmt: skip
    return probes


def check(api: GoogleApi, opts: GcpOptions, clock: Clock) -> Health:
    """Health naming every failing call with its permission, API or endpoint; never raises."""
    try:
        api.auth_headers()
    except ProviderError as exc:
        return Health(ok=False, message=f"credentials: {exc}")
    details: list[str] = []
    missing: list[str] = []
    problems: list[str] = []
    targets = [(p, _probes(api, opts, p, clock)) for p in opts.projects]
    if opts.metrics_scope_project:
        scope = opts.metrics_scope_project
        targets.insert(0, (scope, [("monitoring.timeSeries.list", lambda: api.prom_get(
            scope, "/api/v1/query", {"query": "vector(1)", "time": str(clock.now().timestamp())}, "check_promql"))]))  # fmt: skip
    for project, probes in targets:
        for permission, call in probes:
            try:
                call()
            except (ProviderError, QueryError) as exc:
                status = getattr(exc, "status", None)
                reason = error_reason(exc)
                if reason == "SERVICE_DISABLED":
                    line = f"{project}: {APIS[permission]} is not enabled: gcloud services enable {APIS[permission]} --project {project}"
                elif status == 403:
                    line = f"{project}: missing permission {permission} ({exc})"
                    if permission not in missing:
                        missing.append(permission)
                elif status is None and not isinstance(exc, QueryError):
                    line = f"{project}: {permission}: endpoint unreachable: {exc}"
                else:
                    line = f"{project}: {permission} failed: {exc}"
                details.append(f"FAILED {line}")
                problems.append(line)
            else:
                details.append(f"ok {project}: {permission}")
    n = len(opts.projects)
    if problems:
        head = problems[0] if len(problems) == 1 else f"{len(problems)} checks failed; first: {problems[0]}"
        return Health(ok=False, message=head, details=tuple(details), missing_permissions=tuple(missing))
    return Health(ok=True, message=f"credentials ok; {n} project(s): metrics, discovery, logs and alert policies readable",
                  details=tuple(details))  # fmt: skip
