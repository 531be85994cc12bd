"""The tools a user opens from the landing page, each declared once here.

From a declaration follow: the landing tile and its live state, and, for a tool that runs as its own service,
the supervisord program (rendered into the run directory) and the nginx location that proxies its URL path,
behind the same auth check as everything else. Adding a tool is adding a declaration.
"""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Tool:
    name: str
    title: str
    description: str
    icon: str
    path: str  # relative to the base URL
    service: str  # the supervisord program that serves it
    # For a tool with its own service: the command (formatted with values from render.tool_command),
    # run as the user in /workspace, listening on this loopback port and serving everything under `path`.
    command: str = ""
    port: int | None = None
    # True for tools that use relative URLs and expect to be served at "/": nginx strips `path` off.
    strip_path: bool = False

    @property
    def has_own_service(self) -> bool:
        return bool(self.command)


TOOLS = (
    Tool("lab", "JupyterLab", "Notebooks, consoles, files and extensions", "lab", "lab", "jupyter"),
    Tool("notebook", "Notebook", "The classic single-document notebook (Notebook 7)", "notebook", "tree", "jupyter"),
    Tool("terminal", "Terminal", "A full-page shell in /workspace", "terminal", "terminals/1", "jupyter"),
    Tool("vscode", "VS Code", "Visual Studio Code in the browser, opened on /workspace", "vscode",
         "tools/vscode/", "vscode",
         command="{node} {code_server} --bind-addr 127.0.0.1:{port} --auth none --disable-telemetry "
                 "--disable-update-check --disable-workspace-trust --disable-getting-started-override {workspace}",
         port=13337, strip_path=True),
    Tool("tensorboard", "TensorBoard", "Training curves and graphs from the event logs in your workspace",
         "tensorboard", "tools/tensorboard/", "tensorboard",
         command="{venv}/bin/tensorboard --logdir {tensorboard_logdir} --host 127.0.0.1 --port {port} "
                 "--path_prefix {path_prefix} --reload_interval 15",
         port=6006),
)


def own_services() -> list[Tool]:
    return [tool for tool in TOOLS if tool.has_own_service]


def with_state(services: list[dict]) -> list[dict]:
    """Each tool as the landing page shows it, with the state of the service behind it ("UNKNOWN" if supervisord
    has no such program)."""
    states = {service["name"]: service["state"] for service in services}
    return [{"name": tool.name, "title": tool.title, "description": tool.description, "icon": tool.icon,
             "path": tool.path, "service": tool.service, "state": states.get(tool.service, "UNKNOWN")}
            for tool in TOOLS]
