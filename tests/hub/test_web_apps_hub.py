"""Under a hub the workspace's base path is the user's /user/<name>/: an app told WORKBENCH_BASE_URL +
tools/absport/<n> works behind the hub's proxy and the door alike (a hub of its own, spawning the image with the
apps installed)."""

import pytest

from hubs import Hub
from web_apps import start_apps, use_apps_in_browser

pytestmark = pytest.mark.container


@pytest.fixture(scope="module")
def hub_with_apps(docker_client, hub_image, web_apps_image, tmp_path_factory):
    with Hub(docker_client, hub_image, web_apps_image, tmp_path_factory.mktemp("hub-apps-config")) as started:
        yield started


def test_streamlit_and_an_asgi_app_work_under_the_users_hub_prefix(hub_with_apps, page, screenshot):
    hub = hub_with_apps
    carol = hub.sign_up_and_log_in("carol")
    hub.start_server(carol)
    start_apps(hub.user_server(carol))
    page.goto(f"{hub.url}/hub/login")
    page.fill("#username_input", carol.name)
    page.fill("#password_input", carol.password)
    page.click("#login_submit")
    page.wait_for_url(f"{hub.url}/**")
    use_apps_in_browser(page, hub.user_url(carol), screenshot)
