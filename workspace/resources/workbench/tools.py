"""The tools a user opens from the landing page, each declared once here.

From a declaration follow: the landing tile and its live state, and, for a tool that runs its own programs,
the supervisord programs (rendered into the run directory), the nginx location that proxies its URL path,
behind the same auth check as everything else, and the health probe that tells "running" from "starting".
Adding a tool is adding a declaration.
"""
from __future__ import annotations

from dataclasses import dataclass

# The desktop's display. Every program gets it as DISPLAY (entrypoint), so that a GUI window opened from a
# terminal, a notebook or VS Code appears on the desktop.
DISPLAY = ":1"
VNC_PORT = 5901


@dataclass(frozen=True)
class Program:
    """A supervisord program run as the user in /workspace; its command is formatted with
    render.command_values, each value shell-quoted."""
    name: str
    command: str
    # True: the program keeps its files in a folder of its name in the run directory, made before it starts.
    state_dir: bool = False


@dataclass(frozen=True)
class Tool:
    name: str
    title: str
    description: str
    icon: str
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

    @property
    def ports(self) -> tuple[int, ...]:
        return ((self.port,) if self.port is not None else ()) + self.extra_ports

    @property
    def services(self) -> tuple[str, ...]:
        return tuple(program.name for program in self.programs) or ("jupyter",)

    @property
    def has_own_service(self) -> bool:
        return bool(self.programs)

    @property
    def starts_on_demand(self) -> bool:
        """Its programs start when its URL is first opened (unless WORKSPACE_TOOLS_START=at-start) and stop when
        unused; Jupyter's own tools are always there."""
        return self.has_own_service


JUPYTER_SERVED = (
    Tool("lab", "JupyterLab", "Notebooks, consoles, files and extensions", "lab", "lab"),
    Tool("notebook", "Notebook", "The classic single-document notebook (Notebook 7)", "notebook", "tree"),
    Tool("terminal", "Terminal", "A full-page shell in /workspace", "terminal", "terminals/1"),
)

TOOLS = JUPYTER_SERVED + (
    Tool("vscode", "VS Code", "Visual Studio Code in the browser, opened on /workspace", "vscode", "tools/vscode/",
         programs=(Program("vscode", "{node} {code_server} --bind-addr 127.0.0.1:{port} --auth none "
                                     "--disable-telemetry --disable-update-check --disable-workspace-trust "
                                     "--disable-getting-started-override {workspace}"),),
         port=13337, strip_path=True, health="healthz"),
    # Xvnc is the X server and the VNC server in one; websockify turns noVNC's websocket into the VNC
    # connection and serves noVNC's page; the XFCE session waits for the display before it starts. Xvnc's
    # blacklist is off: every client reaches it from 127.0.0.1 (websockify, SSH tunnels), so a few closed tabs
    # would lock everyone out, and the door's token is the credential.
    Tool("desktop", "Desktop", "A Linux desktop (XFCE) for GUI applications, in the browser", "desktop",
         "tools/desktop/",
         programs=(Program("desktop-display", "/usr/bin/Xvnc {display} -geometry {vnc_resolution} -depth 24 "
                                              "-localhost -rfbport {vnc_port} -SecurityTypes None -AlwaysShared "
                                              "-AcceptSetDesktopSize -desktop Workbench -nolisten tcp "
                                              "-BlacklistThreshold 1000000 -BlacklistTimeout 0"),
                   Program("desktop-session", "{install_dir}/bin/workbench-desktop-session {display}"),
                   Program("desktop", "{venv}/bin/websockify --web {novnc} 127.0.0.1:{port} "
                                      "127.0.0.1:{vnc_port}")),
         port=6080, strip_path=True, extra_ports=(VNC_PORT,)),
    Tool("tensorboard", "TensorBoard", "Training curves and graphs from the event logs in your workspace",
         "tensorboard", "tools/tensorboard/",
         programs=(Program("tensorboard", "{venv}/bin/tensorboard --logdir {tensorboard_logdir} --host 127.0.0.1 "
                                          "--port {port} --path_prefix {path_prefix} --reload_interval 15"),),
         port=6006),
    Tool("netdata", "Netdata", "Live CPU, memory, disk and network charts of this workspace", "netdata",
         "tools/netdata/",
         programs=(Program("netdata", "/usr/bin/env DO_NOT_TRACK=1 /usr/sbin/netdata -D "
                                      "-c {install_dir}/netdata/netdata.conf -i 127.0.0.1 -p {port}",
                           state_dir=True),),
         # Its API answers half a second before the first CPU chart exists; a dashboard loaded then shows no
         # system charts and does not look again.
         port=19999, strip_path=True, health="api/v1/chart?chart=system.cpu"),
)


# The order in which a tool with several programs reports the one that is worst off.
_STATE_SEVERITY = ("FATAL", "BACKOFF", "EXITED", "STOPPED", "UNKNOWN", "STOPPING", "STARTING")


def loopback_ports() -> set[int]:
    """The ports the tools listen on inside the workspace."""
    return {port for tool in TOOLS for port in tool.ports}


def by_name(name: str) -> Tool | None:
    return next((tool for tool in TOOLS if tool.name == name), None)


def own_services() -> list[Tool]:
    return [tool for tool in TOOLS if tool.has_own_service]


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
    return [states.get(program, "UNKNOWN") for program in tool.services]


def tool_state(tool: Tool, states: dict[str, str], healthy: bool = True) -> str:
    """The worst state of the tool's programs; IDLE for a tool that starts when opened and is not running."""
    own = program_states(tool, states)
    if tool.starts_on_demand and all(state == "STOPPED" for state in own):
        return "IDLE"
    for state in _STATE_SEVERITY:
        if state in own:
            return state
    return "RUNNING" if healthy else "STARTING"


def with_state(services: list[dict], healthy: dict[str, bool] | None = None) -> list[dict]:
    """Each tool as the landing page shows it, with the state of the programs behind it: the worst of them,
    STARTING while they run but the tool does not answer its health probe yet, IDLE while it waits to be opened."""
    states = states_by_program(services)
    healthy = healthy or {}
    return [{"name": tool.name, "title": tool.title, "description": tool.description, "icon": tool.icon,
             "path": tool.path, "services": list(tool.services), "on_demand": tool.starts_on_demand,
             "state": tool_state(tool, states, healthy.get(tool.name, True))}
            for tool in TOOLS]
