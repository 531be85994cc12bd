"""Nothing the workspace does at start deletes, moves or renumbers a file it did not create: host folders and files
mounted under the home (docker-stacks' habit, -v "$PWD":/home/jovyan/work) and elsewhere keep every byte and their
owners whatever NB_USER, NB_UID and NB_GID say, through start, restart and removal; only CHOWN_HOME / CHOWN_EXTRA
change owners, and only where they ask."""

from __future__ import annotations

import hashlib
import os
import stat
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from kernels import execute
from workbench_client import Workspace, wait_until
from workspaces import WorkspaceFactory

pytestmark = pytest.mark.container

# Where each host folder or file is mounted in the container.
MOUNTS = {
    "data": "/home/jovyan/data",
    "work": "/home/jovyan/work",
    "elsewhere": "/data",
    "notes.txt": "/home/jovyan/notes.txt",
}
# What the entrypoint prints once the account is fitted and the configuration written, as supervisord takes over.
START_LINE = "is starting; the address to open follows once it is ready."
# Owners a host folder typically has: the user's own, another user's, root's, a service's.
OWNERS = [(1000, 100), (1234, 1234), (0, 0), (4242, 4242)]


@dataclass(frozen=True)
class Case:
    name: str
    env: dict
    workspace_owner: tuple[int, int] = (1000, 100)  # the /workspace folder must be the user's
    # Host paths (relative) whose files the case's CHOWN_* asked to give to the user.
    chowned: tuple[str, ...] = ()
    user_ids: tuple[int, int] = field(default=(1000, 100))


CASES = [
    Case("nb_user", {"NB_USER": "alice"}),
    Case("nb_uid", {"NB_UID": "1234"}, workspace_owner=(1234, 100), user_ids=(1234, 100)),
    Case("nb_gid", {"NB_GID": "2345"}, user_ids=(1000, 2345)),
    Case("chown_home", {"CHOWN_HOME": "yes"}),
    Case(
        "chown_home_recursive",
        {"CHOWN_HOME": "yes", "CHOWN_HOME_OPTS": "-R", "NB_UID": "1234"},
        workspace_owner=(1234, 100),
        chowned=("data", "work", "notes.txt"),
        user_ids=(1234, 100),
    ),
]


def make_host_tree(root: Path) -> None:
    """Folders and files with several owners and modes, a nested folder, a hidden file and a symlink."""
    for index, (folder, owners) in enumerate((("data", OWNERS), ("work", OWNERS[:2]), ("elsewhere", OWNERS[2:]))):
        base = root / folder
        (base / "nested" / "deeper").mkdir(parents=True)
        for number, (uid, gid) in enumerate(owners):
            path = base / ("nested/deeper" if number % 2 else "") / f"file-{number}.csv"
            path.write_bytes(os.urandom(2048 + 1000 * index) + f"{folder},{number}\n".encode())
            os.chown(path, uid, gid)
            path.chmod(0o640 if number % 2 else 0o600)
        (base / ".hidden").write_text("a dotfile the user keeps\n")
        (base / "link-to-first").symlink_to("file-0.csv")
        os.lchown(base / "link-to-first", 1234, 1234)
        for path in (base, base / "nested", base / "nested" / "deeper"):
            os.chown(path, *owners[0])
    (root / "notes.txt").write_text("mounted as a single file\n")
    os.chown(root / "notes.txt", 1234, 1234)


def snapshot(root: Path) -> dict[str, tuple]:
    """Every path under root: owner, group, mode and content (a symlink: its target)."""
    result = {}
    for path in sorted(root.rglob("*")):
        info = path.lstat()
        if path.is_symlink():
            content = "-> " + os.readlink(path)
        elif path.is_file():
            content = hashlib.sha256(path.read_bytes()).hexdigest()
        else:
            content = "folder"
        result[str(path.relative_to(root))] = (info.st_uid, info.st_gid, stat.S_IMODE(info.st_mode), content)
    return result


@dataclass
class Run:
    case: Case
    host: Path
    before: dict
    workspace: Workspace | None = None
    after: dict = field(default_factory=dict)  # phase -> snapshot
    home: str = ""


def wait_for_second_start(workspace: Workspace, timeout: float = 90) -> None:
    wait_until(lambda: workspace.logs().count(START_LINE) >= 2, timeout, 0.3, failure=lambda: workspace.logs()[-3000:])


@pytest.fixture(scope="module")
def runs(docker_client, image, tmp_path_factory) -> dict[str, Run]:
    """Every case started at once, then restarted, then removed, with a snapshot of the host after each."""
    runs = {}
    with WorkspaceFactory(docker_client, image) as factory:
        for case in CASES:
            host = tmp_path_factory.mktemp(case.name)
            make_host_tree(host / "mounted")
            (host / "workspace").mkdir()
            os.chown(host / "workspace", *case.workspace_owner)
            volumes = {str(host / "mounted" / name): {"bind": target, "mode": "rw"} for name, target in MOUNTS.items()}
            run = Run(case, host, snapshot(host / "mounted"))
            run.workspace = factory.start(case.env, host / "workspace", wait=False, volumes_extra=volumes)
            runs[case.name] = run
        for run in runs.values():
            run.workspace.wait_ready()
            run.workspace.token = run.workspace.token_from_log()
            run.after["start"] = snapshot(run.host / "mounted")
            run.home = execute(
                run.workspace,
                "import os; print(os.path.expanduser('~'), os.getuid(), os.getgid(), "
                "open(os.path.expanduser('~/data/.hidden')).read(), end='')",
            )
        for run in runs.values():
            run.workspace.container.restart(timeout=20)
        for run in runs.values():
            # The account is fitted again before the start line is printed: what it does to files is done then.
            wait_for_second_start(run.workspace)
            run.after["restart"] = snapshot(run.host / "mounted")
        for run in runs.values():
            run.workspace.container.remove(force=True)
            run.after["removal"] = snapshot(run.host / "mounted")
        yield runs


@pytest.mark.parametrize("case", CASES, ids=[case.name for case in CASES])
@pytest.mark.parametrize("phase", ["start", "restart", "removal"])
def test_mounted_files_keep_their_bytes_and_owners(runs, case, phase):
    run = runs[case.name]
    expected = {}
    for path, (uid, gid, mode, content) in run.before.items():
        if any(path == chowned or path.startswith(chowned + "/") for chowned in case.chowned):
            uid, gid = case.user_ids  # asked for by CHOWN_HOME_OPTS=-R
        expected[path] = (uid, gid, mode, content)
    assert run.after[phase] == expected


@pytest.mark.parametrize("case", CASES, ids=[case.name for case in CASES])
def test_the_user_works_in_the_home_with_the_mounts_in_it(runs, case):
    user = case.env.get("NB_USER", "jovyan")
    assert runs[case.name].home.split(None, 3) == [
        f"/home/{user}",
        *map(str, case.user_ids),
        "a dotfile the user keeps\n",
    ]
