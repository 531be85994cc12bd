"""The workspace user: made to match NB_USER/NB_UID/NB_GID/GRANT_SUDO at start, then everything runs as it.

Follows jupyter/docker-stacks: the container starts as root only to adjust the account, then drops privileges
for good. Started as non-root (docker run --user, Kubernetes runAsUser) the account is used as it is; a uid the
image has no account for is lent one (nss_wrapper), as OpenShift's random uids need.
"""

from __future__ import annotations

import grp
import os
import pwd
import shutil
import stat
import subprocess
from dataclasses import dataclass
from pathlib import Path

from ..contracts.settings import Settings
from ..facts import paths
from ..facts.mounts import has_mount_within, mount_points

# Where the account's home points while usermod renumbers it (see renumber): a path that never exists.
NO_HOME = Path("/nonexistent")


class AccountError(Exception):
    """The account or /workspace cannot be made as asked; the message says what to do."""


@dataclass(frozen=True)
class Account:
    name: str
    uid: int
    gid: int
    home: Path
    lent: bool = False  # a uid without an account in the image (lend_account gives it one for this start)


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


def ensure_group(settings: Settings) -> None:
    """NB_GID's group: made as NB_GROUP (default NB_USER) when the image has none with that id; NB_GROUP for an id
    that has a group already adds that name for it, as docker-stacks does."""
    try:
        existing = grp.getgrgid(settings.nb_gid).gr_name
    except KeyError:
        existing = None
    wanted = settings.nb_group or (None if existing else settings.nb_user)
    if wanted is None or wanted == existing:
        return
    try:
        holder = grp.getgrnam(wanted)
    except KeyError:
        _run("groupadd", "--gid", str(settings.nb_gid), "--non-unique", wanted)
        return
    if holder.gr_gid != settings.nb_gid:
        raise AccountError(
            f"NB_GROUP={wanted} is already the name of group {holder.gr_gid} in this image; choose another name"
        )


def renumber(account: Account, settings: Settings) -> None:
    """New uid and gid for the account. usermod would also renumber every file under the account's home, mounted
    folders included; pointing the home nowhere first keeps it off them (fit_home sets the home again)."""
    taken_by = next(
        (
            entry.pw_name
            for entry in pwd.getpwall()
            if entry.pw_uid == settings.nb_uid and entry.pw_name != account.name
        ),
        None,
    )
    if taken_by:
        raise AccountError(f"NB_UID={settings.nb_uid} already belongs to the account {taken_by!r} in this image")
    # Staying in "users" (100) keeps write access to /opt/venv, which is group-writable for that group.
    _run(
        "usermod",
        "--home",
        str(NO_HOME),
        "--uid",
        str(settings.nb_uid),
        "--gid",
        str(settings.nb_gid),
        "--append",
        "--groups",
        "users",
        account.name,
    )


def fit_home(name: str, ids: tuple[int, int], mounts: set[Path]) -> Path:
    """/home/NB_USER as the account's home. A home that exists (mounted, or from an earlier start of this container)
    is used as it is. Otherwise the image's home is copied to it (a folder of the image cannot be renamed on the
    container's overlay filesystem), or, when something is mounted in the image's home (docker-stacks' habit:
    -v "$PWD":/home/jovyan/work), linked to it: a mounted folder stays where it was mounted and is reachable from
    both paths. Nothing mounted is ever moved or copied."""
    home = Path("/home") / name
    image_home = paths.IMAGE_HOME
    if not home.exists() and not home.is_symlink():
        if not image_home.is_dir():
            home.mkdir(mode=0o755)
            _run("cp", "-a", "/etc/skel/.", str(home))
            _run("chown", "-R", f"{ids[0]}:{ids[1]}", str(home))
        elif has_mount_within(image_home, mounts):
            home.symlink_to(image_home)
        else:
            _run("cp", "-a", f"{image_home}/.", str(home))
    _run("usermod", "--home", str(home), name)
    return home


def give_image_files(home: Path, old: tuple[int, int], new: tuple[int, int], mounts: set[Path]) -> None:
    """The files the image put in the home (and this container wrote there) follow the account to its new uid and
    gid; mounted folders and files keep their owners (CHOWN_HOME asks for those)."""

    def chown(path: Path) -> None:
        info = path.lstat()
        if info.st_uid == old[0] or info.st_gid == old[1]:
            os.lchown(path, new[0] if info.st_uid == old[0] else -1, new[1] if info.st_gid == old[1] else -1)

    root = home.resolve()
    if root in mounts:
        return
    chown(root)
    for folder, dirs, files in os.walk(root):
        for entry in dirs + files:
            path = Path(folder) / entry
            if path in mounts:
                if entry in dirs:
                    dirs.remove(entry)
                continue
            chown(path)


