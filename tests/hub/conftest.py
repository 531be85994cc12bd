"""One real JupyterHub for this folder's tests, with two users (alice and bob) whose workspaces are running."""

from __future__ import annotations

from dataclasses import replace

import pytest

from built_images import build_options
from hubs import Hub
from workbench_build import images, project


@pytest.fixture(scope="session")
def hub_image(pytestconfig, docker_client) -> str:
    """The hub image of deploy/docker, built once per session through build.py (a cache hit when nothing changed)."""
    tag = project.HUB_IMAGE.tags("minimal")[0]
    if not pytestconfig.getoption("image_built"):
        images.build(replace(build_options(pytestconfig), flavor="minimal"), project.HUB_IMAGE)
    docker_client.images.get(tag)
    return tag


@pytest.fixture(scope="package")
def hub(docker_client, hub_image, image, tmp_path_factory):
    """The hub, spawning the image under test; removed with every workspace and volume it made, pass or fail."""
    with Hub(docker_client, hub_image, image, tmp_path_factory.mktemp("hub-config")) as started:
        yield started


@pytest.fixture(scope="package")
def alice(hub):
    user = hub.sign_up_and_log_in("alice")
    hub.start_server(user)
    return user


@pytest.fixture(scope="package")
def bob(hub):
    user = hub.sign_up_and_log_in("bob")
    hub.start_server(user)
    return user
