"""Reads service states from supervisord's XML-RPC interface on its unix socket (standard library only, so
that it works from both the system Python and Jupyter's environment)."""

from __future__ import annotations

import http.client
import socket
import xmlrpc.client
from pathlib import Path

from . import paths


class _UnixConnection(http.client.HTTPConnection):
    def __init__(self, socket_path: Path, timeout: float):
        super().__init__("localhost", timeout=timeout)
        self.socket_path = socket_path

    def connect(self) -> None:
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.settimeout(self.timeout)
        self.sock.connect(str(self.socket_path))


class _UnixTransport(xmlrpc.client.Transport):
    def __init__(self, socket_path: Path, timeout: float):
        super().__init__()
        self.socket_path = socket_path
        self.timeout = timeout

    def make_connection(self, host):  # noqa: ARG002 - the host is meaningless on a unix socket
        return _UnixConnection(self.socket_path, self.timeout)


def _supervisor(socket_path: Path | None, timeout: float):
    """socket_path None: the workspace's own supervisord (paths.SUPERVISOR_SOCKET, looked up when called)."""
    transport = _UnixTransport(socket_path or paths.SUPERVISOR_SOCKET, timeout)
    return xmlrpc.client.ServerProxy("http://localhost/RPC2", transport=transport).supervisor


def services(socket_path: Path | None = None, timeout: float = 3.0) -> list[dict]:
    """One entry per supervised program: name, state (RUNNING, STARTING, BACKOFF, FATAL, ...), pid, uptime."""
    result = []
    for info in _supervisor(socket_path, timeout).getAllProcessInfo():
        running = info["statename"] == "RUNNING"
        result.append(
            {
                "name": info["name"],
                "state": info["statename"],
                "pid": info["pid"] or None,
                "uptime_seconds": max(0, info["now"] - info["start"]) if running else 0,
            }
        )
    return result


# supervisord's faults that mean "already so": asking twice is not an error.
_ALREADY_STARTED, _NOT_RUNNING = 60, 70
# A program that exited before supervisord looked, right after it was spawned: it was started, and supervisord
# retries it and then gives up as for one that exits later, so its state says the rest. Whether supervisord saw the
# exit in time is a race (a busy machine loses it more often).
_SPAWN_ERROR = 50


def start(programs: tuple[str, ...], socket_path: Path | None = None) -> None:
    """Start the programs in order without waiting for each to count as started (startsecs). Raises
    xmlrpc.client.Fault when one cannot be started at all (its command is missing or not executable)."""
    supervisor = _supervisor(socket_path, 10.0)
    for name in programs:
        try:
            supervisor.startProcess(name, False)
        except xmlrpc.client.Fault as fault:
            if fault.faultCode not in (_ALREADY_STARTED, _SPAWN_ERROR):
                raise


def stop(programs: tuple[str, ...], socket_path: Path | None = None) -> None:
    """Stop the programs, last first (the desktop's websocket before its session and display); waits for each."""
    supervisor = _supervisor(socket_path, 60.0)
    for name in reversed(programs):
        try:
            supervisor.stopProcess(name, True)
        except xmlrpc.client.Fault as fault:
            if fault.faultCode != _NOT_RUNNING:
                raise


def supervisor_running(socket_path: Path | None = None) -> bool:
    """True while a supervisord answers on the socket (a socket file left by an earlier start refuses)."""
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as probe:
        probe.settimeout(2)
        try:
            probe.connect(str(socket_path or paths.SUPERVISOR_SOCKET))
        except OSError:
            return False
    return True
