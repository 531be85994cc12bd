"""Turns validated Settings into the nginx and Jupyter configuration files."""

from __future__ import annotations

import functools
import json
import os
import re
import shlex
import socket
import subprocess
from pathlib import Path

import jinja2

from . import catalogue, guesses, lab_launcher, paths, ssh_keys, states, tools, trust, usage
from .programs import CORE_PROGRAMS, Program
from .settings import Settings


def _environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(paths.TEMPLATES_DIR)),
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
    )
    env.filters["pyrepr"] = repr
    env.filters["regex"] = re.escape
    env.filters["sh"] = lambda value: shlex.quote(str(value))
    return env


# What an SSH session inherits from the workspace's environment, as the Jupyter terminal does.
SESSION_VARIABLES = ("PATH", "LANG", "LC_ALL", "DISPLAY", "LD_LIBRARY_PATH", "PYTHONUSERBASE", "JUPYTER_PATH")
SESSION_VARIABLES += trust.BUNDLE_VARIABLES + (tools.BASE_URL_VARIABLE,) + paths.NSS_WRAPPER_VARIABLES
SESSION_PREFIXES = ("CUDA", "NVIDIA_")


def session_environment(environ: dict[str, str]) -> list[tuple[str, str]]:
    return [
        (name, value)
        for name, value in sorted(environ.items())
        if (name in SESSION_VARIABLES or name.startswith(SESSION_PREFIXES))
        and value.isprintable()
        and '"' not in value
        and "\\" not in value
    ]


@functools.cache
def ipv6_available() -> bool:
    """Whether the kernel gives this container IPv6 sockets (Docker hosts may boot with ipv6.disable=1); asked once,
    as every template rendered at start gets the same context."""
    try:
        with socket.socket(socket.AF_INET6, socket.SOCK_STREAM) as probe:
            probe.bind(("::", 0))
    except OSError:
        return False
    return True


# How long nginx keeps a "yes" from the auth check: long enough for a page and its files, short enough that a
# logout or a revoked token takes effect at once for a person.
AUTH_CACHE_SECONDS = 10


# Where the language servers' copies of open notebooks go, relative to Jupyter's root (jupyter-lsp's default is a
# .virtual_documents folder of its own in /workspace): with the workspace's other state, not among the user's files.
LSP_DOCUMENTS_DIR = str((paths.STATE_DIR / "lsp-documents").relative_to(paths.WORKSPACE_DIR))


def in_run_dir(path: Path, run_dir: Path) -> Path:
    """Where a path of paths.RUN_DIR is in the run directory given (the tests render into their own)."""
    return run_dir / path.relative_to(paths.RUN_DIR)


