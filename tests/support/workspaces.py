"""Start workspace containers the way a user does, on free host ports, and remove them again."""

from __future__ import annotations

import os
from contextlib import contextmanager
from pathlib import Path

import docker

from workbench_client import Workspace

TEST_LABEL = "workbench-test"
# Its value: this test session's process. A session removes the containers it started and those of sessions that no
# longer run, never those of another session running on the same machine.
TEST_SESSION = f"session-{os.getpid()}"
TEST_LABELS = {TEST_LABEL: TEST_SESSION}


def left_behind(label_value: str) -> bool:
    """Whether a container labelled so is this session's or one of a session that is gone."""
    session, _, pid = label_value.partition("-")
    running = session == "session" and pid.isdigit() and Path(f"/proc/{pid}").is_dir()
    return label_value == TEST_SESSION or not running


def exit_status_and_log(container, timeout: float = 60) -> tuple[int, str]:
    """For a container that does its work and stops: its exit status and everything it logged."""
    status = container.wait(timeout=timeout)["StatusCode"]
    return status, container.logs().decode()


def user_folder(parent: Path) -> Path:
    """A host folder for /workspace, owned like a typical user's folder (uid 1000, gid 100)."""
    folder = parent / "workspace"
    folder.mkdir(parents=True)
    os.chown(folder, 1000, 100)
    return folder


class WorkspaceFactory:
    """Starts containers and removes every one it started: `with WorkspaceFactory(client, image) as factory:`, or
    remove_all() in a fixture's teardown."""

    def __init__(self, client, image):
        self.client, self.image, self.started = client, image, []

    def __enter__(self) -> WorkspaceFactory:
        return self

    def __exit__(self, *_) -> None:
        self.remove_all()

    def create(
        self,
        env: dict | None = None,
        workspace_dir: Path | None = None,
        container_port: int = 8080,
        volumes_extra: dict | None = None,
        image: str | None = None,
        **run_options,
    ):
        """volumes_extra: more mounts, as the Docker SDK's volumes= takes them; image: another than the one under test
        (a derived one)."""
        volumes = {str(workspace_dir): {"bind": "/workspace", "mode": "rw"}} if workspace_dir else {}
        volumes.update(volumes_extra or {})
        container = self.client.containers.run(
            image or self.image,
            detach=True,
            environment=env or {},
            volumes=volumes or None,
            labels=TEST_LABELS,
            ports={f"{container_port}/tcp": ("127.0.0.1", None)},
            **run_options,
        )
        self.started.append(container)
        return container

    def start(
        self,
        env: dict | None = None,
        workspace_dir: Path | None = None,
        container_port: int = 8080,
        base_url: str = "/",
        wait: bool = True,
        **run_options,
    ) -> Workspace:
        container = self.create(env, workspace_dir, container_port, **run_options)
        workspace = Workspace(container, container_port, base_url)
        if wait:
            workspace.wait_ready()
            if (env or {}).get("AUTHENTICATE_VIA_JUPYTER", "").lower() != "false":
                token = (env or {}).get("AUTHENTICATE_VIA_JUPYTER")
                workspace.token = token if token and token != "true" else workspace.token_from_log()
        return workspace

    def remove_all(self):
        for container in self.started:
            remove_container(container)


def remove_container(container) -> None:
    """Removed, whether it still runs, is already gone, or is being removed."""
    try:
        container.remove(force=True)
    except docker.errors.NotFound:
        pass
    except docker.errors.APIError as error:
        if error.status_code != 409:  # 409: already being removed
            raise


@contextmanager
def removing_what_others_start(client, images: tuple[str, ...], networks: tuple[str, ...] = ()):
    """For containers that a tool other than the tests starts (docker run typed as the README writes it, SageMaker's
    SDK through Docker Compose), which carry no label of ours: the containers of these images, and these networks,
    that appear inside the block are removed when it ends, pass or fail; what was there before is left alone."""

    def containers() -> set[str]:
        return {
            container.id
            for image in images
            for container in client.containers.list(all=True, filters={"ancestor": image})
        }

    def network_ids() -> set[str]:
        return {network.id for name in networks for network in client.networks.list(names=[name])}

    containers_before, networks_before = containers(), network_ids()
    try:
        yield
    finally:
        for left in containers() - containers_before:
            try:
                remove_container(client.containers.get(left))
            except docker.errors.NotFound:
                pass
        for left in network_ids() - networks_before:
            client.networks.get(left).remove()
