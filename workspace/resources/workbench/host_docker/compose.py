"""The workspace's `docker-compose`: Debian's Docker Compose, run on a copy of the files whose bind mounts name the
host's folders (compose_files.py), and for SageMaker's local mode with its endpoints reached from the workspace and
its containers removed once they end (sagemaker_local.py). Where there is nothing to make right (no engine of this
container's, a command that starts nothing, a file on standard input) it is Compose as it comes;
paths.REAL_DOCKER_COMPOSE is always Compose untouched."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import tempfile
from pathlib import Path

import yaml

from ..facts import paths
from . import compose_files, own_container, sagemaker_local
from .forwarding import Forwarder

# Compose v1's global options that take a value (they come before the command).
_VALUED = {
    "-f", "--file", "-p", "--project-name", "--project-directory", "-H", "--host", "-c", "--context",
    "--tlscacert", "--tlscert", "--tlskey", "--log-level", "--ansi", "--env-file",
}  # fmt: skip
# The commands that create containers, whose bind mounts the engine reads.
_CREATING = {"up", "run", "create"}
_DEFAULT_NAMES = ("docker-compose.yml", "docker-compose.yaml")
_OVERRIDE_NAMES = ("docker-compose.override.yml", "docker-compose.override.yaml")


class Invocation:
    """The command line, split as Compose reads it: global options, then the command and its own arguments."""

    def __init__(self, argv: list[str]):
        self.options: list[str] = []
        self.files: list[str] = []
        self.project_directory: str | None = None
        index = 0
        while index < len(argv) and argv[index].startswith("-"):
            option, equals, value = argv[index].partition("=")
            if option in _VALUED and not equals:
                index += 1
                value = argv[index] if index < len(argv) else ""
            if option in ("-f", "--file"):
                self.files.append(value)
            else:
                self.options += [option, value] if option in _VALUED else [argv[index]]
                if option == "--project-directory":
                    self.project_directory = value
            index += 1
        self.command = argv[index:]

    @property
    def creating(self) -> bool:
        return bool(self.command) and self.command[0] in _CREATING

    @property
    def up_in_the_foreground(self) -> bool:
        return self.command[:1] == ["up"] and not {"-d", "--detach"} & set(self.command)

    def global_options(self, files: list[str], project_directory: str) -> list[str]:
        """The same options with other files; the project's folder (and so its name) stays the one of the files
        given, wherever the rewritten ones are."""
        given = [] if self.project_directory else ["--project-directory", project_directory]
        return [*(argument for name in files for argument in ("-f", name)), *given, *self.options]


def default_files(start: Path) -> list[str]:
    """The files Compose reads without -f: COMPOSE_FILE, else docker-compose.yml in this folder or the nearest
    above it, with its override beside it."""
    if os.environ.get("COMPOSE_FILE"):
        return os.environ["COMPOSE_FILE"].split(os.environ.get("COMPOSE_PATH_SEPARATOR", os.pathsep))
    for folder in (start, *start.parents):
        for name in _DEFAULT_NAMES:
            if (folder / name).is_file():
                overrides = [str(folder / other) for other in _OVERRIDE_NAMES if (folder / other).is_file()]
                return [str(folder / name), *overrides[:1]]
    return []


def say(message: str) -> None:
    """One line on stderr, and on stdout too when that is another pipe (SageMaker's SDK shows only stdout)."""
    print(f"docker-compose: {message}", file=sys.stderr, flush=True)
    if not os.path.sameopenfile(sys.stdout.fileno(), sys.stderr.fileno()):
        print(f"docker-compose: {message}", flush=True)


def _address(container: str, network: str) -> str | None:
    inspected = own_container.inspect(container)
    if inspected is None:
        return None
    networks = (inspected.get("NetworkSettings") or {}).get("Networks") or {}
    return networks.get(network, {}).get("IPAddress") or None


class _Child:
    """Compose as a child: a Ctrl-C reaches it from the terminal (ignored here), a SIGTERM to this process (how the
    SDK stops an endpoint) is passed on; either way this process waits for it to end."""

    def __init__(self, argv: list[str]):
        self.asked_to_stop = False
        self.process = subprocess.Popen([str(paths.REAL_DOCKER_COMPOSE), *argv])
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        signal.signal(signal.SIGTERM, self._stop)

    def _stop(self, *_) -> None:
        self.asked_to_stop = True
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)

    def wait(self) -> int:
        return self.process.wait()


