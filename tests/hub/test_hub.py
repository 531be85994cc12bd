"""Many users through a real JupyterHub (deploy/docker: JupyterHub, DockerSpawner, NativeAuthenticator,
configurable-http-proxy): each user's every tool under /user/<name>/ through the hub's one public port and the hub's
login, nobody else's, SSH over the websocket tunnel, and files that outlive the server."""

from __future__ import annotations

import base64
import hashlib
import os
import re
import subprocess
import uuid
from pathlib import Path

import pytest
import requests
import websocket

from browsers import ready_tile
from hubs import browser_session
from kernels import execute, start_kernel
from ssh_client import SshClient
from tool_pages import ON_DEMAND_TOOLS, TOOL_PAGES
from workbench.facts import paths
from workbench_client import open_page_like_a_browser, refused, wait_for_status, wait_for_tool, wait_until

pytestmark = pytest.mark.container

# What a signed-in user opens: the landing page, JupyterLab and every tool's own page.
PAGES = {"landing": ("", "<title>Workbench</title>"), **TOOL_PAGES}
# Websockets of the tools (path under the user's prefix, subprotocols).
SOCKETS = {
    "desktop": ("tools/desktop/websockify", ["binary"]),
    "ssh": ("tools/ssh", None),
    "vscode": (f"tools/vscode/?reconnectionToken={uuid.uuid4()}&reconnection=false&skipWebSocketFrames=false", None),
}


def open_socket(
    hub, owner, path: str, subprotocols=None, token: str | None = None, cookies=None, origin: str | None = None
):
    headers = [f"Authorization: token {token}"] if token else []
    cookie = "; ".join(f"{name}={value}" for name, value in (cookies or {}).items()) or None
    return websocket.create_connection(
        hub.user_server(owner).ws_url(path),
        header=headers,
        cookie=cookie,
        origin=origin or hub.url,
        subprotocols=subprotocols,
        timeout=30,
    )


def user_cookies(hub, user) -> dict:
    """The browser's cookies for the user's server (set by its OAuth callback) and the hub."""
    response = user.session.get(hub.user_url(user), timeout=60)
    assert response.status_code == 200 and PAGES["landing"][1] in response.text, response.text[:300]
    return user.session.cookies.get_dict()


@pytest.mark.parametrize("user_name", ["alice", "bob"])
def test_each_user_reaches_every_tool_under_their_prefix_after_the_hub_login(hub, user_name, request):
    user = request.getfixturevalue(user_name)
    server = hub.user_server(user)
    for name, (path, text) in PAGES.items():
        # The browser's way in: the hub's login cookie, then the OAuth hop to this server, then the page (a tool that
        # starts when opened starts now, behind its "starting…" page).
        response = open_page_like_a_browser(user.session, hub.user_url(user) + path)
        assert response.status_code == 200 and text in response.text, (name, response.url, response.text[:300])
        assert response.url.startswith(hub.user_url(user))
    status = wait_for_status(
        server, lambda status: all(tool["state"] == "RUNNING" for tool in status["tools"]), timeout=120
    )
    assert status["base_url"] == f"/user/{user.name}/"
    # A kernel runs code in this user's own container, over the kernel websocket through the hub's proxy.
    output = execute(
        server,
        "import os, socket; print(os.environ['JUPYTERHUB_USER'], socket.gethostname())",
        headers=server.auth_headers(),
    )
    assert output.split() == [user.name, hub.user_container(user).id[:12]]
    # A tool's scripts and fetches carry the cookie but no XSRF token (Sec-Fetch-Mode other than navigate): the
    # front door lets them through, as jupyter-server-proxy does; Jupyter's own API still asks for the token.
    subresource = {"Sec-Fetch-Mode": "cors", "Sec-Fetch-Site": "same-origin", "Accept": "*/*"}
    tool_page = user.session.get(
        hub.user_url(user) + "tools/tensorboard/", headers=subresource, timeout=30, allow_redirects=False
    )
    assert tool_page.status_code == 200 and PAGES["tensorboard"][1] in tool_page.text
    api_without_xsrf = user.session.get(
        hub.user_url(user) + "api/workbench/status", headers=subresource, timeout=30, allow_redirects=False
    )
    assert api_without_xsrf.status_code == 403
    xsrf = user.session.cookies.get("_xsrf", path=f"/user/{user.name}/")
    api_with_xsrf = user.session.get(
        hub.user_url(user) + "api/workbench/status", timeout=30, headers={**subresource, "X-XSRFToken": xsrf}
    )
    assert api_with_xsrf.status_code == 200 and api_with_xsrf.json()["base_url"] == f"/user/{user.name}/"
    # The desktop's websocket, opened the way noVNC opens it: with the browser's cookies.
    channel = open_socket(hub, user, *SOCKETS["desktop"], cookies=user_cookies(hub, user))
    try:
        assert channel.recv()[:12] == b"RFB 003.008\n"
    finally:
        channel.close()


