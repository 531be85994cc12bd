"""One token guards everything: without it nothing but healthz and the login page is served."""

import hashlib
import time

import pytest
import requests
import websocket

from kernels import execute, execute_on, open_kernel_channels, start_kernel
from workbench.contracts.render import AUTH_CACHE_INACTIVE_SECONDS
from workbench.facts import catalogue, paths
from workbench_client import cookie_header, login, open_every_tool, refused

AUTH_CACHE = f"{paths.RUN_DIR}/nginx/auth-cache"

pytestmark = pytest.mark.container

PROTECTED = [
    "",
    "lab",
    "tree",
    "api/kernels",
    "api/contents",
    "api/workbench/status",
    "terminals/1",
    "workbench/landing.js",
    "tools/tensorboard/",
    "tools/tensorboard/data/logdir",
    "tools/port/8765/",
    "tools/vscode/",
    "tools/vscode/manifest.json",
]


@pytest.mark.parametrize("path", PROTECTED)
def test_browser_without_credentials_is_sent_to_login_with_next(workspace, path):
    response = workspace.get(path, authenticated=False, headers={"Accept": "text/html"})
    assert response.status_code == 302
    assert response.headers["Location"] == f"/login?next=/{path}"


@pytest.mark.parametrize("path", PROTECTED)
def test_any_client_without_credentials_gets_no_content(workspace, path):
    # As Jupyter answers: a page asked for with GET sends any client (curl, requests) to the login page; an API
    # call, or any request that is not a GET, gets a 403.
    response = workspace.get(path, authenticated=False)
    if path.startswith("api/"):
        assert response.status_code == 403 and response.json()["message"].startswith("Forbidden")
    else:
        assert (response.status_code, response.headers["Location"]) == (302, f"/login?next=/{path}")
        assert "<title>302 Found</title>" in response.text  # nginx's own body, nothing of the page
    posted = requests.post(workspace.url + path, timeout=30, allow_redirects=False)
    assert posted.status_code == 403 and posted.json()["message"].startswith("Forbidden"), posted.text


@pytest.mark.parametrize("token", ["wrong-token-123", ""])
def test_wrong_token_is_refused(workspace, token):
    response = workspace.get(f"lab?token={token}", authenticated=False)
    assert refused(response) and "<title>JupyterLab</title>" not in response.text
    assert workspace.get("api/kernels", token="not-the-token").status_code == 403


def test_kernel_websocket_without_credentials_is_refused(workspace):
    kernel_id = start_kernel(workspace)
    with pytest.raises(websocket.WebSocketBadStatusException) as refusal:
        open_kernel_channels(workspace, kernel_id, headers={})
    assert refusal.value.status_code == 403


def test_token_in_the_query_opens_pages_and_sets_the_login_cookie(workspace):
    session = requests.Session()
    landing = session.get(workspace.url + f"?token={workspace.token}", allow_redirects=False)
    assert landing.status_code == 200
    assert "<title>Workbench</title>" in landing.text
    assert any(name.startswith("username-") for name in session.cookies.keys())
    # The cookie alone now opens JupyterLab.
    lab = session.get(workspace.url + "lab", allow_redirects=False)
    assert lab.status_code == 200 and "<title>JupyterLab</title>" in lab.text


def test_token_in_the_header_opens_the_api(workspace):
    response = workspace.get("api/kernels")
    assert response.status_code == 200 and isinstance(response.json(), list)
    status = open_every_tool(workspace)
    programs = ["nginx", "sshd", "jupyter"] + [
        program.name for tool in catalogue.all_tools() for program in tool.programs
    ]
    assert {s["name"]: s["state"] for s in status["services"]} == dict.fromkeys(programs, "RUNNING")
    assert [(t["name"], t["path"], t["state"]) for t in status["tools"]] == [
        (tool.name, tool.path, "RUNNING") for tool in catalogue.all_tools()
    ]
    assert status["user"] == "jovyan"


def test_login_form_sets_a_cookie_that_opens_every_path_and_websocket(workspace):
    session = login(workspace, workspace.token)
    assert "<title>Workbench</title>" in session.get(workspace.url).text
    assert "<title>JupyterLab</title>" in session.get(workspace.url + "lab").text
    assert "Jupyter Notebook" in session.get(workspace.url + "tree").text
    cookie = cookie_header(session)
    kernel_id = start_kernel(workspace)
    channel = open_kernel_channels(workspace, kernel_id, headers={}, cookie=cookie)
    channel.close()


def test_login_form_refuses_a_wrong_token(workspace):
    with pytest.raises(AssertionError):
        login(workspace, "wrong-token-123")


