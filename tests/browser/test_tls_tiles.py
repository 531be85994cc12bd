"""HTTPS in the browser: log in over https:// and open every tile, websockets (wss://) included."""

import time

import pytest

from browsers import log_in, ready_tile
from tool_pages import TOOL_SHOWN
from workbench_client import Workspace

pytestmark = pytest.mark.browser


def test_every_tile_opens_over_https(workspaces, host_workspace, browser, screenshot):
    workspace = Workspace(workspaces.create({"WORKSPACE_SSL_ENABLED": "true"}, host_workspace), scheme="https")
    workspace.wait_ready()
    workspace.token = workspace.token_from_log()
    # The browser's exception for the self-signed certificate, as a person clicks through it once.
    context = browser.new_context(viewport={"width": 1280, "height": 800}, ignore_https_errors=True)
    try:
        page = context.new_page()
        log_in(page, workspace)
        assert all(cookie["secure"] for cookie in context.cookies() if cookie["name"].startswith("username-"))
        page.wait_for_selector("#ssh-command")
        page.wait_for_function("document.getElementById('ssh-command').textContent.startsWith('curl -fsSk ')")
        for tool, shown in TOOL_SHOWN.items():
            page.wait_for_selector(ready_tile(tool), timeout=90_000)
            with context.expect_page() as opened:
                page.click(f'.tile[data-tool="{tool}"]')
            tab = opened.value
            tab.wait_for_selector(shown, timeout=150_000)
            assert tab.url.startswith(workspace.url), tab.url
            if tool == "terminal":
                tab.click(".xterm")
                tab.keyboard.type("echo over-$((6*7)) > /workspace/over-https.txt\n")
                deadline = time.monotonic() + 30
                while not (host_workspace / "over-https.txt").exists():
                    assert time.monotonic() < deadline, "the terminal's websocket did not carry the command"
                    time.sleep(0.3)
            screenshot(tab, tool)
            tab.close()
    finally:
        context.close()
