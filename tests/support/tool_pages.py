"""Each tool declared in workbench/tools.py as a test opens it: a page of the tool, and text that only that tool
serves there. tests/unit/test_tool_declarations.py fails while a declared tool has no entry, so a new tool cannot go
untested by the page tests (test_every_tool.py), the hub's and the benchmarks'."""

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

# Tools with programs of their own: they start when first opened (WORKSPACE_TOOLS_START=on-demand, the default).
ON_DEMAND_TOOLS = tuple(tool.name for tool in tools.TOOLS if tool.starts_on_demand)
