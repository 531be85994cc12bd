"""What `docker run IMAGE [COMMAND...]` asks for: the workspace (with arguments for Jupyter), or a command run as
the user once the account is fitted. (SageMaker's `train` and `serve` never get here: workbench/jobs/dispatch.py.)

The names are jupyter/docker-stacks' (and JupyterHub's), so that commands, spawners and habits written for those
images start the whole workspace here: `start-notebook.py ARGS` and friends pass ARGS to Jupyter Server, `start.sh
CMD` runs CMD as the user, and the image's CMD is `start-notebook.py`, as in docker-stacks.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from ..facts.paths import INSTALL_DIR, VENV_PYTHON
from .settings import ConfigError, in_hub, parse_notebook_args

# Each starts the workspace; what follows it are Jupyter Server's arguments. docker-stacks' scripts are links to the
# entrypoint in the image; jupyterhub-singleuser is JupyterHub's own program, and reaches the entrypoint as the
# container's command.
DOCKER_STACKS_STARTERS = ("start-notebook.py", "start-notebook.sh", "start-singleuser.py", "start-singleuser.sh")
WORKSPACE_COMMANDS = DOCKER_STACKS_STARTERS + ("jupyterhub-singleuser",)
# docker-stacks' start.sh: fit the account, then run the rest of the command line as the user.
RUN_AS_USER_COMMAND = "start.sh"
# A notebook or script run once as a job, as the user (workbench/jobs/notebook_job.py).
RUN_JOB_COMMAND = "run"
# The Dockerfile's CMD: what a container started without a command was given.
IMAGE_COMMAND = ("start-notebook.py",)
# The entrypoint's own name, and the names above installed as links to it (see the Dockerfile).
ENTRYPOINT = "workbench-start"

# Jupyter options that would take the door away from nginx. The door's port, path and login are the workspace's
# settings; the message names the one to use.
DOOR_OPTIONS = {
    "port": "WORKSPACE_PORT",
    "port-retries": "WORKSPACE_PORT",
    "ip": "WORKSPACE_PORT",
    "sock": "WORKSPACE_PORT",
    "sock-mode": "WORKSPACE_PORT",
    "password": "AUTHENTICATE_VIA_JUPYTER",
    "hashed_password": "AUTHENTICATE_VIA_JUPYTER",
    "certfile": "WORKSPACE_SSL_CERT",
    "keyfile": "WORKSPACE_SSL_KEY",
}
# Jupyter options with an exact meaning here, docker-stacks' most copied ones among them
# (`start-notebook.py --IdentityProvider.token=''`): they set the workspace's own setting instead of Jupyter's.
TOKEN_OPTION = "token"
SETTING_OPTIONS = {
    TOKEN_OPTION: "AUTHENTICATE_VIA_JUPYTER",
    "base_url": "WORKSPACE_BASE_URL",
    "base-url": "WORKSPACE_BASE_URL",
}
# docker-stacks' `--NotebookApp.password=''` goes with token='': no password, which is how the door is anyway.
EMPTY_IS_NO_CHANGE = ("password",)
DOOR_OPTION_PATTERN = re.compile(
    r"--(?:(?:ServerApp|NotebookApp|SingleUserNotebookApp|IdentityProvider|"
    r"PasswordIdentityProvider)\.)?(?P<name>[A-Za-z_-]+)(?P<value>=.*)?"
)


class ArgumentError(Exception):
    """An argument the workspace cannot honour; the message names what to use instead."""


@dataclass(frozen=True)
class SettingFromArgument:
    """A Jupyter option that sets one of the workspace's variables."""

    variable: str
    value: str
    argument: str  # as given, for messages
    source: str  # the command or NOTEBOOK_ARGS


@dataclass(frozen=True)
class StartCommand:
    program: tuple[str, ...] = ()  # run this as the user instead of the workspace
    jupyter_args: tuple[str, ...] = ()  # for the workspace: more arguments for Jupyter Server
    settings: tuple[SettingFromArgument, ...] = ()  # the workspace settings its arguments give, later ones last

    @property
    def starts_workspace(self) -> bool:
        return not self.program


