"""OCI alarm statuses (paged, suppression shown) and `srvmon check` (missing policies named)."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from oci_fleet import options
from ocifake import COMPARTMENT

from srvmon.cli import main
from srvmon.providers.oci import OciProvider


def test_alarms(make_provider: Any) -> None:
    alarms = {a.name: a for a in make_provider().alarms()}
    err = alarms["fn-errors"]
    assert (err.state, err.severity, err.reason) == ("ALARM", "CRITICAL", "checkout errors > 0")
    assert err.since == datetime(2026, 11, 22, 3, 40, tzinfo=UTC)
    assert (
        err.link
        == "https://cloud.oracle.com/monitoring/alarms/ocid1.alarm.oc1.iad.errors?region=us-ashburn-1"
    )
    assert alarms["fn-latency"].state == "OK" and alarms["fn-latency"].since is None
    sup = alarms["fn-throttles"]
    assert (
        sup.state == "ALARM" and sup.reason == "suppressed until 2026-11-22T06:00:00Z: deploy window | 429s"
    )


def test_alarm_pages_follow_opc_next_page(make_provider: Any, oci: Any) -> None:
    oci.alarms[:] = [
        {"id": f"ocid1.alarm.oc1.iad.a{i}", "displayName": f"a{i:04d}", "status": "OK"} for i in range(2500)
    ]
    assert len(make_provider().alarms()) == 2500
    pages = [r.params.get("page") for r in oci.server.requests if r.path.endswith("/alarms/status")]
    assert pages == [None, "1000", "2000"]


def test_check_ok_and_missing_policies(make_provider: Any, oci: Any) -> None:
    h = make_provider().check()
    assert h.ok, h
    oci.deny = {"ListAlarmsStatus"}
    h = make_provider().check()
    assert not h.ok
    assert h.missing_permissions == (
        "Allow group <srvmon-group> to read alarms in compartment <compartment>",
    )
    assert "NotAuthorizedOrNotFound" in h.message


def test_check_fails_without_a_key(oci: Any, clock: Any, tmp_path: Path) -> None:
    h = OciProvider("oci", options(oci, str(tmp_path / "none")), clock).check()
    assert not h.ok and "no OCI config file" in h.message and oci.server.requests == []


def test_srvmon_check_cli(oci: Any, config_file: str, tmp_path: Path, capsys: Any) -> None:
    oci.deny = {"SummarizeMetricsData", "ListAlarmsStatus"}
    cfg = tmp_path / "srvmon.toml"
    cfg.write_text(f'''
[providers.fn]
type = "oci"
region = "us-ashburn-1"
compartment_id = "{COMPARTMENT}"
monitoring_endpoint = "{oci.server.url}"
ca_bundle = "{oci.server.ca_path}"
config_file = "{config_file}"
''')
    assert main(["check", "--config", str(cfg)]) == 3
    out = capsys.readouterr().out
    assert "provider fn (oci): FAILED" in out
    assert (
        "missing permissions: Allow group <srvmon-group> to read metrics in compartment <compartment>, "
        "Allow group <srvmon-group> to read alarms in compartment <compartment>" in out
    )
