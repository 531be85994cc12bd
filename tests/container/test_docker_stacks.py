"""Habits from jupyter/docker-stacks work here: its entry points (start-notebook.py/.sh, start-singleuser.py/.sh,
start.sh CMD) and its variables (NB_GROUP, NB_UMASK, CHOWN_EXTRA, JUPYTER_ENV_VARS_TO_UNSET, NOTEBOOK_ARGS,
JUPYTER_PORT), used the way docker-stacks' own documentation and tests use them."""

from __future__ import annotations

import os

import pytest

from workbench import paths
from workbench_client import Workspace, execute
from workspaces import WorkspaceFactory, user_folder

pytestmark = pytest.mark.container

USER, UID, GID, GROUP = "bob", 2001, 2345, "team"
ENV = {
    "NB_USER": USER,
    "NB_UID": str(UID),
    "NB_GID": str(GID),
    "NB_GROUP": GROUP,
    "NB_UMASK": "002",
    "CHOWN_EXTRA": "/data",
    "CHOWN_EXTRA_OPTS": "-R",
    "JUPYTER_ENV_VARS_TO_UNSET": "SECRET_A,SECRET_B",
    "SECRET_A": "a",
    "SECRET_B": "b",
    "KEPT": "kept",
    "NOTEBOOK_ARGS": "--ServerApp.log_level=DEBUG",
}


@pytest.fixture(scope="module")
def stacks(docker_client, image, tmp_path_factory) -> Workspace:
    """Started as docker-stacks documents: start-notebook.py with an argument for Jupyter, and its variables."""
    folder = tmp_path_factory.mktemp("stacks")
    (folder / "workspace").mkdir()
    (folder / "workspace" / ".hidden-notes.txt").write_text("hidden\n")
    os.chown(folder / "workspace", UID, GID)
    (folder / "data" / "raw").mkdir(parents=True)
    (folder / "data" / "raw" / "part-0.csv").write_text("x\n1\n")
    with WorkspaceFactory(docker_client, image) as factory:
        workspace = factory.start(
            ENV,
            folder / "workspace",
            command=["start-notebook.py", "--ContentsManager.allow_hidden=True"],
            volumes_extra={str(folder / "data"): {"bind": "/data", "mode": "rw"}},
        )
        workspace.host_data = folder / "data"
        yield workspace


def in_container(workspace: Workspace, command: str, user: str = USER) -> tuple[int, str]:
    result = workspace.container.exec_run(["sh", "-c", command], user=user)
    return result.exit_code, result.output.decode()


def test_account_follows_nb_user_uid_gid_and_nb_group(stacks):
    output = execute(
        stacks,
        "import os, pwd, grp; print(pwd.getpwuid(os.getuid()).pw_name, os.getuid(), "
        "os.getgid(), grp.getgrgid(os.getgid()).gr_name)",
    )
    assert output.split() == [USER, str(UID), str(GID), GROUP]
    assert "users" in in_container(stacks, f"id -Gn {USER}")[1].split()  # keeps write access to the environment


def test_nb_umask_applies_to_what_the_user_writes(stacks):
    execute(stacks, "open('/workspace/from-kernel.txt', 'w').write('x')")
    written = stacks.host_data.parent / "workspace" / "from-kernel.txt"
    assert (written.stat().st_mode & 0o777, written.stat().st_uid) == (0o664, UID)


def test_chown_extra_gives_the_folder_to_the_user(stacks):
    for path in [stacks.host_data, stacks.host_data / "raw", stacks.host_data / "raw" / "part-0.csv"]:
        assert (path.stat().st_uid, path.stat().st_gid) == (UID, GID), path


def test_jupyter_env_vars_to_unset_are_gone_for_everything_started(stacks):
    output = execute(
        stacks, "import os; print(os.environ.get('SECRET_A'), os.environ.get('SECRET_B'), os.environ.get('KEPT'))"
    )
    assert output.split() == ["None", "None", "kept"]


def test_notebook_args_and_start_notebook_arguments_reach_jupyter(stacks):
    assert "[D " in stacks.logs()  # NOTEBOOK_ARGS=--ServerApp.log_level=DEBUG
    hidden = stacks.get("api/contents/.hidden-notes.txt")  # start-notebook.py --ContentsManager.allow_hidden=True
    assert hidden.status_code == 200 and hidden.json()["content"] == "hidden\n", hidden.text


def test_sudo_keeps_the_workspace_environment_on_path(stacks):
    code, output = in_container(stacks, "sudo -n sh -c 'for c in python pip jupyter; do command -v $c; done; id -u'")
    assert code == 0, output
    assert output.split() == [f"{paths.VENV_DIR}/bin/{name}" for name in ("python", "pip", "jupyter")] + ["0"]


@pytest.mark.parametrize("command", ["conda install numpy", "mamba create -n x python"])
def test_conda_and_mamba_say_how_environments_work_here(stacks, command):
    code, output = in_container(stacks, command)
    assert code == 127
    assert len(output.strip().splitlines()) == 1 and "workbench-env create" in output, output


def test_a_start_command_inside_the_running_workspace_is_refused(stacks):
    code, output = in_container(stacks, "start-notebook.py")
    assert code == 1
    assert output.strip() == (
        "workbench: error: the workspace is already running in this container; open it in "
        "the browser (docker logs show the address), or restart the container to start it "
        "afresh"
    )
    assert stacks.get("api/status").status_code == 200


def test_nginx_listens_on_ipv6_too_where_the_kernel_has_it(stacks):
    listeners = in_container(stacks, "ss -Hltn")[1].split()
    has_ipv6 = in_container(stacks, "test -e /proc/net/if_inet6 && echo yes")[1].strip() == "yes"
    assert "0.0.0.0:8080" in listeners
    assert ("[::]:8080" in listeners) == has_ipv6, listeners


def test_start_sh_runs_a_command_as_the_fitted_user(workspaces, host_workspace):
    container = workspaces.create(
        {"NB_USER": "carol"}, host_workspace, command=["start.sh", "sh", "-c", "id -un; pwd; echo $HOME"]
    )
    assert container.wait(timeout=60)["StatusCode"] == 0
    assert container.logs().decode().split() == ["carol", "/workspace", "/home/carol"]


def test_every_docker_stacks_starter_starts_the_whole_workspace(workspaces, tmp_path):
    starters = ["start-notebook.sh", "start-singleuser.py", "start-singleuser.sh"]
    started = [
        workspaces.start(workspace_dir=user_folder(tmp_path / starter), command=[starter], wait=False)
        for starter in starters
    ]
    for starter, workspace in zip(starters, started, strict=True):
        workspace.wait_ready()
        workspace.token = workspace.token_from_log()
        assert workspace.get("api/workbench/status").status_code == 200, starter


def test_jupyter_port_is_the_one_port(workspaces, host_workspace):
    workspace = workspaces.start({"JUPYTER_PORT": "8888"}, host_workspace, container_port=8888)
    assert workspace.get("api/workbench/status").status_code == 200
    assert "http://localhost:8888/?token=" in workspace.logs()
