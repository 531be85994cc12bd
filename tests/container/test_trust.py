"""The front door tried as an attacker would: pages on other origins, cookies replayed after logout or a restart,
guessed tokens, encoded paths, rebinding host names, framing, and another site waking tools."""

import http.client
import re
import socket

import pytest
import requests
import websocket

from hostile_paths import ENCODED_PATHS
from kernels import open_kernel_channels, start_kernel
from tool_pages import TOOL_PAGE_PATHS
from user_app import USER_APP_PORT, start_user_app
from workbench.contracts import render
from workbench_client import cookie_header, login, open_tool, refused, tool_state, wait_for_status, wait_until

pytestmark = pytest.mark.container

FOREIGN_ORIGINS = ["http://localhost:3000", "http://evil.example", "null"]
REFUSAL = "Forbidden: a page on another web origin"


def log_in(workspace) -> requests.Session:
    """A browser's session: the login cookie from ?token=, and the XSRF cookie Jupyter's pages set."""
    session = requests.Session()
    assert session.get(workspace.url + f"?token={workspace.token}", timeout=30).status_code == 200
    session.get(workspace.url + "lab", timeout=30)
    return session


ECHO_PORT = USER_APP_PORT


@pytest.fixture(scope="module")
def echo_app(workspace):
    start_user_app(workspace)


def websocket_paths(workspace) -> dict[str, str]:
    """Every kind of websocket behind the door, each ready to be opened."""
    kernel = start_kernel(workspace)
    terminal = requests.post(workspace.url + "api/terminals", headers=workspace.auth_headers(), timeout=30).json()
    return {
        "kernel": f"api/kernels/{kernel}/channels",
        "terminal": f"terminals/websocket/{terminal['name']}",
        "desktop": "tools/desktop/websockify",
        "vscode": "tools/vscode/",
        "port": f"tools/port/{ECHO_PORT}/ws",
        "ssh": "tools/ssh",
    }


def open_websocket(workspace, path: str, cookie: str, origin: str):
    return websocket.create_connection(workspace.ws_url(path), cookie=cookie, origin=origin, timeout=60)


def refused_websocket(workspace, path: str, cookie: str, origin: str) -> websocket.WebSocketBadStatusException:
    with pytest.raises(websocket.WebSocketBadStatusException) as refusal:
        open_websocket(workspace, path, cookie, origin).close()
    return refusal.value


@pytest.mark.parametrize("cache", ["warm", "cold"])
def test_websockets_refuse_a_page_on_another_origin_whatever_the_auth_cache(workspace, echo_app, cache):
    paths = websocket_paths(workspace)
    session = log_in(workspace)
    for name, path in paths.items():
        for origin in FOREIGN_ORIGINS:
            if cache == "warm":  # the user's own page was just let in with the same cookie
                assert session.get(workspace.url + "api/workbench/status", timeout=30).status_code == 200
            else:
                session = log_in(workspace)  # a cookie nginx has never asked about
            refusal = refused_websocket(workspace, path, cookie_header(session), origin)
            assert refusal.status_code == 403, (name, origin, refusal)
            assert REFUSAL in refusal.resp_body.decode(), (name, refusal.resp_body)


def test_websockets_open_from_the_workspace_s_own_origin(workspace, echo_app):
    paths = websocket_paths(workspace)
    assert open_tool(workspace, "desktop").status_code == 200
    cookie = cookie_header(log_in(workspace))
    for name in ("kernel", "terminal", "desktop", "port", "ssh"):
        connection = open_websocket(workspace, paths[name], cookie, workspace.origin())
        try:
            if name == "port":
                connection.send("hello")
                assert connection.recv() == "hello"
            elif name == "ssh":
                assert connection.recv().startswith(b"SSH-2.0-")
            elif name == "desktop":
                assert connection.recv()[:4] == b"RFB "
        finally:
            connection.close()
    # Clients that are no browser page send no Origin: they carry the credential themselves.
    open_kernel_channels(workspace, paths["kernel"].split("/")[2]).close()


STATE_CHANGING = [
    ("POST", "api/contents", {"type": "notebook"}),
    ("POST", "api/workbench/ssh/keys", None),
    ("DELETE", "api/workbench/ssh/keys/anything", None),
    ("PUT", "api/contents/x.txt", {"type": "file", "format": "text", "content": "x"}),
    ("POST", f"tools/port/{ECHO_PORT}/form", None),
    ("POST", "login", None),
    ("OPTIONS", "api/kernels", None),
]


