"""The routes about tools: the one nginx turns to when a tool that starts on demand is not running
(workbench/server/on_demand.py), and the list JupyterLab's launcher tiles are drawn from
(workbench/facts/lab_launcher.py)."""

from __future__ import annotations

import hmac
import json

from jupyter_server.auth.decorator import allow_unauthenticated
from jupyter_server.base.handlers import APIHandler, JupyterHandler
from jupyter_server.utils import url_path_join
from tornado import web

from ..contracts import pages
from ..facts import catalogue, lab_launcher, paths, tools
from . import on_demand


class ToolWakeHandler(JupyterHandler):
    """Where nginx turns when a tool's port refuses the connection: the tool is not running, so start it. A browser
    opening a page gets a "starting…" page that turns into the tool by itself; any other request (a websocket, a
    script's) waits until the tool answers and then goes on to it as if it had been running: nginx redirects it
    internally (X-Accel-Redirect) to the URI it asked for, or with a body to send again, the client is told to
    repeat it there (307)."""

    def check_xsrf_cookie(self) -> None:
        """nginx asks with GET whatever the original request was; starting a tool is what opening it does."""

    @web.authenticated
    async def get(self, name: str) -> None:
        await self.wake(name)

    async def wake(self, name: str) -> None:
        tool = catalogue.by_name(name)
        if tool is None or not tool.starts_on_demand:
            raise web.HTTPError(404, f"no tool named {name!r} starts on demand")
        original_uri = self.request.headers.get("X-Original-URI", "")
        if not on_demand.is_uri_of(original_uri, url_path_join(self.base_url, tool.path)):
            raise web.HTTPError(400, f"X-Original-URI must be a URL of {tool.title}")
        if not on_demand.may_start_tools(self.request.headers):
            raise web.HTTPError(403, f"{tool.title} starts only from the workspace's own pages")
        original_method = self.request.headers.get("X-Original-Method", "GET")
        self.set_header("Cache-Control", "no-store")
        if on_demand.is_page_navigation(self.request.headers, original_method):
            on_demand.begin(tool, self.base_url)
            self.set_status(503)
            self.set_header("Retry-After", "2")
            self.set_header("Content-Type", "text/html; charset=utf-8")
            self.finish(
                pages.tool_starting_page(tool, self.base_url, on_demand.WAKE_TIMEOUT_SECONDS, self.xsrf_token.decode())
            )
            return
        if not await on_demand.wake(tool, self.base_url):
            raise web.HTTPError(503, f"{tool.title} did not start; the container's log says why")
        if original_method in ("GET", "HEAD"):
            self.set_header("X-Accel-Redirect", on_demand.internal_redirect_target(original_uri))
            self.set_status(204)
            self.finish()
        else:
            self.redirect(original_uri, status=307)


class LoopbackToolWakeHandler(ToolWakeHandler):
    """The same for the workspace's own processes, through nginx's loopback door (paths.LOOPBACK_DOOR_PORT), which
    logs nobody in: nginx vouches for the request with the secret it was given at start."""

    @allow_unauthenticated
    async def get(self, name: str) -> None:
        secret = self.settings["workbench"].loopback_door_secret
        given = self.request.headers.get(paths.LOOPBACK_DOOR_HEADER, "")
        if not secret or not hmac.compare_digest(given.encode(), secret.encode()):
            raise web.HTTPError(403, "only nginx's loopback door wakes tools this way")
        await self.wake(name)


class ServersInfoHandler(APIHandler):
    """The tools as jupyter-server-proxy's labextension reads them, for Lab's launcher and Notebook's "New" menu."""

    @web.authenticated
    def get(self) -> None:
        self.finish(json.dumps(lab_launcher.servers_info(self.base_url)))


ROUTES = [
    (rf"api/workbench/tools/({tools.NAME_PATTERN})/wake", ToolWakeHandler),
    (rf"api/workbench/tools/({tools.NAME_PATTERN})/wake-loopback", LoopbackToolWakeHandler),
    (lab_launcher.SERVERS_INFO_PATH, ServersInfoHandler),
]
