"""The front door's contract with a tool that starts on demand, against small fake backends declared as an image
built on this one declares its tools (tests/resources/fake_tools/): a first request wakes the tool and reaches it as
if it had been running (nginx's internal redirect for a GET, a 307 for a request with a body, a websocket
connects), a browser gets the starting page until the tool answers its health URL, a tool that cannot start is
given up on, an unused tool stops, and a kept "yes" of the auth check lets a request through without asking
Jupyter. No VS Code and no desktop: test_on_demand.py opens the real tools."""

from __future__ import annotations

import json
import threading
import time

import pytest
import requests
import websocket

from built_images import FAKE_TOOLS
from workbench.facts import declarations, paths, states, tools
from workbench_client import refused, tool_state, wait_for_status
from workspaces import WorkspaceFactory

pytestmark = pytest.mark.container

DECLARED = declarations.load_declared(FAKE_TOOLS)
PROGRAM_NAMES = {tool.name for tool in DECLARED}
ECHO = next(tool for tool in DECLARED if tool.name == "echo")
SHORT_IDLE = 6  # seconds
NAVIGATION = {"Accept": "text/html,application/xhtml+xml", "Sec-Fetch-Mode": "navigate", "Sec-Fetch-Site": "none"}


@pytest.fixture(scope="module")
def factory(docker_client, fake_tools_image):
    with WorkspaceFactory(docker_client, fake_tools_image) as started:
        yield started


@pytest.fixture(scope="module")
def door(factory):
    return factory.start()


def supervisorctl(workspace, *arguments: str) -> str:
    return workspace.container.exec_run(["supervisorctl", *arguments], user="jovyan").output.decode()


def stopped(workspace, name: str):
    """The tool stopped, as nobody had opened it yet: each test wakes it itself."""
    supervisorctl(workspace, "stop", name)
    wait_for_status(workspace, lambda status: tool_state(status, name) == "IDLE")
    return workspace


def open_echo_socket(workspace) -> websocket.WebSocket:
    """A websocket to the echo tool, as the workspace's own pages open one (a stopped tool starts first)."""
    return websocket.create_connection(
        workspace.ws_url("tools/echo/ws"),
        origin=workspace.origin(),
        header=[f"{name}: {value}" for name, value in workspace.auth_headers().items()],
        timeout=120,
    )


def received(response: requests.Response) -> dict:
    """What the fake backend got, from its answer (it fails the test when the answer is not the backend's)."""
    assert response.status_code == 200 and response.headers["Content-Type"].startswith("application/json"), (
        response.status_code,
        response.text[:500],
    )
    return response.json()


def test_declared_tools_are_tiles_with_their_icons_and_programs(door):
    status = wait_for_status(door, lambda s: tool_state(s, "lab") == "RUNNING")
    listed = {tool["name"]: tool for tool in status["tools"]}
    for tool in DECLARED:
        assert listed[tool.name]["title"] == tool.title and listed[tool.name]["on_demand"] is True
        assert listed[tool.name]["state"] == "IDLE" and listed[tool.name]["icon"] == tool.icon_url
    assert {service["name"] for service in status["services"]} >= PROGRAM_NAMES
    own_icon = door.get(listed["echo"]["icon"])
    assert own_icon.headers["Content-Type"] == "image/svg+xml"
    assert own_icon.text == (FAKE_TOOLS / "echo.svg").read_text()
    generic = door.get(listed["keep"]["icon"])
    assert generic.headers["Content-Type"] == "image/svg+xml" and generic.text.startswith("<svg")
    # Only the SVG files beside the declarations, and only with the login.
    for path in ("echo.json", "..%2fecho.json", "../tools.d/echo.json", "%2e%2e/tools.d/echo.json"):
        answer = door.get(f"{tools.DECLARED_ICONS_URL}/{path}")
        assert answer.status_code in (400, 404) and '"command"' not in answer.text, path
    icon = door.get(listed["echo"]["icon"], authenticated=False)
    assert refused(icon) and icon.content != door.get(listed["echo"]["icon"]).content


