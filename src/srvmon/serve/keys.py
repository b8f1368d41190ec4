"""SSH keys of `srvmon serve --ssh`: the host key (generated on first run, owner-only) and the authorized
client keys (an OpenSSH authorized_keys file, re-read on every login so a removed key stops working)."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

KEY_TYPES = ("ssh-ed25519", "ssh-rsa", "ecdsa-sha2-", "sk-ssh-ed25519@openssh.com", "sk-ecdsa-sha2-")


class KeyFileError(Exception):
    """A key file that cannot be used; the message names the file, the line and the fix."""


def default_host_key_path() -> Path:
    from platformdirs import user_state_dir

    return Path(user_state_dir("srvmon")) / "ssh_host_ed25519_key"


def host_key(path: Path | None) -> tuple[Any, Path, bool]:
    """(the private key, its path, created now). A missing file at the default path is generated."""
    import asyncssh

    explicit = path is not None
    path = path or default_host_key_path()
    if path.exists():
        try:
            return asyncssh.read_private_key(str(path)), path, False
        except (OSError, asyncssh.KeyImportError) as exc:
            raise KeyFileError(f"--host-key {path}: cannot read the private key: {exc}") from exc
    if explicit and not path.parent.is_dir():
        raise KeyFileError(f"--host-key {path}: its directory does not exist")
    key = asyncssh.generate_private_key("ssh-ed25519", comment="srvmon serve host key")
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    fd = os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600)
    with os.fdopen(fd, "wb") as f:
        f.write(key.export_private_key())
    Path(f"{path}.pub").write_bytes(key.export_public_key())
    return key, path, True


@dataclass(frozen=True)
class AuthorizedKey:
    fingerprint: str
    comment: str
    line: int


def authorized_keys(path: Path) -> dict[bytes, AuthorizedKey]:
    """Public key blob -> the key's fingerprint, comment and line. Options (from=, command=...) are refused
    rather than ignored: this server honours none of them."""
    import asyncssh

    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise KeyFileError(f"--authorized-keys {path}: cannot read: {exc}") from exc
    out: dict[bytes, AuthorizedKey] = {}
    for n, raw in enumerate(text.splitlines(), 1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if not line.startswith(KEY_TYPES):
            raise KeyFileError(f"--authorized-keys {path}:{n}: key options are not supported; "
                               "keep only `TYPE BASE64 [comment]` on the line")  # fmt: skip
        try:
            key = asyncssh.import_public_key(line)
        except (asyncssh.KeyImportError, ValueError) as exc:
            raise KeyFileError(f"--authorized-keys {path}:{n}: not a public key: {exc}") from exc
        parts = line.split(None, 2)
        out[key.public_data] = AuthorizedKey(key.get_fingerprint(), parts[2] if len(parts) > 2 else "", n)
    if not out:
        raise KeyFileError(
            f"--authorized-keys {path}: no public keys in it; add lines like `ssh-ed25519 AAAA... you@host`"
        )
    return out
