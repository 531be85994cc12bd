"""WORKSPACE_BASE_URL moves every path under the prefix; outside it nothing is served."""

import pytest
import requests
import websocket

from kernels import execute, open_kernel_channels, start_kernel
from workspaces import WorkspaceFactory, user_folder

pytestmark = pytest.mark.container

PREFIX = "/some/prefix/"


@pytest.fixture(scope="module")
def prefixed(docker_client, image, tmp_path_factory):
    folder = user_folder(tmp_path_factory.mktemp("prefixed"))
    with WorkspaceFactory(docker_client, image) as factory:
        yield factory.start({"WORKSPACE_BASE_URL": PREFIX.rstrip("/")}, folder, base_url=PREFIX)


def test_log_prints_the_prefixed_login_url(prefixed):
    assert f"http://localhost:8080{PREFIX}?token={prefixed.token}" in prefixed.logs()


@pytest.mark.parametrize("path", ["", "lab", "api/kernels"])
def test_refused_without_credentials_under_the_prefix(prefixed, path):
    browser = prefixed.get(path, authenticated=False, headers={"Accept": "text/html"})
    assert browser.status_code == 302
    assert browser.headers["Location"] == f"{PREFIX}login?next={PREFIX}{path}"
    anonymous = prefixed.get(path, authenticated=False)  # a page: sent to log in whatever the client; an API: 403
    if path.startswith("api/"):
        assert anonymous.status_code == 403
    else:
        assert (anonymous.status_code, anonymous.headers["Location"]) == (302, browser.headers["Location"])


def test_kernel_websocket_refused_without_credentials_under_the_prefix(prefixed):
    kernel_id = start_kernel(prefixed)
    with pytest.raises(websocket.WebSocketBadStatusException) as refused:
        open_kernel_channels(prefixed, kernel_id, headers={})
    assert refused.value.status_code == 403


def test_everything_works_with_the_token_under_the_prefix(prefixed):
    landing = prefixed.get(f"?token={prefixed.token}", authenticated=False)
    assert "<title>Workbench</title>" in landing.text
    assert "Path=" + PREFIX in landing.headers["Set-Cookie"]
    lab = prefixed.get("lab")
    assert "<title>JupyterLab</title>" in lab.text and f'"baseUrl": "{PREFIX}"' in lab.text
    assert prefixed.get("workbench/landing.js").status_code == 200
    assert prefixed.get("api/workbench/status").json()["base_url"] == PREFIX
    assert execute(prefixed, "print(6*7)") == "42\n"


@pytest.mark.parametrize("path", ["lab", "api/kernels", "tree", "healthz", "some/lab", "some/prefixlab"])
def test_paths_outside_the_prefix_serve_nothing(prefixed, path):
    outside = prefixed.origin() + "/" + path
    response = requests.get(outside, headers=prefixed.auth_headers(), allow_redirects=False, timeout=10)
    assert response.status_code == 404


def test_root_and_bare_prefix_point_to_the_prefix(prefixed):
    for path in ("/", PREFIX.rstrip("/")):
        response = requests.get(prefixed.origin() + path, allow_redirects=False, timeout=10)
        assert (response.status_code, response.headers["Location"]) == (302, PREFIX)
