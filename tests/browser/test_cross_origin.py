"""A page on another origin, open in the browser the user is logged in with, tries to drive the workspace."""

import functools
import http.server
import re
import threading

import pytest

from user_app import USER_APP_PORT, start_user_app

pytestmark = pytest.mark.browser

ATTACK_PAGE = """<!doctype html><title>another site</title><script>
window.results = {};
const desktop = new WebSocket("WORKSPACE_WS" + "tools/desktop/websockify");
desktop.onopen = () => { window.results.desktop = "open"; };
desktop.onerror = () => { window.results.desktop = "refused"; };
fetch("WORKSPACE_URL" + "tools/port/USER_APP_PORT/form", {method: "POST", mode: "no-cors", credentials: "include",
      body: "from another site"})
    .then(() => { window.results.post = "answered"; }, () => { window.results.post = "failed"; });
</script>"""


@pytest.fixture
def attacker_origin(tmp_path, workspace):
    """Another origin on the same host (another port): the browser sends it the workspace's cookies (same site)."""
    (tmp_path / "attack.html").write_text(
        ATTACK_PAGE.replace("WORKSPACE_WS", workspace.ws_url(""))
        .replace("WORKSPACE_URL", workspace.url)
        .replace("USER_APP_PORT", str(USER_APP_PORT))
    )
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(tmp_path))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def test_a_page_on_another_origin_cannot_open_the_desktop_or_post_to_an_app(workspace, page, attacker_origin):
    start_user_app(workspace)
    page.goto(workspace.url + f"?token={workspace.token}")
    page.wait_for_selector(".tile")
    assert any(cookie["name"].startswith("username-") for cookie in page.context.cookies())
    page.goto(attacker_origin + "/attack.html")
    page.wait_for_function("window.results.desktop && window.results.post")
    assert page.evaluate("window.results.desktop") == "refused"
    assert workspace.container.exec_run(["test", "-e", "/tmp/posts-reached"]).exit_code != 0
    for refused in ("GET /tools/desktop/websockify", f"POST /tools/port/{USER_APP_PORT}/form"):
        workspace.wait_for_log(rf"refused {re.escape(refused)} from another origin \({re.escape(attacker_origin)};")
