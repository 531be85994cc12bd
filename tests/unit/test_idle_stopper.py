"""Stopping a tool nobody uses (workbench/server/on_demand.py: IdleStopper, workbench/server/activity.py), against a
real supervisord (the version the image has, started as the entrypoint starts it) running a small tool on a loopback
port."""

from __future__ import annotations

import asyncio
import concurrent.futures
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from waiting import wait_until
from workbench.facts import catalogue, paths, supervisor_client, tools
from workbench.facts.programs import Program
from workbench.server import activity, on_demand
from workbench.start import supervise

IDLE_SECONDS = 2


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def idler(tmp_path, monkeypatch) -> tools.Tool:
    """A tool with one program (a web server), supervised as the workspace supervises its tools, and the only tool."""
    port = free_port()
    tool = tools.Tool(
        "idler",
        "Idler",
        "",
        "tool.svg",
        "tools/idler/",
        programs=(Program("idler", f"{sys.executable} -m http.server {port} --bind 127.0.0.1"),),
        port=port,
    )
    config = tmp_path / "supervisord.conf"
    config.write_text(
        f"[unix_http_server]\nfile={tmp_path}/supervisor.sock\n"
        f"[supervisord]\nnodaemon=true\nlogfile={tmp_path}/supervisord.log\npidfile={tmp_path}/supervisord.pid\n"
        "[rpcinterface:supervisor]\nsupervisor.rpcinterface_factory = supervisor.rpcinterface:make_main_rpcinterface\n"
        f"[program:idler]\ncommand={tool.programs[0].command}\nstartsecs=0\nstopasgroup=true\n"
    )
    monkeypatch.setattr(paths, "SUPERVISOR_SOCKET", tmp_path / "supervisor.sock")
    monkeypatch.setattr(paths, "ACTIVITY_DIR", tmp_path / "activity")
    monkeypatch.setattr(catalogue, "all_tools", lambda: (tool,))
    paths.ACTIVITY_DIR.mkdir()
    # As the entrypoint starts it: without pkg_resources, whose stand-in must resolve the RPC interface above.
    launch = "import sys; from workbench.start import supervise; sys.exit(supervise.main(sys.argv[1:]))"
    package_parent = str(Path(supervise.__file__).parents[2])
    supervisord = subprocess.Popen(
        [sys.executable, "-c", launch, "-c", str(config)], env={**os.environ, "PYTHONPATH": package_parent}
    )
    try:
        wait_until(lambda: state() == "RUNNING" and accepts(port), 20)
        yield tool
    finally:
        supervisord.terminate()
        supervisord.wait(30)


def accepts(port: int) -> bool:
    with socket.create_connection(("127.0.0.1", port), 1):
        return True


def state() -> str:
    return supervisor_client.services()[0]["state"]


def check(stopper: on_demand.IdleStopper) -> list[str]:
    """One round of the stopper, in a thread of its own: in the whole suite, Playwright's sync API keeps an event loop
    running in the main thread, where asyncio.run refuses to start another."""
    with concurrent.futures.ThreadPoolExecutor(1) as thread:
        return thread.submit(asyncio.run, stopper.check()).result()


def request_finished(tool: tools.Tool, seconds_ago: float) -> None:
    """As nginx notes a finished request: a line appended to the tool's activity file."""
    log = paths.ACTIVITY_DIR / f"{tool.name}.log"
    with log.open("a") as lines:
        lines.write(f"{time.time():.3f}\n")
    when = time.time() - seconds_ago
    os.utime(log, (when, when))


def test_a_tool_is_stopped_once_unused_for_the_idle_time_and_not_before(idler):
    stopper = on_demand.IdleStopper(IDLE_SECONDS, "/")
    # Just started counts as used: nothing is stopped until it has run for the idle time.
    assert check(stopper) == [] and state() == "RUNNING"
    wait_until(lambda: supervisor_client.services()[0]["uptime_seconds"] > IDLE_SECONDS, 20)
    request_finished(idler, seconds_ago=0)
    assert check(stopper) == []
    # A request long ago, but a connection open now (an editor's websocket, a tunnel): in use.
    request_finished(idler, seconds_ago=10 * IDLE_SECONDS)
    with socket.create_connection(("127.0.0.1", idler.port)):
        assert activity.open_connections(idler.ports) >= 1
        assert check(stopper) == [] and "idler" in stopper.last_seen_in_use
    # Closed: stopped once the idle time has passed since it was last seen in use.
    assert wait_until(lambda: check(stopper), 20) == ["idler"]
    assert state() == "STOPPED"
    assert time.time() - stopper.last_seen_in_use["idler"] >= IDLE_SECONDS


def test_a_tool_that_is_not_running_is_left_alone(idler):
    supervisor_client.stop(idler.program_names)
    assert check(on_demand.IdleStopper(IDLE_SECONDS, "/")) == [] and state() == "STOPPED"


def test_the_look_interval_follows_the_idle_time():
    assert on_demand.IdleStopper(3600, "/").interval == 30.0
    assert on_demand.IdleStopper(60, "/").interval == 6.0
    assert on_demand.IdleStopper(2, "/").interval == 1.0


def test_a_big_activity_file_is_emptied_and_keeps_its_time(tmp_path, monkeypatch):
    monkeypatch.setattr(paths, "ACTIVITY_DIR", tmp_path)
    tool = catalogue.by_name("vscode")
    log = tmp_path / "vscode.log"
    log.write_bytes(b"1\n" * (activity.ACTIVITY_FILE_LIMIT // 2 + 1))
    os.utime(log, (1_000_000, 1_000_000))
    assert activity.last_request(tool) == 1_000_000
    assert log.stat().st_size == 0 and log.stat().st_mtime == 1_000_000
    assert activity.last_request(catalogue.by_name("netdata")) == 0.0  # never opened
