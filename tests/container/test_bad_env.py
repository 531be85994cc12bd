"""Every bad value stops the container at once, with one clear line naming the variable: never a half-running
workspace."""

import pytest

from workspaces import exit_status_and_log

pytestmark = pytest.mark.container

BAD = [
    ("AUTHENTICATE_VIA_JUPYTER", "yes"),
    ("AUTHENTICATE_VIA_JUPYTER", "short"),
    ("AUTHENTICATE_VIA_JUPYTER", ""),
    ("WORKSPACE_BASE_URL", "no-leading-slash"),
    ("WORKSPACE_BASE_URL", "/a/../b"),
    ("WORKSPACE_PORT", "70000"),
    ("WORKSPACE_PORT", "http"),
    ("NB_USER", "root"),
    ("NB_UID", "0"),
    ("NB_GID", "staff"),
    ("GRANT_SUDO", "maybe"),
    ("TENSORBOARD_LOGDIR", "runs"),
    ("VNC_RESOLUTION", "1600*900"),
    ("SSH_AUTHORIZED_KEYS", "ssh-ed25519 not-base64!"),
    ("WORKSPACE_PORT", "2222"),
    ("WORKSPACE_TOOLS_START", "lazy"),
    ("WORKSPACE_TOOLS_IDLE_TIMEOUT", "1h"),
    ("WORKSPACE_TOOLS_IDLE_TIMEOUT", "100000"),
    ("JUPYTER_PORT", "13337"),
    ("NB_UMASK", "0x22"),
    ("CHOWN_HOME_OPTS", "-R; reboot"),
    ("WORKSPACE_CA_CERTS", "certs/corp.pem"),
    ("WORKSPACE_CA_CERTS", "/certs/none.pem"),
    ("MAX_NUM_THREADS", "all"),
    ("WORKSPACE_KERNEL_IDLE_TIMEOUT", "1h"),
]


def run_to_exit(workspaces, env, **options) -> tuple[int, str]:
    return exit_status_and_log(workspaces.create(env, **options))


@pytest.mark.parametrize("variable, value", BAD)
def test_bad_value_exits_non_zero_with_one_clear_line(workspaces, variable, value):
    status, log = run_to_exit(workspaces, {variable: value})
    assert status != 0
    lines = log.strip().splitlines()
    assert len(lines) == 1, log
    assert lines[0].startswith(f"workbench: error: {variable}={value!r} is not valid: ")


def test_unwritable_workspace_folder_is_refused_with_the_fix(workspaces, tmp_path):
    root_owned = tmp_path / "root-owned"
    root_owned.mkdir(mode=0o755)
    status, log = run_to_exit(workspaces, {}, workspace_dir=root_owned)
    assert status != 0
    assert "/workspace (owned by uid 0, gid 0) is not writable by jovyan (uid 1000" in log
    assert "chown 1000:100" in log
    assert 'mount a folder of its own (mkdir -p work && chown 1000:100 work, then -v "$PWD/work:/workspace")' in log


def test_account_changes_need_a_root_start(workspaces, host_workspace):
    status, log = run_to_exit(workspaces, {"NB_UID": "2000"}, workspace_dir=host_workspace, user="1000:100")
    assert status != 0
    assert "NB_UID=2000 cannot be applied" in log


def test_nb_uid_of_another_account_is_refused(workspaces, host_workspace):
    status, log = run_to_exit(workspaces, {"NB_UID": "65534"}, workspace_dir=host_workspace)
    assert status != 0
    assert log.strip() == "workbench: error: NB_UID=65534 already belongs to the account 'nobody' in this image"


@pytest.mark.parametrize(
    "env, command, message",
    [
        ({}, ["start-notebook.py", "--port=9000"], "start-notebook.py: '--port=9000' cannot be used"),
        ({}, ["start-singleuser.sh", "--ServerApp.password=sha1:0a1b"], "set AUTHENTICATE_VIA_JUPYTER instead"),
        (
            {"WORKSPACE_BASE_URL": "/y"},
            ["start-notebook.py", "--ServerApp.base_url=/x/"],
            "'--ServerApp.base_url=/x/' contradicts WORKSPACE_BASE_URL='/y'; set only one of them",
        ),
        ({"NOTEBOOK_ARGS": "--IdentityProvider.token=short"}, [], "NOTEBOOK_ARGS: '--IdentityProvider.token=short' is"),
    ],
)
def test_a_jupyter_argument_that_would_move_the_door_is_refused(workspaces, env, command, message):
    status, log = run_to_exit(workspaces, env, command=command or None)
    assert status != 0
    lines = log.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("workbench: error: ") and message in lines[0], log


def test_jupyter_port_and_workspace_port_must_agree(workspaces):
    status, log = run_to_exit(workspaces, {"JUPYTER_PORT": "8888", "WORKSPACE_PORT": "9999"})
    assert status != 0
    assert log.strip() == (
        "workbench: error: JUPYTER_PORT='8888' is not valid: differs from WORKSPACE_PORT='9999'; set only one of them"
    )


def test_a_ca_file_without_a_certificate_is_refused_with_its_name(workspaces):
    status, log = run_to_exit(workspaces, {"WORKSPACE_CA_CERTS": "/etc/hostname"})
    assert status != 0
    assert log.strip() == (
        "workbench: error: WORKSPACE_CA_CERTS: /etc/hostname holds no PEM certificate (-----BEGIN CERTIFICATE-----)"
    )
