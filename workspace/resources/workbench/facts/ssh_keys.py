"""SSH keys of the workspace: its host keys (kept under /workspace so that a re-created container keeps its
identity) and the client keys allowed to log in (a managed authorized_keys file, plus the keys given in
SSH_AUTHORIZED_KEYS at start, which live in the run directory and are re-read at every start).
"""

from __future__ import annotations

import base64
import binascii
import fcntl
import hashlib
import os
import re
import subprocess
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from . import paths

KEY_TYPES = (
    "ssh-ed25519",
    "ssh-rsa",
    "ecdsa-sha2-nistp256",
    "ecdsa-sha2-nistp384",
    "ecdsa-sha2-nistp521",
    "sk-ssh-ed25519@openssh.com",
    "sk-ecdsa-sha2-nistp256@openssh.com",
)
# The host keys made on the first start: made in milliseconds (an RSA key takes up to a second, on the way to every
# first answer of a new workspace), and spoken by every client of the last ten years (OpenSSH 6.5, PuTTY 0.68,
# Paramiko, JSch's ECDSA).
HOST_KEY_TYPES = ("ed25519", "ecdsa")
# Served as well where the state folder holds one, made by an earlier version: clients that pinned it still connect.
KEPT_HOST_KEY_TYPES = ("rsa",)
NAME_PATTERN = re.compile(r"[A-Za-z0-9._@+-]{1,64}")
# Marks the keys this workspace manages in the authorized_keys file: "workbench:<name>" as the key's comment.
COMMENT_PREFIX = "workbench:"


class KeyProblem(ValueError):
    """A public key or a key name that cannot be used; the message says why."""


@dataclass(frozen=True)
class PublicKey:
    kind: str
    blob: str  # base64, as in the file
    name: str

    @property
    def fingerprint(self) -> str:
        digest = hashlib.sha256(base64.b64decode(self.blob)).digest()
        return "SHA256:" + base64.b64encode(digest).decode().rstrip("=")

    def line(self) -> str:
        return f"{self.kind} {self.blob} {COMMENT_PREFIX}{self.name}"


def parse_public_key(text: str, name: str | None = None) -> PublicKey:
    """One OpenSSH public key line ("type base64 [comment]"), checked the way sshd would read it."""
    fields = text.strip().split(None, 2)
    if len(fields) < 2 or fields[0] not in KEY_TYPES:
        raise KeyProblem(
            "not an OpenSSH public key: expected '<type> <base64> [comment]' with a type from " + ", ".join(KEY_TYPES)
        )
    kind, blob = fields[0], fields[1]
    try:
        raw = base64.b64decode(blob, validate=True)
    except binascii.Error:
        raise KeyProblem("the key's base64 part is damaged") from None
    length = int.from_bytes(raw[:4], "big") if len(raw) >= 4 else -1
    if raw[4 : 4 + length].decode(errors="replace") != kind:
        raise KeyProblem(f"the key's data is not a {kind} key")
    comment = fields[2].strip() if len(fields) > 2 else ""
    if comment.startswith(COMMENT_PREFIX):
        comment = comment[len(COMMENT_PREFIX) :]
    return PublicKey(kind, blob, check_name(name or re.sub(r"[^A-Za-z0-9._@+-]", "-", comment)[:64] or "key"))


def check_name(name: str) -> str:
    if not NAME_PATTERN.fullmatch(name):
        raise KeyProblem("a key name is 1-64 characters from A-Z a-z 0-9 . _ @ + -")
    return name


def parse_key_list(text: str) -> list[PublicKey]:
    """Keys one per line (SSH_AUTHORIZED_KEYS); blank lines and # comments are skipped."""
    return [parse_public_key(line) for line in text.splitlines() if line.strip() and not line.startswith("#")]


@contextmanager
def _locked(path: Path):
    """Serialise changes to the authorized_keys file (several API calls may race)."""
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    with open(path.with_suffix(".lock"), "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        yield


def list_keys(path: Path = paths.AUTHORIZED_KEYS) -> list[PublicKey]:
    try:
        lines = path.read_text().splitlines()
    except FileNotFoundError:
        return []
    keys = []
    for line in lines:
        try:
            keys.append(parse_public_key(line))
        except KeyProblem:
            continue  # a line the user added by hand that we cannot read: sshd still sees it, we leave it alone
    return keys


def _write_lines(path: Path, lines: list[str]) -> None:
    temporary = path.with_suffix(".new")
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as out:
        out.write("".join(line + "\n" for line in lines))
    os.replace(temporary, path)


def add_key(key: PublicKey, path: Path = paths.AUTHORIZED_KEYS) -> PublicKey:
    """Allow a key to log in. Adding a key again renames it rather than duplicating it."""
    with _locked(path):
        lines = path.read_text().splitlines() if path.exists() else []
        kept = [line for line in lines if not _is_key_line(line, key.blob)]
        _write_lines(path, kept + [key.line()])
    return key


def revoke_key(fingerprint_or_name: str, path: Path = paths.AUTHORIZED_KEYS) -> list[PublicKey]:
    """Remove the keys with that fingerprint or name; return what was removed."""
    with _locked(path):
        lines = path.read_text().splitlines() if path.exists() else []
        removed, kept = [], []
        for line in lines:
            try:
                key = parse_public_key(line)
            except KeyProblem:
                kept.append(line)
                continue
            if fingerprint_or_name in (key.fingerprint, key.name):
                removed.append(key)
            else:
                kept.append(line)
        if removed:
            _write_lines(path, kept)
    return removed


def _is_key_line(line: str, blob: str) -> bool:
    fields = line.split()
    return len(fields) >= 2 and fields[1] == blob


def write_start_keys(keys: list[PublicKey], path: Path = paths.START_AUTHORIZED_KEYS) -> None:
    _write_lines(path, [key.line() for key in keys])


def host_key_path(kind: str, folder: Path = paths.SSH_STATE_DIR) -> Path:
    return folder / f"ssh_host_{kind}_key"


def served_host_key_types(folder: Path = paths.SSH_STATE_DIR) -> tuple[str, ...]:
    return HOST_KEY_TYPES + tuple(kind for kind in KEPT_HOST_KEY_TYPES if host_key_path(kind, folder).exists())


def ensure_host_keys(folder: Path = paths.SSH_STATE_DIR) -> list[Path]:
    """Make the host keys on the first start; later starts (and re-created containers) reuse them. The folder's
    parent (the workspace's state folder) exists already."""
    folder.mkdir(mode=0o700, exist_ok=True)
    folder.chmod(0o700)
    keys = []
    for kind in served_host_key_types(folder):
        key = host_key_path(kind, folder)
        if not key.exists():
            subprocess.run(
                ["ssh-keygen", "-q", "-t", kind, "-N", "", "-C", "workbench", "-f", str(key)],
                check=True,
                capture_output=True,
            )
        key.chmod(0o600)
        keys.append(key)
    return keys


def host_public_keys(folder: Path = paths.SSH_STATE_DIR) -> list[str]:
    """ "type base64" of each host key, for a client's known_hosts."""
    return [
        " ".join(host_key_path(kind, folder).with_suffix(".pub").read_text().split()[:2])
        for kind in served_host_key_types(folder)
    ]
