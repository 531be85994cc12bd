"""Jupyter Server extension: the workspace's liveness and status endpoints, under Jupyter's own auth."""
from __future__ import annotations

import asyncio
import json
import os
import xmlrpc.client

from jupyter_server.auth.decorator import allow_unauthenticated
from jupyter_server.base.handlers import APIHandler, JupyterHandler
from jupyter_server.utils import url_path_join
from tornado import web

from . import __version__, supervisor_client, tools


class HealthHandler(JupyterHandler):
    """Reached through nginx's `healthz`: answering at all proves nginx and Jupyter are up. No details."""

    @allow_unauthenticated
    def get(self) -> None:
        self.set_header("Content-Type", "text/plain; charset=utf-8")
        self.set_header("Cache-Control", "no-store")
        self.finish("ok\n")


class StatusHandler(APIHandler):
    """What the landing page shows: the services and their live state."""

    @web.authenticated
    async def get(self) -> None:
        try:
            services = await asyncio.get_running_loop().run_in_executor(None, supervisor_client.services)
            error = None
        except (OSError, xmlrpc.client.Error) as exc:
            services, error = [], f"supervisord unreachable: {exc}"
        self.set_header("Cache-Control", "no-store")
        self.finish(json.dumps({
            "version": __version__,
            "user": os.environ.get("USER", ""),
            "base_url": self.base_url,
            "services": services,
            "tools": tools.with_state(services),
            "error": error,
        }))


def _jupyter_server_extension_points() -> list[dict]:
    return [{"module": "workbench.jupyter_extension"}]


def _load_jupyter_server_extension(serverapp) -> None:
    base_url = serverapp.web_app.settings["base_url"]
    serverapp.web_app.add_handlers(".*$", [
        (url_path_join(base_url, "api/workbench/healthz"), HealthHandler),
        (url_path_join(base_url, "api/workbench/status"), StatusHandler),
    ])