@pytest.mark.parametrize("method, path, body", STATE_CHANGING)
def test_requests_that_change_something_are_refused_from_another_origin(workspace, echo_app, method, path, body):
    session = log_in(workspace)
    headers = {"X-XSRFToken": session.cookies.get("_xsrf", ""), "Origin": "http://localhost:3000"}
    session.get(workspace.url + "api/workbench/status", timeout=30)  # a kept yes for this cookie
    response = session.request(
        method, workspace.url + path, json=body, headers=headers, timeout=30, allow_redirects=False
    )
    assert response.status_code == 403 and REFUSAL in response.text, (response.status_code, response.text)
    assert "x.txt" not in workspace.container.exec_run(["ls", "/workspace"]).output.decode()
    assert workspace.container.exec_run(["test", "-e", "/tmp/posts-reached"]).exit_code != 0
    # The same request from the workspace's own page goes through.
    own = session.post(
        workspace.url + f"tools/port/{ECHO_PORT}/form", timeout=30, headers={**headers, "Origin": workspace.origin()}
    )
    assert own.text == "reached"
    workspace.container.exec_run(["rm", "-f", "/tmp/posts-reached"])


def test_behind_a_tls_proxy_the_forwarded_origin_is_the_own_one(workspace, echo_app):
    """An ingress or a hub's proxy terminates TLS and passes the host on: the browser's origin is https://host."""
    form = workspace.url + f"tools/port/{ECHO_PORT}/form"
    proxied = {**workspace.auth_headers(), "Host": "ws.example.test", "X-Forwarded-Proto": "https,http"}
    assert requests.post(form, headers={**proxied, "Origin": "https://ws.example.test"}, timeout=30).text == "reached"
    for origin in ("http://ws.example.test", "https://ws.example.test:8443", f"http://127.0.0.1:{workspace.host_port}"):
        refusal = requests.post(form, headers={**proxied, "Origin": origin}, timeout=30)
        assert refusal.status_code == 403 and REFUSAL in refusal.text, origin
    # JupyterHub's proxy says "ws" for a websocket from an http:// page.
    connection = websocket.create_connection(
        workspace.ws_url(f"tools/port/{ECHO_PORT}/ws"),
        timeout=30,
        cookie=cookie_header(log_in(workspace)),
        origin=workspace.origin(),
        header=["X-Forwarded-Proto: ws"],
    )
    connection.close()
    workspace.container.exec_run(["rm", "-f", "/tmp/posts-reached"])


def test_a_cross_origin_read_with_a_cookie_nginx_never_asked_about_is_a_403(workspace):
    """Jupyter refuses a cookie's API request from another origin with a 404, which nginx's auth check used to turn
    into a 500."""
    # A cookie from the login form, never yet asked about (one from ?token= may be a kept answer's, already asked).
    session = login(workspace, workspace.token)
    response = session.get(
        workspace.url + "api/workbench/status", headers={"Origin": "http://evil.example"}, timeout=30
    )
    assert response.status_code == 403 and '"services"' not in response.text


def test_the_refusal_is_logged_with_the_origin(workspace):
    requests.post(workspace.url + "api/contents", headers={"Origin": "http://refused.example"}, timeout=30)
    workspace.wait_for_log(
        r"refused POST /api/contents from another origin \(http://refused\.example; this workspace "
        rf"is http://127\.0\.0\.1:{workspace.host_port}\)"
    )


def test_a_copied_cookie_opens_nothing_after_logout(workspace, echo_app):
    session = log_in(workspace)
    cookie = cookie_header(session)
    assert session.get(workspace.url + "api/workbench/status", timeout=30).status_code == 200
    logout = session.get(workspace.url + "logout", timeout=30)
    assert "Successfully logged out" in logout.text
    paths = ["", "api/workbench/status", "api/contents", *TOOL_PAGE_PATHS, f"tools/port/{ECHO_PORT}/form"]

    def answers() -> dict[str, requests.Response]:
        return {
            path: requests.get(workspace.url + path, headers={"Cookie": cookie}, timeout=60, allow_redirects=False)
            for path in paths
        }

    # nginx may keep its yes for AUTH_CACHE_SECONDS.
    wait_until(
        lambda: all(refused(answer) for answer in answers().values()),
        render.AUTH_CACHE_SECONDS + 5,
        1,
        failure=lambda: {path: answer.status_code for path, answer in answers().items()},
    )
    refusal = refused_websocket(workspace, "tools/ssh", cookie, workspace.origin())
    assert refusal.status_code == 403
    # Another session of the same user is not ended by this one's logout.
    assert log_in(workspace).get(workspace.url + "api/workbench/status", timeout=30).status_code == 200


