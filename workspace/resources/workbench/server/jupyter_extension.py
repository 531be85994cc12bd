"""Jupyter Server extension: the workspace's own endpoints under Jupyter's auth (the token, or with a hub the hub's
OAuth), split by concern: liveness, the door's auth check and the landing page's status (status_handlers), SSH
(ssh_handlers), waking tools (tool_handlers), the hub's login (hub_handlers) and uploads at full speed (uploads:
Jupyter's contents URLs, which these routes take over, as tornado tries an extension's routes before Jupyter's own).
Its settings come as traitlets in the Jupyter configuration that render.py writes from the checked environment
(c.Workbench.*), as jupyter-server-proxy takes its own; it reads no environment variable itself."""

from __future__ import annotations

from jupyter_server.utils import url_path_join
from traitlets import Int, Unicode
from traitlets.config import Configurable

from ..contracts.settings import DEFAULT_IDLE_TIMEOUT
from ..facts import usage
from . import announce, hub_handlers, on_demand, ssh_handlers, status_handlers, tool_handlers, uploads


class Workbench(Configurable):
    """What the extension needs to know of the workspace's settings (workbench/contracts/settings.py checked them)."""

    hub_prefix = Unicode(
        None, allow_none=True, help="The hub's own URL prefix when JupyterHub started the workspace; None without."
    ).tag(config=True)
    tools_idle_timeout = Int(
        DEFAULT_IDLE_TIMEOUT, help="Seconds a tool that starts on demand runs unused before it is stopped; 0: never."
    ).tag(config=True)
    loopback_door_secret = Unicode(
        "", help="What nginx's loopback door sends in paths.LOOPBACK_DOOR_HEADER; empty: nothing comes that way."
    ).tag(config=True)


def _jupyter_server_extension_points() -> list[dict]:
    return [{"module": __name__}]


def _link_jupyter_server_extension(serverapp) -> None:
    """Before Jupyter makes its contents manager: the workspace's, unless the user configured another one (under
    whichever name of the app: ServerApp, or the hub's SingleUserNotebookApp)."""
    if serverapp.contents_manager_class is uploads.JUPYTERS_CONTENTS_MANAGER:
        serverapp.contents_manager_class = uploads.WorkspaceContentsManager


def _load_jupyter_server_extension(serverapp) -> None:
    config = Workbench(parent=serverapp)
    web_app = serverapp.web_app
    base_url = web_app.settings["base_url"]
    # What the handlers read through self.settings.
    web_app.settings.update(
        workbench=config,
        workbench_cpu_meter=usage.CpuMeter(),
        workbench_failed_hooks=status_handlers.read_failed_hooks(),
    )
    on_demand.use_log(serverapp.log)
    if config.tools_idle_timeout:
        stopper = on_demand.IdleStopper(config.tools_idle_timeout, base_url)
        serverapp.io_loop.add_callback(stopper.run_forever)
    serverapp.io_loop.add_callback(announce.when_ready)
    routes = status_handlers.ROUTES + ssh_handlers.ROUTES + tool_handlers.ROUTES + hub_handlers.ROUTES + uploads.ROUTES
    web_app.add_handlers(".*$", [(url_path_join(base_url, path), handler) for path, handler in routes])
