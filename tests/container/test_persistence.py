"""Files written in the workspace land in the mounted host folder, owned by NB_UID, and outlive the container."""

import os

import pytest

from kernels import execute

pytestmark = pytest.mark.container

WRITE = (
    "import pathlib; pathlib.Path('/workspace/results/run1.txt').parent.mkdir(); "
    "pathlib.Path('/workspace/results/run1.txt').write_text('accuracy=0.93\\n'); print('written')"
)
READ = "print(open('/workspace/results/run1.txt').read(), end='')"


def test_file_from_kernel_reaches_host_owned_by_nb_uid_and_survives_recreation(workspaces, host_workspace):
    first = workspaces.start(workspace_dir=host_workspace)
    assert execute(first, WRITE) == "written\n"
    on_host = host_workspace / "results" / "run1.txt"
    assert on_host.read_text() == "accuracy=0.93\n"
    assert (on_host.stat().st_uid, on_host.stat().st_gid) == (1000, 100)

    first.container.remove(force=True)
    second = workspaces.start(workspace_dir=host_workspace)
    assert execute(second, READ) == "accuracy=0.93\n"
    assert on_host.read_text() == "accuracy=0.93\n"


def test_nb_uid_and_nb_user_match_the_host_folder_owner(workspaces, tmp_path):
    folder = tmp_path / "alice"
    folder.mkdir()
    os.chown(folder, 1234, 1234)
    workspace = workspaces.start({"NB_USER": "alice", "NB_UID": "1234", "NB_GID": "1234"}, folder)
    output = execute(
        workspace,
        "import os, pwd; open('/workspace/note.md', 'w').write('hi'); "
        "print(pwd.getpwuid(os.getuid()).pw_name, os.path.expanduser('~'))",
    )
    assert output.split() == ["alice", "/home/alice"]
    assert ((folder / "note.md").stat().st_uid, (folder / "note.md").stat().st_gid) == (1234, 1234)
    # Still able to install into the Jupyter environment after the uid change (group "users").
    groups = workspace.container.exec_run(["id", "-Gn", "alice"]).output.decode().split()
    assert "users" in groups


def test_restarting_the_container_keeps_working(workspaces, host_workspace):
    workspace = workspaces.start(workspace_dir=host_workspace)
    execute(workspace, WRITE)
    starts = len(workspace.login_urls())
    workspace.container.restart(timeout=20)
    workspace.reload()
    workspace.wait_ready()
    workspace.token = workspace.token_from_log(starts_before=starts)
    assert execute(workspace, READ) == "accuracy=0.93\n"
