"""Jupyter Server extension: the workspace's liveness, status and SSH endpoints, under Jupyter's own auth (the
token, or with a hub the hub's OAuth)."""

from __future__ import annotations

import asyncio
import json
import os
import re
import socket
import xmlrpc.client

from jupyter_core.utils import ensure_async
from jupyter_server.auth.decorator import allow_unauthenticated, ws_authenticated
from jupyter_server.base.handlers import APIHandler, JupyterHandler
from jupyter_server.base.websocket import WebSocketMixin
from jupyter_server.utils import url_path_join
from tornado import iostream, web
from tornado.websocket import WebSocketClosedError, WebSocketHandler

from . import (
    __version__,
    announce,
    health,
    on_demand,
    paths,
    render,
    settings,
    ssh_keys,
    supervisor_client,
    tls,
    tools,
    usage,
)

IN_HUB = settings.in_hub(os.environ)
# Read through one websocket message at a time: SSH's own packets are at most 32 KiB plus framing.
TUNNEL_CHUNK = 64 * 1024


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


class StatusHandler(APIHandler):
    """What the landing page shows: the tools and services with their live state, and the resources in use."""

    cpu_meter: usage.CpuMeter  # one per server, created when the extension loads
    failed_hooks: list[str] = []  # this start's, read when the extension loads (workbench/hooks.py)

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
                    "tools": tools.with_state(services, healthy),
                    "states": {
                        name: {"class": state.css_class, "label": state.label} for name, state in tools.STATES.items()
                    },
                    "resources": usage.summary(StatusHandler.cpu_meter, paths.WORKSPACE_DIR),
                    "failed_hooks": StatusHandler.failed_hooks,
                    "error": error,
                }
            )
        )


def read_failed_hooks() -> list[str]:
    try:
        return json.loads(paths.HOOK_FAILURES_FILE.read_text())
    except (OSError, ValueError):
        return []


def key_json(key: ssh_keys.PublicKey, source: str) -> dict:
    return {"name": key.name, "type": key.kind, "fingerprint": key.fingerprint, "source": source}


class SshKeysHandler(APIHandler):
    """The client keys allowed to log in over SSH: list them, add one (the body is the public key line)."""

    @web.authenticated
    def get(self) -> None:
        keys = [key_json(key, "workspace") for key in ssh_keys.list_keys()]
        keys += [key_json(key, "SSH_AUTHORIZED_KEYS") for key in ssh_keys.list_keys(paths.START_AUTHORIZED_KEYS)]
        self.finish(json.dumps({"keys": keys}))

    @web.authenticated
    def post(self) -> None:
        try:
            key = ssh_keys.parse_public_key(
                self.request.body.decode(errors="replace"), self.get_query_argument("name", None)
            )
        except ssh_keys.KeyProblem as problem:
            raise web.HTTPError(400, str(problem)) from None
        ssh_keys.add_key(key)
        self.set_status(201)
        self.finish(json.dumps(key_json(key, "workspace")))


def request_token(handler: JupyterHandler) -> str:
    """The token the caller authenticated this request with, for a setup script that acts as them. A caller who
    came with a cookie gets the workspace's token (they logged in with it); with a hub there is none to give:
    the single-user server's own token belongs to the server, not to the user."""
    header = handler.request.headers.get("Authorization", "")
    scheme, _, value = header.partition(" ")
    if scheme.lower() in ("token", "bearer") and value.strip():
        return value.strip()
    if handler.get_query_argument("token", ""):
        return handler.get_query_argument("token")
    return "" if IN_HUB else (handler.identity_provider.token or "")


def ssh_transport(handler: JupyterHandler) -> str:
    """ "direct": ssh to the workspace's port; "websocket": through tools/ssh over HTTP(S), the only way in when a
    hub's proxy (or any HTTP-only proxy) stands in front. ?transport= chooses; a hub means websocket."""
    transport = handler.get_query_argument("transport", "websocket" if IN_HUB else "direct")
    if transport not in ("direct", "websocket"):
        raise web.HTTPError(400, f"transport={transport!r} is not valid: direct or websocket")
    return transport


