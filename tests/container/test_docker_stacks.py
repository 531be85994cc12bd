"""Habits from jupyter/docker-stacks work here: its entry points (start-notebook.py/.sh, start-singleuser.py/.sh,
start.sh CMD), its variables (NB_GROUP, NB_UMASK, CHOWN_EXTRA, JUPYTER_ENV_VARS_TO_UNSET, NOTEBOOK_ARGS,
JUPYTER_PORT, JUPYTER_TOKEN), its password-less server, a uid without an account (docker run --user, OpenShift,
Kubernetes) and a fresh server checked with curl, used the way docker-stacks' own documentation and tests use them."""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path

import pytest
import requests

from kernels import execute
from wheels import make_wheel
from workbench.facts import paths
from workbench_client import Workspace, login
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
    (folder / "workspace" / "key.secret").write_text("kept out of sight\n")
    # As a docker-stacks image brings its Jupyter configuration: a file in /etc/jupyter.
    (folder / "jupyter_server_config.py").write_text(
        'c.ContentsManager.hide_globs = ["__pycache__", "*.secret"]\n'
        'c.ServerApp.tornado_settings = {"headers": {"X-Team": "data science"}}\n'  # a dict the start sets keys of too
    )
    with WorkspaceFactory(docker_client, image) as factory:
        workspace = factory.start(
            ENV,
            folder / "workspace",
            command=["start-notebook.py", "--ContentsManager.allow_hidden=True"],
            volumes_extra={
                str(folder / "data"): {"bind": "/data", "mode": "rw"},
                str(folder / "jupyter_server_config.py"): {
                    "bind": "/etc/jupyter/jupyter_server_config.py",
                    "mode": "ro",
                },
            },
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


def test_the_renumbered_user_still_installs_into_the_image_environment(stacks):
    make_wheel(stacks.host_data.parent / "workspace", "hello_venv", "in the environment")
    code, output = in_container(
        stacks,
        "pip install --no-index --no-user /workspace/hello_venv-1.0-py3-none-any.whl && python -c "
        "'import hello_venv, os; print(hello_venv.__file__, os.stat(hello_venv.__file__).st_gid)'",
    )
    assert code == 0, output
    assert output.split()[-2:] == [f"{paths.VENV_DIR}/lib/python3.11/site-packages/hello_venv.py", "100"], output
    assert in_container(stacks, f"test -w {paths.VENV_DIR} && echo writable")[1].strip() == "writable"


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
    assert re.search(
        r"^INFO\[[-0-9 :]+\] Unset SECRET_A due to JUPYTER_ENV_VARS_TO_UNSET$", stacks.logs(), re.MULTILINE
    )


def test_notebook_args_and_start_notebook_arguments_reach_jupyter(stacks):
    assert "[D " in stacks.logs()  # NOTEBOOK_ARGS=--ServerApp.log_level=DEBUG
    hidden = stacks.get("api/contents/.hidden-notes.txt")  # start-notebook.py --ContentsManager.allow_hidden=True
    assert hidden.status_code == 200 and hidden.json()["content"] == "hidden\n", hidden.text


def test_the_images_jupyter_config_in_etc_jupyter_is_read(stacks):
    answer = stacks.get("api/contents/")
    listed = {entry["name"] for entry in answer.json()["content"]}
    assert ".hidden-notes.txt" in listed and "key.secret" not in listed, listed
    assert answer.headers.get("X-Team") == "data science", answer.headers
    assert in_container(stacks, "cat /workspace/key.secret") == (0, "kept out of sight\n")


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


JUPYTER_TOKEN = "docker-stacks-token-0123"


def test_jupyter_port_and_token_are_the_ones_of_the_door(workspaces, host_workspace):
    # Jupyter Server reads both itself: a port other than its default used to stop it (it listens on a socket here).
    workspace = workspaces.start(
        {"JUPYTER_PORT": "1234", "JUPYTER_TOKEN": JUPYTER_TOKEN}, host_workspace, container_port=1234, wait=False
    )
    workspace.wait_ready()
    workspace.token = JUPYTER_TOKEN
    # The announcement follows the first answer through the door: waited for, not read at once.
    assert workspace.ready_announcement()[:2] == ["Workbench is ready; open it at:", "    http://localhost:1234/"]
    session = login(workspace, JUPYTER_TOKEN)
    assert session.get(workspace.url + "api/workbench/status").status_code == 200
    seen = execute(workspace, "import os; print(sorted(k for k in os.environ if k.startswith('JUPYTER_')))")
    # The token and port are consumed by the door; Jupyter's own paths pass, JUPYTER_CONFIG_PATH with this start's
    # page configuration first (workbench/start/jupyter_app.py).
    assert seen.strip() == "['JUPYTER_CONFIG_PATH', 'JUPYTER_PATH']", seen


def test_a_password_less_server_as_docker_stacks_documents_it(workspaces, host_workspace):
    workspace = workspaces.start(
        workspace_dir=host_workspace,
        command=["start-notebook.py", "--IdentityProvider.token=", "--ServerApp.base_url=/x/"],
        base_url="/x/",
        wait=False,
    )
    workspace.wait_ready()
    status = requests.get(workspace.url + "api/workbench/status", timeout=30)
    assert status.status_code == 200 and status.json()["base_url"] == "/x/"
    assert workspace.url.endswith("/x/") and requests.get(workspace.origin() + "/lab", timeout=30).status_code == 404
    assert "WARNING: authentication is disabled" in workspace.logs()
    lab = requests.get(workspace.url + "lab", timeout=30)
    assert lab.status_code == 200 and '"baseUrl": "/x/"' in lab.text


def test_curl_on_a_fresh_server_is_sent_to_the_login_page_as_by_jupyter(workspace):
    url = workspace.url
    code = subprocess.run(
        ["curl", "-s", "-o", "/dev/null", "-w", "%{http_code} %{redirect_url}", url], capture_output=True, text=True
    )
    assert code.stdout == f"302 {url}login?next=/", code
    followed = subprocess.run(["curl", "-sL", url], capture_output=True, text=True)
    assert 'name="password"' in followed.stdout and "<form" in followed.stdout, followed.stdout[:500]
    for page in ("lab", "tools/vscode/", "tools/tensorboard/"):
        sent = workspace.get(page, authenticated=False)
        assert (sent.status_code, sent.headers["Location"]) == (302, f"/login?next=/{page}"), page
    api = workspace.get("api/kernels", authenticated=False)
    assert api.status_code == 403 and api.json()["message"].startswith("Forbidden"), api.text
    posted = requests.post(url + "lab", timeout=30)
    assert posted.status_code == 403


LENT_UID = 1010


def accountless_folder(parent: Path, group: int) -> Path:
    folder = parent / "workspace"
    folder.mkdir()
    os.chown(folder, 0 if group == FS_GROUP else LENT_UID, group)
    folder.chmod(0o2775 if group == FS_GROUP else 0o755)
    make_wheel(folder, "hello_accountless", "installed")
    return folder


FS_GROUP = 2000
# As docker run --user, OpenShift (a random uid in root's group) and Kubernetes (runAsUser, with fsGroup the volume's
# group) start a container: a uid the image has no account for.
ACCOUNTLESS = {
    "user 1010": ({"user": "1010"}, 0),
    "user 1010:0": ({"user": "1010:0"}, 0),
    "user 1010:1010": ({"user": "1010:1010"}, 1010),
    "runAsUser with fsGroup": ({"user": "1010:0", "group_add": [str(FS_GROUP)]}, FS_GROUP),
}


@pytest.fixture(scope="module")
def accountless(docker_client, image, tmp_path_factory):
    with WorkspaceFactory(docker_client, image) as factory:
        started = {}
        for name, (options, group) in ACCOUNTLESS.items():
            folder = accountless_folder(tmp_path_factory.mktemp("accountless"), group)
            started[name] = factory.start(workspace_dir=folder, wait=False, **options)
            started[name].folder = folder
        for workspace in started.values():
            workspace.wait_ready()
            workspace.token = workspace.token_from_log()
        yield started


@pytest.mark.parametrize("name", ACCOUNTLESS)
def test_a_uid_without_an_account_runs_the_workspace(accountless, name):
    workspace = accountless[name]
    warnings = [line for line in workspace.logs().splitlines() if line.startswith("WARNING[")]
    assert len(warnings) == 1 and f"started as uid {LENT_UID}" in warnings[0], workspace.logs()
    output = execute(
        workspace,
        "import getpass, os, pathlib, subprocess\n"
        "pathlib.Path('/workspace/from-kernel.txt').write_text('x')\n"
        "installed = subprocess.run(['pip', 'install', '--user', '--no-index', "
        "'/workspace/hello_accountless-1.0-py3-none-any.whl'], capture_output=True, text=True)\n"
        "print(installed.returncode, installed.stderr[-300:])\n"
        "print(subprocess.run(['python', '-c', 'import hello_accountless as h; print(h.VALUE)'], capture_output=True, "
        "text=True).stdout.strip())\n"
        "print(getpass.getuser(), subprocess.run(['whoami'], capture_output=True, text=True).stdout.strip(), "
        "os.access(os.path.expanduser('~'), os.W_OK))",
        timeout=120,
    ).splitlines()
    assert output[0].startswith("0 "), output
    assert output[1:] == ["installed", "jovyan jovyan True"], output
    written = workspace.folder / "from-kernel.txt"
    assert written.stat().st_uid == LENT_UID
    if name == "runAsUser with fsGroup":
        assert written.stat().st_gid == FS_GROUP  # the volume's setgid folder, as Kubernetes makes it
