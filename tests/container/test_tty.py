"""`docker run -it` and `docker run -t`, the most common ways people try an image: the workspace runs the same with a
terminal as without one, and Ctrl-C in that terminal stops it cleanly."""

from __future__ import annotations

import os
import pty
import subprocess
import threading
import uuid

import docker
import pytest

from kernels import execute
from workbench_client import Workspace, open_every_tool, wait_until
from workspaces import TEST_LABEL, TEST_SESSION

pytestmark = pytest.mark.container


class Terminal:
    """`docker run` attached to a pseudo-terminal this test holds, as a person's shell holds it; what the container
    prints is read all the time (a full terminal buffer would stall the container)."""

    def __init__(self, args: list[str]):
        self.master, slave = pty.openpty()
        self.process = subprocess.Popen(
            ["docker", "run", *args], stdin=slave, stdout=slave, stderr=slave, start_new_session=True
        )
        os.close(slave)
        self.output = bytearray()
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    def _read(self) -> None:
        while True:
            try:
                data = os.read(self.master, 65536)
            except OSError:  # the other side closed
                return
            if not data:
                return
            self.output += data

    def type(self, data: bytes) -> None:
        os.write(self.master, data)

    def close(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
        self.process.wait(timeout=30)
        os.close(self.master)


def published_workspace(docker_client, name: str, timeout: float = 60) -> Workspace:

    def published() -> Workspace | None:
        try:
            return Workspace(docker_client.containers.get(name))
        except (docker.errors.NotFound, KeyError, IndexError, TypeError):  # not created, or its port not published
            return None

    return wait_until(published, timeout, 0.3, failure=lambda: f"container {name} never came up")


def check_every_tool_works(workspace: Workspace) -> None:
    workspace.wait_ready()
    workspace.token = workspace.token_from_log()
    status = open_every_tool(workspace)
    assert all(tool["state"] == "RUNNING" for tool in status["tools"]), status
    assert execute(workspace, "print(6 * 7)") == "42\n"


def test_docker_run_it_works_and_ctrl_c_stops_it(docker_client, image):
    name = f"wbtest-tty-{uuid.uuid4().hex[:8]}"
    label = f"{TEST_LABEL}={TEST_SESSION}"
    terminal = Terminal(["-it", "--rm", "--name", name, "--label", label, "-p", "127.0.0.1::8080", image])
    try:
        workspace = published_workspace(docker_client, name)
        check_every_tool_works(workspace)
        terminal.type(b"\x03")  # Ctrl-C
        assert terminal.process.wait(timeout=60) == 0, terminal.output.decode(errors="replace")[-3000:]
        log = terminal.output.decode(errors="replace")
        assert "spawnerr" not in log and "EACCES" not in log, log[-3000:]
        assert not docker_client.containers.list(all=True, filters={"name": name})  # --rm: it stopped, and is gone
    finally:
        terminal.close()
        for container in docker_client.containers.list(all=True, filters={"name": name}):
            container.remove(force=True)


def test_docker_run_t_works_and_stops_cleanly(workspaces, host_workspace):
    workspace = workspaces.start(workspace_dir=host_workspace, tty=True, wait=False)
    check_every_tool_works(workspace)
    workspace.container.stop(timeout=30)
    workspace.container.reload()
    assert workspace.container.attrs["State"]["ExitCode"] == 0, workspace.logs()[-3000:]
    assert "spawnerr" not in workspace.logs()
