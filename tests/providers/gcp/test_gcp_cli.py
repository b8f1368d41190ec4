"""`srvmon providers` lists gcp; `srvmon check` on a gcp config reports each missing permission (exit 3)."""

from __future__ import annotations

import io
from typing import Any

import gcpdata
from gcpdata import PROJECT

from srvmon.cli import main


def run(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    rc = main(list(argv), out=out, err=err)
    return rc, out.getvalue(), err.getvalue()


def test_providers_lists_gcp() -> None:
    rc, out, _ = run("providers")
    line = next(ln for ln in out.splitlines() if ln.startswith("gcp "))
    assert rc == 0 and "built-in" in line and "Cloud Run" in line


def test_check_reports_missing_permissions(google: Any, sa_file: Any, tmp_path: Any) -> None:
    google.route("GET", r"/v1/projects/[^/]+/location/global/prometheus/api/v1/query",
                 gcpdata.vector([({}, 1.0)], gcpdata.NOW.timestamp()))  # fmt: skip
    google.route("GET", r"/v2/projects/[^/]+/locations/-/services", {"services": []})
    google.route("POST", "/v2/entries:list", {})
    google.route("GET", r"/v3/projects/[^/]+/alertPolicies", {})
    google.deny(r"/functions$", "cloudfunctions.functions.list")
    cfg = tmp_path / "srvmon.toml"
    cfg.write_text(
        f'[providers.g]\ntype = "gcp"\nprojects = ["{PROJECT}"]\n'
        + "".join(f'{k}_endpoint = "{google.url}"\n' for k in ("monitoring", "run", "functions", "logging"))
        + f'ca_bundle = "{google.ca_path}"\n'
    )
    rc, out, err = run("check", "--config", str(cfg))
    assert rc == 3, (out, err)
    assert "missing permissions: cloudfunctions.functions.list" in out


def test_iam_role_lists_every_permission_check_probes() -> None:
    """docs/gcp-iam-role.yaml holds exactly the permissions of the calls srvmon makes (check probes each)."""
    from pathlib import Path

    from srvmon.providers.gcp.check import APIS

    text = (Path(__file__).parents[3] / "docs" / "gcp-iam-role.yaml").read_text()
    listed = [ln.strip()[2:] for ln in text.splitlines() if ln.startswith("- ")]
    assert sorted(listed) == sorted(APIS)
    assert all(p.split(".")[-1] in ("list",) for p in listed)  # read-only: list permissions only