def sort_jupyter_args(args: tuple[str, ...], source: str) -> tuple[tuple[str, ...], list[SettingFromArgument]]:
    """Jupyter's own arguments, and the settings that the door's options among them give. `--X.option value` is
    read as traitlets reads it, like `--X.option=value`."""
    passed: list[str] = []
    settings: list[SettingFromArgument] = []
    remaining = list(args)
    while remaining:
        arg = remaining.pop(0)
        match = DOOR_OPTION_PATTERN.fullmatch(arg)
        name = match.group("name") if match else None
        if name not in SETTING_OPTIONS and name not in DOOR_OPTIONS:
            passed.append(arg)
            continue
        if match.group("value") is not None:
            value = match.group("value")[1:]
        elif remaining and not remaining[0].startswith("--"):
            value = remaining.pop(0)
            arg = f"{arg} {value}"
        else:
            value = None
        if name in EMPTY_IS_NO_CHANGE and value == "":
            continue
        if name in DOOR_OPTIONS or value is None:
            raise ArgumentError(
                f"{source}: {arg!r} cannot be used: nginx owns Jupyter's port, path and login here; "
                f"set {DOOR_OPTIONS.get(name) or SETTING_OPTIONS[name]} instead"
            )
        if name == TOKEN_OPTION and value == "":
            value = "false"  # Jupyter's empty token: no authentication
        settings.append(SettingFromArgument(SETTING_OPTIONS[name], value, arg, source))
    return tuple(passed), settings


def parse(argv: list[str], notebook_args: tuple[str, ...] = ()) -> StartCommand:
    """argv is what follows the entrypoint; notebook_args come from NOTEBOOK_ARGS and go before argv's own."""
    name = argv[0].rsplit("/", 1)[-1] if argv else ENTRYPOINT
    if name == RUN_JOB_COMMAND:
        return StartCommand(program=(str(VENV_PYTHON), "-m", "workbench.jobs.notebook_job", *argv[1:]))
    if name == RUN_AS_USER_COMMAND and len(argv) > 1:
        return StartCommand(program=tuple(argv[1:]))
    if name not in (ENTRYPOINT, RUN_AS_USER_COMMAND) + WORKSPACE_COMMANDS:
        return StartCommand(program=tuple(argv))
    from_variable, first = sort_jupyter_args(notebook_args, "NOTEBOOK_ARGS")
    own_args, then = sort_jupyter_args(tuple(argv[1:]), name)
    return StartCommand(jupyter_args=from_variable + own_args, settings=tuple(first + then))


def read(argv: list[str], environ: Mapping[str, str]) -> tuple[StartCommand, dict[str, str]]:
    """The command, and the environment the workspace's settings are read from (workbench.contracts.settings.load)."""
    command = parse(argv, parse_notebook_args(environ.get("NOTEBOOK_ARGS", "")))
    return command, environment_with_settings(environ, command)


def blame(error: ConfigError, command: StartCommand | None) -> str:
    """A bad value that an argument gave is told as that argument, which is what the user typed."""
    for setting in reversed(command.settings if command else ()):
        if (setting.variable, setting.value) == (error.variable, error.value):
            return f"{setting.source}: {setting.argument!r} is not valid: {error.allowed}"
    return str(error)


def environment_with_settings(environ: Mapping[str, str], command: StartCommand) -> dict[str, str]:
    """The environment the settings are read from: the variables the command's arguments set, which may not
    contradict the same variable set directly, nor be given when a hub owns them."""
    merged = dict(environ)
    for setting in command.settings:
        if in_hub(environ):
            raise ArgumentError(
                f"{setting.source}: {setting.argument!r} cannot be used when JupyterHub starts the workspace "
                "(the hub sets the login and the URL prefix); remove it"
            )
        given = environ.get(setting.variable)
        if given is not None and given != setting.value:
            raise ArgumentError(
                f"{setting.source}: {setting.argument!r} contradicts {setting.variable}={given!r}; set only one of them"
            )
        merged[setting.variable] = setting.value
    return merged


def install_links(folder: str) -> None:
    """At build time: docker-stacks' script names as links to the entrypoint."""
    for name in DOCKER_STACKS_STARTERS + (RUN_AS_USER_COMMAND,):
        (Path(folder) / name).symlink_to(INSTALL_DIR / "bin" / ENTRYPOINT)
