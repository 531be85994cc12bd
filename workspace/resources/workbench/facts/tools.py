"""What a tool is, and the image's own tools, each declared once here: adding a tool is adding a declaration (and its
icon file in landing/icons/). An image built on this one adds tools without changing it: a JSON file each in
paths.TOOL_DECLARATIONS_DIR (declarations.py); catalogue.py has every tool of this workspace, both kinds.

From a declaration follow: the landing tile (title, description, icon, live state), and for a tool that runs its own
programs the supervisord programs (rendered into the run directory, started when the tool is first opened), the nginx
location that proxies its URL path behind the door's auth check, the route that wakes it, the health probe that tells
"running" from "starting", what counts as its use (its ports, an optional hook) before it is stopped when idle, the
environment variables it reads (validated with the rest at start), the home folders kept for it and the settings
files it gets defaults for. The tests' and benchmarks' lists of tools, ports and programs are read from here too.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from . import desktop_session, paths
from .programs import Program
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
    # Home folders kept in /workspace across re-created containers (workbench/start/home.py), relative to the home.
    kept_in_home: tuple[str, ...] = ()
    # Settings files given the image's defaults at every start (home.merge_json_defaults): home path -> image file.
    home_defaults: tuple[tuple[str, Path], ...] = ()
    # Configuration files rendered into the run directory at every start, from templates/<name>.j2.
    config_files: tuple[str, ...] = ()
    # Variables every process of the workspace gets (kernels, terminals, SSH sessions), unless the user set them:
    # name -> value, where {url} is the tool's URL on the loopback door (loopback_url).
    environment: tuple[tuple[str, str], ...] = ()
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
            # websockify unmasks what the browser sends with numpy when it can (14 MiB): keystrokes and pointer moves,
            # a few bytes each.
            Program(
                "desktop-websockify",
                "{venv}/bin/python -P -m workbench.start.without_modules numpy websockify "
                "--web {novnc} 127.0.0.1:{port} 127.0.0.1:{vnc_port}",
            ),
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
            # TensorBoard imports boto3 (12 MiB) for logs on S3; TENSORBOARD_LOGDIR is a folder in the container.
            Program(
                "tensorboard",
                "{venv}/bin/python -P -m workbench.start.without_modules botocore tensorboard "
                "--logdir {tensorboard_logdir} --host 127.0.0.1 "
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
    # MLflow's server, in an environment of its own (paths.MLFLOW_DIR); every kernel, terminal and SSH session logs to
    # it through MLFLOW_TRACKING_URI (the entrypoint sets it). Its store is kept with the user's files. Not 5000,
    # MLflow's own default: that is Flask's too, which users run their apps on. `mlflow server` runs as one process
    # (workbench.start.mlflow_server says why and how). Host and origin are the door's to check; every request a run
    # logs would be a line in the container's log.
    Tool(
        "mlflow",
        "MLflow",
        "Experiment tracking: the runs, parameters, metrics and models your code logs",
        "mlflow.svg",
        "tools/mlflow/",
        page=Page("", "<title>MLflow</title>", "text=Experiments"),
        programs=(
            Program(
                "mlflow",
                '/bin/sh -c \'mkdir -p "$0" && exec "$@"\' {mlflow_store} '
                "{mlflow_dir}/bin/python -P -m workbench.start.mlflow_server --host 127.0.0.1 "
                "--port {port} --workers 1 --static-prefix {path_prefix} "
                "--backend-store-uri sqlite:///{mlflow_store}/mlflow.db "
                "--artifacts-destination {mlflow_store}/artifacts --allowed-hosts '*' --cors-allowed-origins '*' "
                "--uvicorn-opts=--no-access-log",
            ),
        ),
        port=15000,
        health="health",
        environment=(("MLFLOW_TRACKING_URI", "{url}"),),
        values=(("mlflow_dir", str(paths.MLFLOW_DIR)), ("mlflow_store", str(paths.MLFLOW_STORE_DIR))),
    ),
)


def probe_url(tool: Tool, base_url: str) -> str | None:
    """Where on loopback the tool's health is checked (the URL as the tool itself sees it), or None."""
    if tool.port is None:
        return None
    prefix = "/" if tool.strip_path else base_url + tool.path
    return f"http://127.0.0.1:{tool.port}{prefix}{tool.health}"


def loopback_url(tool: Tool, base_url: str) -> str:
    """The tool's URL for the workspace's own processes, through the loopback door (paths.LOOPBACK_DOOR_PORT): no
    login, and a tool that starts on demand starts at the first request."""
    return f"http://127.0.0.1:{paths.LOOPBACK_DOOR_PORT}{base_url}{tool.path}".rstrip("/")


def tool_environment(all_tools: tuple[Tool, ...], base_url: str) -> dict[str, str]:
    """What the tools give every process of the workspace (Tool.environment)."""
    return {
        name: value.format(url=loopback_url(tool, base_url)) for tool in all_tools for name, value in tool.environment
    }


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
