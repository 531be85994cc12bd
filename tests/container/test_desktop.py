"""The Linux desktop as a VNC viewer sees it through port 8080: no password prompt, the size asked for, the
clipboard both ways, and a terminal and a file manager open in /workspace."""

from __future__ import annotations

import contextlib
import re

import pytest
import websocket

from rfb import RfbSession
from workbench_client import wait_for_tool, wait_until

pytestmark = pytest.mark.container


@contextlib.contextmanager
def viewer(workspace):
    wait_for_tool(workspace, "desktop")
    channel = websocket.create_connection(
        workspace.ws_url("tools/desktop/websockify"),
        origin=workspace.origin(),
        subprotocols=["binary"],
        header=[f"{k}: {v}" for k, v in workspace.auth_headers().items()],
        timeout=30,
    )
    try:
        yield RfbSession(channel)
    finally:
        channel.close()


def in_desktop(workspace, command: str):
    return workspace.container.exec_run(["sh", "-c", command], user="jovyan", environment={"DISPLAY": ":1"})


def test_desktop_connects_without_a_password_at_the_default_size(workspace):
    with viewer(workspace) as session:
        desktop = session.handshake()
    assert (desktop.width, desktop.height, desktop.name) == (1600, 900, "Workbench")


def test_vnc_resolution_sets_the_desktop_size(workspaces, host_workspace):
    workspace = workspaces.start({"VNC_RESOLUTION": "1024x768"}, host_workspace)
    with viewer(workspace) as session:
        desktop = session.handshake()
    assert (desktop.width, desktop.height) == (1024, 768)


def test_clipboard_goes_both_ways(workspace):
    with viewer(workspace) as session:
        session.handshake()
        session.send_clipboard("copied in the browser")

        def pasted() -> str:  # applied asynchronously
            return in_desktop(workspace, "xclip -o -selection clipboard").output.decode()

        wait_until(lambda: pasted() == "copied in the browser", 30, 0.2, failure=pasted)
        in_desktop(workspace, "printf 'copied on the desktop' | xclip -i -selection clipboard")
        assert session.receive_clipboard() == "copied on the desktop"


def test_desktop_opens_a_terminal_and_a_file_manager_in_the_workspace(workspace):
    wait_for_tool(workspace, "desktop")

    def windows() -> str:
        return in_desktop(workspace, "xwininfo -root -tree").output.decode()

    def both_open() -> bool:
        titles = windows()
        return '"workspace - Thunar"' in titles and re.search(r'"Terminal - [^"]*: /workspace"', titles)

    wait_until(both_open, 60, 0.5, failure=windows)


def test_aborted_connections_do_not_lock_the_desktop(workspace):
    """Closed tabs, reconnect loops, a port scan: clients that leave after the greeting. All come from 127.0.0.1
    (websockify), so a VNC blacklist would lock every later viewer out ("Too many security failures")."""
    for _ in range(20):
        with viewer(workspace) as session:
            assert session.read(12) == b"RFB 003.008\n"
    with viewer(workspace) as session:
        desktop = session.handshake()  # asserts RFB 003.008 and no password

        def colours() -> int:
            strip = session.pixels(desktop, desktop.width, 60)
            return len({strip[i : i + desktop.bytes_per_pixel] for i in range(0, len(strip), desktop.bytes_per_pixel)})

        # XFCE's panel draws a moment after the session starts.
        wait_until(lambda: colours() >= 10, 60, 0.5, failure=lambda: f"the top strip has {colours()} colours")
