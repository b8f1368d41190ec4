"""`srvmon providers` lists the built-in providers of the second wave with their one-line descriptions."""

from __future__ import annotations

from typing import Any

from srvmon.cli import main


def test_srvmon_providers_lists_alibaba_and_oci(capsys: Any) -> None:
    assert main(["providers"]) == 0
    lines = {line.split()[0]: line for line in capsys.readouterr().out.splitlines() if line.strip()}
    assert "Alibaba Cloud Function Compute" in lines["alibaba"] and "BROKEN" not in lines["alibaba"]
    assert "Oracle Cloud Infrastructure Functions" in lines["oci"] and "BROKEN" not in lines["oci"]
