"""The workspace user: made to match NB_USER/NB_UID/NB_GID/GRANT_SUDO at start, then everything runs as it.

Follows jupyter/docker-stacks: the container starts as root only to adjust the account, then drops privileges
for good. Started as non-root (docker run --user, Kubernetes runAsUser) the account is used as it is.
"""
from __future__ import annotations

import grp
import os
import pwd
import subprocess
from dataclasses import dataclass
from pathlib import Path

from . import paths
from .settings import Settings


class AccountError(Exception):
    """The account or /workspace cannot be made as asked; the message says what to do."""


@dataclass(frozen=True)
class Account:
    name: str
    uid: int
    gid: int
    home: Path


def _lookup(name: str) -> Account | None:
    try:
        entry = pwd.getpwnam(name)
    except KeyError:
        return None
    return Account(entry.pw_name, entry.pw_uid, entry.pw_gid, Path(entry.pw_dir))


def _run(*cmd: str) -> None:
    result = subprocess.run(cmd, capture_output=True, text=True)
    if result.returncode != 0:
        raise AccountError(f"{' '.join(cmd)} failed: {result.stderr.strip()}")


def _is_mount_point(path: Path) -> bool:
    with open("/proc/self/mountinfo") as mounts:
        return any(line.split()[4] == str(path) for line in mounts)


def prepare_as_root(settings: Settings) -> Account:
    """Rename/renumber the image's account as asked and set sudo; idempotent across container restarts."""
    account = _lookup(settings.nb_user)
    if account is None:
        image_account = _lookup(paths.IMAGE_USER)
        if image_account is None:
            raise AccountError(f"neither {settings.nb_user} nor {paths.IMAGE_USER} exists in this image")
        new_home = Path("/home") / settings.nb_user
        _run("usermod", "--login", settings.nb_user, "--home", str(new_home), "--move-home", paths.IMAGE_USER)
        account = _lookup(settings.nb_user)
        assert account is not None
    if account.gid != settings.nb_gid:
        try:
            grp.getgrgid(settings.nb_gid)
        except KeyError:
            _run("groupadd", "--gid", str(settings.nb_gid), settings.nb_user)
        # Staying in "users" (100) keeps write access to /opt/venv, which is group-writable for that group.
        _run("usermod", "--gid", str(settings.nb_gid), "--append", "--groups", "users", settings.nb_user)
    if account.uid != settings.nb_uid:
        taken_by = next((entry.pw_name for entry in pwd.getpwall() if entry.pw_uid == settings.nb_uid), None)
        if taken_by:
            raise AccountError(f"NB_UID={settings.nb_uid} already belongs to the account {taken_by!r} in this image")
        _run("usermod", "--uid", str(settings.nb_uid), settings.nb_user)
    account = _lookup(settings.nb_user)
    assert account is not None
    if not _is_mount_point(paths.WORKSPACE_DIR):
        # The image's own /workspace (nothing mounted): it belongs to the user, whatever their uid now is.
        os.chown(paths.WORKSPACE_DIR, account.uid, account.gid)
    if settings.grant_sudo:
        paths.SUDOERS_FILE.write_text(f"{account.name} ALL=(ALL:ALL) NOPASSWD: ALL\n")
        paths.SUDOERS_FILE.chmod(0o440)
    else:
        paths.SUDOERS_FILE.unlink(missing_ok=True)
    return account


def current_account(settings: Settings) -> Account:
    """Started as non-root: nothing can be changed, so settings that ask for a change are an error."""
    uid = os.getuid()
    try:
        entry = pwd.getpwuid(uid)
    except KeyError:
        raise AccountError(f"started as uid {uid}, which has no account in this image; start the container as "
                           f"root (the default) with NB_UID={uid} instead") from None
    account = Account(entry.pw_name, uid, os.getgid(), Path(entry.pw_dir))
    for variable, wanted, actual in (("NB_USER", settings.nb_user, account.name),
                                     ("NB_UID", settings.nb_uid, account.uid)):
        if wanted != actual:
            raise AccountError(f"{variable}={wanted} cannot be applied: the container was started as "
                               f"{account.name} (uid {uid}); start it as root (the default) to change the account")
    if settings.grant_sudo_explicit and settings.grant_sudo:
        raise AccountError("GRANT_SUDO=yes cannot be applied: the container was started as non-root; "
                           "start it as root (the default)")
    return account


def drop_privileges(account: Account) -> None:
    os.initgroups(account.name, account.gid)
    os.setgid(account.gid)
    os.setuid(account.uid)
    os.environ.update(HOME=str(account.home), USER=account.name, LOGNAME=account.name, NB_USER=account.name,
                      NB_UID=str(account.uid), NB_GID=str(account.gid))


def check_workspace_writable(account: Account) -> None:
    """The user must be able to write /workspace; otherwise stop before anything half-starts."""
    if os.getuid() == account.uid:
        writable = os.access(paths.WORKSPACE_DIR, os.W_OK | os.X_OK)
    else:
        child = os.fork()
        if child == 0:  # pragma: no cover - runs in the forked child
            try:
                drop_privileges(account)
                os._exit(0 if os.access(paths.WORKSPACE_DIR, os.W_OK | os.X_OK) else 1)
            except BaseException:
                os._exit(2)
        _, status = os.waitpid(child, 0)
        writable = os.waitstatus_to_exitcode(status) == 0
    if not writable:
        info = paths.WORKSPACE_DIR.stat()
        fix = f"on the host, run 'chown {account.uid}:{account.gid} <folder>'"
        if info.st_uid != 0:
            fix += f", or start with -e NB_UID={info.st_uid} to become the folder's owner"
        raise AccountError(f"{paths.WORKSPACE_DIR} (owned by uid {info.st_uid}, gid {info.st_gid}) is not writable "
                           f"by {account.name} (uid {account.uid}, gid {account.gid}); {fix}")
