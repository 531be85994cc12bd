"""What `docker run IMAGE [COMMAND...]` asks for: the workspace (with arguments for Jupyter), or a command run as
the user once the account is fitted. (SageMaker's `train` and `serve` never get here: workbench/jobs.py.)

The names are jupyter/docker-stacks' (and JupyterHub's), so that commands, spawners and habits written for those
images start the whole workspace here: `start-notebook.py ARGS` and friends pass ARGS to Jupyter Server, `start.sh
CMD` runs CMD as the user, and the image's CMD is `start-notebook.py`, as in docker-stacks.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from .paths import INSTALL_DIR, VENV_PYTHON

# Each starts the workspace; what follows it are Jupyter Server's arguments. docker-stacks' scripts are links to the
# entrypoint in the image; jupyterhub-singleuser is JupyterHub's own program, and reaches the entrypoint as the
# container's command.
DOCKER_STACKS_STARTERS = ("start-notebook.py", "start-notebook.sh", "start-singleuser.py", "start-singleuser.sh")
WORKSPACE_COMMANDS = DOCKER_STACKS_STARTERS + ("jupyterhub-singleuser",)
# docker-stacks' start.sh: fit the account, then run the rest of the command line as the user.
RUN_AS_USER_COMMAND = "start.sh"
# A notebook or script run once as a job, as the user (workbench/notebook_job.py).
RUN_JOB_COMMAND = "run"
# The Dockerfile's CMD: what a container started without a command was given.
IMAGE_COMMAND = ("start-notebook.py",)
# The entrypoint's own name, and the names above installed as links to it (see the Dockerfile).
ENTRYPOINT = "workbench-start"

# Jupyter options that would take the door away from nginx or replace the workspace's login. The door's port,
# path and login are the workspace's settings; the message names the one to use.
DOOR_OPTIONS = {
    "port": "WORKSPACE_PORT",
    "port-retries": "WORKSPACE_PORT",
    "ip": "WORKSPACE_PORT",
    "sock": "WORKSPACE_PORT",
    "sock-mode": "WORKSPACE_PORT",
    "base-url": "WORKSPACE_BASE_URL",
    "base_url": "WORKSPACE_BASE_URL",
    "token": "AUTHENTICATE_VIA_JUPYTER",
    "password": "AUTHENTICATE_VIA_JUPYTER",
    "hashed_password": "AUTHENTICATE_VIA_JUPYTER",
    "certfile": "WORKSPACE_SSL_CERT",
    "keyfile": "WORKSPACE_SSL_KEY",
}
DOOR_OPTION_PATTERN = re.compile(
    r"--(?:(?:ServerApp|NotebookApp|SingleUserNotebookApp|IdentityProvider|"
    r"PasswordIdentityProvider)\.)?(?P<name>[A-Za-z_-]+)(?:=.*)?"
)


class ArgumentError(Exception):
    """An argument the workspace cannot honour; the message names what to use instead."""


@dataclass(frozen=True)
class StartCommand:
    program: tuple[str, ...] = ()  # run this as the user instead of the workspace
    jupyter_args: tuple[str, ...] = ()  # for the workspace: more arguments for Jupyter Server

    @property
    def starts_workspace(self) -> bool:
        return not self.program


def check_jupyter_args(args: tuple[str, ...], source: str) -> tuple[str, ...]:
    for arg in args:
        match = DOOR_OPTION_PATTERN.fullmatch(arg)
        if match and match.group("name") in DOOR_OPTIONS:
            raise ArgumentError(
                f"{source}: {arg!r} cannot be used: nginx owns Jupyter's port, path and login here; "
                f"set {DOOR_OPTIONS[match.group('name')]} instead"
            )
    return args


def parse(argv: list[str], notebook_args: tuple[str, ...] = ()) -> StartCommand:
    """argv is what follows the entrypoint; notebook_args come from NOTEBOOK_ARGS and go before argv's own."""
    name = argv[0].rsplit("/", 1)[-1] if argv else ENTRYPOINT
    if name == RUN_JOB_COMMAND:
        return StartCommand(program=(str(VENV_PYTHON), "-m", "workbench.notebook_job", *argv[1:]))
    if name == RUN_AS_USER_COMMAND and len(argv) > 1:
        return StartCommand(program=tuple(argv[1:]))
    if name not in (ENTRYPOINT, RUN_AS_USER_COMMAND) + WORKSPACE_COMMANDS:
        return StartCommand(program=tuple(argv))
    own_args = check_jupyter_args(tuple(argv[1:]), name)
    return StartCommand(jupyter_args=check_jupyter_args(notebook_args, "NOTEBOOK_ARGS") + own_args)


def install_links(folder: str) -> None:
    """At build time: docker-stacks' script names as links to the entrypoint."""
    for name in DOCKER_STACKS_STARTERS + (RUN_AS_USER_COMMAND,):
        (Path(folder) / name).symlink_to(INSTALL_DIR / "bin" / ENTRYPOINT)
