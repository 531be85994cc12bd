"""The desktop tool's XFCE session: waits until the X server accepts connections, then becomes the session; and
whether the user has something open in it (the desktop's in-use hook, before it is stopped when idle).

supervisord starts the X server and the session side by side, and restarts the session when the X server
goes away (the session ends with its display); a session started before the display would only fail.
"""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import time
from pathlib import Path

X_SOCKETS = Path("/tmp/.X11-unix")
# Windows of the desktop itself (its background, the panel).
DESKTOP_OWN_WINDOW_TYPES = ("_NET_WM_WINDOW_TYPE_DESKTOP", "_NET_WM_WINDOW_TYPE_DOCK")


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


def children(pid: int) -> list[int]:
    found = []
    for task in Path(f"/proc/{pid}/task").glob("*"):
        try:
            found += [int(child) for child in (task / "children").read_text().split()]
        except (OSError, ValueError):
            continue
    return found


SHELLS = ("bash", "sh", "dash", "zsh", "fish")


def is_shell(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/comm").read_text().strip() in SHELLS
    except OSError:
        return False


def in_use(display: str) -> bool:
    """Whether stopping the desktop would close something of the user's: a window other than the desktop's own
    (its background and panel) and the terminal and file manager it opens at start, or a command running in one
    of its terminals (a shell there with a child process, or a terminal that runs a command rather than a shell)."""
    environment = {**os.environ, "DISPLAY": display}

    def xprop(*args: str) -> str:
        return subprocess.run(["xprop", *args], capture_output=True, text=True, timeout=5, env=environment).stdout

    try:
        listed = xprop("-root", "_NET_CLIENT_LIST").partition("#")[2]
        for window in (word.rstrip(",") for word in listed.split()):
            properties = xprop("-id", window, "_NET_WM_WINDOW_TYPE", "WM_CLASS", "_NET_WM_PID")
            if any(kind in properties for kind in DESKTOP_OWN_WINDOW_TYPES):
                continue
            if '"Xfce4-terminal"' in properties:
                pid = int(re.search(r"_NET_WM_PID\(CARDINAL\) = ([0-9]+)", properties).group(1))
                if any(children(child) or not is_shell(child) for child in children(pid)):
                    return True
            elif '"Thunar"' not in properties:
                return True
    except (OSError, ValueError, AttributeError, subprocess.SubprocessError):
        return True  # when in doubt, keep it
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
