"""The tools inside JupyterLab and Notebook 7. Their launcher tiles (and Notebook's "New" menu entries) are drawn by
jupyter-server-proxy's prebuilt labextension (requirements/lab-launcher.txt), which asks servers-info what to show in
that package's own format; the workbench extension answers it from the tool declarations, so a declared tool gets a
tile like the built-in ones. Lab's menu bar gets a "Workbench" menu with the same entries, through the labextension's
open command, rendered into Lab's settings overrides at start (the URLs carry the base path).
"""

from __future__ import annotations

from . import catalogue, tools

# jupyter-server-proxy's contract (its labextension, version pinned with it).
SERVERS_INFO_PATH = "server-proxy/servers-info"
OPEN_COMMAND = "server-proxy:open"
# The launcher section, as jupyter-server-proxy's own default: JupyterLab draws an icon from a URL only in its
# kernel sections (Notebook, Console); in any other a tile would have none.
CATEGORY = "Notebook"
MENU_ID = "jp-mainmenu-workbench"
# Lab itself needs no tile inside Lab.
NOT_IN_LAB = ("lab",)


def shown_tools() -> list[tools.Tool]:
    return [tool for tool in catalogue.all_tools() if tool.name not in NOT_IN_LAB]


def servers_info(base_url: str) -> dict:
    """What the labextension reads: one launcher entry per tool, opened in a new browser tab."""
    return {
        "server_processes": [
            {
                "name": tool.name,
                "new_browser_tab": True,
                "launcher_entry": {
                    "enabled": True,
                    "title": tool.title,
                    "path_info": tool.path,
                    "icon_url": base_url + tool.icon_url,
                    "category": CATEGORY,
                },
            }
            for tool in shown_tools()
        ]
    }


def _open_item(name: str, title: str, url: str, rank: int) -> dict:
    return {
        "command": OPEN_COMMAND,
        "args": {"id": f"workbench:{name}", "title": title, "url": url, "newBrowserTab": True},
        "rank": rank,
    }


def lab_menu(base_url: str) -> dict:
    """The "Workbench" menu of Lab's menu bar (mainmenu-extension's settings): the landing page, then each tool."""
    items = [_open_item("home", "Workbench home", base_url, 0), {"type": "separator", "rank": 1}]
    items += [_open_item(tool.name, tool.title, base_url + tool.path, 10 + n) for n, tool in enumerate(shown_tools())]
    return {"id": MENU_ID, "label": "Workbench", "rank": 1000, "items": items}
