"""What is particular to each tool: TensorBoard's log dir, VS Code's flags, and any web app the user starts
(tools/port/<n>/). What every tool shares is in test_every_tool.py."""

from pathlib import Path

import pytest

from kernels import execute
from workbench.facts import catalogue, paths
from workbench_client import refused, wait_for_page

pytestmark = pytest.mark.container


def test_tensorboard_is_served_under_its_path_and_reads_the_workspace(workspace):
    page = wait_for_page(workspace, "tools/tensorboard/")
    assert page.status_code == 200, page.text[:500]
    assert "<tb-webapp></tb-webapp>" in page.text
    logdir = workspace.get("tools/tensorboard/data/logdir")
    assert logdir.json() == {"logdir": "/workspace"}
    assert workspace.get("tools/tensorboard", authenticated=True).status_code == 301


def test_tensorboard_is_refused_without_the_token(workspace):
    response = workspace.get("tools/tensorboard/data/logdir", authenticated=False)
    assert refused(response) and "logdir" not in response.text


def test_tensorboard_logdir_is_configurable(workspaces, host_workspace):
    (host_workspace / "runs").mkdir()
    workspace = workspaces.start({"TENSORBOARD_LOGDIR": "/workspace/runs"}, host_workspace)
    assert wait_for_page(workspace, "tools/tensorboard/data/logdir").json() == {"logdir": "/workspace/runs"}


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
    anonymous = workspace.get("tools/port/8765/hello.txt", authenticated=False)
    assert refused(anonymous) and "hello from" not in anonymous.text
    browser = workspace.get("tools/port/8765/hello.txt", authenticated=False, headers={"Accept": "text/html"})
    assert browser.headers["Location"] == "/login?next=/tools/port/8765/hello.txt"


def test_port_with_nothing_listening_is_a_gateway_error(workspace):
    assert workspace.get("tools/port/9/").status_code == 502


def test_vscodes_search_tool_runs_here(workspace):
    # VS Code searches files with the ripgrep it carries; the image keeps this platform's only.
    entry = Path(dict(catalogue.by_name("vscode").values)["code_server"])
    ripgrep = entry.parents[2] / "lib/vscode/node_modules/@vscode/ripgrep-universal/bin/linux-x64/rg"
    found = workspace.container.exec_run([str(ripgrep), "--files", str(paths.LANDING_DIR)], user="1000")
    assert found.exit_code == 0 and f"{paths.LANDING_DIR}/index.html" in found.output.decode(), found.output[-500:]


def test_vscode_serves_its_workbench_as_declared(workspace):
    assert workspace.get("tools/vscode/").headers["Location"] == "./?folder=/workspace"
    page = wait_for_page(workspace, "tools/vscode/?folder=/workspace")
    assert page.status_code == 200, page.text[:300]
    assert 'id="vscode-workbench-web-configuration"' in page.text
    settings = page.text.replace("&quot;", '"')
    # Served by code-server as the workspace user, with the flags the declaration gives it.
    assert '"userDataPath":"/home/jovyan/.local/share/code-server"' in settings
    assert '"enableWorkspaceTrust":false' in settings and '"isEnabledCoderGettingStarted":false' in settings
