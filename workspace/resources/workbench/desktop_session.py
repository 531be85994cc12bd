"""The desktop tool's XFCE session: waits until the X server accepts connections, then becomes the session.

supervisord starts the X server and the session side by side, and restarts the session when the X server
goes away (the session ends with its display); a session started before the display would only fail.
"""
from __future__ import annotations

import os
import socket
import sys
import time
from pathlib import Path

X_SOCKETS = Path("/tmp/.X11-unix")


def display_accepts(display: str) -> bool:
    """A socket file alone is not enough: one left by a killed X server refuses connections."""
    path = X_SOCKETS / f"X{display.lstrip(':').split('.')[0]}"
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as probe:
        try:
            probe.connect(str(path))
        except OSError:
            return False
    return True


def wait_for_display(display: str, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if display_accepts(display):
            return True
        time.sleep(0.1)
    return False


def main(argv: list[str]) -> int:
    if len(argv) != 1:
        print("usage: workbench-desktop-session DISPLAY", file=sys.stderr)
        return 2
    display = argv[0]
    if not wait_for_display(display, timeout=60):
        print(f"workbench-desktop-session: X display {display} did not come up within 60 s", file=sys.stderr)
        return 1
    os.environ["DISPLAY"] = display
    os.environ["NO_AT_BRIDGE"] = "1"  # no accessibility bus runs here; GTK would warn in every application
    os.execvp("dbus-launch", ["dbus-launch", "--exit-with-session", "xfce4-session"])
    return 0  # not reached
