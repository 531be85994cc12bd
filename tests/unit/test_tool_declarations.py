"""The tool declarations: the state a tile shows, where a tool's health is probed, and that everything derived from
a declaration (its icon, its page test, the docs' tables) is there for every tool."""

import re
from pathlib import Path

import pytest

from tool_pages import TOOL_PAGES, TOOL_SHOWN
from workbench.contracts import settings
from workbench.facts import catalogue, tools
from workbench.facts import states as program_states
from workbench_build import docs

ROOT = Path(__file__).resolve().parents[2]
ICONS = ROOT / "workspace" / "landing" / "icons"

DESKTOP = catalogue.by_name("desktop")
TENSORBOARD = catalogue.by_name("tensorboard")


def states(**by_program):
    return {name.replace("_", "-"): state for name, state in by_program.items()}


def test_a_tool_runs_when_all_its_programs_run_and_it_answers():
    running = states(desktop_display="RUNNING", desktop_session="RUNNING", desktop_websockify="RUNNING")
    assert tools.tool_state(DESKTOP, running) == "RUNNING"
    assert tools.tool_state(DESKTOP, running, healthy=False) == "STARTING"


@pytest.mark.parametrize(
    "display, session, expected",
    [
        ("RUNNING", "STARTING", "STARTING"),
        ("BACKOFF", "STARTING", "BACKOFF"),
        ("FATAL", "RUNNING", "FATAL"),
        ("RUNNING", "EXITED", "EXITED"),
    ],
)
def test_a_tool_shows_the_worst_state_of_its_programs(display, session, expected):
    assert (
        tools.tool_state(
            DESKTOP, states(desktop_display=display, desktop_session=session, desktop_websockify="RUNNING")
        )
        == expected
    )


def test_a_program_supervisord_does_not_know_makes_the_tool_unknown():
    assert tools.tool_state(DESKTOP, states(desktop_websockify="RUNNING")) == "UNKNOWN"


def test_jupyter_served_tools_follow_jupyter():
    lab = catalogue.all_tools()[0]
    assert lab.program_names == ("jupyter",) and lab.name == "lab"
    assert tools.tool_state(lab, {"jupyter": "RUNNING"}) == "RUNNING"
    assert tools.probe_url(lab, "/") is None


def test_probe_url_is_the_url_the_tool_itself_sees():
    netdata = catalogue.by_name("netdata")
    assert tools.probe_url(netdata, "/hub/user/a/") == "http://127.0.0.1:19999/api/v1/chart?chart=system.cpu"
    assert tools.probe_url(TENSORBOARD, "/hub/user/a/") == "http://127.0.0.1:6006/hub/user/a/tools/tensorboard/"


def test_with_state_lists_every_tool_with_its_programs():
    listed = catalogue.with_state(
        [{"name": "jupyter", "state": "RUNNING"}, {"name": "tensorboard", "state": "RUNNING"}],
        healthy={"tensorboard": False},
    )
    by_name = {tool["name"]: tool for tool in listed}
    assert [tool["name"] for tool in listed] == [tool.name for tool in catalogue.all_tools()]
    assert by_name["lab"]["state"] == "RUNNING" and by_name["tensorboard"]["state"] == "STARTING"
    assert by_name["desktop"]["services"] == ["desktop-display", "desktop-session", "desktop-websockify"]
    assert by_name["vscode"]["icon"] == "workbench/icons/vscode.svg"


def test_a_tool_that_starts_when_opened_waits_idle_until_then():
    stopped = states(desktop_display="STOPPED", desktop_session="STOPPED", desktop_websockify="STOPPED")
    assert tools.tool_state(DESKTOP, stopped) == "IDLE"
    # Partly stopped is not waiting to be opened: something went wrong or it is on its way down.
    assert tools.tool_state(DESKTOP, {**stopped, "desktop-websockify": "RUNNING"}) == "STOPPED"


def test_only_tools_with_programs_of_their_own_start_when_opened():
    assert [tool.name for tool in catalogue.all_tools() if not tool.starts_on_demand] == [
        t.name for t in tools.JUPYTER_SERVED
    ]
    assert all(tool.programs and tool.port for tool in catalogue.all_tools() if tool.starts_on_demand)
    listed = {tool["name"]: tool for tool in catalogue.with_state([{"name": "jupyter", "state": "RUNNING"}])}
    assert listed["lab"]["on_demand"] is False and listed["vscode"]["on_demand"] is True


def test_the_desktop_is_in_use_while_something_holds_its_vnc_port():
    assert DESKTOP.ports == (6080, tools.VNC_PORT) and TENSORBOARD.ports == (6006,)


def test_every_tool_of_the_image_declares_its_page_for_the_page_tests():
    assert set(TOOL_PAGES) == set(TOOL_SHOWN) == {tool.name for tool in tools.BUILT_IN}
    for tool in tools.BUILT_IN:
        path, text = TOOL_PAGES[tool.name]
        assert path.startswith(tool.path) and text and TOOL_SHOWN[tool.name], tool.name


def test_every_declared_tool_has_its_icon_and_no_icon_is_left_over():
    assert {path.name for path in ICONS.iterdir()} == {tool.icon for tool in catalogue.all_tools()} | {
        tools.GENERIC_ICON
    }
    for tool in catalogue.all_tools():
        assert (ICONS / tool.icon).read_text().startswith('<svg xmlns="http://www.w3.org/2000/svg"'), tool.icon


def test_names_are_unique_and_fit_urls_and_program_names():
    names = [tool.name for tool in catalogue.all_tools()]
    assert len(names) == len(set(names))
    with pytest.raises(ValueError, match="must match"):
        tools.Tool("My Tool", "T", "d", "t.svg", "tools/t/")


def test_every_state_a_program_or_tool_can_be_in_is_presented():
    assert set(program_states.SHOWN) == set(program_states.State)
    assert {shown.css_class for shown in program_states.SHOWN.values()} == {"running", "starting", "idle", "failed"}


def test_the_pages_tables_of_tools_ports_and_variables_are_what_build_py_docs_writes():
    assert docs.stale_pages() == [], "run: python3 build.py docs"
    assert docs.placed_tables() == set(docs.TABLES)
    ports = docs.inside_ports_table()
    assert [int(port) for port in re.findall(r"^\| `(\d+)` \|", ports, re.MULTILINE)] == sorted(settings.inside_ports())
    assert all(setting.help for setting in catalogue.all_settings())
