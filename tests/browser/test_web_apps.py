"""Apps that must know their public prefix, behind tools/absport/<n>/ (the prefix kept): Streamlit and a plain ASGI
app started from a notebook, used in the browser (their scripts load, their websockets answer)."""

import pytest
import requests

from browsers import log_in
from web_apps import ASGI_PORT, start_apps, use_apps_in_browser
from workbench_client import refused
from workspaces import WorkspaceFactory

pytestmark = pytest.mark.container


@pytest.fixture(scope="module")
def with_apps(docker_client, web_apps_image):
    with WorkspaceFactory(docker_client, web_apps_image) as factory:
        workspace = factory.start(base_url="/team/ws/", env={"WORKSPACE_BASE_URL": "/team/ws"})
        start_apps(workspace)
        yield workspace


def test_streamlit_and_an_asgi_app_work_behind_the_prefix_keeping_route(with_apps, page, screenshot):
    log_in(page, with_apps)
    use_apps_in_browser(page, with_apps.url, screenshot)


def test_the_app_sees_the_whole_path_and_the_stripping_route_still_strips_it(with_apps):
    kept = with_apps.get(f"tools/absport/{ASGI_PORT}/static/app.js?v=1")
    assert kept.status_code == 200 and "/team/ws/tools/absport/8765/ws" in kept.text
    # Without the slash the app itself answers (the path is its business), as it would without the door.
    assert with_apps.get(f"tools/absport/{ASGI_PORT}").text == f"not found: /team/ws/tools/absport/{ASGI_PORT}\n"
    stripped = with_apps.get(f"tools/port/{ASGI_PORT}/static/app.js")
    assert stripped.status_code == 404 and stripped.text == "not found: /static/app.js\n"


def test_the_prefix_keeping_route_is_behind_the_door(with_apps):
    path = f"tools/absport/{ASGI_PORT}/"
    anonymous = with_apps.get(path, authenticated=False)
    assert refused(anonymous) and anonymous.text != with_apps.get(path).text
    posted = requests.post(with_apps.url + path, timeout=30, allow_redirects=False)
    assert posted.status_code == 403 and "Forbidden" in posted.text
