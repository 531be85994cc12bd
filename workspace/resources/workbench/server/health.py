"""Whether a tool answers on its loopback port: what tells "running" from "starting" on the landing page."""

from __future__ import annotations

import asyncio

from tornado.httpclient import AsyncHTTPClient, HTTPClientError

from ..facts import catalogue, tools
from ..facts.states import State

# A tool that takes longer than this to answer its health probe is shown as starting.
PROBE_TIMEOUT_SECONDS = 2.0


async def probe(tool: tools.Tool, base_url: str) -> bool:
    """True when the tool answers its health URL with anything below 400; a refused connection (a program that
    runs but does not listen yet), a reset or a timeout all mean not yet."""
    try:
        response = await AsyncHTTPClient().fetch(
            tools.probe_url(tool, base_url),
            raise_error=False,
            follow_redirects=False,
            request_timeout=PROBE_TIMEOUT_SECONDS,
        )
    except (OSError, HTTPClientError):
        return False
    return response.code < 400


async def probe_running_tools(services: list[dict], base_url: str) -> dict[str, bool]:
    """Whether each tool whose programs all run also answers on its port."""
    running = {service["name"] for service in services if service["state"] == State.RUNNING}
    candidates = [tool for tool in catalogue.with_programs() if set(tool.program_names) <= running]
    results = await asyncio.gather(*(probe(tool, base_url) for tool in candidates))
    return {tool.name: healthy for tool, healthy in zip(candidates, results, strict=True)}
