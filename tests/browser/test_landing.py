"""A person with the token: logs in on the landing page, sees the tools running, opens them."""

import re

import pytest

from browsers import log_in, ready_tile
from ssh_client import SshClient
from tool_pages import ON_DEMAND_TOOLS
from workbench.facts import catalogue
from workbench_client import wait_until

pytestmark = pytest.mark.container


def open_tile(page, workspace, tool: str):
    """Log in, wait until the tool's tile can be opened, click it; return the tab it opens."""
    log_in(page, workspace)
    page.wait_for_selector(ready_tile(tool), timeout=60_000)
    with page.context.expect_page() as opened:
        page.click(f'.tile[data-tool="{tool}"]')
    return opened.value


def test_token_login_leads_to_landing_page_with_live_tiles(workspace, page, screenshot):
    # Playwright's response events, not the page's resource timing: its buffer drops entries once full.
    icons = {}
    page.on(
        "response",
        lambda response: (
            icons.setdefault(response.url.rsplit("/", 1)[1], (response.status, response.headers.get("content-type")))
            if "/workbench/icons/" in response.url
            else None
        ),
    )
    log_in(page, workspace)
    for tool in ("lab", "notebook", "terminal"):
        page.wait_for_selector(f'.tile[data-tool="{tool}"] .state[data-state="RUNNING"]', timeout=90_000)
    for tool in ON_DEMAND_TOOLS:
        page.wait_for_selector(ready_tile(tool), timeout=90_000)
    assert page.title() == "Workbench"
    assert page.inner_text('.tile[data-tool="lab"] h3') == "JupyterLab"
    page.wait_for_selector('#services tr[data-service="nginx"]')
    assert page.inner_text("#user") == "jovyan"
    # The resource summary: CPU turns from "measuring…" into a percentage at the next refresh.
    page.wait_for_function(
        "/^\\d+%$/.test(document.querySelector('[data-resource=cpu] .value').textContent)", timeout=30_000
    )
    assert re.fullmatch(r"\d+(\.\d)? CPUs?", page.inner_text("[data-resource=cpu] .detail"))
    assert re.fullmatch(r"[\d.]+ [KMGT]?B of [\d.]+ [KMGT]?B", page.inner_text("[data-resource=memory] .detail"))
    assert re.fullmatch(r"[\d.]+ [KMGT]?B free of [\d.]+ [KMGT]?B", page.inner_text("[data-resource=disk] .detail"))
    assert "SSH" in page.inner_text("#ssh-heading") and page.is_visible("#ssh")
    # Each tile draws its icon, a file the door serves from the tool's declaration.
    masks = page.eval_on_selector_all(".tile .icon", "icons => icons.map(icon => getComputedStyle(icon).maskImage)")
    assert len(masks) == len(catalogue.all_tools()), masks
    drawn = {re.fullmatch(r'url\(".*/workbench/icons/([a-z-]+\.svg)"\)', mask) for mask in masks}
    assert None not in drawn, masks
    drawn = {match[1] for match in drawn}
    while not drawn <= icons.keys():
        page.wait_for_event("response", lambda response: "/workbench/icons/" in response.url, timeout=30_000)
    assert {icons[name] for name in drawn} == {(200, "image/svg+xml")}, icons
    screenshot(page, "landing")


def test_token_in_the_url_logs_in_and_is_removed_from_the_address_bar(workspace, page):
    page.goto(workspace.url + f"?token={workspace.token}")
    page.wait_for_selector('.tile[data-tool="lab"]')
    assert "token" not in page.url


def test_jupyterlab_tile_opens_jupyterlab(workspace, page, screenshot):
    lab = open_tile(page, workspace, "lab")
    lab.wait_for_selector("#jp-main-dock-panel", timeout=60_000)
    lab.wait_for_selector(".jp-Launcher", timeout=60_000)
    screenshot(lab, "jupyterlab")


def test_terminal_tile_runs_what_the_user_types(workspace, page, screenshot):
    terminal = open_tile(page, workspace, "terminal")
    terminal.wait_for_selector(".xterm", timeout=60_000)
    terminal.click(".xterm")
    terminal.keyboard.type("echo browser-$((6*7)) > /workspace/from-terminal.txt\n")
    result = wait_until(
        lambda: (
            (typed := workspace.container.exec_run(["cat", "/workspace/from-terminal.txt"])).exit_code == 0 and typed
        ),
        30,
        0.3,
    )
    assert result.output.decode() == "browser-42\n"
    screenshot(terminal, "terminal")


def test_tensorboard_tile_opens_tensorboard(workspace, page, screenshot):
    tensorboard = open_tile(page, workspace, "tensorboard")
    tensorboard.wait_for_load_state()
    # An empty log dir: TensorBoard's own UI says so (rendered by its app, not a proxy error page).
    tensorboard.get_by_text("No dashboards are active", exact=False).wait_for(timeout=60_000)
    assert tensorboard.title() == "TensorBoard"
    screenshot(tensorboard, "tensorboard")


def test_vscode_tile_opens_the_vscode_workbench(workspace, page, screenshot):
    vscode = open_tile(page, workspace, "vscode")
    vscode.wait_for_selector(".monaco-workbench", timeout=90_000)
    vscode.wait_for_selector(".explorer-folders-view, .welcome-view, .part.sidebar", timeout=90_000)
    # Workbench's first settings: dark theme, and no chat panel taking a third of the window.
    vscode.wait_for_selector(".monaco-workbench.vs-dark", timeout=30_000)
    assert not vscode.is_visible(".part.auxiliarybar")
    screenshot(vscode, "vscode")