def ssh_target(handler: APIHandler) -> tuple[str, str, str]:
    """Host, port and host alias for the client's ssh config: the address the request came to (and the path, for
    the alias), unless ?host=&port=&alias= say otherwise."""
    host_header = handler.request.host or "localhost"
    default_port = "443" if handler.request.protocol == "https" else "80"
    default_host, _, default_port = (
        host_header.rpartition(":") if ":" in host_header else (host_header, "", default_port)
    )
    host = handler.get_query_argument("host", default_host or host_header)
    port = handler.get_query_argument("port", default_port)
    # Workspaces on one address differ by their path (a hub's /user/<name>/), so the path is part of the alias.
    where = "-".join([host, port] + handler.base_url.strip("/").split("/")).strip("-")
    alias = handler.get_query_argument("alias", re.sub(r"[^A-Za-z0-9._-]+", "-", f"workbench-{where}"))
    for name, value, pattern in (
        ("host", host, r"[A-Za-z0-9.:\[\]-]{1,253}"),
        ("port", port, r"[0-9]{1,5}"),
        ("alias", alias, r"[A-Za-z0-9._-]{1,100}"),
    ):
        if not re.fullmatch(pattern, value):
            raise web.HTTPError(400, f"{name}={value!r} is not valid")
    return host, port, alias


class SshInfoHandler(APIHandler):
    """What the landing page's SSH section shows: the setup command's parts. The token is the caller's own
    (with a hub, the page asks the user for a hub API token instead); the XSRF token lets the page revoke keys."""

    @web.authenticated
    def get(self) -> None:
        hub_prefix = os.environ.get("JUPYTERHUB_BASE_URL", "/") if IN_HUB else None
        self.set_header("Cache-Control", "no-store")
        self.finish(
            json.dumps(
                {
                    "setup_path": "api/workbench/ssh/setup",
                    "token": request_token(self),
                    "alias": ssh_target(self)[2],
                    "transport": ssh_transport(self),
                    "hub_token_url": url_path_join(hub_prefix, "hub/token") if hub_prefix else None,
                    "xsrf_token": self.xsrf_token.decode() if isinstance(self.xsrf_token, bytes) else self.xsrf_token,
                    # curl cannot check a self-signed certificate the first time; the setup script then pins it.
                    "self_signed_tls": bool(tls.self_signed_served()),
                }
            )
        )


class SshKeyHandler(APIHandler):
    """One client key, by fingerprint or name: revoke it."""

    @web.authenticated
    def delete(self, fingerprint_or_name: str) -> None:
        if not ssh_keys.revoke_key(fingerprint_or_name):
            raise web.HTTPError(
                404,
                f"no key named {fingerprint_or_name!r} (keys from SSH_AUTHORIZED_KEYS are "
                "revoked by removing them from that variable)",
            )
        self.set_status(204)
        self.finish()


class SshSetupHandler(APIHandler):
    """The script a user pipes into sh on their machine (?host=&port=&alias= override what the request shows)."""

    @web.authenticated
    def get(self) -> None:
        host, port, alias = ssh_target(self)
        url = f"{self.request.protocol}://{self.request.host or 'localhost'}{self.base_url}"
        token = request_token(self)
        if IN_HUB and not token:
            raise web.HTTPError(
                400,
                "with JupyterHub the setup script needs a hub API token: create one on the "
                "hub's Token page and fetch this with 'Authorization: token <it>'",
            )
        script = render.ssh_setup_script(
            alias=alias,
            url=url,
            token=token,
            host=host,
            port=int(port),
            user=os.environ.get("USER", ""),
            host_keys=ssh_keys.host_public_keys(),
            transport=ssh_transport(self),
            tls_pin=tls.self_signed_served(),
        )
        self.set_header("Content-Type", "text/x-shellscript; charset=utf-8")
        self.set_header("Cache-Control", "no-store")
        self.finish(script)