def context(settings: Settings, run_dir: Path = paths.RUN_DIR) -> dict:
    return {
        "port": settings.port,
        "ipv6": ipv6_available(),
        "nginx_socket": str(in_run_dir(paths.NGINX_SOCKET, run_dir)),
        "sshd_port": paths.SSHD_PORT,
        "ssh_hop_socket": str(in_run_dir(paths.SSH_HOP_SOCKET, run_dir)),
        "tls": settings.tls,
        "nginx_tls_socket": str(in_run_dir(paths.NGINX_TLS_SOCKET, run_dir)),
        "tls_cert": str(run_dir / paths.SERVED_TLS_CERT.name),
        "tls_key": str(run_dir / paths.SERVED_TLS_KEY.name),
        "allowed_hosts": settings.answered_hosts((socket.gethostname().lower(),)),
        "guess_leak_seconds": round(guesses.Guesses.LEAK_SECONDS),
        "host_keys": [str(ssh_keys.host_key_path(kind)) for kind in ssh_keys.HOST_KEY_TYPES],
        "authorized_keys": str(paths.AUTHORIZED_KEYS),
        "start_authorized_keys": str(run_dir / paths.START_AUTHORIZED_KEYS.name),
        "session_environment": session_environment(dict(os.environ)),
        "base_url": settings.base_url,
        "token": settings.token,
        "hub": settings.hub is not None,
        "hub_prefix": settings.hub.prefix if settings.hub else None,
        "tools_idle_timeout": settings.tools_idle_timeout,
        "run_dir": str(run_dir),
        "supervisor_socket": str(run_dir / paths.SUPERVISOR_SOCKET.name),
        "activity_dir": str(run_dir / paths.ACTIVITY_DIR.name),
        "jupyter_socket": str(run_dir / paths.JUPYTER_SOCKET.name),
        "landing_dir": str(paths.LANDING_DIR),
        "declared_icons_url": tools.DECLARED_ICONS_URL,
        "declared_icon_file": tools.ICON_FILE_PATTERN,
        "tool_declarations_dir": str(paths.TOOL_DECLARATIONS_DIR),
        "install_dir": str(paths.INSTALL_DIR),
        "workspace_dir": str(paths.WORKSPACE_DIR),
        "tools": catalogue.with_programs(),
        "door_files_header": paths.DOOR_FILES_HEADER,
        "door_files_prefix": paths.DOOR_FILES_PREFIX,
        "door_files_csp_header": paths.DOOR_FILES_CSP_HEADER,
        "port_route": f"tools/{tools.PORT_ROUTE}",
        "kept_prefix_port_route": f"tools/{tools.KEPT_PREFIX_PORT_ROUTE}",
        "auth_cache_seconds": AUTH_CACHE_SECONDS,
        # What Lab's status bar measures memory and CPU against: the container's limits (--memory, --cpus).
        "memory_limit": (usage.memory() or {}).get("limit", 0),
        "cpu_limit_percent": usage.cpu_cores() * 100,
        "lsp_documents_dir": LSP_DOCUMENTS_DIR,
    }


def command_values(tool: tools.Tool | None, settings: Settings, run_dir: Path = paths.RUN_DIR) -> dict[str, str]:
    """What a program's command may refer to (see programs.Program); tool None: a core program's."""
    values = {
        "venv": paths.VENV_DIR,
        "install_dir": paths.INSTALL_DIR,
        "workspace": paths.WORKSPACE_DIR,
        "run_dir": run_dir,
        "display": tools.DISPLAY,
    }
    if tool is None:
        values["door_sockets"] = in_run_dir(paths.DOOR_SOCKETS_DIR, run_dir)
    else:
        values |= {
            "port": tool.port,
            "path_prefix": (settings.base_url + tool.path).rstrip("/"),
            **dict(tool.values),
            **{setting.placeholder: settings.tool_settings[setting.variable] for setting in tool.settings},
        }
    return {key: str(value) for key, value in values.items()}


def program_command(program: Program, values: dict[str, str]) -> str:
    """The program's command line for supervisord, every value quoted."""
    command = program.command.format(**{key: shlex.quote(value) for key, value in values.items()})
    return command.replace("%", "%%")  # supervisord expands %(...)s in its values


def lab_overrides(settings: Settings) -> str:
    """JupyterLab's settings overrides: the image's defaults and the "Workbench" menu, whose URLs carry the base
    path."""
    overrides = json.loads(paths.LAB_OVERRIDES_DEFAULTS.read_text())
    overrides["@jupyterlab/mainmenu-extension:plugin"] = {"menus": [lab_launcher.lab_menu(settings.base_url)]}
    return json.dumps(overrides, indent=2) + "\n"


def render(template: str, settings: Settings, run_dir: Path = paths.RUN_DIR) -> str:
    return _environment().get_template(template).render(context(settings, run_dir))


def ssh_setup_script(
    *,
    alias: str,
    url: str,
    token: str,
    host: str,
    port: int,
    user: str,
    host_keys: list[str],
    transport: str = "direct",
    tls_pin: str = "",
) -> str:
    """The client's setup script; with transport "websocket" ssh reaches sshd through url + tools/ssh. tls_pin: the
    self-signed certificate the workspace serves, which the script keeps and checks its own requests against."""
    tunnel_url = re.sub(r"^http", "ws", url) + f"tools/{tools.SSH_ROUTE}"
    return (
        _environment()
        .get_template("ssh-setup.sh.j2")
        .render(
            alias=alias,
            url=url,
            token=token,
            host=host,
            port=port,
            user=user,
            host_keys=host_keys,
            remote_python=paths.VENV_PYTHON,
            transport=transport,
            tunnel_url=tunnel_url,
            proxy_helper=paths.SSH_PROXY_HELPER.read_text() if transport == "websocket" else "",
            tls_pin=tls_pin,
        )
    )


