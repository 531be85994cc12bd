"""Each tool as a test opens it, from its declaration (tools.Page): the page's address, a text only that tool serves
there, and what a browser shows once it works. The page tests (test_every_tool.py), the browser's, the hub's, the
trust tests' and the benchmarks' lists of tools all come from here."""

from workbench.facts import catalogue

TOOL_PAGES = {tool.name: (tool.path + tool.page.address, tool.page.text) for tool in catalogue.all_tools() if tool.page}
TOOL_SHOWN = {tool.name: tool.page.shows for tool in catalogue.all_tools() if tool.page}

# Every tool's page, for what must hold on each (framing refused, a logged-out cookie refused).
TOOL_PAGE_PATHS = tuple(path for path, _ in TOOL_PAGES.values())

# Tools with programs of their own: they start when first opened (WORKSPACE_TOOLS_START=on-demand, the default).
ON_DEMAND_TOOLS = tuple(tool.name for tool in catalogue.all_tools() if tool.starts_on_demand)
