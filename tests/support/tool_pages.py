"""Each tool declared in workbench/tools.py as a test opens it: a page of the tool, text that only that tool serves
there, and what a browser shows once it works. tests/unit/test_tool_declarations.py fails while a declared tool
has no entry, so a new tool cannot go untested by the page tests (test_every_tool.py), the browser's, the hub's,
the trust tests' and the benchmarks'."""

from workbench import tools

TOOL_PAGES = {
    "lab": ("lab", "<title>JupyterLab</title>"),
    "notebook": ("tree", '"appName": "Jupyter Notebook"'),
    "terminal": ("terminals/1", "<title>Jupyter Notebook - Terminal</title>"),
    "vscode": ("tools/vscode/?folder=/workspace", 'id="vscode-workbench-web-configuration"'),
    "desktop": ("tools/desktop/vnc.html", "noVNC_container"),
    "tensorboard": ("tools/tensorboard/", "<tb-webapp></tb-webapp>"),
    "netdata": ("tools/netdata/", "<title>netdata dashboard</title>"),
}
# What a browser tab shows once the tool works in it (the terminal and the desktop need their websockets for it).
TOOL_SHOWN = {
    "lab": ".jp-Launcher",
    "notebook": ".jp-DirListing-content",
    "terminal": ".xterm-screen",
    "vscode": ".monaco-workbench",
    "desktop": "html.noVNC_connected",
    "tensorboard": "text=No dashboards are active",
    "netdata": "text=System Overview",
}

# Every tool's page, for what must hold on each (framing refused, a logged-out cookie refused).
TOOL_PAGE_PATHS = tuple(path for path, _ in TOOL_PAGES.values())

# Tools with programs of their own: they start when first opened (WORKSPACE_TOOLS_START=on-demand, the default).
ON_DEMAND_TOOLS = tuple(tool.name for tool in tools.TOOLS if tool.starts_on_demand)