def test_a_tile_of_a_tool_not_yet_running_starts_it_and_the_tab_turns_into_it(workspaces, page, screenshot):
    fresh = workspaces.start()
    log_in(page, fresh)
    idle = page.wait_for_selector('.tile[data-tool="vscode"] .state[data-state="IDLE"]', timeout=60_000)
    assert idle.inner_text() == "starts when opened"
    screenshot(page, "landing-idle")
    answers = []
    page.context.on("response", lambda response: answers.append(response))
    with page.context.expect_page() as opened:
        page.click('.tile[data-tool="vscode"]')
    vscode = opened.value
    vscode.wait_for_selector(".monaco-workbench", timeout=90_000)
    # The first answer to the tab was the "starting…" page; it then reloaded itself into VS Code.
    first = next(answer for answer in answers if answer.url == fresh.url + "tools/vscode/")
    assert first.status == 503 and first.header_value("content-type").startswith("text/html")
    assert vscode.url.startswith(fresh.url + "tools/vscode/")
    page.wait_for_selector('.tile[data-tool="vscode"] .state[data-state="RUNNING"]', timeout=30_000)
    screenshot(vscode, "vscode-after-start")


# What share of a canvas is not black, and how many colours it shows, sampled on a grid.
CANVAS_CONTENT = """(canvas) => {
  const context = canvas.getContext("2d");
  const { data } = context.getImageData(0, 0, canvas.width, canvas.height);
  let lit = 0, samples = 0;
  const colours = new Set();
  for (let y = 0; y < canvas.height; y += 8) {
    for (let x = 0; x < canvas.width; x += 8) {
      const i = 4 * (y * canvas.width + x);
      samples += 1;
      if (data[i] + data[i + 1] + data[i + 2] > 30) lit += 1;
      colours.add((data[i] << 16) | (data[i + 1] << 8) | data[i + 2]);
    }
  }
  return { width: canvas.width, height: canvas.height, lit: lit / samples, colours: colours.size };
}"""


def test_desktop_tile_shows_the_xfce_desktop_fitted_to_the_window(workspace, page, screenshot):
    desktop = open_tile(page, workspace, "desktop")
    desktop.wait_for_selector("html.noVNC_connected", timeout=60_000)
    canvas = desktop.wait_for_selector("#noVNC_container canvas")
    # Wait for the resize to the window and for XFCE's panel and windows to be drawn.
    desktop.wait_for_function(
        f"(({CANVAS_CONTENT})(document.querySelector('#noVNC_container canvas'))).lit > 0.5"
        " && document.querySelector('#noVNC_container canvas').width === window.innerWidth",
        timeout=60_000,
    )
    content = canvas.evaluate(CANVAS_CONTENT)
    assert content["width"] == 1280 and content["colours"] > 20, content
    screenshot(desktop, "desktop")


def test_netdata_tile_shows_live_charts(workspace, page, screenshot):
    netdata = open_tile(page, workspace, "netdata")
    netdata.get_by_text("System Overview").first.wait_for(timeout=60_000)
    netdata.wait_for_selector('[data-netdata="system.cpu"] canvas, [data-netdata="system.cpu"] svg', timeout=60_000)
    assert "netdata dashboard" in netdata.title()
    screenshot(netdata, "netdata")


def test_ssh_command_on_the_landing_page_sets_up_a_working_ssh_host(workspace, page, screenshot, short_home):
    """What a user does: copy the command from the landing page, paste it in a shell, then ssh."""
    log_in(page, workspace)
    page.wait_for_function("document.getElementById('ssh-command').textContent.startsWith('curl ')")
    command = page.inner_text("#ssh-command")
    alias = page.inner_text("#ssh-alias")
    assert command.endswith('api/workbench/ssh/setup" | sh') and workspace.token in command
    client = SshClient(short_home, alias)
    setup = client.run_setup(command)
    assert setup.returncode == 0, setup.stderr
    login = client.ssh(alias, "whoami", own_connection=True)
    assert login.stdout == "jovyan\n", login.stderr
    # The new key is listed on the page, with a button to revoke it.
    page.reload()
    revoke = page.wait_for_selector("#ssh-keys tbody tr button", timeout=30_000)
    screenshot(page, "ssh")
    # Revoking it from the page (the DELETE carries Jupyter's XSRF token) locks that client out.
    page.once("dialog", lambda dialog: dialog.accept())
    revoke.click()
    page.wait_for_selector("#ssh-keys tbody tr", state="detached", timeout=30_000)
    refused = client.ssh(alias, "whoami", own_connection=True)
    assert refused.returncode == 255 and "Permission denied" in refused.stderr


def test_an_environment_made_with_workbench_env_is_in_the_jupyterlab_launcher(workspace, page, screenshot):
    created = workspace.container.exec_run(["bash", "-lc", "workbench-env create launcher-check"], user="jovyan")
    assert created.exit_code == 0, created.output.decode()
    lab = open_tile(page, workspace, "lab")
    lab.wait_for_selector(".jp-Launcher", timeout=60_000)
    lab.wait_for_selector(
        '.jp-LauncherCard[title="Python (launcher-check)"], .jp-LauncherCard:has-text("Python (launcher-check)")',
        timeout=60_000,
    )
    screenshot(lab, "launcher")