def _forwarder(endpoint: sagemaker_local.Endpoint) -> Forwarder:
    def target() -> tuple[str, int] | None:
        address = _address(endpoint.container, endpoint.network)
        return (address, endpoint.container_port) if address else None

    return Forwarder(endpoint.local_port, target)


def _read(files: list[str]) -> list[dict] | None:
    """The files' documents; None when one cannot be read as a mapping, for Compose to say what is wrong with it."""
    documents = []
    for name in files:
        try:
            with open(name) as file:
                document = yaml.safe_load(file) or {}
        except (OSError, yaml.YAMLError):
            return None
        if not isinstance(document, dict):
            return None
        documents.append(document)
    return documents


def main(argv: list[str]) -> int:
    invocation = Invocation(argv)
    files = invocation.files or default_files(Path.cwd())
    own = own_container.learn() if invocation.creating and files and "-" not in files else None
    documents = _read(files) if own else None
    if own is None or documents is None:
        os.execv(paths.REAL_DOCKER_COMPOSE, [str(paths.REAL_DOCKER_COMPOSE), *argv])
    project_directory = invocation.project_directory or compose_files.project_directory_of(files)
    unseen = [
        source
        for document in documents
        for source in compose_files.make_bind_mounts_the_hosts(document, project_directory, own)
    ]
    if unseen:
        say(
            f"{unseen[0]} is inside this container, where the Docker engine cannot see it: keep what a container "
            f"mounts under /workspace (or another mount); {paths.REAL_DOCKER_COMPOSE} passes paths unchanged"
        )
        return 2
    sagemakers = [document for document in documents if sagemaker_local.is_sagemakers(document)]
    endpoints = [
        endpoint for document in sagemakers for endpoint in sagemaker_local.serve_inside_the_workspace(document, own)
    ]
    forwarders: list[Forwarder] = []
    with tempfile.TemporaryDirectory(prefix="workbench-compose-") as scratch:
        rewritten = [f"{scratch}/{number}-{Path(name).name}" for number, name in enumerate(files)]
        for name, document in zip(rewritten, documents, strict=True):
            with open(name, "w") as file:
                yaml.safe_dump(document, file, default_flow_style=False, sort_keys=False)
        options = invocation.global_options(rewritten, project_directory)
        os.environ.pop("COMPOSE_FILE", None)  # the files are given with -f now
        try:
            for endpoint in endpoints:
                try:
                    forwarders.append(_forwarder(endpoint).start())
                except OSError as error:
                    say(
                        f"port {endpoint.local_port} of this workspace is taken ({os.strerror(error.errno)}), so "
                        "the endpoint cannot answer there: set local.serving_port in ~/.sagemaker/config.yaml to a "
                        f"free port (the workspace's is {paths.SAGEMAKER_LOCAL_SERVING_PORT})"
                    )
                    return 2
            child = _Child([*options, *invocation.command])
            status = child.wait()
            # Compose ends with 2 once it has stopped its containers for a SIGTERM, which the SDK, stopping an
            # endpoint that way, would report as a failure (a traceback in the notebook): stopped as asked is not.
            return 0 if sagemakers and child.asked_to_stop else status
        finally:
            for forwarder in forwarders:
                forwarder.close()
            if sagemakers and invocation.up_in_the_foreground:
                # The SDK would leave them behind, stopped. Its files live in a folder of their own: the project's
                # containers are the ones this run started.
                subprocess.run(
                    [str(paths.REAL_DOCKER_COMPOSE), *options, "down"],
                    stdout=subprocess.DEVNULL,
                    stderr=subprocess.DEVNULL,
                )
