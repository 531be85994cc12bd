"""A tool an image built on this one declares (tests/resources/fake_tools) is a tile like the image's own: its icon
drawn from the file beside its declaration, and a click that opens it through its starting page."""

import re

import pytest

from browsers import log_in, ready_tile
from workspaces import WorkspaceFactory

pytestmark = pytest.mark.container


@pytest.fixture(scope="module")
def with_declared_tools(docker_client, fake_tools_image):
    with WorkspaceFactory(docker_client, fake_tools_image) as factory:
        yield factory.start()


def icon_of(page, tool: str) -> str:
    return page.eval_on_selector(f'.tile[data-tool="{tool}"] .icon', "icon => getComputedStyle(icon).maskImage")


def test_a_declared_tool_is_a_tile_with_its_icon_that_opens_the_tool(with_declared_tools, page, screenshot):
    log_in(page, with_declared_tools)
    page.wait_for_selector(ready_tile("echo"), timeout=60_000)
    assert page.inner_text('.tile[data-tool="echo"] h3') == "Echo"
    assert re.fullmatch(r'url\(".*/workbench/tool-icons/echo\.svg"\)', icon_of(page, "echo"))
    assert re.fullmatch(r'url\(".*/workbench/icons/tool\.svg"\)', icon_of(page, "keep"))  # it brings none
    screenshot(page, "declared-tiles")
    with page.context.expect_page() as opened:
        page.click('.tile[data-tool="echo"]')
    tool = opened.value
    # The starting page turns into the tool by itself: the fake backend's answer, as JSON.
    tool.wait_for_function('document.body.innerText.includes(\'"tool": "echo"\')', timeout=120_000)
    assert tool.url == with_declared_tools.url + "tools/echo/"
    screenshot(tool, "declared-tool")