def test_a_scripts_first_get_wakes_the_tool_and_reaches_it_as_if_it_ran(door):
    stopped(door, "echo")
    path = "tools/echo/some%20folder/a%2Fb?q=1&next=%2Fx%3Fy"
    first = received(door.get(path, timeout=120))
    # nginx redirected the request internally once the tool answered: nothing of that reaches the client.
    again = received(door.get(path))
    assert first["uri"] == again["uri"] and first["uri"].endswith("?q=1&next=%2Fx%3Fy"), (first["uri"], again["uri"])
    assert first["uri"].startswith("/some%20folder/")  # the prefix is stripped for this tool
    assert first["tool"] == "echo" and first["method"] == "GET"
    door.wait_for_log(r"starting Echo: it was opened")
    assert tool_state(wait_for_status(door, lambda s: tool_state(s, "echo") == "RUNNING"), "echo") == "RUNNING"


def test_a_request_with_a_body_is_told_to_repeat_it_once_the_tool_runs(door):
    stopped(door, "keep")
    path = "tools/keep/form?x=1"
    answer = requests.post(door.url + path, data="a=1", headers=door.auth_headers(), allow_redirects=False, timeout=120)
    assert answer.status_code == 307 and answer.headers["Location"] == "/" + path
    repeated = received(requests.post(door.url + path, data="a=1", headers=door.auth_headers(), timeout=30))
    # This tool keeps its prefix: it sees the URL the browser asked for.
    assert (repeated["method"], repeated["uri"], repeated["body"]) == ("POST", "/" + path, "a=1")


def test_a_websocket_to_a_stopped_tool_wakes_it_and_connects(door):
    stopped(door, "echo")
    channel = open_echo_socket(door)
    try:
        channel.send("hello through the door")
        assert channel.recv() == "hello through the door"
    finally:
        channel.close()


def running_unhealthy(workspace, name: str) -> dict:
    """Its program runs, but it does not answer its health URL: starting, for the tiles and for a waiting request."""
    return wait_for_status(
        workspace, lambda s: tool_state(s, name) == "STARTING" and "RUNNING" in supervisorctl(workspace, "status", name)
    )


def test_a_waking_request_waits_until_the_tool_answers_its_health_url(door):
    stopped(door, "slow")
    door.container.exec_run(["rm", "-f", "/tmp/slow-ready"])
    waiting: dict = {}
    script = threading.Thread(target=lambda: waiting.update(answer=door.get("tools/slow/data", timeout=150)))
    script.start()
    running_unhealthy(door, "slow")
    assert script.is_alive(), waiting  # the wake route holds it: a listening port is not yet a tool that works
    door.container.exec_run(["touch", "/tmp/slow-ready"], user="jovyan")
    script.join(150)
    assert received(waiting["answer"])["uri"] == "/data"


def test_a_browser_gets_the_starting_page_and_the_tiles_say_starting_until_the_tool_is_healthy(door):
    stopped(door, "slow")
    door.container.exec_run(["rm", "-f", "/tmp/slow-ready"])
    page = door.get("tools/slow/", headers=NAVIGATION)
    assert page.status_code == 503 and page.headers["Retry-After"] == "2"
    assert "<title>Starting Slow…</title>" in page.text
    # The page polls the status and reloads itself once it says running.
    assert '"/api/workbench/status"' in page.text and "location.reload()" in page.text
    running_unhealthy(door, "slow")
    door.container.exec_run(["touch", "/tmp/slow-ready"], user="jovyan")
    wait_for_status(door, lambda s: tool_state(s, "slow") == "RUNNING")
    assert received(door.get("tools/slow/", headers=NAVIGATION))["tool"] == "slow"


def test_a_tool_that_cannot_start_is_given_up_on(door):
    page = door.get("tools/broken/", headers=NAVIGATION)
    assert page.status_code == 503 and "<title>Starting Broken…</title>" in page.text
    # The starting page stops waiting on the same states as the wake route.
    assert all(json.dumps(state) in page.text for state in states.GIVEN_UP)
    answer = door.get("tools/broken/", timeout=150)
    assert answer.status_code == 503 and "Broken did not start; the container&#39;s log says why" in answer.text
    status = wait_for_status(door, lambda s: tool_state(s, "broken") in states.GIVEN_UP)
    assert status["states"][tool_state(status, "broken")]["class"] == "failed"
    assert "broken tool exits" in door.logs()


