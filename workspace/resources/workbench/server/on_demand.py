"""Tools that start when they are first opened and stop when nobody uses them.

nginx turns to Jupyter when a tool's port refuses a connection (see nginx.conf.j2); `wake` starts the tool's programs
and waits until it answers. `IdleStopper` stops a tool after WORKSPACE_TOOLS_IDLE_TIMEOUT seconds without use (what
counts as use: workbench/server/activity.py).
"""

from __future__ import annotations

import asyncio
import logging
import time
import xmlrpc.client
from collections.abc import Mapping
from urllib.parse import unquote

from ..facts import catalogue, supervisor_client, tools
from ..facts.states import GIVEN_UP, State
from . import activity, health

# How long a request waits for a tool to start before it gets a 503.
WAKE_TIMEOUT_SECONDS = 120.0

# Jupyter's own log once the extension loads (use_log), so that these lines appear in the container's log.
log = logging.getLogger(__name__)


def use_log(logger: logging.Logger) -> None:
    global log
    log = logger


def is_page_navigation(headers: Mapping[str, str], method: str) -> bool:
    """A browser opening a page (rather than a script's request, a stylesheet or a websocket)."""
    if headers.get("Upgrade") or method not in ("GET", "HEAD"):
        return False
    if "Sec-Fetch-Mode" in headers:
        return headers["Sec-Fetch-Mode"] == "navigate"
    return "text/html" in headers.get("Accept", "")


def may_start_tools(headers: Mapping[str, str]) -> bool:
    """Whether this request may start a tool: one from the workspace's own pages, one the user typed or followed
    (a navigation), or one from no browser at all. Not another site's image or script: a page cannot spend the
    workspace's memory by embedding its URLs."""
    site = headers.get("Sec-Fetch-Site")
    return site in (None, "same-origin", "none") or headers.get("Sec-Fetch-Mode") == "navigate"


def is_uri_of(uri: str, tool_url: str) -> bool:
    """Whether the URI is the tool's URL or under it, also once decoded (no way out with ../ or %2e%2e/)."""
    path = unquote(uri.partition("?")[0])
    segments = path.split("/")
    return (path + "/").startswith(tool_url) and ".." not in segments and "." not in segments and path.isprintable()


def internal_redirect_target(original_uri: str) -> str:
    """The request's own URI for nginx's X-Accel-Redirect, its path decoded as nginx keeps a location's URI (it
    encodes it again when it proxies); kept as it came if decoding would make it ambiguous."""
    path, question, query = original_uri.partition("?")
    decoded = unquote(path)
    if "?" in decoded or not decoded.isprintable():
        decoded = path
    return decoded + question + query


async def _services() -> list[dict]:
    return await asyncio.get_running_loop().run_in_executor(None, supervisor_client.services)


async def ports_accept(ports: tuple[int, ...]) -> bool:
    for port in ports:
        try:
            _, writer = await asyncio.wait_for(asyncio.open_connection("127.0.0.1", port), 1.0)
        except (TimeoutError, OSError):
            return False
        writer.close()
    return True


_starting: dict[str, asyncio.Task] = {}


def begin(tool: tools.Tool, base_url: str) -> asyncio.Task:
    """Start the tool (once, however many requests ask at the same time); the task ends when the tool answers
    (True) or has given up or the time is over (False)."""
    task = _starting.get(tool.name)
    if task is None or task.done():
        task = _starting[tool.name] = asyncio.ensure_future(_start_and_wait(tool, base_url))
    return task


async def wake(tool: tools.Tool, base_url: str) -> bool:
    return await asyncio.shield(begin(tool, base_url))


async def _start_and_wait(tool: tools.Tool, base_url: str) -> bool:
    log.info("starting %s: it was opened", tool.title)
    started = time.monotonic()
    try:
        await asyncio.get_running_loop().run_in_executor(None, supervisor_client.start, tool.program_names)
    except xmlrpc.client.Fault as fault:
        log.warning("%s cannot start: supervisord says %s", tool.title, fault.faultString)
        return False
    states: list[str] = []
    while time.monotonic() - started < WAKE_TIMEOUT_SECONDS:
        states = tools.program_states(tool, tools.states_by_program(await _services()))
        # Answering is what counts, not supervisord's RUNNING, which it gives only after startsecs.
        if (
            all(state in (State.STARTING, State.RUNNING) for state in states)
            and await ports_accept(tool.extra_ports)
            and await health.probe(tool, base_url)
        ):
            log.info("%s answers, %.1f s after it was opened", tool.title, time.monotonic() - started)
            return True
        if any(state in GIVEN_UP for state in states):
            break
        await asyncio.sleep(0.2)
    log.warning("%s did not start (%s); see the log above", tool.title, ", ".join(states))
    return False


class IdleStopper:
    """Called every few seconds: stops each started tool that has not been used for `timeout` seconds."""

    def __init__(self, timeout: int, base_url: str):
        self.timeout = timeout
        self.base_url = base_url
        self.last_seen_in_use: dict[str, float] = {}

    @property
    def interval(self) -> float:
        """How often to look: often enough that a tool stops within a few percent of its idle time."""
        return min(30.0, max(1.0, self.timeout / 10))

    async def check(self) -> list[str]:
        """Stop what is idle now; returns the names of the tools stopped."""
        now = time.time()
        stopped = []
        services = {service["name"]: service for service in await _services()}
        for tool in catalogue.with_programs():
            own = [services.get(program) for program in tool.program_names]
            if not all(service and service["state"] == State.RUNNING for service in own):
                continue
            if tool.name in _starting and not _starting[tool.name].done():
                continue
            running_since = now - min(service["uptime_seconds"] for service in own)
            if await asyncio.get_running_loop().run_in_executor(None, activity.in_use, tool):
                self.last_seen_in_use[tool.name] = now
            last_used = max(running_since, activity.last_request(tool), self.last_seen_in_use.get(tool.name, 0.0))
            if now - last_used >= self.timeout:
                log.info(
                    "stopping %s: not used for %d s (WORKSPACE_TOOLS_IDLE_TIMEOUT=%d); opening it starts it again",
                    tool.title,
                    now - last_used,
                    self.timeout,
                )
                await asyncio.get_running_loop().run_in_executor(None, supervisor_client.stop, tool.program_names)
                stopped.append(tool.name)
        return stopped

    async def run_forever(self) -> None:
        while True:
            await asyncio.sleep(self.interval)
            try:
                await self.check()
            except Exception:  # noqa: BLE001 - a failed round must not end the stopping for good
                log.exception("checking for idle tools failed; trying again in %.0f s", self.interval)
