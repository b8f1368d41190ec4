"""The ssh front's pure parts: the viewer's environment (an allowlist; TERM checked with a 16-colour
fallback), the login name choosing board and range, and the authorized_keys parser."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from srvmon.serve.keys import KeyFileError, authorized_keys, host_key
from srvmon.serve.ssh import board_for, viewer_env


def test_viewer_env_is_an_allowlist(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "x")
    monkeypatch.setenv("SRVMON_CONFIG", "/etc/srvmon/config.toml")
    monkeypatch.setenv("AZURE_CLIENT_SECRET", "x")
    env = viewer_env(
        "xterm-256color", {"COLORTERM": "truecolor", "LANG": "de_DE.UTF-8"}, "ssh SHA256:abc", {}
    )
    assert set(env) <= {"PATH", "HOME", "TERM", "COLORTERM", "LANG", "LC_ALL", "LC_CTYPE", "TZ", "SRVMON_NOW",
                        "SRVMON_VIEWER_ORIGIN"}  # fmt: skip
    assert (
        env["TERM"] == "xterm-256color" and env["COLORTERM"] == "truecolor" and env["LANG"] == "de_DE.UTF-8"
    )


@pytest.mark.parametrize("term", [None, "", "dumb", "unknown", "xterm\x1b[31m", "a" * 100, "../../etc"])
def test_odd_terms_fall_back_to_16_colours(term: str | None) -> None:
    env = viewer_env(term, {"COLORTERM": "yes please", "LANG": "$(reboot)"}, "o", {})
    assert env["TERM"] == "xterm" and "COLORTERM" not in env and env.get("LANG") != "$(reboot)"


@pytest.mark.parametrize(("user", "got"), [
    ("ops", ("ops", None)), ("ops+1d", ("ops", "1d")), ("root", (None, None)), ("api+2d", ("api", None)),
    ("+1h", (None, "1h")),
])  # fmt: skip
def test_login_name_picks_board_and_range(user: str, got: tuple[str | None, str | None]) -> None:
    assert board_for(user, ["ops", "api"]) == got


def test_authorized_keys_and_host_key(tmp_path: Path) -> None:
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "me@laptop", "-f", str(tmp_path / "k")],
                   check=True)  # fmt: skip
    pub = (tmp_path / "k.pub").read_text()
    (tmp_path / "auth").write_text(f"# team\n\n{pub}")
    keys = authorized_keys(tmp_path / "auth")
    [(blob, found)] = keys.items()
    assert found.comment == "me@laptop" and found.line == 3 and found.fingerprint.startswith("SHA256:")
    (tmp_path / "bad").write_text("ssh-ed25519 not-base64!\n")
    with pytest.raises(KeyFileError, match="bad:1: not a public key"):
        authorized_keys(tmp_path / "bad")
    with pytest.raises(KeyFileError, match="cannot read"):
        authorized_keys(tmp_path / "missing")
    key, path, created = host_key(tmp_path / "hk")
    assert created and (path.stat().st_mode & 0o777) == 0o600 and Path(f"{path}.pub").exists()
    again, _, created = host_key(tmp_path / "hk")
    assert not created and again.get_fingerprint() == key.get_fingerprint()
