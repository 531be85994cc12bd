"""The tool declarations: the state a tile shows, and where a tool's health is probed."""
import pytest

from workbench import tools

DESKTOP = tools.by_name("desktop")
TENSORBOARD = tools.by_name("tensorboard")


def states(**by_program):
    return {name.replace("_", "-"): state for name, state in by_program.items()}


def test_a_tool_runs_when_all_its_programs_run_and_it_answers():
    running = states(desktop_display="RUNNING", desktop_session="RUNNING", desktop="RUNNING")
    assert tools.tool_state(DESKTOP, running) == "RUNNING"
    assert tools.tool_state(DESKTOP, running, healthy=False) == "STARTING"


@pytest.mark.parametrize("display, session, expected", [
    ("RUNNING", "STARTING", "STARTING"),
    ("BACKOFF", "STARTING", "BACKOFF"),
    ("FATAL", "RUNNING", "FATAL"),
    ("RUNNING", "EXITED", "EXITED"),
])
def test_a_tool_shows_the_worst_state_of_its_programs(display, session, expected):
    assert tools.tool_state(DESKTOP, states(desktop_display=display, desktop_session=session,
                                            desktop="RUNNING")) == expected


def test_a_program_supervisord_does_not_know_makes_the_tool_unknown():
    assert tools.tool_state(DESKTOP, states(desktop="RUNNING")) == "UNKNOWN"


def test_jupyter_served_tools_follow_jupyter():
    lab = tools.TOOLS[0]
    assert lab.services == ("jupyter",) and lab.name == "lab"
    assert tools.tool_state(lab, {"jupyter": "RUNNING"}) == "RUNNING"
    assert tools.probe_url(lab, "/") is None


def test_probe_url_is_the_url_the_tool_itself_sees():
    netdata = tools.by_name("netdata")
    assert tools.probe_url(netdata, "/hub/user/a/") == "http://127.0.0.1:19999/api/v1/chart?chart=system.cpu"
    assert tools.probe_url(TENSORBOARD, "/hub/user/a/") == "http://127.0.0.1:6006/hub/user/a/tools/tensorboard/"


def test_with_state_lists_every_tool_with_its_programs():
    listed = tools.with_state([{"name": "jupyter", "state": "RUNNING"}, {"name": "tensorboard", "state": "RUNNING"}],
                              healthy={"tensorboard": False})
    by_name = {tool["name"]: tool for tool in listed}
    assert [tool["name"] for tool in listed] == [tool.name for tool in tools.TOOLS]
    assert by_name["lab"]["state"] == "RUNNING" and by_name["tensorboard"]["state"] == "STARTING"
    assert by_name["desktop"]["services"] == ["desktop-display", "desktop-session", "desktop"]


def test_a_tool_that_starts_when_opened_waits_idle_until_then():
    stopped = states(desktop_display="STOPPED", desktop_session="STOPPED", desktop="STOPPED")
    assert tools.tool_state(DESKTOP, stopped) == "IDLE"
    # Partly stopped is not waiting to be opened: something went wrong or it is on its way down.
    assert tools.tool_state(DESKTOP, {**stopped, "desktop": "RUNNING"}) == "STOPPED"


def test_only_tools_with_programs_of_their_own_start_when_opened():
    assert {tool.name for tool in tools.TOOLS if tool.starts_on_demand} == {"vscode", "desktop", "tensorboard",
                                                                             "netdata"}
    listed = {tool["name"]: tool for tool in tools.with_state([{"name": "jupyter", "state": "RUNNING"}])}
    assert listed["lab"]["on_demand"] is False and listed["vscode"]["on_demand"] is True


def test_the_desktop_is_in_use_while_something_holds_its_vnc_port():
    assert DESKTOP.ports == (6080, tools.VNC_PORT) and TENSORBOARD.ports == (6006,)