def chown_as_asked(settings: Settings, account: Account) -> None:
    """docker-stacks' CHOWN_HOME and CHOWN_EXTRA: the user asked for these paths to become theirs."""
    targets = [(account.home, settings.chown_home_opts)] if settings.chown_home else []
    targets += [(Path(path), settings.chown_extra_opts) for path in settings.chown_extra]
    for path, options in targets:
        _run("chown", *options, f"{account.uid}:{account.gid}", str(path))


def prepare_as_root(settings: Settings) -> Account:
    """Rename/renumber the image's account as asked and set sudo; idempotent across container restarts. Never
    deletes, moves or renumbers a file it did not create: whatever is mounted keeps its place and its owner."""
    mounts = mount_points()
    account = _lookup(settings.nb_user)
    if account is not None and settings.nb_user != paths.IMAGE_USER and _lookup(paths.IMAGE_USER) is not None:
        raise AccountError(f"NB_USER={settings.nb_user} is a system account of this image; choose another name")
    if account is None:
        if _lookup(paths.IMAGE_USER) is None:
            raise AccountError(f"neither {settings.nb_user} nor {paths.IMAGE_USER} exists in this image")
        _run("usermod", "--login", settings.nb_user, paths.IMAGE_USER)
        account = _lookup(settings.nb_user)
        assert account is not None
    ensure_group(settings)
    old_ids, new_ids = (account.uid, account.gid), (settings.nb_uid, settings.nb_gid)
    if old_ids != new_ids:
        renumber(account, settings)
    home = fit_home(settings.nb_user, new_ids, mounts)
    if old_ids != new_ids:
        give_image_files(home, old_ids, new_ids, mounts)
    account = _lookup(settings.nb_user)
    assert account is not None
    if paths.WORKSPACE_DIR not in mounts:
        # The image's own /workspace (nothing mounted): it belongs to the user, whatever their uid now is.
        os.chown(paths.WORKSPACE_DIR, account.uid, account.gid)
    chown_as_asked(settings, account)
    give_docker_socket(account)
    if settings.grant_sudo:
        paths.SUDOERS_FILE.write_text(f"{account.name} ALL=(ALL:ALL) NOPASSWD: ALL\n")
        paths.SUDOERS_FILE.chmod(0o440)
    else:
        paths.SUDOERS_FILE.unlink(missing_ok=True)
    return account


def give_docker_socket(account: Account) -> None:
    """The host's Docker engine, when its socket is mounted, is the user's to use (that is why it was mounted): they
    get the socket's group, named docker when the image has no group with its id. Docker's own --group-add would not
    last: dropping privileges sets the user's groups from /etc/group."""
    try:
        socket_info = paths.DOCKER_SOCKET.stat()
    except OSError:
        return
    if not stat.S_ISSOCK(socket_info.st_mode) or account.gid == socket_info.st_gid:
        return
    try:
        group = grp.getgrgid(socket_info.st_gid)
    except KeyError:
        name = "docker" if not any(entry.gr_name == "docker" for entry in grp.getgrall()) else "docker-host"
        _run("groupadd", "--gid", str(socket_info.st_gid), name)
        group = grp.getgrgid(socket_info.st_gid)
    if account.name not in group.gr_mem:
        _run("usermod", "--append", "--groups", group.gr_name, account.name)


def current_account(settings: Settings) -> Account:
    """Started as non-root: nothing can be changed, so settings that ask for a change are an error. A uid without an
    account in the image gets one for this start (lend_account)."""
    uid = os.getuid()
    try:
        entry = pwd.getpwuid(uid)
    except KeyError:
        return accountless(settings, uid, os.getgid())
    account = Account(entry.pw_name, uid, os.getgid(), Path(entry.pw_dir))
    for variable, wanted, actual in (
        ("NB_USER", settings.nb_user, account.name),
        ("NB_UID", settings.nb_uid, account.uid),
    ):
        if wanted != actual:
            raise AccountError(
                f"{variable}={wanted} cannot be applied: the container was started as "
                f"{account.name} (uid {uid}); start it as root (the default) to change the account"
            )
    refuse_sudo(settings)
    return account


def refuse_sudo(settings: Settings) -> None:
    if settings.grant_sudo_explicit and settings.grant_sudo:
        raise AccountError(
            "GRANT_SUDO=yes cannot be applied: the container was started as non-root; start it as root (the default)"
        )


