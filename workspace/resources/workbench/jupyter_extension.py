"""Jupyter Server extension: the workspace's liveness and status endpoints, under Jupyter's own auth."""
from __future__ import annotations

import asyncio
import json
import os
import re
import xmlrpc.client

from jupyter_server.auth.decorator import allow_unauthenticated
from jupyter_server.base.handlers import APIHandler, JupyterHandler
from jupyter_server.utils import url_path_join
from tornado import web

from . import __version__, health, paths, render, ssh_keys, supervisor_client, tools, usage


class HealthHandler(JupyterHandler):
    """Reached through nginx's `healthz`: answering at all proves nginx and Jupyter are up. No details."""

    @allow_unauthenticated
    def get(self) -> None:
        self.set_header("Content-Type", "text/plain; charset=utf-8")
        self.set_header("Cache-Control", "no-store")
        self.finish("ok\n")


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
        healthy = await health.probe_running_tools(services, self.base_url)
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
            key = ssh_keys.parse_public_key(self.request.body.decode(errors="replace"),
                                            self.get_query_argument("name", None))
        except ssh_keys.KeyProblem as problem:
            raise web.HTTPError(400, str(problem)) from None
        ssh_keys.add_key(key)
        self.set_status(201)
        self.finish(json.dumps(key_json(key, "workspace")))


def ssh_target(handler: APIHandler) -> tuple[str, str, str]:
    """Host, port and host alias for the client's ssh config: the address the request came to, unless
    ?host=&port=&alias= say otherwise."""
    host_header = handler.request.host or "localhost"
    default_host, _, default_port = host_header.rpartition(":") if ":" in host_header else (host_header, "", "80")
    host = handler.get_query_argument("host", default_host or host_header)
    port = handler.get_query_argument("port", default_port)
    alias = handler.get_query_argument("alias", re.sub(r"[^A-Za-z0-9._-]+", "-", f"workbench-{host}-{port}"))
    for name, value, pattern in (("host", host, r"[A-Za-z0-9.:\[\]-]{1,253}"), ("port", port, r"[0-9]{1,5}"),
                                 ("alias", alias, r"[A-Za-z0-9._-]{1,100}")):
        if not re.fullmatch(pattern, value):
            raise web.HTTPError(400, f"{name}={value!r} is not valid")
    return host, port, alias


class SshInfoHandler(APIHandler):
    """What the landing page's SSH section shows: the setup command's parts. The token is the caller's own
    (they are logged in with it); the XSRF token lets the page revoke keys."""

    @web.authenticated
    def get(self) -> None:
        self.set_header("Cache-Control", "no-store")
        self.finish(json.dumps({
            "setup_path": "api/workbench/ssh/setup",
            "token": self.identity_provider.token or "",
            "alias": ssh_target(self)[2],
            "xsrf_token": self.xsrf_token.decode() if isinstance(self.xsrf_token, bytes) else self.xsrf_token,
        }))


class SshKeyHandler(APIHandler):
    """One client key, by fingerprint or name: revoke it."""

    @web.authenticated
    def delete(self, fingerprint_or_name: str) -> None:
        if not ssh_keys.revoke_key(fingerprint_or_name):
            raise web.HTTPError(404, f"no key named {fingerprint_or_name!r} (keys from SSH_AUTHORIZED_KEYS are "
                                     "revoked by removing them from that variable)")
        self.set_status(204)
        self.finish()


class SshSetupHandler(APIHandler):
    """The script a user pipes into sh on their machine (?host=&port=&alias= override what the request shows)."""

    @web.authenticated
    def get(self) -> None:
        host, port, alias = ssh_target(self)
        script = render.ssh_setup_script(
            alias=alias, url=f"{self.request.protocol}://{self.request.host or 'localhost'}{self.base_url}",
            token=self.identity_provider.token or "", host=host, port=int(port),
            user=os.environ.get("USER", ""), host_keys=ssh_keys.host_public_keys())
        self.set_header("Content-Type", "text/x-shellscript; charset=utf-8")
        self.set_header("Cache-Control", "no-store")
        self.finish(script)


def _jupyter_server_extension_points() -> list[dict]:
    return [{"module": "workbench.jupyter_extension"}]


def _load_jupyter_server_extension(serverapp) -> None:
    base_url = serverapp.web_app.settings["base_url"]
    StatusHandler.cpu_meter = usage.CpuMeter()
    serverapp.web_app.add_handlers(".*$", [
        (url_path_join(base_url, "api/workbench/healthz"), HealthHandler),
        (url_path_join(base_url, "api/workbench/status"), StatusHandler),
        (url_path_join(base_url, "api/workbench/ssh/keys"), SshKeysHandler),
        (url_path_join(base_url, r"api/workbench/ssh/keys/([^/]+)"), SshKeyHandler),
        (url_path_join(base_url, "api/workbench/ssh/setup"), SshSetupHandler),
        (url_path_join(base_url, "api/workbench/ssh/info"), SshInfoHandler),
    ])
