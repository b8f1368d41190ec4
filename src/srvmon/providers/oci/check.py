"""`srvmon check` for OCI: the signing key loads, Monitoring accepts it, metrics and alarms can be read.

A 404 NotAuthorizedOrNotFound is how OCI answers a missing policy: the message names the statements to add
("Allow group <g> to read metrics in compartment <c>", "... to read alarms ..."). Never raises.
"""

from __future__ import annotations

from srvmon.clock import Clock
from srvmon.model import Health
from srvmon.providers.base import ProviderError

from .client import OciClient, OciError
from .metrics import OPERATION, PATH, iso
from .options import OciOptions

METRICS_POLICY = "Allow group <srvmon-group> to read metrics in compartment <compartment>"
ALARMS_POLICY = "Allow group <srvmon-group> to read alarms in compartment <compartment>"
INSTANCE_NOTE = " (for instance principals: 'Allow dynamic-group <group> to ...')"


def run_check(client: OciClient, options: OciOptions, clock: Clock) -> Health:
    try:
        key = client.signing_key()
    except ProviderError as exc:
        return Health(ok=False, message=str(exc))
    details = [f"signing key: {key.source}", f"compartment: {options.compartment_id}"]
    missing: list[str] = []
    failures: list[str] = []
    note = INSTANCE_NOTE if options.auth == "instance_principal" else ""
    now = int(clock.now().timestamp()) // 60 * 60
    probes = (
        ("Monitoring SummarizeMetricsData (oci_faas)", METRICS_POLICY,
         lambda: client.call("POST", PATH, {"compartmentId": options.compartment_id}, operation=OPERATION,
                             body={"namespace": "oci_faas", "query": "FunctionInvocationCount[1m].grouping().sum()",
                                   "startTime": iso(now - 300), "endTime": iso(now), "resolution": "1m"})),
        ("Monitoring ListAlarmsStatus", ALARMS_POLICY,
         lambda: client.call("GET", "/alarms/status", {"compartmentId": options.compartment_id, "limit": "1"},
                             operation="ListAlarmsStatus")),
    )  # fmt: skip
    for what, policy, call in probes:
        try:
            call()  # type: ignore[no-untyped-call]
        except OciError as exc:
            failures.append(f"{what}: {exc}")
            details.append(f"{what}: FAILED: {exc}")
            if exc.kind == "denied":
                missing.append(policy + note)
            if exc.kind in ("auth", "network"):
                break  # the rest would fail the same way
            continue
        except ProviderError as exc:
            failures.append(f"{what}: {exc}")
            details.append(f"{what}: FAILED: {exc}")
            break
        details.append(f"{what}: ok")
    if failures:
        return Health(ok=False, message=f"{len(failures)} check(s) failed: {failures[0]}", details=tuple(details),
                      missing_permissions=tuple(missing))  # fmt: skip
    return Health(
        ok=True,
        message=f"OCI Monitoring in {options.region}: metrics and alarms readable",
        details=tuple(details),
    )