def path_variants() -> list[str]:
    """Ways to dress a protected path up as a public one."""
    variants = []
    for public in ("static/style", "static/logo", "static/favicons", "login", "logout", "api", "healthz"):
        for step in ("..%2f", "..%2F", "%2e%2e/", "%2E%2E%2F", "..;/", ".%2e/", "..\\", "..%5c", "/../", "//..//"):
            for target in ("api/contents", "api/workbench/status", "lab"):
                variants.append(f"{public}/{step}{step}{target}")
        variants += [f"{public};x=1", f"{public}%3bx", f"{public.upper()}", f"{public}/%2e", f"/{public}"]
    return variants


@pytest.mark.parametrize("group", ["listed", "generated"])
def test_encoded_paths_never_reach_jupyter_through_a_public_location(workspace, group):
    reached = []
    for path in ENCODED_PATHS if group == "listed" else path_variants():
        # Sent byte for byte: an HTTP library would resolve the dot segments itself.
        connection = http.client.HTTPConnection("127.0.0.1", workspace.host_port, timeout=30)
        connection.request("GET", workspace.base_url + path)
        response = connection.getresponse()
        response.read()
        connection.close()
        # Jupyter's own answers name its CSP report address; nginx's never do. Unauthenticated, only a public
        # location hands a request to Jupyter.
        if "api/security/csp-report" in (response.getheader("Content-Security-Policy") or ""):
            reached.append((path, response.status))
        assert response.status < 500, (path, response.status)
    assert reached == []
    # The plain public paths still work.
    assert requests.get(workspace.url + "healthz", timeout=30).text == "ok\n"
    assert requests.get(workspace.url + "static/favicons/favicon.ico", timeout=30).status_code == 200
    assert 'name="password"' in requests.get(workspace.url + "login", timeout=30).text


def test_every_page_forbids_framing_by_other_sites(workspace, echo_app):
    session = log_in(workspace)
    for path in ["", "login", *TOOL_PAGE_PATHS, f"tools/port/{ECHO_PORT}/form", "api/workbench/status"]:
        response = session.get(workspace.url + path, timeout=150)
        policies = response.headers.get("Content-Security-Policy", "")
        assert "frame-ancestors 'self'" in policies, (path, response.headers)
        assert response.headers.get("X-Frame-Options") == "SAMEORIGIN", path


def test_cookies_are_samesite_lax(workspace):
    response = requests.get(workspace.url + f"?token={workspace.token}", timeout=30)
    login_cookie = next(
        cookie for cookie in response.raw.headers.getlist("Set-Cookie") if cookie.startswith("username-")
    )
    assert "SameSite=Lax" in login_cookie and "HttpOnly" in login_cookie
    lab = requests.get(workspace.url + "lab", cookies=response.cookies, timeout=30)
    xsrf_cookie = next(cookie for cookie in lab.raw.headers.getlist("Set-Cookie") if cookie.startswith("_xsrf="))
    assert "SameSite=Lax" in xsrf_cookie


def test_another_site_s_image_does_not_start_a_tool(workspaces, host_workspace):
    workspace = workspaces.start({"WORKSPACE_TOOLS_IDLE_TIMEOUT": "0"}, host_workspace)
    session = log_in(workspace)
    embedded = session.get(
        workspace.url + "tools/tensorboard/",
        timeout=60,
        headers={"Sec-Fetch-Site": "cross-site", "Sec-Fetch-Mode": "no-cors", "Sec-Fetch-Dest": "image"},
    )
    assert embedded.status_code == 403 and "starts only from the workspace" in embedded.text
    assert tool_state(session.get(workspace.url + "api/workbench/status").json(), "tensorboard") == "IDLE"
    # The user following a link from elsewhere, or the workspace's own page, starts it.
    followed = session.get(
        workspace.url + "tools/tensorboard/",
        timeout=60,
        headers={
            "Sec-Fetch-Site": "cross-site",
            "Sec-Fetch-Mode": "navigate",
            "Sec-Fetch-Dest": "document",
            "Accept": "text/html",
        },
    )
    assert followed.status_code == 503 and "Retry-After" in followed.headers
    wait_for_status(workspace, lambda status: tool_state(status, "tensorboard") == "RUNNING", 90)


