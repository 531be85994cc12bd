"""The image's own tools with programs (VS Code, the desktop, TensorBoard, Netdata) start when first opened, by a page,
a script's request or a websocket, and stop after WORKSPACE_TOOLS_IDLE_TIMEOUT seconds without use. The door's side of
that contract in detail (the 307, the internal redirect, health, giving up, idle stop) is test_tool_contract.py's."""

from __future__ import annotations

import time

import pytest
import websocket

from tool_pages import ON_DEMAND_TOOLS, TOOL_PAGES
from workbench.facts import catalogue
from workbench_client import refused, tool_state, wait_for_status
from workspaces import WorkspaceFactory

pytestmark = pytest.mark.container

PROGRAMS = {tool.name: tool.program_names for tool in catalogue.with_programs()}
PORTS = {port for tool in catalogue.with_programs() for port in tool.ports}
SHORT_IDLE = 6  # seconds


@pytest.fixture(scope="module")
def fresh(docker_client, image):
    """A workspace as a user starts it, whose tools nobody has opened yet."""
    with WorkspaceFactory(docker_client, image) as factory:
        yield factory.start()


def listening_ports(workspace) -> set[int]:
    output = workspace.container.exec_run(["ss", "-Hltn"]).output.decode()
    return {int(line.split()[3].rsplit(":", 1)[1]) for line in output.splitlines()}


def open_desktop_socket(workspace) -> websocket.WebSocket:
    return websocket.create_connection(
        workspace.ws_url("tools/desktop/websockify"),
        origin=workspace.origin(),
        header=[f"{k}: {v}" for k, v in workspace.auth_headers().items()],
        subprotocols=["binary"],
        timeout=150,
    )


def test_heavy_tools_wait_idle_until_opened(fresh):
    status = wait_for_status(fresh, lambda s: tool_state(s, "lab") == "RUNNING")
    states = {tool["name"]: (tool["state"], tool["on_demand"]) for tool in status["tools"]}
    assert states == {
        "lab": ("RUNNING", False),
        "notebook": ("RUNNING", False),
        "terminal": ("RUNNING", False),
        **{name: ("IDLE", True) for name in ON_DEMAND_TOOLS},
    }
    services = {service["name"]: service["state"] for service in status["services"]}
    assert {services[program] for name in ON_DEMAND_TOOLS for program in PROGRAMS[name]} == {"STOPPED"}
    assert not listening_ports(fresh) & PORTS


def test_a_scripts_first_request_starts_the_tool_and_gets_its_answer(fresh):
    path, text = TOOL_PAGES["tensorboard"]
    response = fresh.get(path, timeout=150)
    # The very first request is answered by TensorBoard itself, not by a retry or an error page.
    assert response.status_code == 200 and text in response.text, response.text[:300]
    status = wait_for_status(fresh, lambda s: tool_state(s, "tensorboard") == "RUNNING")
    assert tool_state(status, "vscode") == "IDLE"
    assert "starting TensorBoard: it was opened" in fresh.logs()


def test_a_websocket_to_a_stopped_tool_starts_it_and_connects(fresh):
    channel = open_desktop_socket(fresh)
    try:
        assert channel.handshake_response.status == 101
        assert channel.recv()[:12] == b"RFB 003.008\n"
    finally:
        channel.close()
    assert tool_state(wait_for_status(fresh, lambda s: tool_state(s, "desktop") == "RUNNING"), "desktop") == "RUNNING"


def test_a_browser_gets_a_starting_page_that_turns_into_the_tool(fresh):
    path, text = TOOL_PAGES["netdata"]
    page = fresh.get(path, headers={"Accept": "text/html,application/xhtml+xml", "Sec-Fetch-Mode": "navigate"})
    assert page.status_code == 503 and page.headers["Retry-After"] == "2"
    assert "<title>Starting Netdata…</title>" in page.text
    # The page polls the status and reloads itself once the tool runs; the same navigation then gets the tool.
    assert '"/api/workbench/status"' in page.text and "location.reload()" in page.text
    wait_for_status(fresh, lambda s: tool_state(s, "netdata") == "RUNNING", timeout=120)
    again = fresh.get(path, headers={"Accept": "text/html", "Sec-Fetch-Mode": "navigate"})
    assert again.status_code == 200 and text in again.text


def test_opening_a_tool_needs_the_login_like_any_other_url(fresh):
    response = fresh.get("tools/vscode/", authenticated=False)
    assert refused(response) and response.headers["Location"] == "/login?next=/tools/vscode/"
    response = fresh.get("api/workbench/tools/vscode/wake", authenticated=False)
    assert response.status_code == 403


def stays_running(workspace, tool: str, seconds: float) -> None:
    """The tool is still running after `seconds`, checked all along (several idle timeouts)."""
    wait_for_status(workspace, lambda s: tool_state(s, tool) == "RUNNING")
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        assert tool_state(wait_for_status(workspace, lambda s: True), tool) == "RUNNING"
        time.sleep(1)


def test_an_open_connection_or_a_window_keeps_the_desktop_running(workspaces):
    workspace = workspaces.start(env={"WORKSPACE_TOOLS_IDLE_TIMEOUT": str(SHORT_IDLE)})
    channel = open_desktop_socket(workspace)
    try:
        assert channel.recv()[:12] == b"RFB 003.008\n"
        stays_running(workspace, "desktop", 3 * SHORT_IDLE)
    finally:
        channel.close()
    # Nobody watches, but a window of the user's is open (a GUI program started from a terminal or a notebook).
    workspace.container.exec_run(
        ["xmessage", "still working"], user="jovyan", environment={"DISPLAY": ":1"}, detach=True
    )
    stays_running(workspace, "desktop", 3 * SHORT_IDLE)
    workspace.container.exec_run(["pkill", "-x", "xmessage"])
    wait_for_status(workspace, lambda s: tool_state(s, "desktop") == "IDLE", timeout=90)


def test_at_start_starts_every_tool_with_the_container(workspaces):
    workspace = workspaces.start(env={"WORKSPACE_TOOLS_START": "at-start"})
    status = wait_for_status(workspace, lambda s: all(t["state"] == "RUNNING" for t in s["tools"]), timeout=120)
    assert all(tool["on_demand"] for tool in status["tools"] if tool["name"] in ON_DEMAND_TOOLS)
    # Nothing opened them: no request reached any of them.
    assert "it was opened" not in workspace.logs()