class SshTunnelHandler(WebSocketMixin, WebSocketHandler, JupyterHandler):
    """SSH over a websocket (tools/ssh): each binary message carries the bytes of one TCP connection to sshd. For
    clients behind proxies that pass HTTP only, such as a hub's; sshd still asks for the user's key. Reaching sshd
    is a shell, so it takes the right to use terminals."""

    auth_resource = "terminals"

    def set_default_headers(self) -> None:
        """JupyterHandler's page headers make no sense on a websocket."""

    @ws_authenticated
    async def get(self, *args, **kwargs) -> None:
        if not await ensure_async(self.authorizer.is_authorized(self, self.current_user, "execute", "terminals")):
            raise web.HTTPError(403)
        try:
            self.sshd = await iostream.IOStream(socket.socket()).connect(("127.0.0.1", paths.SSHD_PORT))
        except OSError as error:
            raise web.HTTPError(503, f"sshd is not answering: {error}") from None
        await super().get(*args, **kwargs)

    def open(self, *args, **kwargs) -> None:
        super().open()
        self.pump = asyncio.ensure_future(self.from_sshd())

    async def from_sshd(self) -> None:
        try:
            while True:
                data = await self.sshd.read_bytes(TUNNEL_CHUNK, partial=True)
                await self.write_message(data, binary=True)
        except (iostream.StreamClosedError, WebSocketClosedError):
            pass
        finally:
            self.close()

    async def on_message(self, message: str | bytes) -> None:
        # Awaiting the write holds the next message back while sshd is slower than the client.
        try:
            await self.sshd.write(message if isinstance(message, bytes) else message.encode())
        except iostream.StreamClosedError:
            self.close()

    def on_close(self) -> None:
        sshd = getattr(self, "sshd", None)
        if sshd is not None:
            sshd.close()


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
        tool = tools.by_name(name)
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
                render.tool_starting_page(tool, self.base_url, on_demand.WAKE_TIMEOUT_SECONDS, self.xsrf_token.decode())
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


class HubLoginHandler(JupyterHandler):
    """Where nginx sends a browser that is not logged in: opening it makes the single-user server start the hub's
    OAuth login, which comes back here; then on to ?next=, a path under this server."""

    @web.authenticated
    def get(self) -> None:
        next_url = self.get_query_argument("next", self.base_url)
        if not next_url.startswith(self.base_url) or "//" in next_url or "\\" in next_url:
            next_url = self.base_url
        self.redirect(next_url)


def _jupyter_server_extension_points() -> list[dict]:
    return [{"module": "workbench.jupyter_extension"}]


def _load_jupyter_server_extension(serverapp) -> None:
    base_url = serverapp.web_app.settings["base_url"]
    StatusHandler.cpu_meter = usage.CpuMeter()
    StatusHandler.failed_hooks = read_failed_hooks()
    on_demand.use_log(serverapp.log)
    idle_timeout = settings.parse_idle_timeout(os.environ)
    if idle_timeout:
        stopper = on_demand.IdleStopper(idle_timeout, base_url)
        serverapp.io_loop.add_callback(stopper.run_forever)
    serverapp.io_loop.add_callback(announce.when_ready)
    serverapp.web_app.add_handlers(
        ".*$",
        [
            (url_path_join(base_url, "api/workbench/healthz"), HealthHandler),
            (url_path_join(base_url, "api/workbench/status"), StatusHandler),
            (url_path_join(base_url, "api/workbench/ssh/keys"), SshKeysHandler),
            (url_path_join(base_url, r"api/workbench/ssh/keys/([^/]+)"), SshKeyHandler),
            (url_path_join(base_url, "api/workbench/ssh/setup"), SshSetupHandler),
            (url_path_join(base_url, "api/workbench/ssh/info"), SshInfoHandler),
            (url_path_join(base_url, "api/workbench/auth"), AuthCheckHandler),
            (url_path_join(base_url, "api/workbench/login"), HubLoginHandler),
            (url_path_join(base_url, rf"api/workbench/tools/({tools.NAME_PATTERN})/wake"), ToolWakeHandler),
            (url_path_join(base_url, "tools/ssh"), SshTunnelHandler),
        ],
    )