def test_a_tool_whose_program_is_missing_is_given_up_on_at_once(door):
    answer = door.get("tools/missing/", timeout=30)
    assert answer.status_code == 503 and "Missing did not start; the container&#39;s log says why" in answer.text
    assert "Missing cannot start: supervisord says NO_FILE: " in door.logs()


@pytest.mark.parametrize(
    ("path", "headers", "status", "says"),
    [
        ("api/workbench/tools/echo/wake", {}, 400, "X-Original-URI must be a URL of Echo"),
        ("api/workbench/tools/echo/wake", {"X-Original-URI": "/tools/keep/"}, 400, "must be a URL of Echo"),
        ("api/workbench/tools/echo/wake", {"X-Original-URI": "/tools/echo/%2e%2e/keep/"}, 400, "must be a URL"),
        ("api/workbench/tools/lab/wake", {"X-Original-URI": "/lab"}, 404, ""),
        ("api/workbench/tools/nothing/wake", {"X-Original-URI": "/tools/nothing/"}, 404, ""),
        (
            "api/workbench/tools/echo/wake",
            {"X-Original-URI": "/tools/echo/", "Sec-Fetch-Site": "cross-site", "Sec-Fetch-Mode": "no-cors"},
            403,
            "Echo starts only from the workspace's own pages",
        ),
    ],
)
def test_the_wake_route_refuses_what_nginx_would_not_ask(door, path, headers, status, says):
    answer = door.get(path, headers=headers)
    assert answer.status_code == status and says.replace("'", "&#39;") in answer.text, answer.text[-500:]


def test_a_kept_yes_lets_a_tools_request_through_while_jupyter_cannot_answer(door):
    received(door.get("tools/echo/warm", timeout=120))  # running, and the door keeps Jupyter's yes for this token
    jupyter = supervisorctl(door, "pid", "jupyter").strip()
    door.container.exec_run(["kill", "-STOP", jupyter])
    try:
        answer = received(door.get("tools/echo/while-jupyter-sleeps", timeout=20))
    finally:
        door.container.exec_run(["kill", "-CONT", jupyter])
    assert answer["uri"] == "/while-jupyter-sleeps"


def test_an_unused_tool_stops_after_the_idle_time_and_an_open_websocket_keeps_it(factory):
    workspace = factory.start(env={"WORKSPACE_TOOLS_IDLE_TIMEOUT": str(SHORT_IDLE)})
    channel = open_echo_socket(workspace)
    try:
        wait_for_status(workspace, lambda s: tool_state(s, "echo") == "RUNNING")
        deadline = time.monotonic() + 3 * SHORT_IDLE
        while time.monotonic() < deadline:  # several idle times, checked all along
            assert tool_state(wait_for_status(workspace, lambda s: True), "echo") == "RUNNING"
            channel.send("still here")
            assert channel.recv() == "still here"
            time.sleep(1)
    finally:
        channel.close()
    wait_for_status(workspace, lambda s: tool_state(s, "echo") == "IDLE", timeout=90)
    # The stopper looks every few seconds: on a busy machine it finds the tool unused for longer than the timeout.
    unused_for = workspace.wait_for_log(r"stopping Echo: not used for (\d+) s", timeout=60)
    assert int(unused_for.group(1)) >= SHORT_IDLE
    listening = workspace.container.exec_run(["ss", "-Hltn"]).output.decode()
    assert f"127.0.0.1:{ECHO.port} " not in listening
    assert received(workspace.get("tools/echo/again", timeout=120))["uri"] == "/again"


def test_a_broken_declaration_stops_the_start_with_one_line(factory, tmp_path):
    """A declaration mounted into the folder, as a user adds a tool to the image they run."""
    declaration = tmp_path / "x.json"
    declaration.write_text('{"name": "x"}')
    container = factory.create(
        volumes_extra={str(declaration): {"bind": f"{paths.TOOL_DECLARATIONS_DIR}/x.json", "mode": "ro"}}
    )
    status = container.wait(timeout=60)["StatusCode"]
    log = container.logs().decode()
    assert status != 0
    assert log.strip().splitlines()[-1] == (
        f"workbench: error: {paths.TOOL_DECLARATIONS_DIR}/x.json: command, port missing"
    ), log