def test_guessing_is_throttled_per_address_and_the_log_names_the_real_client(workspaces, host_workspace):
    workspace = workspaces.start({}, host_workspace)
    statuses = []
    with requests.Session() as session:
        for number in range(300):
            where = ["api/workbench/status", f"lab?token=wrong-{number:04d}-guess-xyz", "tools/vscode/"][number % 3]
            headers = {"Authorization": f"token wrong-{number:04d}-guess-xyz"} if number % 3 != 1 else {}
            answer = session.get(workspace.url + where, headers=headers, timeout=30, allow_redirects=False)
            statuses.append(403 if answer.status_code != 429 and refused(answer) else answer.status_code)
    assert set(statuses) <= {403, 429}  # 403: refused (for a page: sent to log in)
    assert statuses.count(429) >= 250, statuses
    throttled = requests.get(
        workspace.url + "api/workbench/status", timeout=30, headers={"Authorization": "token yet-another-wrong-guess"}
    )
    assert throttled.status_code == 429 and int(throttled.headers["Retry-After"]) > 0
    # The login form is throttled as well.
    browser = requests.Session()
    xsrf = re.search(r'name="_xsrf" value="([^"]+)"', browser.get(workspace.url + "login", timeout=30).text).group(1)
    form = browser.post(workspace.url + "login", data={"password": "another-wrong-guess", "_xsrf": xsrf}, timeout=30)
    assert form.status_code == 429 and "too many failed logins" in form.text.lower()
    # The right token from another address works at once (here: a client inside the container, 127.0.0.1).
    inside = workspace.container.exec_run(
        ["curl", "-s", "-H", f"Authorization: token {workspace.token}", "http://127.0.0.1:8080/api/workbench/status"]
    )
    assert b'"tools"' in inside.output, inside.output
    # Jupyter's log names the address it throttled: the client's, not nginx's loopback.
    workspace.wait_for_log(r"Failed login attempt from")
    addresses = set(re.findall(r"Failed login attempt from (\S+)", workspace.logs()))
    assert len(addresses) == 1 and "127.0.0.1" not in addresses, addresses
    # An SSH connection on the same port is logged with the same address (sshd itself sees the hop's loopback).
    with socket.create_connection(("127.0.0.1", workspace.host_port), timeout=30) as ssh:
        ssh.sendall(b"SSH-2.0-trust-test\r\n")
        assert ssh.recv(64).startswith(b"SSH-2.0-OpenSSH")
    assert workspace.wait_for_log(r"ssh: (\S+) port \d+ connected for").group(1) in addresses


def test_a_restart_with_a_new_token_ends_every_session(workspaces, host_workspace):
    workspace = workspaces.start({}, host_workspace)
    cookie = cookie_header(log_in(workspace))
    assert requests.get(workspace.url + "api/workbench/status", headers={"Cookie": cookie}, timeout=30).ok
    starts = len(workspace.login_urls())
    workspace.container.restart(timeout=30)
    workspace.reload()
    workspace.wait_ready()
    new_token = workspace.token_from_log(starts_before=starts)
    assert new_token != workspace.token
    for path in ["api/workbench/status", "lab", "tools/vscode/", "tools/port/8000/"]:
        response = requests.get(workspace.url + path, headers={"Cookie": cookie}, timeout=60, allow_redirects=False)
        assert refused(response), (path, response.status_code)
    workspace.token = new_token
    assert log_in(workspace).get(workspace.url + "api/workbench/status", timeout=30).ok


@pytest.mark.parametrize("token", ["password", "12345678", "short-token-15c"])
def test_tokens_shorter_than_16_characters_are_refused_at_start(workspaces, token):
    container = workspaces.create({"AUTHENTICATE_VIA_JUPYTER": token})
    assert container.wait(timeout=60)["StatusCode"] != 0
    log = container.logs().decode()
    assert f"AUTHENTICATE_VIA_JUPYTER={token!r} is not valid" in log and "16-256 characters" in log


def test_without_authentication_only_allowed_host_names_are_served(workspaces, host_workspace):
    workspace = workspaces.start(
        {"AUTHENTICATE_VIA_JUPYTER": "false", "WORKSPACE_ALLOWED_HOSTS": "ws.example.test, .corp.test"}, host_workspace
    )
    hostname = workspace.container.attrs["Config"]["Hostname"]
    for host in [
        "localhost",
        "127.0.0.1",
        f"127.0.0.1:{workspace.host_port}",
        "[::1]:8080",
        "ws.example.test",
        "a.corp.test",
        "corp.test",
        hostname,
    ]:
        response = requests.get(workspace.url + "api/workbench/status", headers={"Host": host}, timeout=30)
        assert response.status_code == 200 and '"tools"' in response.text, (host, response.status_code)
    for host in ["rebind.evil.example", "rebind.evil.example:8080", "ws.example.test.evil.example", "10.0.0.1"]:
        response = requests.get(workspace.url + "api/workbench/status", headers={"Host": host}, timeout=30)
        assert response.status_code == 403 and "WORKSPACE_ALLOWED_HOSTS" in response.text, host
        with pytest.raises(websocket.WebSocketBadStatusException):
            websocket.create_connection(workspace.ws_url("tools/ssh"), host=host, timeout=30).close()
    workspace.wait_for_log(r'refused GET /api/workbench/status for host "rebind\.evil\.example"')
