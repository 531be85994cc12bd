"""A container started as the README says: ready, tini as PID 1, everything else as the non-root user."""

import pytest

from kernels import execute
from workbench.contracts import settings
from workbench.facts import catalogue, paths, start_timeline
from workbench_client import open_every_tool, wait_until

pytestmark = pytest.mark.container


def processes(container) -> list[tuple[str, str, str]]:
    """(pid, user, command) of every process, read from inside the container."""
    output = container.exec_run(["ps", "-eo", "pid=,user=,comm="]).output.decode()
    return [tuple(line.split(None, 2)) for line in output.splitlines() if line.strip()]


def test_healthz_answers_ok_without_credentials_and_without_details(workspace):
    response = workspace.get("healthz", authenticated=False)
    assert response.status_code == 200
    assert response.text == "ok\n"
    assert "no-store" in response.headers["Cache-Control"]


def test_docker_healthcheck_reports_healthy(workspace):

    def health() -> dict:
        workspace.container.reload()
        return workspace.container.attrs["State"]["Health"]

    wait_until(lambda: health()["Status"] != "starting", 60, 1, failure=health)
    assert health()["Status"] == "healthy", health()


def test_pid_1_is_tini(workspace):
    assert workspace.container.exec_run(["cat", "/proc/1/comm"]).output.decode().strip() == "tini"


def test_only_tini_runs_as_root(workspace):
    open_every_tool(workspace)
    table = processes(workspace.container)
    services = {command for _, user, command in table}
    assert {"supervisord", "nginx", "python", "tensorboard", "sshd"} <= services, table  # python: Jupyter Server
    root = [(pid, command) for pid, user, command in table if user == "root" and command != "ps"]
    assert root == [("1", "tini")], table
    assert {user for _, user, command in table if command != "ps" and user != "root"} == {"jovyan"}


def test_kernel_runs_as_the_user_in_workspace(workspace):
    output = execute(
        workspace,
        "import os, pwd; print(pwd.getpwuid(os.getuid()).pw_name, os.getuid(), "
        "os.getgid(), os.getcwd(), 'AUTHENTICATE_VIA_JUPYTER' in os.environ)",
    )
    assert output.split() == ["jovyan", "1000", "100", "/workspace", "False"]


def test_a_new_container_compiles_nothing_of_the_environment_to_start_and_run_a_first_cell(workspaces):
    """The image ships the bytecode of what a start imports (requirements/warm-up.py): Python's compiling it again
    would delay every new container; left out of warm-up.py's run, a module shows up here."""
    workspace = workspaces.start()
    assert execute(workspace, "print(sum(range(10)))").strip() == "45"
    found = workspace.container.exec_run(["find", str(paths.VENV_DIR), "-name", "*.pyc", "-newer", "/etc/hostname"])
    assert found.exit_code == 0, found.output.decode()
    assert found.output.decode().split() == []


def test_only_port_8080_listens_beyond_loopback(workspace):
    open_every_tool(workspace)
    execute(workspace, "pass")  # a running kernel opens its own (loopback) ports too
    output = workspace.container.exec_run(["ss", "-Hltn"]).output.decode()
    listeners = {line.split()[3] for line in output.splitlines()}
    exposed = {address for address in listeners if not address.startswith(("127.", "[::1]"))}
    assert exposed in ({"0.0.0.0:8080"}, {"0.0.0.0:8080", "[::]:8080"}), output  # IPv6 where the kernel has it
    # Behind 8080, on loopback: sshd and every tool's ports; the web server and sshd's hop on unix sockets.
    assert {f"127.0.0.1:{port}" for port in settings.inside_ports()} <= listeners, output
    sockets = workspace.container.exec_run(["ss", "-Hlx"]).output.decode()
    assert {str(paths.NGINX_SOCKET), str(paths.SSH_HOP_SOCKET)} <= {line.split()[4] for line in sockets.splitlines()}


def test_supervisord_is_controlled_through_its_socket(workspace):
    open_every_tool(workspace)
    result = workspace.container.exec_run(["supervisorctl", "status"], user="jovyan")
    lines = result.output.decode().splitlines()
    assert sorted(line.split()[0] for line in lines) == sorted(
        ["jupyter", "nginx", "sshd"] + [program.name for tool in catalogue.with_programs() for program in tool.programs]
    )
    assert all(line.split()[1] == "RUNNING" for line in lines), lines


def test_user_has_passwordless_sudo_by_default(workspace):
    result = workspace.container.exec_run(["sudo", "-n", "id", "-u"], user="jovyan")
    assert result.exit_code == 0 and result.output.decode().strip() == "0"


def test_grant_sudo_no_removes_sudo(workspaces, host_workspace):
    workspace = workspaces.start({"GRANT_SUDO": "no"}, host_workspace)
    result = workspace.container.exec_run(["sudo", "-n", "true"], user="jovyan")
    assert result.exit_code != 0
    assert b"password is required" in result.output


def test_the_image_holds_no_manuals_translations_or_documentation_but_the_licences(workspace):
    """As on debian:bookworm-slim, also when the build made that base itself (build.py base)."""
    found = workspace.container.exec_run(
        "find /usr/share/doc /usr/share/man /usr/share/info /usr/share/locale -type f "
        "! -name copyright ! -path /usr/share/locale/locale.alias"
    )
    assert found.exit_code == 0, found.output.decode()
    assert found.output.decode().split() == []


def test_image_labels_name_version_revision_and_date(workspace):
    labels = workspace.container.image.labels
    assert labels["org.opencontainers.image.version"]
    assert labels["org.opencontainers.image.revision"]
    assert labels["org.opencontainers.image.created"].startswith("20")


def test_login_url_is_printed_once_the_workspace_answers(workspaces, host_workspace):
    """A person who opens the address the moment it appears finds the workspace, not a starting page."""
    workspace = workspaces.start(workspace_dir=host_workspace, wait=False)
    announced = workspace.ready_announcement(timeout=120)
    assert workspace.get("healthz", authenticated=False).text == "ok\n"
    token = workspace.token_from_log()
    assert announced[1] == f"    http://localhost:8080/?token={token}"
    assert workspace.get("api/workbench/status", token=token).status_code == 200
    assert len(workspace.login_urls()) == 1
    assert workspace.logs().index("is starting;") < workspace.logs().index("Workbench is ready")
    assert start_timeline.TITLE not in workspace.logs()


def test_at_debug_level_the_start_is_shown_step_by_step_before_the_login_url(workspaces):
    workspace = workspaces.start({"WORKSPACE_LOG_LEVEL": "debug"}, wait=False)
    workspace.ready_announcement(timeout=120)
    log = workspace.logs()
    assert log.index(start_timeline.TITLE) < log.index("Workbench is ready")
    steps = start_timeline.parse(log)
    in_order = [
        "the entrypoint started",
        "settings checked",
        "account fitted",
        "configuration rendered and checked",
        "SSH ready",
        "supervisord starting",
        "Jupyter started",
        "Jupyter listening",
        "the first answer through the door",
    ]
    assert set(steps) == {*in_order, "nginx started"}, log
    times = [steps[step] for step in in_order]
    assert 0 < times[0] and times == sorted(times), steps
    assert steps["supervisord starting"] <= steps["nginx started"] <= steps["the first answer through the door"]
