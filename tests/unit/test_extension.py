"""The Jupyter extension's contract with the start: its settings come from the rendered Jupyter configuration (not
from the environment), and its redirects stay on this server."""

import pytest
from traitlets.config import Config

from render_variants import VARIANTS
from workbench.contracts import render
from workbench.contracts.settings import load
from workbench.server import hub_handlers, jupyter_extension


@pytest.mark.parametrize(
    "environment, hub_prefix, idle_timeout",
    [
        (VARIANTS["default"], None, 3600),
        (VARIANTS["hub"], "/", 3600),
        ({**VARIANTS["hub"], "JUPYTERHUB_BASE_URL": "/jupyter"}, "/jupyter/", 3600),
        ({"WORKSPACE_TOOLS_IDLE_TIMEOUT": "0"}, None, 0),
    ],
)
def test_the_extension_takes_its_settings_from_the_rendered_jupyter_config(environment, hub_prefix, idle_timeout):
    config = Config()
    rendered = render.render("jupyter_server_config.py.j2", load(environment))
    exec(compile(rendered, "jupyter_server_config.py", "exec"), {"get_config": lambda: config})
    workbench = jupyter_extension.Workbench(config=config)
    assert (workbench.hub_prefix, workbench.tools_idle_timeout) == (hub_prefix, idle_timeout)


@pytest.mark.parametrize(
    "next_url, expected",
    [
        ("/user/alice/lab", "/user/alice/lab"),
        ("/user/alice/tools/vscode/?folder=/workspace", "/user/alice/tools/vscode/?folder=/workspace"),
        ("/user/bob/lab", "/user/alice/"),  # another user's server
        ("https://evil.example/", "/user/alice/"),
        ("//evil.example/user/alice/", "/user/alice/"),
        ("/user/alice//evil.example", "/user/alice/"),
        ("/user/alice/\\\\evil.example", "/user/alice/"),
        ("", "/user/alice/"),
    ],
)
def test_after_the_hub_login_a_browser_goes_on_only_to_a_page_of_this_server(next_url, expected):
    assert hub_handlers.page_under(next_url, "/user/alice/") == expected


@pytest.mark.parametrize(
    "environment, timeout",
    [
        (VARIANTS["default"], None),
        ({"WORKSPACE_KERNEL_IDLE_TIMEOUT": "0"}, None),
        ({"WORKSPACE_KERNEL_IDLE_TIMEOUT": "40"}, 40),
        (VARIANTS["hub"], 3600),
        ({**VARIANTS["hub"], "WORKSPACE_KERNEL_IDLE_TIMEOUT": "0"}, None),
    ],
)
def test_idle_kernels_are_culled_when_asked_and_under_a_hub(environment, timeout):
    config = Config()
    rendered = render.render("jupyter_server_config.py.j2", load(environment))
    exec(compile(rendered, "jupyter_server_config.py", "exec"), {"get_config": lambda: config})
    kernels = config.MappingKernelManager
    if timeout is None:
        assert "cull_idle_timeout" not in kernels
        return
    assert (kernels.cull_idle_timeout, kernels.cull_connected) == (timeout, True)
    # Checked often enough that a kernel goes within half its idle time more, and no more often than needed.
    assert 1 <= kernels.cull_interval <= max(1, timeout // 2)
