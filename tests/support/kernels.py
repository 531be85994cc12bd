"""The Jupyter kernel protocol as a client speaks it through port 8080: start a kernel over the REST API, open its
channels' websocket, run code and read what it printed."""

from __future__ import annotations

import json
import time
import uuid

import requests
import websocket
from jupyter_client.session import Session

from workbench_client import Workspace


def start_kernel(workspace: Workspace, headers: dict | None = None, name: str = "python3") -> str:
    response = requests.post(
        workspace.url + "api/kernels",
        json={"name": name},
        headers=headers if headers is not None else workspace.auth_headers(),
        timeout=60,
    )
    assert response.status_code == 201, response.text
    return response.json()["id"]


def open_kernel_channels(
    workspace: Workspace, kernel_id: str, headers: dict | None = None, cookie: str | None = None
) -> websocket.WebSocket:
    header_list = [f"{k}: {v}" for k, v in (headers if headers is not None else workspace.auth_headers()).items()]
    return websocket.create_connection(
        workspace.ws_url(f"api/kernels/{kernel_id}/channels?session_id={uuid.uuid4().hex}"),
        header=header_list,
        cookie=cookie,
        origin=workspace.origin(),
        timeout=60,
    )


def execute(
    workspace: Workspace, code: str, kernel_id: str | None = None, headers: dict | None = None, timeout: float = 60
) -> str:
    """Run code in a kernel through port 8080's websocket; return what it printed. Raises on an error."""
    kernel_id = kernel_id or start_kernel(workspace, headers)
    channel = open_kernel_channels(workspace, kernel_id, headers)
    try:
        return execute_on(channel, code, timeout)
    finally:
        channel.close()


def execute_on(channel: websocket.WebSocket, code: str, timeout: float = 60) -> str:
    """Run code through a kernel's open channels; return what it printed. Raises on an error."""
    session = Session(key=b"", username="test")  # the server signs messages itself; clients send unsigned
    message = session.msg(
        "execute_request",
        {
            "code": code,
            "silent": False,
            "store_history": False,
            "user_expressions": {},
            "allow_stdin": False,
            "stop_on_error": True,
        },
    )
    message["channel"] = "shell"
    channel.send(json.dumps(message, default=str))
    msg_id = message["header"]["msg_id"]
    output, reply, idle = [], None, False
    deadline = time.monotonic() + timeout
    while not (reply and idle):
        assert time.monotonic() < deadline, f"no reply from the kernel in {timeout} s; output so far: {output}"
        incoming = json.loads(channel.recv())
        if incoming.get("parent_header", {}).get("msg_id") != msg_id:
            continue
        kind = incoming["header"]["msg_type"]
        if kind == "stream":
            output.append(incoming["content"]["text"])
        elif kind == "error":
            raise AssertionError("kernel error: " + "\n".join(incoming["content"]["traceback"]))
        elif kind == "execute_reply":
            reply = incoming["content"]
        elif kind == "status" and incoming["content"]["execution_state"] == "idle":
            idle = True
    assert reply["status"] == "ok", reply
    return "".join(output)
