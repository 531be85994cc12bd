"""An administrator's own JupyterHub, configured without reading deploy/: DockerSpawner with its defaults (no cmd: the
image's CMD starts the workspace), the DummyAuthenticator and default_url = "/lab". JupyterLab and VS Code work
through the hub."""

from __future__ import annotations

import pytest

from hubs import Hub, HubUser
from tool_pages import TOOL_PAGES
from workbench_client import open_page_like_a_browser

pytestmark = pytest.mark.container

# What such an administrator writes: the spawner, the image, and how the hub and the servers find each other on a
# Docker network (DockerSpawner's documented minimum when the hub runs in a container).
PLAIN_CONFIG = """\
c = get_config()
c.JupyterHub.authenticator_class = "dummy"
c.Authenticator.allow_all = True
c.JupyterHub.spawner_class = "dockerspawner.DockerSpawner"
c.DockerSpawner.image = "{image}"
c.DockerSpawner.network_name = "{network}"
c.JupyterHub.hub_ip = "0.0.0.0"
c.JupyterHub.hub_connect_ip = "{hub_name}"
c.Spawner.default_url = "/lab"
c.DockerSpawner.remove = True
# The test's own bookkeeping: names it can find, and the label every test container carries.
c.DockerSpawner.prefix = "{prefix}"
c.DockerSpawner.extra_create_kwargs = {{"labels": {test_labels}}}
"""


@pytest.fixture(scope="module")
def plain_hub(docker_client, hub_image, image, tmp_path_factory):
    with Hub(docker_client, hub_image, image, tmp_path_factory.mktemp("plain-hub"), own_config=PLAIN_CONFIG) as started:
        yield started


def test_a_default_docker_spawner_starts_the_workspace_and_its_tools_work(plain_hub):
    user = plain_hub.log_in(HubUser("carol", "any password will do"))
    plain_hub.start_server(user)
    container = plain_hub.user_container(user)
    assert container.attrs["Config"]["Cmd"] == ["start-notebook.py"]  # the image's CMD: the spawner set none
    lab = open_page_like_a_browser(user.session, plain_hub.user_url(user) + "lab")
    assert lab.status_code == 200 and "jupyter-config-data" in lab.text, lab.text[:500]
    path, text = TOOL_PAGES["vscode"]
    vscode = open_page_like_a_browser(user.session, plain_hub.user_url(user) + path)
    assert vscode.status_code == 200 and text in vscode.text, vscode.text[:500]
