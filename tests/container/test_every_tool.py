"""Every tool behind port 8080: its real page and websocket with the token, nothing without it, and supervisord
bringing back any tool whose process is killed. (Only 8080 listening beyond loopback: test_start.py.)"""

from __future__ import annotations

import json
import time
import uuid

import pytest
import requests
import websocket

from tool_pages import TOOL_PAGES as PAGES
from workbench.facts import catalogue, paths
from workbench_client import (
    open_every_tool,
    refused,
    tool_state,
    wait_for_page,
    wait_for_status,
    wait_for_tool,
)
from workspaces import WorkspaceFactory

pytestmark = pytest.mark.container


def open_socket(workspace, tool: str, authenticated: bool = True) -> websocket.WebSocket:
    """The tool's own websocket, opened as its web page opens it."""
    headers = [f"{k}: {v}" for k, v in workspace.auth_headers().items()] if authenticated else []
    if tool == "terminal" and authenticated:
        created = requests.post(workspace.url + "api/terminals", headers=workspace.auth_headers(), timeout=30)
        assert created.status_code == 200, created.text
        path = f"terminals/websocket/{created.json()['name']}"
    else:
        path = {
            "vscode": f"tools/vscode/?reconnectionToken={uuid.uuid4()}&reconnection=false&skipWebSocketFrames=false",
            "desktop": "tools/desktop/websockify",
            "terminal": "terminals/websocket/1",
        }[tool]
    return websocket.create_connection(
        workspace.ws_url(path),
        origin=workspace.origin(),
        header=headers,
        subprotocols=["binary"] if tool == "desktop" else None,
        timeout=30,
    )


@pytest.mark.parametrize("tool", sorted(PAGES))
def test_tool_serves_its_own_page_with_the_token(workspace, tool):
    path, text = PAGES[tool]
    response = wait_for_page(workspace, path, text)
    assert response.status_code == 200 and text in response.text, response.text[:500]


def test_desktop_entry_page_opens_novnc_connected_to_its_websocket(workspace):
    # The tile opens tools/desktop/; that page works out the websocket path for any base URL.
    page = workspace.get("tools/desktop/")
    assert page.status_code == 200
    assert "vnc.html?" in page.text and 'autoconnect: "true"' in page.text and 'resize: "remote"' in page.text
    assert '"websockify"' in page.text


def test_desktop_websocket_speaks_rfb(workspace):
    wait_for_tool(workspace, "desktop")
    channel = open_socket(workspace, "desktop")
    try:
        assert channel.handshake_response.status == 101
        assert channel.recv()[:12] == b"RFB 003.008\n"
    finally:
        channel.close()


def test_terminal_websocket_runs_a_login_shell_with_the_workspace_python(workspace):
    channel = open_socket(workspace, "terminal")
    try:
        assert channel.handshake_response.status == 101
        channel.send(json.dumps(["stdin", "echo terminal-$((6*7)) $(command -v python pip) $PWD $DISPLAY.\r"]))
        expected = f"terminal-42 {paths.VENV_DIR}/bin/python {paths.VENV_DIR}/bin/pip /workspace :1."
        output, deadline = "", time.monotonic() + 30
        while expected not in output and time.monotonic() < deadline:
            message = json.loads(channel.recv())
            if message[0] == "stdout":
                output += message[1]
        assert expected in output, output
    finally:
        channel.close()


def test_vscode_websocket_upgrades_to_a_live_server(workspace):
    wait_for_page(workspace, *PAGES["vscode"])
    channel = open_socket(workspace, "vscode")
    try:
        assert channel.handshake_response.status == 101
        # code-server itself answers on it (nginx only passes frames on): a ping comes back as a pong.
        channel.ping(b"workbench")
        frame = channel.recv_data_frame(control_frame=True)[1]
        assert (frame.opcode, frame.data) == (websocket.ABNF.OPCODE_PONG, b"workbench")
    finally:
        channel.close()


@pytest.mark.parametrize("tool", sorted(PAGES))
def test_tool_page_is_refused_without_the_token(workspace, tool):
    path, text = PAGES[tool]
    response = workspace.get(path, authenticated=False)
    assert refused(response) and text not in response.text
    assert requests.post(workspace.url + path, allow_redirects=False, timeout=30).status_code == 403
    browser = workspace.get(path, authenticated=False, headers={"Accept": "text/html"})
    assert browser.status_code == 302 and browser.headers["Location"].startswith("/login?next=")


@pytest.mark.parametrize("tool", ["vscode", "desktop", "terminal"])
def test_tool_websocket_is_refused_without_the_token(workspace, tool):
    with pytest.raises(websocket.WebSocketBadStatusException) as refusal:
        open_socket(workspace, tool, authenticated=False)
    assert refusal.value.status_code == 403


def service(status: dict, name: str) -> dict:
    return next(s for s in status["services"] if s["name"] == name)


