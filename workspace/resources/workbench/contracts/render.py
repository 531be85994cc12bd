"""At every start: the checked Settings into the configuration of nginx, Jupyter, sshd, supervisord and its programs,
written into the run directory."""

from __future__ import annotations

import json
import os
import secrets
import shlex
import socket
from pathlib import Path

from ..facts import catalogue, collaboration, guesses, lab_launcher, paths, ssh_keys, threads, tools, usage
from ..facts.programs import CORE_PROGRAMS, Program
from . import trust
from .rendering import environment, ipv6_available, write_private
from .settings import Settings

# What an SSH session inherits from the workspace's environment, as the Jupyter terminal does.
SESSION_VARIABLES = ("PATH", "LANG", "LC_ALL", "DISPLAY", "LD_LIBRARY_PATH", "PYTHONUSERBASE", "JUPYTER_PATH")
SESSION_VARIABLES += trust.BUNDLE_VARIABLES + (tools.BASE_URL_VARIABLE,) + paths.NSS_WRAPPER_VARIABLES
SESSION_VARIABLES += threads.THREAD_VARIABLES
SESSION_PREFIXES = ("CUDA", "NVIDIA_")


def session_environment(environ: dict[str, str]) -> list[tuple[str, str]]:
    from_tools = {name for tool in catalogue.all_tools() for name, _ in tool.environment}
    return [
        (name, value)
        for name, value in sorted(environ.items())
        if (name in SESSION_VARIABLES or name in from_tools or name.startswith(SESSION_PREFIXES))
        and value.isprintable()
        and '"' not in value
        and "\\" not in value
    ]


# How long nginx keeps a "yes" from the auth check: long enough for a page and its files, short enough that a
# logout or a revoked token takes effect at once for a person.
AUTH_CACHE_SECONDS = 10
# How long a kept answer nobody asked for again stays in nginx's cache (its `inactive`): past its few seconds it is
# asked afresh anyway.
AUTH_CACHE_INACTIVE_SECONDS = 2 * AUTH_CACHE_SECONDS


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
        "nginx_pid_file": str(in_run_dir(paths.NGINX_PID_FILE, run_dir)),
        "sshd_port": paths.SSHD_PORT,
        "ssh_hop_socket": str(in_run_dir(paths.SSH_HOP_SOCKET, run_dir)),
        "tls": settings.tls,
        "nginx_tls_socket": str(in_run_dir(paths.NGINX_TLS_SOCKET, run_dir)),
        "tls_cert": str(run_dir / paths.SERVED_TLS_CERT.name),
        "tls_key": str(run_dir / paths.SERVED_TLS_KEY.name),
        "allowed_hosts": settings.answered_hosts((socket.gethostname().lower(),)),
        "guess_leak_seconds": round(guesses.Guesses.LEAK_SECONDS),
        "host_keys": [str(ssh_keys.host_key_path(kind)) for kind in ssh_keys.served_host_key_types()],
        "authorized_keys": str(paths.AUTHORIZED_KEYS),
        "start_authorized_keys": str(run_dir / paths.START_AUTHORIZED_KEYS.name),
        "session_environment": session_environment(dict(os.environ)),
        "base_url": settings.base_url,
        "token": settings.token,
        "hub": settings.hub is not None,
        "hub_prefix": settings.hub.prefix if settings.hub else None,
        "tools_idle_timeout": settings.tools_idle_timeout,
        # Made afresh at every start; written only into the run directory's private files (nginx's, Jupyter's).
        "loopback_door_port": paths.LOOPBACK_DOOR_PORT,
        "loopback_door_header": paths.LOOPBACK_DOOR_HEADER,
        "loopback_door_secret": secrets.token_urlsafe(32),
        "kernel_idle_timeout": settings.kernel_idle_timeout,
        "language_server_idle_timeout": settings.language_server_idle_timeout,
        "collaboration": settings.collaboration,
        "collaboration_dir": str(paths.COLLABORATION_DIR),
        "collaboration_server_extensions_off": dict.fromkeys(collaboration.SERVER_EXTENSIONS, False),
        "scheduler_dir": str(paths.SCHEDULER_DIR),
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
        "auth_cache_inactive_seconds": AUTH_CACHE_INACTIVE_SECONDS,
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


def page_config(settings: Settings) -> str:
    """JupyterLab's and Notebook's page configuration of this start: the front-end extensions a setting turned off."""
    disabled = {} if settings.collaboration else dict.fromkeys(collaboration.LAB_EXTENSIONS, True)
    return json.dumps({"disabledExtensions": disabled}, indent=2) + "\n"


def render(template: str, settings: Settings, run_dir: Path = paths.RUN_DIR) -> str:
    return environment().get_template(template).render(context(settings, run_dir))


def write_configs(settings: Settings, run_dir: Path = paths.RUN_DIR) -> dict[str, Path]:
    """Write every rendered file into run_dir, readable by its owner only (one of them holds the token)."""
    written = {}
    templates = environment()
    values = context(settings, run_dir)
    tool_files = [name for tool in catalogue.all_tools() for name in tool.config_files]
    for name in ["nginx.conf", "jupyter_server_config.py", "sshd_config", "supervisord.conf", *tool_files]:
        target = run_dir / name
        write_private(target, templates.get_template(f"{name}.j2").render(values))
        written[name] = target
    target = run_dir / paths.LAB_OVERRIDES.name
    write_private(target, lab_overrides(settings))
    written[target.name] = target
    target = run_dir / paths.JUPYTER_START_CONFIG_DIR.name / "labconfig" / "page_config.json"
    target.parent.mkdir(parents=True, exist_ok=True)
    write_private(target, page_config(settings))
    written["page_config.json"] = target
    programs = run_dir / "supervisor"
    programs.mkdir(exist_ok=True)
    declared = [(None, program) for program in CORE_PROGRAMS]
    declared += [(tool, program) for tool in catalogue.with_programs() for program in tool.programs]
    for tool, program in declared:
        target = programs / f"{program.name}.conf"
        target.write_text(
            templates.get_template("supervisor-program.conf.j2").render(
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
