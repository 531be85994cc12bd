"""The tools inside JupyterLab, as a person meets them there: a launcher tile per tool (jupyter-server-proxy's
labextension, fed by the workbench extension) that opens the tool in a new tab, a "Workbench" menu with the same,
and the container's memory in the status bar, against the limit `docker run --memory` set."""

import re

import pytest

from browsers import log_in
from workbench.facts import lab_launcher
from workspaces import WorkspaceFactory

pytestmark = pytest.mark.container

MEMORY_LIMIT_MIB = 3072
MIB_PER_UNIT = {"MB": 1, "GB": 1024}
MEMORY_SHOWN = r"Mem: ([0-9.]+) / ([0-9.]+) ([MG]B)"


def launcher_titles() -> list[str]:
    """The tiles' titles; jupyter-server-proxy's labextension marks those that open a new tab."""
    return sorted(f"{tool.title} [↗]" for tool in lab_launcher.shown_tools())


@pytest.fixture(scope="module")
def limited(docker_client, image):
    with WorkspaceFactory(docker_client, image) as factory:
        yield factory.start(mem_limit=f"{MEMORY_LIMIT_MIB}m")


def open_lab(page, workspace):
    log_in(page, workspace)
    page.goto(workspace.url + "lab")
    # Beside the kernels, where jupyter-server-proxy's tiles go by default.
    section = page.wait_for_selector('.jp-Launcher-section:has(.jp-Launcher-sectionTitle:text-is("Notebook"))')
    section.wait_for_selector('.jp-LauncherCard:has-text("VS Code")')
    return section


def test_the_launcher_has_a_tile_per_tool_and_vscode_opens_in_a_new_tab(limited, page, screenshot):
    section = open_lab(page, limited)
    cards = [card for card in section.query_selector_all(".jp-LauncherCard") if "[↗]" in card.inner_text()]
    assert sorted(card.inner_text().strip() for card in cards) == launcher_titles()
    # Each tile shows the tool's icon, served by the door.
    icons = [card.query_selector("img").get_attribute("src") for card in cards]
    assert all(re.fullmatch(r"/workbench/(tool-)?icons/[a-z0-9._-]+\.svg", icon) for icon in icons), icons
    page.wait_for_function("[...document.querySelectorAll('.jp-LauncherCard img')].every(i => i.naturalWidth > 0)")
    shown = page.wait_for_function(
        "pattern => (document.querySelector('#jp-main-statusbar')?.innerText.match(new RegExp(pattern)) || [])[0]",
        arg=MEMORY_SHOWN,
    ).json_value()
    used, limit, unit = re.fullmatch(MEMORY_SHOWN, shown).groups()
    assert float(limit) * MIB_PER_UNIT[unit] == MEMORY_LIMIT_MIB
    assert 0 < float(used) < float(limit)
    screenshot(page, "lab-launcher")
    with page.context.expect_page() as opened:
        section.query_selector('.jp-LauncherCard:has-text("VS Code")').click()
    vscode = opened.value
    vscode.wait_for_selector(".monaco-workbench", timeout=120_000)
    assert vscode.url.startswith(limited.url + "tools/vscode/")
    screenshot(vscode, "vscode-from-lab")


def test_the_workbench_menu_opens_the_landing_page_and_each_tool(limited, page, screenshot):
    open_lab(page, limited)
    page.click('.lm-MenuBar-itemLabel:text-is("Workbench")')
    menu = page.wait_for_selector(".lm-Menu:visible")
    labels = [label.strip() for label in menu.inner_text().splitlines() if label.strip()]
    assert labels == ["Workbench home"] + [tool.title for tool in lab_launcher.shown_tools()]
    screenshot(page, "lab-workbench-menu")
    with page.context.expect_page() as opened:
        page.click('.lm-Menu-itemLabel:text-is("Workbench home")')
    landing = opened.value
    landing.wait_for_selector('.tile[data-tool="vscode"]')
    assert landing.url == limited.url
