"""The pages the door renders for one request: the SSH setup script a client runs, and the page a browser waits on
while a tool starts."""

from __future__ import annotations

import re
from enum import StrEnum

from ..facts import paths, states, tools
from .rendering import render_template


class SshTransport(StrEnum):
    """How a client's ssh reaches sshd: to the workspace's port, or through tools/ssh over HTTP(S), the only way in
    when a hub's proxy (or any HTTP-only proxy) stands in front. Its value is the setup script's ?transport=."""

    DIRECT = "direct"
    WEBSOCKET = "websocket"


def ssh_setup_script(
    *,
    alias: str,
    url: str,
    token: str,
    host: str,
    port: int,
    user: str,
    host_keys: list[str],
    transport: SshTransport = SshTransport.DIRECT,
    tls_pin: str = "",
) -> str:
    """The client's setup script; over a websocket, ssh reaches sshd through url + tools/ssh. tls_pin: the
    self-signed certificate the workspace serves, which the script keeps and checks its own requests against."""
    tunnel_url = re.sub(r"^http", "ws", url) + f"tools/{tools.SSH_ROUTE}"
    return render_template(
        "ssh-setup.sh.j2",
        alias=alias,
        url=url,
        token=token,
        host=host,
        port=port,
        user=user,
        host_keys=host_keys,
        remote_python=paths.VENV_PYTHON,
        over_websocket=transport is SshTransport.WEBSOCKET,
        tunnel_url=tunnel_url,
        proxy_helper=paths.SSH_PROXY_HELPER.read_text() if transport is SshTransport.WEBSOCKET else "",
        tls_pin=tls_pin,
    )


def tool_starting_page(tool: tools.Tool, base_url: str, timeout: float, xsrf_token: str) -> str:
    return render_template(
        "tool-starting.html.j2",
        name=tool.name,
        title=tool.title,
        base_url=base_url,
        timeout=timeout,
        xsrf_token=xsrf_token,
        given_up=states.GIVEN_UP,
    )
