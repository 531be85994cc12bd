"""Tools behind the same port and token: VS Code, TensorBoard, and any web app the user starts (tools/port/<n>/)."""
import time
import uuid

import pytest
import requests
import websocket

from workbench_client import execute, wait_for_status

pytestmark = pytest.mark.container


def wait_for(workspace, path, timeout=60) -> requests.Response:
    """A tool's service may still be starting right after healthz: wait until it answers 200."""
    deadline = time.monotonic() + timeout
    while True:
        response = workspace.get(path)
        if response.status_code == 200 or time.monotonic() > deadline:
            return response
        time.sleep(0.5)


def test_tensorboard_is_served_under_its_path_and_reads_the_workspace(workspace):
    page = wait_for(workspace, "tools/tensorboard/")
    assert page.status_code == 200, page.text[:500]
    assert "<tf-tensorboard" in page.text or "TensorBoard" in page.text
    logdir = workspace.get("tools/tensorboard/data/logdir")
    assert logdir.json() == {"logdir": "/workspace"}
    assert workspace.get("tools/tensorboard", authenticated=True).status_code == 301


def test_tensorboard_is_refused_without_the_token(workspace):
    assert workspace.get("tools/tensorboard/data/logdir", authenticated=False).status_code == 403


def test_tensorboard_logdir_is_configurable(workspaces, host_workspace):
    (host_workspace / "runs").mkdir()
    workspace = workspaces.start({"TENSORBOARD_LOGDIR": "/workspace/runs"}, host_workspace)
    assert wait_for(workspace, "tools/tensorboard/data/logdir").json() == {"logdir": "/workspace/runs"}


SERVE = """
import pathlib, subprocess, sys, time, urllib.request
pathlib.Path('/workspace/site').mkdir(exist_ok=True)
pathlib.Path('/workspace/site/hello.txt').write_text('hello from port 8765')
subprocess.Popen([sys.executable, '-m', 'http.server', '8765', '--bind', '127.0.0.1', '--directory', '/workspace/site'],
                 stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
for _ in range(100):
    try:
        urllib.request.urlopen('http://127.0.0.1:8765/hello.txt'); break
    except OSError:
        time.sleep(0.1)
print('serving')
"""


def test_web_app_started_in_the_kernel_is_reachable_with_the_token_only(workspace):
    assert execute(workspace, SERVE) == "serving\n"
    response = workspace.get("tools/port/8765/hello.txt")
    assert response.status_code == 200 and response.text == "hello from port 8765"
    listing = workspace.get("tools/port/8765/")
    assert "hello.txt" in listing.text
    assert workspace.get("tools/port/8765").headers["Location"] == "/tools/port/8765/"
    assert workspace.get("tools/port/8765/hello.txt", authenticated=False).status_code == 403
    browser = workspace.get("tools/port/8765/hello.txt", authenticated=False, headers={"Accept": "text/html"})
    assert browser.headers["Location"] == "/login?next=/tools/port/8765/hello.txt"


def test_port_with_nothing_listening_is_a_gateway_error(workspace):
    assert workspace.get("tools/port/9/").status_code == 502


def test_landing_status_lists_tensorboard_with_its_state(workspace):
    status = wait_for_status(workspace, lambda s: any(t["name"] == "tensorboard" and t["state"] == "RUNNING"
                                                     for t in s["tools"]))
    tensorboard = next(t for t in status["tools"] if t["name"] == "tensorboard")
    assert tensorboard["path"] == "tools/tensorboard/" and tensorboard["title"] == "TensorBoard"


def test_killed_tool_is_restarted_and_the_landing_status_shows_it(workspace):
    def tensorboard(status):
        return next(s for s in status["services"] if s["name"] == "tensorboard")
    before = tensorboard(wait_for_status(workspace, lambda s: tensorboard(s)["state"] == "RUNNING"))
    workspace.container.exec_run(["kill", "-9", str(before["pid"])])
    after = tensorboard(wait_for_status(
        workspace, lambda s: tensorboard(s)["state"] == "RUNNING" and tensorboard(s)["pid"] != before["pid"]))
    assert after["uptime_seconds"] < before["uptime_seconds"] + 5
    assert wait_for(workspace, "tools/tensorboard/data/logdir").json() == {"logdir": "/workspace"}


def vscode_socket_url(workspace) -> str:
    return workspace.ws_url(f"tools/vscode/?reconnectionToken={uuid.uuid4()}&reconnection=false"
                            "&skipWebSocketFrames=false")


def test_vscode_serves_its_workbench_and_upgrades_its_websocket(workspace):
    assert workspace.get("tools/vscode/").headers["Location"] == "./?folder=/workspace"
    page = wait_for(workspace, "tools/vscode/?folder=/workspace")
    assert page.status_code == 200, page.text[:300]
    assert 'id="vscode-workbench-web-configuration"' in page.text
    settings = page.text.replace("&quot;", '"')
    # Served by code-server as the workspace user, with the flags the declaration gives it.
    assert '"userDataPath":"/home/jovyan/.local/share/code-server"' in settings
    assert '"enableWorkspaceTrust":false' in settings and '"isEnabledCoderGettingStarted":false' in settings
    channel = websocket.create_connection(vscode_socket_url(workspace), origin=workspace.origin(),
                                          header=[f"{k}: {v}" for k, v in workspace.auth_headers().items()],
                                          timeout=30)
    assert channel.handshake_response.status == 101
    channel.close()


def test_vscode_and_its_websocket_are_refused_without_the_token(workspace):
    assert workspace.get("tools/vscode/", authenticated=False).status_code == 403
    with pytest.raises(websocket.WebSocketBadStatusException) as refused:
        websocket.create_connection(vscode_socket_url(workspace), origin=workspace.origin(), timeout=30)
    assert refused.value.status_code == 403
