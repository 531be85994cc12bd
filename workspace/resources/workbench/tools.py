"""The tools a user opens from the landing page, each declared once here: adding a tool is adding a declaration
(and its icon file in landing/icons/). An image built on this one adds tools without changing it: a JSON file each
in paths.TOOL_DECLARATIONS_DIR (`load_declared`), read when the container starts.

From a declaration follow: the landing tile (title, description, icon, live state), and for a tool that runs its own
programs the supervisord programs (rendered into the run directory, started when the tool is first opened), the nginx
location that proxies its URL path behind the door's auth check, the route that wakes it, the health probe that tells
"running" from "starting", what counts as its use (its ports, an optional hook) before it is stopped when idle, the
environment variables it reads (validated with the rest at start), the home folders kept for it and the settings
files it gets defaults for. The tests' and benchmarks' lists of tools, ports and programs are read from here too.
"""

from __future__ import annotations

import json
import re
import string
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from . import desktop_session, paths
from .programs import COMMON_PLACEHOLDERS, CORE_PROGRAMS, TOOL_PLACEHOLDERS, Program
from .states import SEVERITY, State
from .validation import parse_directory, parse_screen_size

# A tool's name is part of URLs, nginx location names, supervisord program names and file names.
NAME_PATTERN = r"[a-z][a-z0-9-]{0,30}"
# The paths under tools/ that are routes of the door rather than tools: any web app on a port, with its prefix
# stripped (port) or kept (absport), and SSH over a websocket (ssh). No tool may be named like one of them.
PORT_ROUTE, KEPT_PREFIX_PORT_ROUTE, SSH_ROUTE = "port", "absport", "ssh"
ROUTES_UNDER_TOOLS = (PORT_ROUTE, KEPT_PREFIX_PORT_ROUTE, SSH_ROUTE)
# Every program the workspace runs gets the base path it is served under (entrypoint), so that an app told its
# public prefix can be given "${WORKBENCH_BASE_URL}tools/absport/<port>" whatever the base path or hub.
BASE_URL_VARIABLE = "WORKBENCH_BASE_URL"
# Where the door serves the icons: the image's own (landing/icons/), and those beside the declarations of an image
# built on this one (SVG files only).
ICONS_URL = "workbench/icons"
DECLARED_ICONS_URL = "workbench/tool-icons"
ICON_FILE_PATTERN = r"[a-z0-9][a-z0-9._-]{0,60}\.svg"
# The icon of a declared tool that brings none.
GENERIC_ICON = "tool.svg"

# The desktop's display. Every program gets it as DISPLAY (entrypoint), so that a GUI window opened from a
# terminal, a notebook or VS Code appears on the desktop.
DISPLAY = ":1"
VNC_PORT = 5901


@dataclass(frozen=True)
class Setting:
    """An environment variable a tool reads; checked by `parse(variable, raw)` (a validation.ConfigError for a bad
    value) when the workspace starts, with every other setting."""

    variable: str
    default: str
    parse: Callable[[str, str], str]
    # What it means, for the docs' table of variables (build.py docs).
    help: str = ""

    @property
    def placeholder(self) -> str:
        return self.variable.lower()


@dataclass(frozen=True)
class Page:
    """The page a person opens of a tool (relative to its URL), and how to tell that it is this tool answering: a text
    only its page serves, and what a browser shows once the tool works there (a Playwright selector). The tests,
    the hub's and the benchmarks' checks of every tool read it here."""

    address: str
    text: str
    shows: str


