"""AUTHENTICATE_VIA_JUPYTER: unset (random token in the log), a given token, or false (open, with a warning)."""

import pytest
import requests

from kernels import execute
from workbench_client import LOGIN_URL_PATTERN, refused

pytestmark = pytest.mark.container


def test_unset_prints_a_login_url_whose_token_works(workspace):
    urls = LOGIN_URL_PATTERN.findall(workspace.logs())
    assert urls and urls[-1][0] == "/"
    token = urls[-1][1]
    assert len(token) >= 32
    page = workspace.get(f"?token={token}", authenticated=False)
    assert page.status_code == 200 and "<title>Workbench</title>" in page.text
    assert execute(workspace, "print('via logged token')") == "via logged token\n"


def test_a_given_token_is_the_only_one_that_works(workspaces, host_workspace):
    workspace = workspaces.start({"AUTHENTICATE_VIA_JUPYTER": "team-secret-token"}, host_workspace)
    assert workspace.ready_announcement()[1:] == [
        "    http://localhost:8080/",
        "    and log in with the token set in AUTHENTICATE_VIA_JUPYTER.",
    ]
    assert "team-secret-token" not in workspace.logs()
    assert workspace.get("api/kernels", token="team-secret-token").status_code == 200
    for wrong in ("team-secret-token2", "team-secret-toke", "a" * 48):
        assert workspace.get("api/kernels", token=wrong).status_code == 403
        assert refused(workspace.get(f"lab?token={wrong}", authenticated=False))
    assert "<title>JupyterLab</title>" in workspace.get("lab?token=team-secret-token", authenticated=False).text


def test_false_opens_everything_and_warns_in_the_log(workspaces, host_workspace):
    workspace = workspaces.start({"AUTHENTICATE_VIA_JUPYTER": "false"}, host_workspace)
    assert workspace.ready_announcement()[1:] == ["    http://localhost:8080/"]
    assert "WARNING: authentication is disabled" in workspace.logs()
    landing = workspace.get("", authenticated=False)
    assert landing.status_code == 200 and "<title>Workbench</title>" in landing.text
    assert "<title>JupyterLab</title>" in workspace.get("lab", authenticated=False).text
    # No credentials at all, but XSRF protection still applies: a browser-like client sends the _xsrf cookie back.
    browser = requests.Session()
    browser.get(workspace.url + "lab")
    kernel = browser.post(
        workspace.url + "api/kernels", json={"name": "python3"}, headers={"X-XSRFToken": browser.cookies["_xsrf"]}
    )
    assert kernel.status_code == 201, kernel.text
    assert execute(workspace, "print(6*7)", kernel_id=kernel.json()["id"], headers={}) == "42\n"
    assert requests.post(workspace.url + "api/kernels", json={"name": "python3"}).status_code == 403