# program killed -> the tool whose page (or for the desktop, its VNC websocket) proves it is back: every program
# declared but the desktop's session, which ends with its display and comes back with it; Jupyter for its own tools.
KILLED = {
    "jupyter": "terminal",
    **{
        program.name: tool.name
        for tool in catalogue.with_programs()
        for program in tool.programs
        if program.name != "desktop-session"
    },
}


@pytest.fixture(scope="module")
def victim(docker_client, image):
    """A workspace of their own for the tests that kill its processes: the module's shared one stays untouched for
    the tests that only look."""
    with WorkspaceFactory(docker_client, image) as factory:
        yield factory.start()


@pytest.mark.parametrize("program", sorted(KILLED))
def test_killed_tool_process_comes_back_and_the_landing_status_shows_it(victim, program):
    workspace, tool = victim, KILLED[program]
    before = service(wait_for_tool(workspace, tool), program)
    workspace.container.exec_run(["kill", "-9", str(before["pid"])])
    after = wait_for_status(
        workspace,
        lambda s: service(s, program)["pid"] != before["pid"] and tool_state(s, tool) == "RUNNING",
        timeout=90,
    )
    assert service(after, program)["uptime_seconds"] < before["uptime_seconds"] + 30
    if tool == "desktop":
        channel = open_socket(workspace, "desktop")
        try:
            assert channel.recv()[:12] == b"RFB 003.008\n"
        finally:
            channel.close()
    else:
        path, text = PAGES[tool]
        response = wait_for_page(workspace, path, text)
        assert text in response.text


def test_landing_status_reports_each_tool_and_the_resources(workspace):
    status = open_every_tool(workspace)
    listed = {tool["name"]: tool for tool in status["tools"]}
    assert list(listed) == [tool.name for tool in catalogue.all_tools()]
    assert listed["desktop"]["services"] == ["desktop-display", "desktop-session", "desktop-websockify"]
    assert listed["netdata"]["path"] == "tools/netdata/" and listed["netdata"]["icon"] == "workbench/icons/netdata.svg"
    icon = workspace.get(listed["netdata"]["icon"])
    assert icon.headers["Content-Type"] == "image/svg+xml" and icon.text.startswith("<svg ")
    assert status["states"]["IDLE"] == {"class": "idle", "label": "starts when opened"}
    resources = status["resources"]
    assert 0 < resources["cpu"]["cores"] <= 1024
    assert resources["cpu"]["percent"] is not None and 0 <= resources["cpu"]["percent"] <= 100 * 1.05
    assert 50 * 2**20 < resources["memory"]["used"] < resources["memory"]["limit"]
    assert resources["disk"]["path"] == "/workspace" and 0 < resources["disk"]["used"] < resources["disk"]["total"]


def test_resources_follow_the_container_limits(workspaces, host_workspace):
    workspace = workspaces.start(workspace_dir=host_workspace, nano_cpus=1_500_000_000, mem_limit="3g")
    status = wait_for_status(workspace, lambda s: s["resources"]["memory"] is not None)
    assert status["resources"]["cpu"]["cores"] == 1.5
    assert status["resources"]["memory"]["limit"] == 3 * 2**30


def test_netdata_answers_its_api_with_this_workspace(workspace):
    response = wait_for_page(workspace, "tools/netdata/api/v1/info", '"version"')
    info = response.json()
    assert info["version"].startswith("v1.") and info["mirrored_hosts"] == ["workbench"]
    charts = workspace.get("tools/netdata/api/v1/charts").json()["charts"]
    assert "system.cpu" in charts and "system.ram" in charts
    assert any(name.startswith("net.eth0") for name in charts)  # the container's own network interface
    assert any(name.startswith("disk_space.") for name in charts)


VSCODE_SETTINGS = "/home/jovyan/.local/share/code-server/User/settings.json"


def test_vscode_starts_with_workbench_defaults(workspace):
    settings = workspace.container.exec_run(["cat", VSCODE_SETTINGS], user="jovyan")
    assert settings.exit_code == 0
    values = json.loads(settings.output)
    assert values["chat.disableAIFeatures"] is True and values["telemetry.telemetryLevel"] == "off"
    assert values["python.defaultInterpreterPath"] == str(paths.VENV_PYTHON)


def test_vscode_settings_the_user_has_are_kept_across_a_restart(workspaces, host_workspace):
    workspace = workspaces.start(workspace_dir=host_workspace)
    mine = '{"workbench.colorTheme": "Default Light Modern"}\n'
    workspace.container.exec_run(["sh", "-c", f"printf '%s' '{mine}' > {VSCODE_SETTINGS}"], user="jovyan")
    workspace.container.restart(timeout=10)
    workspace.reload()
    workspace.wait_ready()
    assert workspace.container.exec_run(["cat", VSCODE_SETTINGS]).output.decode() == mine