@dataclass(frozen=True)
class Tool:
    name: str
    title: str
    description: str
    icon: str  # a file in landing/icons/, served by the door under workbench/icons/
    path: str  # relative to the base URL
    # What runs the tool; none: Jupyter serves it.
    programs: tuple[Program, ...] = ()
    # The loopback port that serves everything under `path`.
    port: int | None = None
    # True for tools that use relative URLs and expect to be served at "/": nginx strips `path` off.
    strip_path: bool = False
    # Relative to the tool's URL: answered with a 2xx once the tool can serve a user.
    health: str = ""
    # Other loopback ports whose connections are the tool's use (the desktop's VNC port, reached over SSH tunnels).
    extra_ports: tuple[int, ...] = ()
    # Besides requests and open connections: whether stopping it now would close something of the user's.
    in_use: Callable[[], bool] | None = None
    # Environment variables it reads, and fixed values its commands refer to (install paths).
    settings: tuple[Setting, ...] = ()
    values: tuple[tuple[str, str], ...] = ()
    # Home folders kept in /workspace across re-created containers (workbench/home.py), relative to the home.
    kept_in_home: tuple[str, ...] = ()
    # Settings files given the image's defaults at every start (home.merge_json_defaults): home path -> image file.
    home_defaults: tuple[tuple[str, Path], ...] = ()
    # Configuration files rendered into the run directory at every start, from templates/<name>.j2.
    config_files: tuple[str, ...] = ()
    # Where `icon` is served from: the image's icons, or those beside the declarations (DECLARED_ICONS_URL).
    icons_url: str = ICONS_URL
    page: Page | None = None

    def __post_init__(self) -> None:
        if not re.fullmatch(NAME_PATTERN, self.name):
            raise ValueError(f"tool name {self.name!r} must match {NAME_PATTERN}")

    @property
    def ports(self) -> tuple[int, ...]:
        return ((self.port,) if self.port is not None else ()) + self.extra_ports

    @property
    def program_names(self) -> tuple[str, ...]:
        """The supervisord programs whose state is the tool's: its own, or Jupyter's."""
        return tuple(program.name for program in self.programs) or ("jupyter",)

    @property
    def starts_on_demand(self) -> bool:
        """A tool with programs of its own starts when its URL is first opened (unless WORKSPACE_TOOLS_START=at-start)
        and stops when unused; Jupyter's own tools are always there."""
        return bool(self.programs)

    @property
    def icon_url(self) -> str:
        """Relative to the base URL."""
        return f"{self.icons_url}/{self.icon}"


JUPYTER_SERVED: tuple[Tool, ...] = (
    Tool(
        "lab",
        "JupyterLab",
        "Notebooks, consoles, files and extensions",
        "lab.svg",
        "lab",
        page=Page("", "<title>JupyterLab</title>", ".jp-Launcher"),
    ),
    Tool(
        "notebook",
        "Notebook",
        "The classic single-document notebook (Notebook 7)",
        "notebook.svg",
        "tree",
        page=Page("", '"appName": "Jupyter Notebook"', ".jp-DirListing-content"),
    ),
    Tool(
        "terminal",
        "Terminal",
        "A full-page shell in /workspace",
        "terminal.svg",
        "terminals/1",
        # The terminal needs its websocket to show its screen.
        page=Page("", "<title>Jupyter Notebook - Terminal</title>", ".xterm-screen"),
    ),
)

BUILT_IN: tuple[Tool, ...] = JUPYTER_SERVED + (
    Tool(
        "vscode",
        "VS Code",
        "Visual Studio Code in the browser, opened on /workspace",
        "vscode.svg",
        "tools/vscode/",
        page=Page("?folder=/workspace", 'id="vscode-workbench-web-configuration"', ".monaco-workbench"),
        programs=(
            Program(
                "vscode",
                "{node} {code_server} --bind-addr 127.0.0.1:{port} --auth none "
                "--disable-telemetry --disable-update-check --disable-workspace-trust "
                "--disable-getting-started-override {workspace}",
            ),
        ),
        port=13337,
        strip_path=True,
        health="healthz",
        # Node 24 for code-server, kept out of PATH so that it never shadows a Node.js the user installs.
        values=(
            ("node", "/opt/workbench-node/bin/node"),
            ("code_server", "/opt/code-server/node_modules/code-server/out/node/entry.js"),
        ),
        kept_in_home=(".local/share/code-server",),
        # Dark theme, no telemetry, chat off, the workspace's Python: given to a user who has none.
        home_defaults=(
            (".local/share/code-server/User/settings.json", paths.INSTALL_DIR / "vscode" / "user-settings.json"),
        ),
    ),
    # Xvnc is the X server and the VNC server in one; websockify turns noVNC's websocket into the VNC
    # connection and serves noVNC's page; the XFCE session waits for the display before it starts. Xvnc's
    # blacklist is off: every client reaches it from 127.0.0.1 (websockify, SSH tunnels), so a few closed tabs
    # would lock everyone out, and the door's token is the credential.
    Tool(
        "desktop",
        "Desktop",
        "A Linux desktop (XFCE) for GUI applications, in the browser",
        "desktop.svg",
        "tools/desktop/",
        # noVNC says it is connected once its websocket to the VNC server works.
        page=Page("vnc.html", "noVNC_container", "html.noVNC_connected"),
        programs=(
            Program(
                "desktop-display",
                "/usr/bin/Xvnc {display} -geometry {vnc_resolution} -depth 24 "
                "-localhost -rfbport {vnc_port} -SecurityTypes None -AlwaysShared "
                "-AcceptSetDesktopSize -desktop Workbench -nolisten tcp "
                "-BlacklistThreshold 1000000 -BlacklistTimeout 0",
            ),
            Program("desktop-session", "{install_dir}/bin/workbench-desktop-session {display}"),
            Program("desktop-websockify", "{venv}/bin/websockify --web {novnc} 127.0.0.1:{port} 127.0.0.1:{vnc_port}"),
        ),
        port=6080,
        strip_path=True,
        extra_ports=(VNC_PORT,),
        in_use=lambda: desktop_session.in_use(DISPLAY),
        settings=(
            Setting(
                "VNC_RESOLUTION",
                "1600x900",
                parse_screen_size,
                "the desktop's size at start, `WIDTHxHEIGHT` (320–8192 each); the browser tab then resizes it to its "
                "window",
            ),
        ),
        # noVNC's web client, from Debian's package.
        values=(("vnc_port", str(VNC_PORT)), ("novnc", "/opt/novnc")),
    ),
    Tool(
        "tensorboard",
        "TensorBoard",
        "Training curves and graphs from the event logs in your workspace",
        "tensorboard.svg",
        "tools/tensorboard/",
        page=Page("", "<tb-webapp></tb-webapp>", "text=No dashboards are active"),
        programs=(
            Program(
                "tensorboard",
                "{venv}/bin/tensorboard --logdir {tensorboard_logdir} --host 127.0.0.1 "
                "--port {port} --path_prefix {path_prefix} --reload_interval 15",
            ),
        ),
        port=6006,
        settings=(
            Setting(
                "TENSORBOARD_LOGDIR",
                str(paths.WORKSPACE_DIR),
                parse_directory,
                "where TensorBoard looks for event logs (an absolute path in the container)",
            ),
        ),
    ),
    Tool(
        "netdata",
        "Netdata",
        "Live CPU, memory, disk and network charts of this workspace",
        "netdata.svg",
        "tools/netdata/",
        page=Page("", "<title>netdata dashboard</title>", "text=System Overview"),
        programs=(
            Program(
                "netdata",
                "/usr/bin/env DO_NOT_TRACK=1 /usr/sbin/netdata -D -c {run_dir}/netdata.conf -i 127.0.0.1 -p {port}",
                state_dir=True,
            ),
        ),
        # Its API answers half a second before the first CPU chart exists; a dashboard loaded then shows no
        # system charts and does not look again.
        port=19999,
        strip_path=True,
        health="api/v1/chart?chart=system.cpu",
        config_files=("netdata.conf",),
    ),
)


