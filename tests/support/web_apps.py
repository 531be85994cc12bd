"""Web apps a user runs inside the workspace behind tools/absport/<n>/ (tests/resources/web_apps): started from a
notebook, then used in the browser as a person would, standalone or under a hub."""

from __future__ import annotations

from pathlib import Path

from built_images import build_on_image
from kernels import execute

WEB_APPS = Path(__file__).resolve().parent.parent / "resources" / "web_apps"
STREAMLIT_PORT, ASGI_PORT = 8501, 8765


def build_web_apps_image(docker_client, base: str, ca_bundle: str | None, labels: dict) -> str:
    return build_on_image(docker_client, WEB_APPS, "workbench-test-web-apps", base, ca_bundle, labels)


def start_apps(server) -> None:
    """In a kernel of the workspace (a Workspace, or a hub user's server), as a user runs them from a notebook."""
    printed = execute(server, "import runpy; runpy.run_path('/opt/web-apps/start_apps.py')", timeout=120)
    assert printed.strip().endswith("started"), printed


def use_apps_in_browser(page, url: str, screenshot) -> None:
    """url: the workspace's (ending in /), in a browser already logged in. Each app's page loads its scripts from
    under its prefix and talks over its websocket."""
    page.goto(f"{url}tools/absport/{STREAMLIT_PORT}/")
    # Streamlit draws nothing before its scripts ran and its websocket answered.
    page.wait_for_selector('h1:has-text("Hello from Streamlit")', timeout=60_000)
    page.click('button:has-text("Count")')
    page.wait_for_selector('text="Clicked 1 times"', timeout=30_000)
    screenshot(page, "streamlit")
    page.goto(f"{url}tools/absport/{ASGI_PORT}/")
    page.wait_for_selector('#status:text-is("echo: ping from the page")', timeout=30_000)
    screenshot(page, "asgi")
