"""Headless Chromium (Debian's package) driven by Playwright, as fixtures; screenshots go to test-artifacts/."""

from pathlib import Path

import pytest

from workbench_build.checks import CHROMIUM

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
# Set by tests/conftest.py's report hook when a test's own body failed.
FAILED = pytest.StashKey[bool]()
# Without these, Chromium keeps calling home, which a closed network refuses many times a second.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-sync",
    "--disable-background-networking",
    "--disable-component-update",
]


@pytest.fixture(scope="session")
def playwright_driver():
    """Playwright's sync API runs once per process: every Chromium of the session is launched from this one."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        yield playwright


def launch(playwright_driver, *args: str):
    """Chromium as the tests run it, with arguments of a test's own (a host name's mapping, a certificate to accept)."""
    return playwright_driver.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS + list(args))


@pytest.fixture(scope="session")
def browser(playwright_driver):
    browser = launch(playwright_driver)
    yield browser
    browser.close()


class Contexts:
    """The browser contexts a test opens, closed after it; when the test failed, what every tab showed and what the
    browser asked for and did not get are kept in test-artifacts/ first: a timeout alone says little."""

    def __init__(self, request):
        self.request = request
        self.opened: list[tuple] = []

    def open(self, browser, **options):
        context = browser.new_context(viewport={"width": 1280, "height": 800}, **options)
        refused: list[str] = []
        context.on(
            "response",
            lambda response: refused.append(f"{response.status} {response.url}") if response.status >= 400 else None,
        )
        context.on("requestfailed", lambda failed: refused.append(f"{failed.failure} {failed.url}"))
        self.opened.append((context, refused))
        return context

    def close(self) -> None:
        failed = self.request.node.stash.get(FAILED, False)
        name = self.request.node.name
        for number, (context, refused) in enumerate(self.opened):
            if failed:
                ARTIFACTS.mkdir(exist_ok=True)
                label = f"{name}-FAILED" + (f"-context{number}" if number else "")
                for tab_number, tab in enumerate(context.pages):
                    tab.screenshot(path=str(ARTIFACTS / f"{label}-tab{tab_number}.png"), full_page=True)
                (ARTIFACTS / f"{label}-requests.txt").write_text("\n".join(refused) + "\n")
            context.close()


@pytest.fixture
def contexts(request):
    opened = Contexts(request)
    yield opened
    opened.close()


@pytest.fixture
def page(browser, contexts):
    return contexts.open(browser).new_page()


@pytest.fixture
def screenshot(request):
    """Save a screenshot named after the test, so a person can look at what the browser showed."""
    ARTIFACTS.mkdir(exist_ok=True)

    def take(page, label: str) -> Path:
        path = ARTIFACTS / f"{request.node.name}-{label}.png"
        page.screenshot(path=str(path), full_page=True)
        return path

    return take


def ready_tile(tool: str) -> str:
    """The landing tile once it can be opened: running, or (a tool that starts when opened) not running yet."""
    return f'.tile[data-tool="{tool}"] .state:is([data-state="RUNNING"], [data-state="IDLE"])'


def log_in(page, workspace):
    """The login form, as a person uses it: open the workspace, be sent to the form, type the token, land back."""
    page.goto(workspace.url)
    assert "/login?next=" in page.url
    page.fill("#password_input", workspace.token)
    page.click("#login_submit")
    page.wait_for_url(workspace.url)
