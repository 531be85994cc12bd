"""The extension's own endpoints for the door and the landing page: liveness (healthz), the auth check nginx asks
about every request, and the status the landing page shows."""

from __future__ import annotations

import asyncio
import json
import os
import xmlrpc.client

from jupyter_server.auth.decorator import allow_unauthenticated
from jupyter_server.base.handlers import APIHandler, JupyterHandler
from tornado import web

from .. import __version__
from ..facts import catalogue, paths, states, supervisor_client, usage
from . import health


class HealthHandler(JupyterHandler):
    """Reached through nginx's `healthz`: answering at all proves nginx and Jupyter are up. No details."""

    @allow_unauthenticated
    def get(self) -> None:
        self.set_header("Content-Type", "text/plain; charset=utf-8")
        self.set_header("Cache-Control", "no-store")
        self.finish("ok\n")


class AuthCheckHandler(APIHandler):
    """nginx's auth_request for every URL it serves: 2xx lets the request through, 403 refuses it. Jupyter's identity
    provider decides (the token, its login cookie, or with a hub the hub's OAuth), and logs a browser in when a
    ?token= came along. No XSRF token is asked of a cookie-authenticated request here: JupyterHub asks one of every
    request that is not a page navigation, which a tool's own scripts, stylesheets and fetches never send. As with
    jupyter-server-proxy, that check is left to what stands behind the door; Jupyter's own endpoints still make it."""

    def check_xsrf_cookie(self) -> None:
        return

    @web.authenticated
    def get(self) -> None:
        self.set_status(204)
        self.finish()


# How the landing page and the starting page show each state (states.SHOWN), the same in every answer.
STATES_SHOWN = {state: {"class": shown.css_class, "label": shown.label} for state, shown in states.SHOWN.items()}


class StatusHandler(APIHandler):
    """What the landing page shows: the tools and services with their live state, and the resources in use."""

    @web.authenticated
    async def get(self) -> None:
        try:
            services = await asyncio.get_running_loop().run_in_executor(None, supervisor_client.services)
            error = None
        except (OSError, xmlrpc.client.Error) as exc:
            services, error = [], f"supervisord unreachable: {exc}"
        healthy = await health.probe_running_tools(services, self.base_url)
        self.set_header("Cache-Control", "no-store")
        self.finish(
            json.dumps(
                {
                    "version": __version__,
                    "user": os.environ.get("USER", ""),
                    "base_url": self.base_url,
                    "services": services,
                    "tools": catalogue.with_state(services, healthy),
                    "states": STATES_SHOWN,
                    "resources": usage.summary(self.settings["workbench_cpu_meter"], paths.WORKSPACE_DIR),
                    "failed_hooks": self.settings["workbench_failed_hooks"],
                    "error": error,
                }
            )
        )


def read_failed_hooks() -> list[str]:
    try:
        return json.loads(paths.HOOK_FAILURES_FILE.read_text())
    except (OSError, ValueError):
        return []


ROUTES = [
    ("api/workbench/healthz", HealthHandler),
    ("api/workbench/auth", AuthCheckHandler),
    ("api/workbench/status", StatusHandler),
]