def serve_nginx_config(*, port: int, timeout: int, max_payload_mb: int, execution_parameters: str) -> str:
    """nginx for `serve` (workbench/serving.py): SageMaker's port, in front of the model server's socket."""
    return (
        _environment()
        .get_template("serve-nginx.conf.j2")
        .render(
            port=port,
            timeout=timeout,
            max_payload_mb=max_payload_mb,
            execution_parameters=execution_parameters,
            ipv6=ipv6_available(),
            run_dir=str(paths.RUN_DIR),
            model_server_socket=str(paths.MODEL_SERVER_SOCKET),
        )
    )


def tool_starting_page(tool: tools.Tool, base_url: str, timeout: float, xsrf_token: str) -> str:
    return (
        _environment()
        .get_template("tool-starting.html.j2")
        .render(
            name=tool.name,
            title=tool.title,
            base_url=base_url,
            timeout=timeout,
            xsrf_token=xsrf_token,
            given_up=states.GIVEN_UP,
        )
    )


class RenderError(Exception):
    """The rendered configuration is broken: a bug in the image, not in the user's settings."""


def check_config(command: list[str], program: str) -> None:
    """The program's own check of its rendered configuration."""
    result = subprocess.run(command, capture_output=True, text=True)
    if result.returncode != 0:
        raise RenderError(
            f"the rendered {program} configuration is invalid (please report this): "
            f"{' '.join((result.stderr or result.stdout).split())}"
        )


def write_private(path: Path, text: str) -> None:
    """A file only its owner may read, from its first byte on."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as out:
        out.write(text)


def write_configs(settings: Settings, run_dir: Path = paths.RUN_DIR) -> dict[str, Path]:
    """Write every rendered file into run_dir, readable by its owner only (one of them holds the token)."""
    written = {}
    environment = _environment()
    values = context(settings, run_dir)
    tool_files = [name for tool in catalogue.all_tools() for name in tool.config_files]
    for name in ["nginx.conf", "jupyter_server_config.py", "sshd_config", "supervisord.conf", *tool_files]:
        target = run_dir / name
        write_private(target, environment.get_template(f"{name}.j2").render(values))
        written[name] = target
    target = run_dir / paths.LAB_OVERRIDES.name
    write_private(target, lab_overrides(settings))
    written[target.name] = target
    programs = run_dir / "supervisor"
    programs.mkdir(exist_ok=True)
    declared = [(None, program) for program in CORE_PROGRAMS]
    declared += [(tool, program) for tool in catalogue.with_programs() for program in tool.programs]
    for tool, program in declared:
        target = programs / f"{program.name}.conf"
        target.write_text(
            environment.get_template("supervisor-program.conf.j2").render(
                tool=tool,
                program=program,
                command=program_command(program, command_values(tool, settings, run_dir)),
                autostart=tool is None or settings.tools_at_start,
                workspace_dir=paths.WORKSPACE_DIR,
            )
        )
        written[f"{programs.name}/{target.name}"] = target
        if program.state_dir:
            (run_dir / program.name).mkdir(exist_ok=True)
    make_nginx_temp_dirs(run_dir)
    return written


def make_nginx_temp_dirs(run_dir: Path) -> None:
    """The folders nginx.conf.j2 names: for request bodies and proxied responses that do not fit in memory, for the
    tools' activity files and for the door's sockets."""
    for temp in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi"):
        (run_dir / "nginx" / temp).mkdir(parents=True, exist_ok=True)
    (run_dir / paths.ACTIVITY_DIR.name).mkdir(exist_ok=True)
    in_run_dir(paths.DOOR_SOCKETS_DIR, run_dir).mkdir(exist_ok=True)