def test_landing_page_tells_hub_users_to_use_a_hub_token_for_ssh(hub, alice):
    info = alice.session.get(hub.user_url(alice) + "api/workbench/ssh/info", timeout=30).json()
    assert info["transport"] == "websocket" and info["hub_token_url"] == "/hub/token"
    # The browser came with the hub's cookie: the server has no token of the user's to hand out.
    assert info["token"] == ""
    without_hub_token = requests.get(
        hub.user_url(alice) + "api/workbench/ssh/setup", cookies=user_cookies(hub, alice), timeout=30
    )
    assert without_hub_token.status_code == 400 and "hub API token" in without_hub_token.text


@pytest.mark.parametrize("page", sorted(PAGES))
def test_a_users_hub_login_cannot_open_another_users_pages(hub, alice, bob, page):
    path, text = PAGES[page]
    # Alice's browser, logged in to the hub, on Bob's URL: the hub's OAuth refuses her.
    response = alice.session.get(hub.user_url(bob) + path, timeout=60)
    assert response.status_code == 403 and text not in response.text, (response.url, response.text[:300])
    assert response.url.startswith(f"{hub.url}/hub/api/oauth2/authorize")
    # Alice's API token on Bob's URL.
    with_token = hub.user_server(bob, as_user=alice).get(path)
    assert refused(with_token) and text not in with_token.text


@pytest.mark.parametrize("socket_name", sorted(SOCKETS) + ["kernel"])
def test_a_users_hub_login_cannot_open_another_users_websockets(hub, alice, bob, socket_name):
    if socket_name == "kernel":
        path, subprotocols = f"api/kernels/{start_kernel(hub.user_server(bob))}/channels", None
    else:
        path, subprotocols = SOCKETS[socket_name]
    for credentials in ({"token": alice.token}, {"cookies": user_cookies(hub, alice)}):
        with pytest.raises(websocket.WebSocketBadStatusException) as refusal:
            open_socket(hub, bob, path, subprotocols, **credentials)
        # Refused, not sent to a login: a websocket cannot follow a redirect to the hub.
        assert refusal.value.status_code == 403, credentials.keys()
    # Bob's own token opens it: the refusal above was about Alice.
    channel = open_socket(hub, bob, path, subprotocols, token=bob.token)
    channel.close()


@pytest.mark.parametrize("socket_name", sorted(SOCKETS) + ["kernel"])
def test_a_page_on_another_origin_cannot_open_a_users_websockets_with_their_hub_login(hub, bob, socket_name):
    if socket_name == "kernel":
        path, subprotocols = f"api/kernels/{start_kernel(hub.user_server(bob))}/channels", None
    else:
        path, subprotocols = SOCKETS[socket_name]
    cookies = user_cookies(hub, bob)  # a yes for these cookies was just kept by the door
    with pytest.raises(websocket.WebSocketBadStatusException) as refusal:
        open_socket(hub, bob, path, subprotocols, cookies=cookies, origin="http://evil.example")
    assert refusal.value.status_code == 403
    assert b"another web origin" in refusal.value.resp_body
    open_socket(hub, bob, path, subprotocols, cookies=cookies).close()  # from the hub's own origin it opens


def test_anonymous_visitor_gets_the_hub_login(hub, bob):
    response = browser_session().get(hub.user_url(bob) + "tools/vscode/", timeout=60)
    assert response.status_code == 200 and response.url.startswith(f"{hub.url}/hub/login")
    assert 'name="password"' in response.text and "vscode-workbench" not in response.text
    api = requests.get(hub.user_url(bob) + "api/workbench/status", timeout=30)
    assert api.status_code == 403 and "services" not in api.text


@pytest.fixture
def alice_ssh(hub, alice, short_home):
    port = hub.url.rsplit(":", 1)[1]
    alias = f"workbench-127.0.0.1-{port}-user-{alice.name}"
    # The hub token the user made on the hub's token page, in the landing page's command.
    client = SshClient(short_home, alias, hub.user_url(alice), alice.token)
    result = client.setup()
    assert result.returncode == 0, result.stderr
    return client


