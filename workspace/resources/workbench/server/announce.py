"""The login URL goes into the log once the workspace answers through its port, not before: a person who opens it
from the log at once finds the workspace, and a script that waits for the line finds it ready. With
WORKSPACE_LOG_LEVEL=debug the start's timeline comes just before it."""

from __future__ import annotations

import asyncio
import os

from tornado.httpclient import AsyncHTTPClient

from ..facts import paths, start_timeline

POLL_SECONDS = 0.25


async def when_ready() -> None:
    """Print what the entrypoint left to say once healthz answers ok through the door: the start's timeline, when
    asked for, then the announcement (none under a hub). Once per start: a Jupyter that supervisord restarts finds
    the files gone."""
    try:
        announcement = paths.ANNOUNCEMENT_FILE.read_text()
    except FileNotFoundError:
        announcement = None
    timeline = start_timeline.Timeline() if paths.START_TIMELINE_FILE.exists() else None
    if timeline:  # this runs once Jupyter's loop starts, listening
        timeline.mark("Jupyter started", start_timeline.process_started(os.getpid()))
        timeline.mark("Jupyter listening")
    if announcement is None and timeline is None:
        return
    await door_answers(paths.HEALTHZ_URL_FILE.read_text().strip())
    if timeline:
        timeline.mark("the first answer through the door")
        try:
            timeline.mark("nginx started", start_timeline.process_started(paths.NGINX_PID_FILE.read_text().strip()))
        except (FileNotFoundError, ValueError):  # nginx restarted meanwhile: its start is not this start's
            pass
        steps = sorted(start_timeline.read() + timeline.steps)
        paths.START_TIMELINE_FILE.unlink(missing_ok=True)
        print(start_timeline.render(steps), end="", flush=True)
    if announcement is not None:
        paths.ANNOUNCEMENT_FILE.unlink(missing_ok=True)
        print(announcement, end="", flush=True)


async def door_answers(url: str) -> None:
    client = AsyncHTTPClient()
    while True:
        try:
            response = await client.fetch(url, raise_error=False, request_timeout=2)
            if response.code == 200:
                return
        except OSError:
            pass
        await asyncio.sleep(POLL_SECONDS)
