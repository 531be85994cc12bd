"""Whether a tool is in use, which keeps it from being stopped when idle (workbench/server/on_demand.py): a request that
nginx finished for it (nginx appends a line to the tool's activity file), a connection open to one of its ports now
(an editor's or a desktop's websocket, an SSH tunnel to VNC), or what the tool's own in_use hook says (the desktop: a
window of the user's is open)."""

from __future__ import annotations

import os
from pathlib import Path

from ..facts import paths, tools

# nginx appends one short line per request; emptied now and then so that a tool used for weeks leaves no big file.
ACTIVITY_FILE_LIMIT = 1 << 20
TCP_ESTABLISHED = "01"


def last_request(tool: tools.Tool) -> float:
    """When nginx last finished a request for the tool (a websocket finishes when it closes); 0 if never."""
    path = paths.ACTIVITY_DIR / f"{tool.name}.log"
    try:
        info = path.stat()
    except FileNotFoundError:
        return 0.0
    if info.st_size > ACTIVITY_FILE_LIMIT:
        os.truncate(path, 0)  # nginx appends (O_APPEND), so it goes on writing at the new end
        os.utime(path, (info.st_atime, info.st_mtime))  # emptying it is not a request
    return info.st_mtime


def open_connections(ports: tuple[int, ...], tables: tuple[str, ...] = ("/proc/net/tcp", "/proc/net/tcp6")) -> int:
    """Established TCP connections whose local end is one of the ports (the tool's side of them)."""
    wanted = {f"{port:04X}" for port in ports}
    count = 0
    for table in tables:
        try:
            lines = Path(table).read_text().splitlines()[1:]
        except OSError:
            continue
        for line in lines:
            fields = line.split()
            if len(fields) > 3 and fields[3] == TCP_ESTABLISHED and fields[1].rsplit(":", 1)[1] in wanted:
                count += 1
    return count


def in_use(tool: tools.Tool) -> bool:
    """Whether the tool is being used right now (beyond what its activity file says)."""
    return bool(open_connections(tool.ports)) or (tool.in_use is not None and tool.in_use())
