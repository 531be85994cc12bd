"""The tools inside JupyterLab: what jupyter-server-proxy's labextension is given for the launcher (its servers-info
format), and the "Workbench" menu rendered into Lab's settings overrides."""

import ast
import json

import pytest

from render_variants import VARIANTS
from workbench.contracts import render
from workbench.contracts.settings import load
from workbench.facts import catalogue, lab_launcher, usage


@pytest.mark.parametrize("base_url", ["/", "/user/alice/"])
def test_every_tool_but_lab_is_a_launcher_entry_that_opens_in_a_new_tab(base_url):
    entries = lab_launcher.servers_info(base_url)["server_processes"]
    assert [entry["name"] for entry in entries] == [tool.name for tool in catalogue.all_tools() if tool.name != "lab"]
    for entry in entries:
        tool = catalogue.by_name(entry["name"])
        assert entry["new_browser_tab"] is True
        assert entry["launcher_entry"] == {
            "enabled": True,
            "title": tool.title,
            "path_info": tool.path,  # the labextension puts the base URL in front
            "icon_url": f"{base_url}{tool.icon_url}",
            "category": "Notebook",
        }


@pytest.mark.parametrize("variant", VARIANTS)
def test_lab_overrides_keep_the_image_defaults_and_add_the_workbench_menu(variant):
    settings = load(VARIANTS[variant])
    overrides = json.loads(render.lab_overrides(settings))
    assert overrides["@jupyterlab/lsp-extension:plugin"] == {"activate": "on"}
    assert overrides["@jupyterlab/apputils-extension:notification"]["checkForUpdates"] is False
    (menu,) = overrides["@jupyterlab/mainmenu-extension:plugin"]["menus"]
    assert menu["id"].startswith("jp-mainmenu-") and menu["label"] == "Workbench"
    opened = [item["args"] for item in menu["items"] if item.get("command") == lab_launcher.OPEN_COMMAND]
    assert opened[0] == {
        "id": "workbench:home",
        "title": "Workbench home",
        "url": settings.base_url,
        "newBrowserTab": True,
    }
    assert [(args["title"], args["url"]) for args in opened[1:]] == [
        (tool.title, settings.base_url + tool.path) for tool in lab_launcher.shown_tools()
    ]
    ranks = [item["rank"] for item in menu["items"]]
    assert ranks == sorted(ranks)


def test_lab_status_bar_measures_against_the_containers_limits():
    text = render.render("jupyter_server_config.py.j2", load({}))
    config = {
        target.attr: ast.literal_eval(node.value)
        for node in ast.parse(text).body
        if isinstance(node, ast.Assign)
        for target in node.targets
        if isinstance(target, ast.Attribute) and ast.unparse(target).startswith("c.ResourceUseDisplay.")
    }
    assert config == {
        "mem_limit": usage.memory()["limit"],
        "track_cpu_percent": True,
        "cpu_limit": usage.cpu_cores() * 100,  # jupyter-resource-usage counts in percent of one CPU
    }


def test_language_servers_keep_their_copies_with_the_workspace_state_not_among_the_users_files():
    text = render.render("jupyter_server_config.py.j2", load({}))
    assert "c.LanguageServerManager.virtual_documents_dir = '.workbench/lsp-documents'" in text