def accountless(settings: Settings, uid: int, gid: int) -> Account:
    """A uid the image has no account for, as OpenShift and Kubernetes' runAsUser start containers (docker-stacks runs
    them too): the workspace runs as NB_USER with that uid and gid. NB_UID and NB_GID may only name them (or be the
    image's own, which the image's environment sets)."""
    for variable, wanted, actual, image_value in (
        ("NB_UID", settings.nb_uid, uid, paths.IMAGE_UID),
        ("NB_GID", settings.nb_gid, gid, paths.IMAGE_GID),
    ):
        if wanted not in (actual, image_value):
            raise AccountError(
                f"{variable}={wanted} cannot be applied: the container was started as uid {uid}, gid {gid}; "
                "start it as root (the default) to change the account"
            )
    refuse_sudo(settings)
    writable = os.access(paths.IMAGE_HOME, os.W_OK | os.X_OK)
    home = paths.IMAGE_HOME if writable else Path(paths.SPARE_HOME_PATTERN.format(uid=uid))
    return Account(settings.nb_user, uid, gid, home, lent=True)


def lend_account(account: Account) -> str:
    """The account of a uid without one, for everything started from here on: nss_wrapper's passwd and group files,
    made from the image's (its own account's entry replaced), and a home of its own. Returns the warning to log."""
    libraries = sorted(Path("/").glob(paths.NSS_WRAPPER_LIBRARY.lstrip("/")))
    if not libraries:
        raise AccountError(
            f"started as uid {account.uid}, which has no account in this image, and nss_wrapper "
            f"({paths.NSS_WRAPPER_LIBRARY}) is missing; start the container as root with NB_UID={account.uid} instead"
        )
    fit_spare_home(account.home)
    others = [
        line
        for line in Path("/etc/passwd").read_text().splitlines()
        if line.split(":", 1)[0] not in (account.name, paths.IMAGE_USER)
    ]
    entry = f"{account.name}:x:{account.uid}:{account.gid}:Workspace user:{account.home}:/bin/bash"
    paths.NSS_WRAPPER_PASSWD.write_text("\n".join(others + [entry]) + "\n")
    groups = Path("/etc/group").read_text()
    try:
        grp.getgrgid(account.gid)
    except KeyError:
        groups += f"{account.name}:x:{account.gid}:\n"
    paths.NSS_WRAPPER_GROUP.write_text(groups)
    preload = " ".join(filter(None, [str(libraries[0]), os.environ.get("LD_PRELOAD")]))
    os.environ.update(
        LD_PRELOAD=preload,
        NSS_WRAPPER_PASSWD=str(paths.NSS_WRAPPER_PASSWD),
        NSS_WRAPPER_GROUP=str(paths.NSS_WRAPPER_GROUP),
    )
    set_identity(account)
    return (
        f"started as uid {account.uid} (gid {account.gid}), which has no account in this image: the workspace runs as "
        f"{account.name} with that uid, home {account.home}; NB_USER, NB_UID, sudo and the account's fitting need a "
        "start as root"
    )


def fit_spare_home(home: Path) -> None:
    """A home made for this uid, starting as the image's home: made once, then the container's (as the image's home
    would be); one that someone else made first is not used."""
    if home == paths.IMAGE_HOME:
        return
    try:
        home.mkdir(mode=0o700)
    except FileExistsError:
        info = home.lstat()
        if home.is_symlink() or not home.is_dir() or info.st_uid != os.getuid():
            raise AccountError(
                f"{home} exists and is not this uid's folder; remove it or start the container afresh"
            ) from None
        return
    if paths.IMAGE_HOME.is_dir():
        shutil.copytree(paths.IMAGE_HOME, home, symlinks=True, dirs_exist_ok=True, ignore_dangling_symlinks=True)
    home.chmod(0o700)


def drop_privileges(account: Account) -> None:
    os.initgroups(account.name, account.gid)
    os.setgid(account.gid)
    os.setuid(account.uid)
    set_identity(account)


def set_identity(account: Account) -> None:
    os.environ.update(
        HOME=str(account.home),
        USER=account.name,
        LOGNAME=account.name,
        NB_USER=account.name,
        NB_UID=str(account.uid),
        NB_GID=str(account.gid),
    )


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
            except BaseException:  # noqa: BLE001 - a forked child must never return into the parent's code
                os._exit(2)
        _, status = os.waitpid(child, 0)
        writable = os.waitstatus_to_exitcode(status) == 0
    if not writable:
        info = paths.WORKSPACE_DIR.stat()
        fix = f"on the host, run 'chown {account.uid}:{account.gid} <folder>'"
        if info.st_uid == 0:  # the workspace's user is never root: a folder of its own, without touching root's files
            fix += (
                f", or mount a folder of its own (mkdir -p work && chown {account.uid}:{account.gid} work, "
                'then -v "$PWD/work:/workspace")'
            )
        else:
            fix += f", or start with -e NB_UID={info.st_uid} to become the folder's owner"
        raise AccountError(
            f"{paths.WORKSPACE_DIR} (owned by uid {info.st_uid}, gid {info.st_gid}) is not writable "
            f"by {account.name} (uid {account.uid}, gid {account.gid}); {fix}"
        )
