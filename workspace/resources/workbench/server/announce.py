"""The login URL goes into the log once the workspace answers through its port, not before: a person who opens it
from the log at once finds the workspace, and a script that waits for the line finds it ready."""

from __future__ import annotations

import asyncio

from tornado.httpclient import AsyncHTTPClient

from ..facts import paths

POLL_SECONDS = 0.25


async def when_ready() -> None:
    """Print the announcement the entrypoint left, once healthz answers ok through the door. Once per start: a
    Jupyter that supervisord restarts finds the file gone."""
    try:
        text = paths.ANNOUNCEMENT_FILE.read_text()
    except FileNotFoundError:
        return
    url = paths.HEALTHZ_URL_FILE.read_text().strip()
    client = AsyncHTTPClient()
    while True:
        try:
            response = await client.fetch(url, raise_error=False, request_timeout=2)
            if response.code == 200:
                break
        except OSError:
            pass
        await asyncio.sleep(POLL_SECONDS)
    paths.ANNOUNCEMENT_FILE.unlink(missing_ok=True)
    print(text, end="", flush=True)