def test_xsrf_protection_stays_on_for_cookie_sessions(workspace):
    session = login(workspace, workspace.token)
    without_xsrf = session.post(workspace.url + "api/contents", json={"type": "notebook"})
    assert without_xsrf.status_code == 403
    assert "_xsrf" in without_xsrf.json()["message"]
    with_xsrf = session.post(
        workspace.url + "api/contents", json={"type": "notebook"}, headers={"X-XSRFToken": session.cookies["_xsrf"]}
    )
    assert with_xsrf.status_code == 201


def test_kernel_executes_through_port_8080(workspace):
    assert execute(workspace, "print(6*7)") == "42\n"


def test_logout_ends_the_cookie_session(workspace):
    session = login(workspace, workspace.token)
    session.get(workspace.url + "logout")
    assert refused(session.get(workspace.url + "lab", allow_redirects=False))


def test_a_kept_yes_lets_in_only_the_credential_it_was_given_for(workspace):
    """nginx keeps Jupyter's yes for a few seconds, keyed by the credential, so that the files of a page do not each
    cost a question to Jupyter. Right after a yes, another credential or none must still be refused."""
    asset = "workbench/landing.js"
    session = login(workspace, workspace.token)
    for _ in range(3):
        assert "fetch(" in workspace.get(asset).text  # the token in the header
        assert "fetch(" in session.get(workspace.url + asset, allow_redirects=False).text  # the login cookie
        assert refused(workspace.get(asset, token="wrong-token-123"))
        assert refused(workspace.get(asset, authenticated=False))
        assert refused(workspace.get(f"{asset}?token=wrong-token-123", authenticated=False))
        forged = {name: value[:-4] + "0000" for name, value in session.cookies.items()}
        assert refused(requests.get(workspace.url + asset, cookies=forged, allow_redirects=False))
    # The yes was kept under the credential it was given for; a refusal is never kept.
    kept = set(workspace.container.exec_run(["find", AUTH_CACHE, "-type", "f"]).output.decode().split())
    assert kept_answer(f"token {workspace.token}||") in kept
    refusals = ("token wrong-token-123||", "||wrong-token-123", "||")
    assert not {kept_answer(key) for key in refusals} & kept, kept


def kept_answer(key: str) -> str:
    """Where nginx keeps the answer for a cache key (nginx.conf.j2: "$http_authorization|$http_cookie|$query_token";
    the file is named by the key's MD5, in a folder named by its last digit: levels=1)."""
    digest = hashlib.md5(key.encode()).hexdigest()
    return f"{AUTH_CACHE}/{digest[-1]}/{digest}"


def test_requests_open_longer_than_a_kept_answer_lives_leave_no_alert(workspace):
    """A kernel's websocket and a long download, with the credential's yes kept just before, held open past the auth
    cache's inactive time: nginx logs no alert about a locked entry (it did, once a minute, for as long as a
    websocket stayed open), the kernel still answers and every byte arrives."""
    # nginx's cache manager finds a locked entry up to twice its inactive time after it was last used.
    hold = 3 * AUTH_CACHE_INACTIVE_SECONDS
    # Read at a steady pace, as a slow link would: nginx drops a client it cannot write to for a minute
    # (send_timeout), and the sockets on the way hold tens of MB; the file outlasts the hold.
    pace = 4 * 2**20
    size = 2 * hold * pace
    made = workspace.container.exec_run(
        ["sh", "-c", f"head -c {size} /dev/urandom > /workspace/held.bin && sha256sum /workspace/held.bin"], user="1000"
    )
    expected = made.output.decode().split()[0]
    log_before = len(workspace.logs())
    kernel_id = start_kernel(workspace)
    assert workspace.get("api/kernels").status_code == 200  # a yes kept for this credential
    channel = open_kernel_channels(workspace, kernel_id)
    download = workspace.get("files/held.bin", stream=True, timeout=120)
    try:
        assert download.status_code == 200
        chunks = download.iter_content(2**20)
        received, digest = 0, hashlib.sha256()
        started = time.monotonic()
        while (elapsed := time.monotonic() - started) < hold:
            assert execute_on(channel, "print('still here')") == "still here\n"
            while received < elapsed * pace:
                chunk = next(chunks)
                received, _ = received + len(chunk), digest.update(chunk)
            time.sleep(0.5)  # the reader's pace, not a wait for something
        assert received < size, "the download ended before the hold did"
        for chunk in chunks:
            received, _ = received + len(chunk), digest.update(chunk)
    finally:
        channel.close()
        download.close()
        workspace.container.exec_run(["rm", "-f", "/workspace/held.bin"], user="1000")
    assert (received, digest.hexdigest()) == (size, expected)
    alerts = [line for line in workspace.logs()[log_before:].splitlines() if "[alert]" in line]
    assert not alerts, alerts
