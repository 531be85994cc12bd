"""The first minute: a person runs the container and opens its address at once, before Jupyter is up. The browser
gets a "starting" page that turns into the landing page by itself; never a bare 500."""

import pytest
import requests

from workbench_client import wait_until

pytestmark = pytest.mark.container

TOKEN = "first-minute-token"


def wait_for_any_answer(url: str, timeout: float = 60) -> None:
    """Until nginx listens, the published port takes connections and drops them; a browser would show an error."""
    # Any answer will do: a Response is false for a 503, hence "is not None".
    answered = lambda: requests.get(url, timeout=2) is not None  # noqa: E731
    wait_until(answered, timeout, 0.05, failure=lambda: f"nothing answered at {url}")


def test_address_opened_right_after_docker_run_shows_starting_then_landing(
    workspaces, host_workspace, page, screenshot
):
    workspace = workspaces.start({"AUTHENTICATE_VIA_JUPYTER": TOKEN}, host_workspace, wait=False)
    answers = []
    page.on("response", lambda response: answers.append((response.status, response.url)))
    wait_for_any_answer(workspace.url + "healthz")
    # Jupyter takes seconds to start and nginx a fraction of one: the first answer is the starting page.
    first = page.goto(workspace.url + f"lab?token={TOKEN}")
    assert first.status == 503 and first.headers["retry-after"] == "2", answers
    assert page.inner_text("h1") == "Workbench is starting…"
    screenshot(page, "starting")
    page.wait_for_selector(".jp-Launcher", timeout=120_000)  # it went on to where it was going by itself
    screenshot(page, "arrived")
    assert page.url.startswith(workspace.url + "lab")
    assert [answer for answer in answers if answer[0] >= 500 and answer[0] != 503] == [], answers