class DeclarationError(Exception):
    """A declared tool that cannot be served as it is: one line that names the file and what is wrong."""


# A declaration's keys: its type, and whether it may be left out.
DECLARATION_KEYS = {
    "name": (str, False),
    "title": (str, True),
    "description": (str, True),
    "command": (str, False),
    "port": (int, False),
    "strip_path": (bool, True),
    "health": (str, True),
    "icon": (str, True),
}


def declared_tool(file: Path, taken: tuple[Tool, ...]) -> Tool:
    """The tool a JSON file declares, as jupyter-server-proxy's servers are: its name, the command that serves it on
    a loopback port ({port}, {path_prefix} and the common placeholders of programs.Program), whether the port's app
    wants its path prefix stripped, a health URL relative to the tool's own, a title, a description and an SVG icon
    beside the file. Every fault raises a DeclarationError."""

    def fault(what: str) -> DeclarationError:
        return DeclarationError(f"{file}: {what}")

    try:
        declaration = json.loads(file.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as error:
        raise fault(f"cannot be read as JSON ({error})") from None
    if not isinstance(declaration, dict):
        raise fault("must be a JSON object")
    for key, value in declaration.items():
        if key not in DECLARATION_KEYS:
            raise fault(f"unknown key {key!r} (known: {', '.join(DECLARATION_KEYS)})")
        kind = DECLARATION_KEYS[key][0]
        if type(value) is not kind:
            raise fault(f"{key} must be a JSON {'string' if kind is str else kind.__name__}")
    missing = [key for key, (_, optional) in DECLARATION_KEYS.items() if not optional and key not in declaration]
    if missing:
        raise fault(f"{', '.join(missing)} missing")
    name, port = declaration["name"], declaration["port"]
    if not re.fullmatch(NAME_PATTERN, name):
        raise fault(f"name {name!r} must be lower-case letters, digits and '-', starting with a letter")
    if name in ROUTES_UNDER_TOOLS:
        raise fault(f"name {name!r} is taken by the door's tools/{name}/ route")
    program_names = {program.name for program in CORE_PROGRAMS} | {p for tool in taken for p in tool.program_names}
    if name in {tool.name for tool in taken} | program_names:
        raise fault(f"name {name!r} is taken by another tool or program")
    used_ports = {p for tool in taken for p in tool.ports} | set(paths.DOOR_PORTS)
    if not 1024 <= port <= 65535 or port in used_ports:
        raise fault(f"port {port} must be from 1024 to 65535 and not one the workspace uses ({sorted(used_ports)})")
    command = declaration["command"].strip()
    try:
        placeholders = {field for _, field, _, _ in string.Formatter().parse(command) if field is not None}
    except ValueError as error:
        raise fault(f"command: {error} (write a brace as {{{{ or }}}})") from None
    unknown = placeholders - set(COMMON_PLACEHOLDERS + TOOL_PLACEHOLDERS)
    if not command or unknown:
        known = ", ".join("{" + known + "}" for known in COMMON_PLACEHOLDERS + TOOL_PLACEHOLDERS)
        raise fault(f"command must be a command line whose placeholders are among {known}")
    health = declaration.get("health", "")
    if health.startswith("/") or not health.isprintable() or " " in health:
        raise fault("health must be a URL relative to the tool's own, like healthz or api/status")
    icon, icons_url = GENERIC_ICON, ICONS_URL
    if "icon" in declaration:
        icon, icons_url = declaration["icon"], DECLARED_ICONS_URL
        if not re.fullmatch(ICON_FILE_PATTERN, icon) or not (file.parent / icon).is_file():
            raise fault(f"icon {icon!r} must be an .svg file beside it, its name in lower case")
    return Tool(
        name,
        declaration.get("title", name),
        declaration.get("description", ""),
        icon,
        f"tools/{name}/",
        programs=(Program(name, command, purpose=f"{declaration.get('title', name)}, declared in {file}"),),
        port=port,
        strip_path=declaration.get("strip_path", False),
        health=health,
        icons_url=icons_url,
    )


def load_declared(directory: Path, built_in: tuple[Tool, ...] = BUILT_IN) -> tuple[Tool, ...]:
    """The tools declared in the folder's *.json files, in the order of their file names."""
    declared: tuple[Tool, ...] = ()
    for file in sorted(directory.glob("*.json")):
        declared += (declared_tool(file, built_in + declared),)
    return declared


# A fault in a declaration is reported by the start (entrypoint: check_declarations), which then refuses to start,
# rather than here when this module is imported.
try:
    DECLARED, DECLARATION_FAULT = load_declared(paths.TOOL_DECLARATIONS_DIR), ""
except DeclarationError as error:
    DECLARED, DECLARATION_FAULT = (), str(error)
TOOLS = BUILT_IN + DECLARED


def check_declarations() -> None:
    if DECLARATION_FAULT:
        raise DeclarationError(DECLARATION_FAULT)


def loopback_ports() -> set[int]:
    """The ports the tools listen on inside the workspace."""
    return {port for tool in TOOLS for port in tool.ports}


def by_name(name: str) -> Tool | None:
    return next((tool for tool in TOOLS if tool.name == name), None)


def with_programs() -> list[Tool]:
    """The tools that run programs of their own (and so start on demand)."""
    return [tool for tool in TOOLS if tool.programs]


def all_settings() -> tuple[Setting, ...]:
    return tuple(setting for tool in TOOLS for setting in tool.settings)


def probe_url(tool: Tool, base_url: str) -> str | None:
    """Where on loopback the tool's health is checked (the URL as the tool itself sees it), or None."""
    if tool.port is None:
        return None
    prefix = "/" if tool.strip_path else base_url + tool.path
    return f"http://127.0.0.1:{tool.port}{prefix}{tool.health}"


def states_by_program(services: list[dict]) -> dict[str, str]:
    """supervisord's list of programs (supervisor_client.services) as program name -> state."""
    return {service["name"]: service["state"] for service in services}


def program_states(tool: Tool, states: dict[str, str]) -> list[str]:
    """The state of each of the tool's programs; UNKNOWN for one supervisord does not know."""
    return [states.get(program, State.UNKNOWN) for program in tool.program_names]


def tool_state(tool: Tool, states: dict[str, str], healthy: bool = True) -> str:
    """The worst state of the tool's programs; IDLE for a tool that starts when opened and is not running."""
    own = program_states(tool, states)
    if tool.starts_on_demand and all(state == State.STOPPED for state in own):
        return State.IDLE
    for state in SEVERITY:
        if state in own:
            return state
    return State.RUNNING if healthy else State.STARTING


def with_state(services: list[dict], healthy: dict[str, bool] | None = None) -> list[dict]:
    """Each tool as the landing page shows it, with the state of the programs behind it: the worst of them,
    STARTING while they run but the tool does not answer its health probe yet, IDLE while it waits to be opened."""
    states = states_by_program(services)
    healthy = healthy or {}
    return [
        {
            "name": tool.name,
            "title": tool.title,
            "description": tool.description,
            "icon": tool.icon_url,
            "path": tool.path,
            "services": list(tool.program_names),
            "on_demand": tool.starts_on_demand,
            "state": tool_state(tool, states, healthy.get(tool.name, True)),
        }
        for tool in TOOLS
    ]