def test_ssh_over_the_websocket_reaches_the_users_own_workspace_only(hub, alice, bob, alice_ssh):
    result = alice_ssh.ssh(
        alice_ssh.alias, "whoami; hostname; echo $DISPLAY; command -v python", own_connection=True, timeout=90
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["jovyan", hub.user_container(alice).id[:12], ":1", str(paths.VENV_PYTHON)]
    ssh_dir = alice_ssh.home / ".ssh"
    key = ssh_dir / f"{alice_ssh.alias}_ed25519"
    proxy = f"python3 {ssh_dir / 'workbench-ssh-proxy'} {hub.user_server(bob).ws_url('tools/ssh')}"
    # Alice's hub token at Bob's door: the hub refuses it before SSH begins.
    token_file = ssh_dir / f"{alice_ssh.alias}.token"

    def ssh_to_bob(token_file: Path) -> subprocess.CompletedProcess:
        """Alice's key at Bob's workspace, through the websocket tunnel with the hub token in token_file."""
        return alice_ssh.ssh(
            "-o",
            f"ProxyCommand={proxy} --token-file {token_file}",
            "-i",
            str(key),
            "-o",
            "IdentitiesOnly=yes",
            "-o",
            "StrictHostKeyChecking=no",
            "-o",
            "BatchMode=yes",
            "-o",
            f"UserKnownHostsFile={ssh_dir / 'bob_hosts'}",
            "jovyan@bob",
            "hostname",
            own_connection=True,
            timeout=90,
        )

    with_alices_token = ssh_to_bob(token_file)
    assert with_alices_token.returncode != 0
    assert "403 Forbidden" in with_alices_token.stderr, with_alices_token.stderr
    # Past the hub with Bob's token, Alice's key still does not open Bob's workspace.
    bobs_token = ssh_dir / "bob.token"
    bobs_token.write_text(bob.token)
    with_alices_key = ssh_to_bob(bobs_token)
    assert with_alices_key.returncode == 255 and "Permission denied (publickey)" in with_alices_key.stderr


def test_sftp_over_the_websocket_writes_into_the_workspace(hub, alice, alice_ssh):
    payload = os.urandom(3 * 1024 * 1024)
    local = alice_ssh.home / "upload.bin"
    local.write_bytes(payload)
    result = alice_ssh.sftp(f"put {local} /workspace/upload.bin\n", timeout=120)
    assert result.returncode == 0, result.stderr
    digest = execute(
        hub.user_server(alice),
        "import hashlib; print(hashlib.sha256(open('/workspace/upload.bin', 'rb').read()).hexdigest())",
    )
    assert digest.strip() == hashlib.sha256(payload).hexdigest()


def test_stopping_and_restarting_from_the_hub_keeps_the_workspace(hub, alice, alice_ssh):
    server = hub.user_server(alice)
    content = uuid.uuid4().hex
    execute(server, f"open('/workspace/kept.txt', 'w').write({content!r})")
    # A setting in the home, as a user makes it in a terminal.
    execute(
        server, "import subprocess; subprocess.run(['git', 'config', '--global', 'user.name', 'Alice L.'], check=True)"
    )
    first_container = hub.user_container(alice).id
    hub.stop_server(alice)
    # DockerSpawner removes the container once it has stopped, which on a busy machine lags the hub's answer.
    wait_until(
        lambda: not [c for c in hub.client.containers.list(all=True) if c.id == first_container],
        60,
        0.5,
        failure=lambda: "the stopped server's container was never removed",
    )
    hub.start_server(alice)
    assert hub.user_container(alice).id != first_container
    # deploy/docker's spawner returns once the workspace answers: the hub's own backoff (growing to 5 s between
    # tries) never finds it half started.
    address = hub.user_container(alice).attrs["NetworkSettings"]["Networks"][hub.network.name]["IPAddress"]
    assert f"http://{address}:8888" in hub.logs()
    tries = [line for line in hub.logs().splitlines() if f"Server at http://{address}:8888/user/alice/ " in line]
    assert tries == [], tries
    assert execute(server, "print(open('/workspace/kept.txt').read())").strip() == content
    assert (
        execute(
            server,
            "import subprocess; print(subprocess.run(['git', 'config', '--global', 'user.name'], "
            "capture_output=True, text=True).stdout, end='')",
        )
        == "Alice L.\n"
    )
    # The SSH host keys live in /workspace too: the pinned entry still connects to the new container.
    result = alice_ssh.ssh(alice_ssh.alias, "hostname", own_connection=True, timeout=90)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == hub.user_container(alice).id[:12]
    status = wait_for_tool(server, "vscode", timeout=120)
    assert status["base_url"] == "/user/alice/"


def test_browser_signs_in_at_the_hub_and_sees_the_workspace_landing_page(hub, alice, page, screenshot):
    page.goto(f"{hub.url}/hub/login")
    page.fill("#username_input", alice.name)
    page.fill("#password_input", alice.password)
    page.click("#login_submit")
    # VS Code ran since an earlier test opened it: stopped, its tile shows the way a browser starts it at a hub.
    stopped = hub.user_container(alice).exec_run(["supervisorctl", "stop", "vscode"], user="jovyan")
    assert stopped.exit_code == 0, stopped.output
    page.goto(hub.user_url(alice))
    page.wait_for_selector('.tile[data-tool="lab"] .state[data-state="RUNNING"]', timeout=120_000)
    for tool in ON_DEMAND_TOOLS:
        page.wait_for_selector(ready_tile(tool), timeout=120_000)
    assert page.url == hub.user_url(alice)
    # The SSH section asks for a hub token and links to the hub's token page.
    assert page.is_visible("#ssh-hub-token")
    assert page.get_attribute("#ssh-hub-token-link", "href") == "/hub/token"
    assert "YOUR_HUB_TOKEN" in page.inner_text("#ssh-command")
    screenshot(page, "hub-landing")
    page.wait_for_selector('.tile[data-tool="vscode"] .state[data-state="IDLE"]', timeout=30_000)
    # The new tab shows the starting page, which asks for the tool's state (with the XSRF token a hub wants) and
    # turns into VS Code. VS Code then loads hundreds of scripts and styles: all pass the door on the hub's cookie.
    starting_pages = []
    page.context.on(
        "response",
        lambda response: (
            starting_pages.append(response.url)
            if response.status == 503 and response.request.resource_type == "document"
            else None
        ),
    )
    with page.context.expect_page() as opened:
        page.click('.tile[data-tool="vscode"]')
    vscode = opened.value
    vscode.wait_for_selector(".monaco-workbench", timeout=90_000)
    vscode.wait_for_selector(".explorer-folders-view, .welcome-view, .part.sidebar", timeout=90_000)
    vscode.wait_for_selector(".monaco-workbench.vs-dark", timeout=30_000)  # Workbench's first settings apply
    screenshot(vscode, "hub-vscode")
    assert starting_pages and all("/user/alice/tools/vscode/" in url for url in starting_pages), starting_pages


def test_a_download_under_the_hub_prefix_is_sent_by_the_door(hub, alice):
    server = hub.user_server(alice)
    data = os.urandom(300_001)
    put = requests.put(
        server.url + "api/contents/hub-download.bin",
        json={"type": "file", "format": "base64", "content": base64.b64encode(data).decode()},
        headers=server.auth_headers(),
        timeout=60,
    )
    assert put.status_code in (200, 201), put.text
    whole = server.get("files/hub-download.bin")
    assert whole.status_code == 200 and whole.content == data
    assert re.fullmatch(r'"[0-9a-f]+-[0-9a-f]+"', whole.headers["ETag"])  # nginx's, not Jupyter's (which sends none)
    part = server.get("files/hub-download.bin", headers={"Range": "bytes=10-19"})
    assert part.status_code == 206 and part.content == data[10:20]


def test_a_users_notebook_logs_to_mlflow_under_the_hub_and_starts_it(hub):
    """The loopback door under the user's /user/<name>/ prefix: MLflow is not running until the kernel's first run
    asks for it, and the wake route takes nginx's word under the hub's login as it does with a token."""
    dave = hub.sign_up_and_log_in("dave")
    hub.start_server(dave)
    server = hub.user_server(dave)
    assert {tool["name"]: tool["state"] for tool in server.get("api/workbench/status").json()["tools"]}["mlflow"] == (
        "IDLE"
    )
    output = execute(
        server,
        "import mlflow; mlflow.log_metric('loss', 0.25); print(mlflow.get_tracking_uri())",
        headers=server.auth_headers(),
        timeout=240,
    )
    assert output.strip().splitlines()[-1] == f"http://127.0.0.1:{paths.LOOPBACK_DOOR_PORT}/user/dave/tools/mlflow"
