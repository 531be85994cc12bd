"""SSH from the landing page: the client keys allowed to log in, the setup script a user pipes into sh, and SSH over
a websocket (tools/ssh) for clients that can reach the workspace only through HTTP."""

from __future__ import annotations

import asyncio
import json
import os
import re
import socket

from jupyter_core.utils import ensure_async
from jupyter_server.auth.decorator import ws_authenticated
from jupyter_server.base.handlers import APIHandler, JupyterHandler
from jupyter_server.base.websocket import WebSocketMixin
from jupyter_server.utils import url_path_join
from tornado import iostream, web
from tornado.websocket import WebSocketClosedError, WebSocketHandler

from ..contracts import pages
from ..facts import paths, ssh_keys, tools
from ..start import tls

# Read through one websocket message at a time: SSH's own packets are at most 32 KiB plus framing.
TUNNEL_CHUNK = 64 * 1024


def in_hub(handler: JupyterHandler) -> bool:
    return handler.settings["workbench"].hub_prefix is not None


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
    return "" if in_hub(handler) else (handler.identity_provider.token or "")


def ssh_transport(handler: JupyterHandler) -> pages.SshTransport:
    """?transport= chooses; a hub means the websocket (its proxy passes only HTTP)."""
    default = pages.SshTransport.WEBSOCKET if in_hub(handler) else pages.SshTransport.DIRECT
    transport = handler.get_query_argument("transport", default)
    try:
        return pages.SshTransport(transport)
    except ValueError:
        choices = " or ".join(pages.SshTransport)
        raise web.HTTPError(400, f"transport={transport!r} is not valid: {choices}") from None


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
        hub_prefix = self.settings["workbench"].hub_prefix
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
        if in_hub(self) and not token:
            raise web.HTTPError(
                400,
                "with JupyterHub the setup script needs a hub API token: create one on the "
                "hub's Token page and fetch this with 'Authorization: token <it>'",
            )
        script = pages.ssh_setup_script(
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


ROUTES = [
    ("api/workbench/ssh/keys", SshKeysHandler),
    (r"api/workbench/ssh/keys/([^/]+)", SshKeyHandler),
    ("api/workbench/ssh/setup", SshSetupHandler),
    ("api/workbench/ssh/info", SshInfoHandler),
    (f"tools/{tools.SSH_ROUTE}", SshTunnelHandler),
]
