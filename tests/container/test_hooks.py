"""Start hooks as docker-stacks documents them (start-notebook.d before the account is fitted, before-notebook.d
after, *.sh sourced and executables run, as root) and the workspace's own /workspace/.workbench/start.d (as the user):
their output in the log, their exports in what the workspace runs, and a failing hook shown, not fatal."""

from __future__ import annotations

import os
import re
import stat

import pytest

from kernels import execute
from workspaces import WorkspaceFactory, user_folder

pytestmark = pytest.mark.container


def hook(folder, name: str, text: str, executable: bool = False) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / name).write_text(text)
    if executable:
        (folder / name).chmod((folder / name).stat().st_mode | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)


@pytest.fixture(scope="module")
def hooked(docker_client, image, tmp_path_factory):
    root = tmp_path_factory.mktemp("hooks")
    start_d, before_d = root / "start-notebook.d", root / "before-notebook.d"
    hook(start_d, "10-account.sh", 'echo "start hook as $(id -un)"\nexport NB_USER=hooked\n')
    hook(before_d, "10-env.sh", 'echo "before hook as $(id -un) for $NB_USER"\nexport FROM_ROOT_HOOK=yes\n')
    hook(before_d, "20-executable", '#!/bin/sh\necho "executable hook as $(id -un)"\n', executable=True)
    hook(before_d, "25-stacks-log.sh", '_log_info "a docker-stacks hook says hello"\n_log_warn "and warns"\n')
    hook(before_d, "30-broken", "#!/bin/sh\necho 'about to fail'\nexit 3\n", executable=True)
    hook(before_d, "40-not-executable", "echo never\n")
    workspace_dir = user_folder(root)
    user_hooks = workspace_dir / ".workbench" / "start.d"
    hook(user_hooks, "10-user.sh", 'echo "user hook as $(id -un) in $PWD"\nexport FROM_USER_HOOK=yes\n')
    for path in [workspace_dir / ".workbench", user_hooks, *user_hooks.iterdir()]:
        os.chown(path, 1000, 100)
    with WorkspaceFactory(docker_client, image) as factory:
        yield factory.start(
            workspace_dir=workspace_dir,
            volumes_extra={
                str(start_d): {"bind": "/usr/local/bin/start-notebook.d", "mode": "ro"},
                str(before_d): {"bind": "/usr/local/bin/before-notebook.d", "mode": "ro"},
            },
        )


def test_hooks_run_in_order_as_documented_with_their_output_in_the_log(hooked):
    log = hooked.logs()
    lines = [
        "start hook as root",
        "before hook as root for hooked",
        "executable hook as root",
        "about to fail",
        "user hook as hooked in /workspace",
    ]
    positions = [log.find(line) for line in lines]
    assert -1 not in positions and positions == sorted(positions), log
    assert "] Ignoring non-executable: /usr/local/bin/before-notebook.d/40-not-executable\n" in log
    assert "\nnever\n" not in log
    assert re.search(r"^INFO\[[-0-9]{10} [:0-9]{8}\] a docker-stacks hook says hello$", log, re.MULTILINE), log
    assert re.search(r"^WARNING\[[-0-9]{10} [:0-9]{8}\] and warns$", log, re.MULTILINE), log


def test_a_start_hook_can_set_the_workspaces_variables(hooked):
    # start-notebook.d runs before the account is fitted: its NB_USER is the one applied.
    output = execute(
        hooked,
        "import os, getpass; print(getpass.getuser(), os.environ.get('FROM_ROOT_HOOK'), "
        "os.environ.get('FROM_USER_HOOK'))",
    )
    assert output.split() == ["hooked", "yes", "yes"]


def test_a_failing_hook_is_reported_and_the_workspace_starts(hooked, page, screenshot):
    status = hooked.get("api/workbench/status").json()
    assert status["failed_hooks"] == ["/usr/local/bin/before-notebook.d/30-broken"]
    assert "ERROR[" in hooked.logs()
    assert "] /usr/local/bin/before-notebook.d/30-broken has failed, continuing execution\n" in hooked.logs()
    page.goto(hooked.url + f"?token={hooked.token}")
    notice = page.wait_for_selector("#hook-failures", state="visible", timeout=60_000)
    assert "A start hook failed: /usr/local/bin/before-notebook.d/30-broken." in notice.inner_text()
    page.wait_for_selector('.tile[data-tool="lab"] .state[data-state="RUNNING"]', timeout=60_000)
    screenshot(page, "landing")


@pytest.mark.parametrize(
    "args, error",
    [
        ("/nonexistent.d", "Directory /nonexistent.d doesn't exist or is not a directory"),
        ("/etc/passwd", "Directory /etc/passwd doesn't exist or is not a directory"),
        ("", "Should pass exactly one directory"),
        ("/tmp /tmp", "Should pass exactly one directory"),
    ],
)
def test_run_hooks_refuses_what_is_not_one_folder_as_docker_stacks_does(hooked, args, error):
    for how in (f"run-hooks.sh {args}", f"source run-hooks.sh {args}"):
        result = hooked.container.exec_run(["bash", "-c", f"{{ {how}; echo status=$?; }} 2>&1"])
        output = result.output.decode()
        assert re.fullmatch(rf"ERROR\[[-0-9 :]+\] {re.escape(error)}\nstatus=1\n", output), (how, output)


def test_docker_stacks_log_is_quiet_and_colourless_when_asked(hooked):
    script = "source _docker_stacks_log.sh; _log_info shown; _log_warn warned"
    quiet = hooked.container.exec_run(["bash", "-c", script], environment={"JUPYTER_DOCKER_STACKS_QUIET": "1"})
    assert re.fullmatch(r"WARNING\[[-0-9 :]+\] warned\n", quiet.output.decode()), quiet.output
    coloured = hooked.container.exec_run(["bash", "-c", script], tty=True).output.decode()
    assert "\x1b[0;33mWARNING[" in coloured and "\x1b" not in coloured.splitlines()[0], coloured
    plain = hooked.container.exec_run(["bash", "-c", script], tty=True, environment={"NO_COLOR": "1"})
    assert "\x1b" not in plain.output.decode() and "warned" in plain.output.decode()
