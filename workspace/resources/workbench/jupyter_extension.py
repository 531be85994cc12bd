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
from tornado.httpclient import AsyncHTTPClient

from . import __version__, paths, supervisor_client, tools, usage

# A tool that takes longer than this to answer its health probe is shown as starting.
PROBE_TIMEOUT_SECONDS = 2.0


class HealthHandler(JupyterHandler):
    """Reached through nginx's `healthz`: answering at all proves nginx and Jupyter are up. No details."""

    @allow_unauthenticated
    def get(self) -> None:
        self.set_header("Content-Type", "text/plain; charset=utf-8")
        self.set_header("Cache-Control", "no-store")
        self.finish("ok\n")


async def probe(tool: tools.Tool, base_url: str) -> bool:
    response = await AsyncHTTPClient().fetch(tools.probe_url(tool, base_url), raise_error=False,
                                             follow_redirects=False, request_timeout=PROBE_TIMEOUT_SECONDS)
    return response.code < 400 and response.code != 599  # 599: no answer (refused, timed out)


async def probe_running_tools(services: list[dict], base_url: str) -> dict[str, bool]:
    """Whether each tool whose programs all run also answers on its port."""
    running = {service["name"] for service in services if service["state"] == "RUNNING"}
    candidates = [tool for tool in tools.own_services() if set(tool.services) <= running]
    results = await asyncio.gather(*(probe(tool, base_url) for tool in candidates))
    return {tool.name: healthy for tool, healthy in zip(candidates, results)}


class StatusHandler(APIHandler):
    """What the landing page shows: the tools and services with their live state, and the resources in use."""

    cpu_meter: usage.CpuMeter  # one per server, created when the extension loads

    @web.authenticated
    async def get(self) -> None:
        try:
            services = await asyncio.get_running_loop().run_in_executor(None, supervisor_client.services)
            error = None
        except (OSError, xmlrpc.client.Error) as exc:
            services, error = [], f"supervisord unreachable: {exc}"
        healthy = await probe_running_tools(services, self.base_url)
        self.set_header("Cache-Control", "no-store")
        self.finish(json.dumps({
            "version": __version__,
            "user": os.environ.get("USER", ""),
            "base_url": self.base_url,
            "services": services,
            "tools": tools.with_state(services, healthy),
            "resources": usage.summary(StatusHandler.cpu_meter, paths.WORKSPACE_DIR),
            "error": error,
        }))


def _jupyter_server_extension_points() -> list[dict]:
    return [{"module": "workbench.jupyter_extension"}]


def _load_jupyter_server_extension(serverapp) -> None:
    base_url = serverapp.web_app.settings["base_url"]
    StatusHandler.cpu_meter = usage.CpuMeter()
    serverapp.web_app.add_handlers(".*$", [
        (url_path_join(base_url, "api/workbench/healthz"), HealthHandler),
        (url_path_join(base_url, "api/workbench/status"), StatusHandler),
    ])
